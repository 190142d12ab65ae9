// `sheafsim simulate`: fixed-point sheaf or backprop SGD training (the
// request of `train`, cmd_train.cpp) or sheaf inference on the SystemC model
// of a mesh of edge PEs.
// The mesh engine is made by model/'s stepper factory, so the runs stay here
// with the command (the library's run functions take the factory).
#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "pins_options.h"
#include "simulate_cli.h"
#include "train_options.h"
#include "sheafsim/base/error.h"
#include "sheafsim/cost/silicon_figures.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/run/infer_run.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/base/resource_limits.h"
#include "sheafsim/reference/settings.h"

namespace sheafsim::cli {

// The run's time at the RTL PE's 45 nm clock (sheafsim/cost/silicon_figures.h).
nlohmann::json silicon_json(const mesh::MeshEngine& engine) {
  const mesh::MeshConfig& m = engine.mesh_config();
  const ops::PeSilicon p = ops::pe_silicon(engine.fixed_config(), m.lanes);
  if (!p.available) return {{"available", false}, {"reason", p.reason}};
  // The report's cycles_per_training_step, from the timing alone (no second report).
  const mesh::MeshTiming& t = engine.timing();
  const nlohmann::json us_per_step =
      t.joint_steps == 0 ? nlohmann::json()
                         : nlohmann::json(static_cast<double>(t.joint_cycles) / static_cast<double>(t.joint_steps) /
                                          p.clock_mhz);
  return {{"available", true},
          {"set", p.set},
          {"quant", p.quant},
          {"overflow", p.overflow},
          {"pe_clock_mhz", p.clock_mhz},
          {"basis", p.basis},
          {"us_per_training_step", us_per_step},
          {"simulated_time_us", static_cast<double>(engine.timing().total_cycles) / p.clock_mhz}};
}

std::optional<mesh::TraceSummary> add_mesh_report(const MeshOptions& o, mesh::MeshEngine& engine, nlohmann::json& j) {
  std::optional<mesh::TraceSummary> trace;
  if (!o.trace.empty()) {
    const mesh::TraceSummary t = engine.finish_trace();
    const mesh::TraceWindow w = o.trace_options().window;
    if (w.start >= engine.timing().total_cycles)
      warn(fmt::format("--trace-window starts at cycle {}, after the run's {} cycles: {} holds no activity", w.start,
                       engine.timing().total_cycles, t.path));
    const nlohmann::json end = w.end == mesh::TraceWindow::kOpen ? nlohmann::json(nullptr) : nlohmann::json(w.end);
    j["trace"] = {{"file", t.path},
                  {"window_start_cycle", w.start},
                  {"window_end_cycle", end},
                  {"first_cycle", t.first},
                  {"last_cycle", t.last},
                  {"signals", t.signals},
                  {"value_changes", t.changes},
                  {"bytes", t.bytes}};
    trace = t;
  }
  const nlohmann::json m = engine.report();
  j["mesh"] = m;
  if (o.rtl_pe) j["rtl_pe"] = rtl_pe_json(o);
  write_rtl_chunks(o);
  j["silicon"] = silicon_json(engine);
  j["total_cycles"] = m["total_cycles"];
  j["cycles_per_step"] = m["cycles_per_step"];
  return trace;
}

void add_mesh_rows(const MeshOptions& o, const mesh::MeshEngine* engine, std::vector<StatRow>& rows) {
  if (engine != nullptr) {
    for (const auto& row : engine->statistics()) rows.push_back(row);
    const nlohmann::json s = silicon_json(*engine);
    if (s["available"].get<bool>()) {
      rows.push_back({"pe_clock_mhz", fmt::format("{} (45 nm, {})", num(s["pe_clock_mhz"].get<double>()), s["basis"].get<std::string>())});
      const nlohmann::json& us = s["us_per_training_step"];
      rows.push_back({"us_per_training_step_at_pe_clock", us.is_null() ? "n/a (no training step)" : num(us.get<double>())});
    } else {
      rows.push_back({"pe_clock_mhz", "n/a (" + s["reason"].get<std::string>() + ")"});
    }
  }
  add_rtl_pe_rows(o, rows);
}

void add_trace_rows(const std::optional<mesh::TraceSummary>& trace, std::vector<StatRow>& rows) {
  if (!trace) return;
  rows.push_back({"trace", trace->path});
  rows.push_back({"trace_cycles", fmt::format("{}..{}", trace->first, trace->last)});
  rows.push_back({"trace_value_changes", fmt::format("{}", trace->changes)});
}

namespace {

// `simulate --mode infer`: diffusion inference of the data's inputs on the mesh.
void run_simulate_infer(const TrainOpts& o) {
  TrainData d = load_train_data(o, false);
  InferSpec s;
  s.net = std::move(d.net);
  s.data = std::move(d.train);
  const Network& net = s.net;
  check_run_size({net.layers, s.data.size(), 0, true, false, o.mesh.resolve().pes()},
                 fmt::format("simulated inference of [{}] on {} samples", fmt::join(net.layers, ","), s.data.size()));
  require_steps(o);
  s.fixed = true;
  s.formats = o.fx.resolve();
  quantize_constant(o.alpha * o.dt, s.formats, "alpha*dt");
  s.opt.alpha = o.alpha;
  s.opt.dt = o.dt;
  s.opt.fixed_steps = o.steps;
  s.opt.init = o.stalk_init == "auto" ? StalkInit::Zeros : parse_stalk_init(o.stalk_init);
  s.opt.seed = o.seed;
  s.opt.pins = load_pins(o.pins, net, PinUse::Inference);  // the mesh runs hard, soft and free pins
  if (auto w = check_step_size(net, o.alpha, o.dt, false, soft_pull(s.opt.pins))) warn(*w);
  if (s.opt.pins) check_pins(*s.opt.pins, s.formats, o.alpha * o.dt);  // refused before the run
  s.progress_every = 100;
  std::shared_ptr<mesh::MeshEngine> engine;
  s.stepper = mesh::mesh_stepper(o.mesh.resolve(), &engine, o.mesh.datapath(), o.mesh.trace_options());
  const mesh::MeshConfig mc = o.mesh.resolve();
  ProgressLine progress(fmt::format("simulate infer (mesh {}x{}{})", mc.rows, mc.cols, o.mesh.rtl_pe ? ", RTL PEs" : ""),
                        o.steps, "steps");
  const InferRun run =
      run_infer(s, [&](long step, double delta) { progress.update(step, fmt::format("max change {:.3g}", delta)); });
  progress.finish();
  const InferenceResult& r = run.result;
  const double max_err = run.max_abs_error_vs_forward;
  nlohmann::json j = {{"command", "simulate"},
                      {"mode", "infer"},
                      {"network", {{"source", d.net_source}, {"layers", net.layers}}},
                      {"data", d.data_source},
                      {"settings", {{"alpha", o.alpha}, {"dt", o.dt}, {"steps", o.steps}, {"pins", pins_setting(o.pins, s.opt.pins)}}},
                      {"steps", r.steps},
                      {"last_max_change", r.last_delta},
                      {"max_abs_error_vs_forward", max_err},
                      {"arith", "fixed"},
                      {"fixed", fixed_json(*run.fixed, update_register_writes(net.layers, false,
                                                                              static_cast<std::uint64_t>(s.data.size()),
                                                                              static_cast<std::uint64_t>(r.steps), 0))}};
  const auto trace = add_mesh_report(o.mesh, *engine, j);
  if (!o.report.empty()) write_json(o.report, j);
  if (!o.mesh.counters.empty()) write_text_file(o.mesh.counters, engine->counters_csv());
  std::vector<StatRow> rows = {{"mode", "infer"},
                               {"layers", fmt::format("{}", fmt::join(net.layers, ","))},
                               {"samples", fmt::format("{}", s.data.size())},
                               {"steps", fmt::format("{}", r.steps)},
                               {"max_abs_error_vs_forward", num(max_err)}};
  const std::uint64_t writes = update_register_writes(net.layers, false, static_cast<std::uint64_t>(s.data.size()),
                                                      static_cast<std::uint64_t>(r.steps), 0);
  for (const auto& row : fixed_statistics(*run.fixed, false, writes)) rows.push_back(row);
  add_mesh_rows(o.mesh, engine.get(), rows);
  rows.push_back({"wall_time_s", num(r.wall_s)});
  if (!o.report.empty()) rows.push_back({"report", o.report});
  add_trace_rows(trace, rows);
  print_statistics("sheafsim simulate", rows);
}

}  // namespace

void register_simulate(CLI::App& app) {
  auto o = std::make_shared<TrainOpts>();
  o->simulate = true;
  o->fx.arith = "fixed";
  CLI::App* sub = app.add_subcommand(
      "simulate",
      "Run fixed-point sheaf training (or inference) or backprop SGD (--method sgd) on the SystemC model of a mesh of "
      "edge PEs");
  add_train_options(sub, o, TrainCommand::Simulate);
  add_mesh_options(*sub, o->mesh, true, true);
  sub->callback([o, sub] {
    check_train_options(*o, *sub);
    if (o->fx.arith != "fixed") throw InputError("simulate runs the fixed-point mesh; --arith must be fixed");
    if (o->method != "sheaf" && o->method != "sgd")
      throw InputError(fmt::format("simulate runs --method sheaf or sgd (got '{}')", o->method));
    if (o->method == "sgd" && o->mesh.mode != "train")
      throw InputError(fmt::format("--mode {} runs --method sheaf (diffusion inference); --method sgd trains (--mode train)",
                                   o->mesh.mode));
    if (o->mesh.mode == "train") return run_train_command(*o);
    if (o->mesh.mode == "infer") return run_simulate_infer(*o);
    throw InputError(fmt::format("unknown --mode '{}' (expected train or infer)", o->mesh.mode));
  });
}

}  // namespace sheafsim::cli
