#include "sheafsim/arch/mesh_config.h"

#include <cstdio>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::mesh {

namespace {
void require_range(long v, const char* name, long lo, long hi) {
  if (v < lo || v > hi) throw InputError(fmt::format("--{} = {} must be in {}..{}", name, v, lo, hi));
}
}  // namespace

void MeshConfig::validate() const {
  require_range(rows, "mesh rows", 1, 256);
  require_range(cols, "mesh cols", 1, 256);
  require_range(lanes, "lanes", 1, 4096);
  require_range(vertex_lanes, "vertex-lanes", 1, 4096);
  require_range(sram_kib, "sram-kib", 1, 1L << 20);
  require_range(mac_pipeline, "mac-pipeline", 0, 1000);
  require_range(update_pipeline, "update-pipeline", 0, 1000);
  require_range(sram_latency, "sram-latency", 0, 1000);
  require_range(link_latency, "link-latency", 1, 1000);
  require_range(link_width, "link-width", 1, 4096);
  require_range(tile_rows, "tile-rows", 0, 1 << 20);
  require_range(tile_cols, "tile-cols", 0, 1 << 20);
  require_range(max_stall, "max-stall", 1, 1 << 20);
  require_range(chunk, "chunk", 0, 1 << 24);
  require_range(vertex_sram_kib, "vertex-sram-kib", 1, 1L << 20);
  if (!(clock_mhz > 0) || !(clock_mhz < 1e6))
    throw InputError(fmt::format("--clock-mhz = {} must be a number in (0, 1e6)", clock_mhz));
}

std::uint64_t MeshConfig::chunk_samples(std::uint64_t batch) const {
  if (schedule == Schedule::Barrier || batch == 0) return batch;
  const auto c = static_cast<std::uint64_t>(chunk > 0 ? chunk : kDefaultChunk);
  return c < batch ? c : batch;
}

std::uint64_t MeshConfig::chunks(std::uint64_t batch) const {
  const std::uint64_t c = chunk_samples(batch);
  return c == 0 ? 0 : (batch + c - 1) / c;
}

std::uint64_t MeshConfig::chunk_size(std::uint64_t batch, std::uint64_t k) const {
  const std::uint64_t c = chunk_samples(batch), first = k * c;
  return first >= batch ? 0 : (batch - first < c ? batch - first : c);
}

nlohmann::json MeshConfig::to_json() const {
  return {{"rows", rows},
          {"cols", cols},
          {"lanes", lanes},
          {"vertex_lanes", vertex_lanes},
          {"sram_kib", sram_kib},
          {"mac_pipeline_cycles", mac_pipeline},
          {"update_pipeline_cycles", update_pipeline},
          {"sram_latency_cycles", sram_latency},
          {"link_latency_cycles", link_latency},
          {"link_width_bits", link_width},
          {"tile_rows", tile_rows},
          {"tile_cols", tile_cols},
          {"tile_order", to_string(order)},
          {"vertex_placement", to_string(placement)},
          {"schedule", to_string(schedule)},
          {"reduction", to_string(reduction)},
          {"chunk_samples", chunk},
          {"vertex_sram_kib", vertex_sram_kib},
          {"time_multiplex", time_multiplex},
          {"clock_mhz", clock_mhz},
          {"random_stalls_seed", random_stalls},
          {"max_stall_cycles", max_stall}};
}

void parse_mesh_shape(const std::string& text, int& rows, int& cols) {
  int r = 0, c = 0;
  char x = 0, extra = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &r, &x, &c, &extra) != 3 || (x != 'x' && x != 'X') || r < 1 || c < 1 ||
      r > 256 || c > 256)
    throw InputError(fmt::format("--mesh '{}' must be RxC with 1 <= R, C <= 256 (e.g. 4x4)", text));
  rows = r;
  cols = c;
}

VertexPlacement parse_placement(const std::string& name) {
  if (name == "near") return VertexPlacement::Near;
  if (name == "west") return VertexPlacement::West;
  if (name == "corner") return VertexPlacement::Corner;
  throw InputError(fmt::format("unknown --vertex-placement '{}' (expected near, west or corner)", name));
}

TileOrder parse_tile_order(const std::string& name) {
  if (name == "auto") return TileOrder::Auto;
  if (name == "snake") return TileOrder::Snake;
  if (name == "row-major") return TileOrder::RowMajor;
  if (name == "block") return TileOrder::Block;
  throw InputError(fmt::format("unknown --tile-order '{}' (expected auto, snake, row-major or block)", name));
}

std::string to_string(VertexPlacement p) {
  switch (p) {
    case VertexPlacement::Near: return "near";
    case VertexPlacement::West: return "west";
    case VertexPlacement::Corner: return "corner";
  }
  return "near";
}

std::string to_string(TileOrder o) {
  switch (o) {
    case TileOrder::Auto: return "auto";
    case TileOrder::Snake: return "snake";
    case TileOrder::RowMajor: return "row-major";
    case TileOrder::Block: return "block";
  }
  return "snake";
}

Schedule parse_schedule(const std::string& name) {
  if (name == "dataflow") return Schedule::Dataflow;
  if (name == "barrier") return Schedule::Barrier;
  throw InputError(fmt::format("unknown --schedule '{}' (expected dataflow or barrier)", name));
}

Reduction parse_reduction(const std::string& name) {
  if (name == "in-network") return Reduction::InNetwork;
  if (name == "vertex") return Reduction::Vertex;
  throw InputError(fmt::format("unknown --reduction '{}' (expected in-network or vertex)", name));
}

std::string to_string(Schedule s) { return s == Schedule::Dataflow ? "dataflow" : "barrier"; }
std::string to_string(Reduction r) { return r == Reduction::InNetwork ? "in-network" : "vertex"; }
std::string to_string(MeshMethod m) { return m == MeshMethod::Sheaf ? "sheaf" : "sgd"; }

}  // namespace sheafsim::mesh
