#include "mesh_options.h"

#include <fstream>

#include "sheafsim/base/error.h"

namespace sheafsim::cli {

mesh::MeshConfig MeshOptions::resolve() const {
  mesh::MeshConfig m = cfg;
  mesh::parse_mesh_shape(shape, m.rows, m.cols);
  m.placement = mesh::parse_placement(placement);
  m.order = mesh::parse_tile_order(order);
  m.schedule = mesh::parse_schedule(schedule);
  m.reduction = mesh::parse_reduction(reduction);
  if (m.schedule == mesh::Schedule::Barrier && m.chunk != 0)
    throw InputError("--chunk applies to --schedule dataflow (the barrier schedule runs the whole batch as one chunk)");
  m.validate();
  return m;
}

mesh::MeshTraceOptions MeshOptions::trace_options() const {
  mesh::MeshTraceOptions t;
  if (trace.empty()) {
    if (!trace_window.empty()) throw InputError("--trace-window needs --trace FILE");
    return t;
  }
  t.path = trace;
  t.window = mesh::parse_trace_window(trace_window);
  return t;
}

mesh::PeDatapathFactory MeshOptions::datapath() const {
  if (!rtl_pe) {
    if (rtl_timing) throw InputError("--rtl-timing needs --rtl-pe (the RTL PEs it takes the cycles from)");
    if (!rtl_chunks.empty()) throw InputError("--rtl-chunks needs --rtl-pe (the RTL PEs whose chunks it lists)");
    return {};
  }
  rtl_stats->keep_chunks = !rtl_chunks.empty();
  return mesh::rtl_pe_datapath(rtl_stats.get(), rtl_timing);
}

namespace {
// The chunk cycles of a run, summed over its steps.
mesh::RtlStepTiming rtl_totals(const mesh::RtlPeStats& s) {
  mesh::RtlStepTiming t;
  for (const mesh::RtlStepTiming& x : s.steps) {
    t.chunks += x.chunks;
    t.differing_chunks += x.differing_chunks;
    t.model_chunk_cycles += x.model_chunk_cycles;
    t.rtl_chunk_cycles += x.rtl_chunk_cycles;
  }
  return t;
}
}  // namespace

nlohmann::json rtl_pe_json(const MeshOptions& o) {
  if (!o.rtl_pe) return nullptr;
  const mesh::RtlPeStats& s = *o.rtl_stats;
  const mesh::RtlStepTiming t = rtl_totals(s);
  nlohmann::json steps = nlohmann::json::array();
  for (const mesh::RtlStepTiming& x : s.steps)
    steps.push_back({{"step", x.step},
                     {"chunks", x.chunks},
                     {"differing_chunks", x.differing_chunks},
                     {"model_chunk_cycles", x.model_chunk_cycles},
                     {"rtl_chunk_cycles", x.rtl_chunk_cycles}});
  return {{"module", "pe_core.sv"},
          {"parameter_set", mesh::rtl_pe_parameter_set()},
          {"timing", o.rtl_timing ? "rtl" : "model"},
          {"operations", s.operations},
          {"rtl_cycles", s.rtl_cycles},
          {"timing_only_chunks", s.timing_only_chunks},
          {"acc_wrapped_sums", s.acc_wraps},
          {"chunks", t.chunks},
          {"differing_chunks", t.differing_chunks},
          {"model_chunk_cycles", t.model_chunk_cycles},
          {"rtl_chunk_cycles", t.rtl_chunk_cycles},
          {"steps", steps}};
}

void write_rtl_chunks(const MeshOptions& o) {
  if (!o.rtl_pe || o.rtl_chunks.empty()) return;
  std::ofstream f(o.rtl_chunks);
  if (!f) throw InputError("--rtl-chunks: cannot write " + o.rtl_chunks);
  static const char* const kPhase[] = {"idle", "forward", "backward", "hebbian", "update", "residual", "stalk", "merge"};
  f << "step,pe,tile,phase,chunk,model_cycles,rtl_cycles\n";
  for (const mesh::RtlChunkRecord& r : o.rtl_stats->chunks)
    f << r.step << ',' << r.pe << ',' << r.tile << ',' << kPhase[r.phase] << ',' << r.chunk << ',' << r.model_cycles
      << ',' << r.rtl_cycles << '\n';
  if (!f) throw InputError("--rtl-chunks: cannot write " + o.rtl_chunks);
}

void add_rtl_pe_rows(const MeshOptions& o, std::vector<std::pair<std::string, std::string>>& rows) {
  if (!o.rtl_pe) return;
  const mesh::RtlStepTiming t = rtl_totals(*o.rtl_stats);
  rows.emplace_back("rtl_pe", "pe_core.sv (verilated, parameter set " + mesh::rtl_pe_parameter_set() + ")");
  rows.emplace_back("rtl_timing", o.rtl_timing ? "rtl (PE chunks take the RTL's cycles)" : "model (PE chunks take the annotation)");
  rows.emplace_back("rtl_operations", std::to_string(o.rtl_stats->operations));
  rows.emplace_back("rtl_cycles", std::to_string(o.rtl_stats->rtl_cycles));
  rows.emplace_back("rtl_chunks", std::to_string(t.chunks));
  rows.emplace_back("rtl_differing_chunks", std::to_string(t.differing_chunks));
  rows.emplace_back("rtl_model_chunk_cycles", std::to_string(t.model_chunk_cycles));
  rows.emplace_back("rtl_chunk_cycles", std::to_string(t.rtl_chunk_cycles));
}

const std::initializer_list<const char*> kMeshShapeOptionNames = {
    "--mesh",      "--lanes",     "--vertex-lanes", "--sram-kib",         "--mac-pipeline",   "--update-pipeline", "--sram-latency",
    "--link-latency", "--link-width", "--tile-rows", "--tile-cols", "--tile-order", "--vertex-placement",
    "--time-multiplex", "--clock-mhz", "--random-stalls", "--max-stall", "--schedule", "--reduction", "--chunk",
    "--vertex-sram-kib"};

void add_mesh_options(CLI::App& sub, MeshOptions& o, bool with_mode, bool with_outputs) {
  auto& m = o.cfg;
  if (with_mode)
    sub.add_option("--mode", o.mode, "train (sheaf training) or infer (diffusion inference)")->capture_default_str();
  sub.add_option("--mesh", o.shape, "Mesh of edge PEs, RxC")->capture_default_str();
  sub.add_option("--lanes", m.lanes, "MAC lanes per PE")->capture_default_str();
  sub.add_option("--vertex-lanes", m.vertex_lanes, "ALU lanes per vertex unit")->capture_default_str();
  sub.add_option("--sram-kib", m.sram_kib, "PE SRAM, KiB")->capture_default_str();
  sub.add_option("--mac-pipeline", m.mac_pipeline, "MAC lane depth, cycles")->capture_default_str();
  sub.add_option("--update-pipeline", m.update_pipeline, "Write lane depth, cycles")->capture_default_str();
  sub.add_option("--sram-latency", m.sram_latency, "SRAM access latency, cycles")->capture_default_str();
  sub.add_option("--link-latency", m.link_latency, "Link latency per hop, cycles")->capture_default_str();
  sub.add_option("--link-width", m.link_width, "Link width, bits per flit")->capture_default_str();
  sub.add_option("--tile-rows", m.tile_rows, "Synapse rows per tile (0: auto)")->capture_default_str();
  sub.add_option("--tile-cols", m.tile_cols, "Synapse columns per tile (0: auto)")->capture_default_str();
  sub.add_option("--schedule", o.schedule, "dataflow (chunks stream, no barrier) or barrier (phase by phase)")
      ->capture_default_str();
  sub.add_option("--reduction", o.reduction, "in-network (partial sums added along the PEs) or vertex")
      ->capture_default_str();
  sub.add_option("--chunk", m.chunk, "Samples per chunk of the dataflow schedule (0: 16, or the batch if smaller)")
      ->capture_default_str();
  sub.add_option("--vertex-sram-kib", m.vertex_sram_kib, "Vertex-unit SRAM, KiB")->capture_default_str();
  sub.add_option("--tile-order", o.order, "auto (block if the tile grids pack, else snake), snake, row-major or block placement of tiles")->capture_default_str();
  sub.add_option("--vertex-placement", o.placement, "near, west or corner")->capture_default_str();
  sub.add_option("--time-multiplex", m.time_multiplex, "Allow more tiles than PEs")
      ->type_name("true|false")
      ->default_str(m.time_multiplex ? "true" : "false");
  sub.add_option("--clock-mhz", m.clock_mhz, "Clock for reported times, MHz")->capture_default_str();
  sub.add_option("--random-stalls", m.random_stalls, "Seed of random PE and link stalls (0: off)")->capture_default_str();
  sub.add_option("--max-stall", m.max_stall, "Largest random stall, cycles")->capture_default_str();
  if (!with_outputs) return;
  sub.add_option("--counters", o.counters, "Write the per-PE, per-vertex-unit and per-link counters CSV here");
  sub.add_option("--trace", o.trace, "Write a VCD waveform of PE, vertex-unit and link activity here");
  sub.add_flag("--rtl-pe", o.rtl_pe,
               "Co-simulate: the verilated RTL PE computes every PE's sums and writes");
  sub.add_flag("--rtl-timing", o.rtl_timing, "With --rtl-pe: every PE chunk takes the RTL's cycles, not the model's");
  sub.add_option("--rtl-chunks", o.rtl_chunks, "With --rtl-pe: write each PE chunk's model and RTL cycles here (CSV)");
  sub.add_option("--trace-window", o.trace_window, "Cycles to trace, START:END (also START: or :END; default: all)");
}

}  // namespace sheafsim::cli
