#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "mesh_options.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/analysis/compare.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/digits.h"
#include "sheafsim/reference/discord.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/base/resource_limits.h"
#include "resource_options.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/train/sgd_trainer.h"
#include "train_sid.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/reference/tasks.h"
#include "toml_config.h"
#include "train_options.h"

namespace sheafsim::cli {

namespace {

// Closes the --trace file after the run: its JSON for the report (null without
// a trace), and a warning when the window starts after the run ended.
nlohmann::json finish_trace(const MeshOptions& o, mesh::MeshEngine& engine) {
  if (o.trace.empty()) return nullptr;
  const mesh::TraceSummary t = engine.finish_trace();
  const mesh::TraceWindow w = o.trace_options().window;
  if (w.start >= engine.timing().total_cycles)
    warn(fmt::format("--trace-window starts at cycle {}, after the run's {} cycles: {} holds no activity", w.start,
                     engine.timing().total_cycles, t.path));
  return {{"file", t.path},
          {"window_start_cycle", w.start},
          {"window_end_cycle", w.end == mesh::TraceWindow::kOpen ? nlohmann::json(nullptr) : nlohmann::json(w.end)},
          {"first_cycle", t.first},
          {"last_cycle", t.last},
          {"signals", t.signals},
          {"value_changes", t.changes},
          {"bytes", t.bytes}};
}

void add_trace_rows(const nlohmann::json& trace, std::vector<StatRow>& rows) {
  if (trace.is_null()) return;
  rows.push_back({"trace", trace["file"].get<std::string>()});
  rows.push_back({"trace_cycles", fmt::format("{}..{}", trace["first_cycle"].get<std::uint64_t>(),
                                              trace["last_cycle"].get<std::uint64_t>())});
  rows.push_back({"trace_value_changes", fmt::format("{}", trace["value_changes"].get<std::uint64_t>())});
}

}  // namespace

Network load_network(const TrainOpts& o, nlohmann::json& source) {
  if (!o.net.empty() == !o.layers.empty()) throw InputError("give exactly one of --net FILE or --layers n0,...,nL");
  if (!o.net.empty()) {
    source = {{"file", o.net}};
    return read_network(o.net);
  }
  source = {{"layers", o.layers}, {"output", o.output}, {"init", "he"}, {"init_seed", o.init_seed}};
  const std::vector<int> layers = parse_layers(o.layers);
  check_memory(network_bytes(layers), fmt::format("the network --layers {}", o.layers));  // before allocating it
  return Network::he_init(layers, parse_output_kind(o.output), o.init_seed);
}

void load_data(const TrainOpts& o, Dataset& train, Dataset& test, nlohmann::json& source) {
  if (!o.data.empty() == !o.task.empty()) throw InputError("give exactly one of --data FILE or --task NAME");
  const bool is_digits = !o.task.empty() && parse_task(o.task) == Task::Digits;
  if (!o.digits_file.empty() && !is_digits) throw InputError("--digits-file goes with --task digits");
  if (!o.data.empty()) {
    train = read_csv(o.data);
    if (!o.test.empty()) test = read_csv(o.test);
    source = {{"train_file", o.data}, {"test_file", o.test}};
    return;
  }
  if (!o.test.empty()) throw InputError("--test goes with --data, not with --task (use --n-test)");
  if (is_digits) {
    // The fixed split (docs/file-formats.md, "Digits"): --n-train takes the
    // first images of the permutation (the training split, then validation),
    // --n-test the first of the test split. Tuning evaluates on the validation
    // split written by `sheafsim data --task digits --val-out`, never on this test split.
    const std::string path = digits::locate(o.digits_file);
    const Dataset all = digits::load(path);
    const digits::Split s = digits::split(all, o.data_seed);
    train = digits::training_samples(s, o.n_train, "--n-train");
    const Dataset t = digits::test_samples(s, o.n_test, "--n-test");
    if (o.n_test > 0) test = t;
    source = {{"task", o.task},
              {"file", path},
              {"images", all.size()},
              {"split", {{"train", s.train.size()}, {"validation", s.validation.size()}, {"test", s.test.size()}}},
              {"n_train", o.n_train},
              {"n_train_from_validation", std::max<long>(0, o.n_train - static_cast<long>(s.train.size()))},
              {"n_test", o.n_test},
              {"data_seed", o.data_seed}};
    return;
  }
  require_count(o.n_train, "--n-train", 1, 1L << 24);
  require_count(o.n_test, "--n-test", 0, 1L << 24);
  // One stream, split: the first n_train samples train, the next n_test test.
  const Dataset all = make_task(parse_task(o.task), o.n_train + o.n_test, o.data_seed);
  train = all.slice(0, o.n_train);
  if (o.n_test > 0) test = all.slice(o.n_train, o.n_test);
  source = {{"task", o.task}, {"n_train", o.n_train}, {"n_test", o.n_test}, {"data_seed", o.data_seed}};
}

namespace {

void run_train(const TrainOpts& o) {
  nlohmann::json net_source, data_source;
  Network net = load_network(o, net_source);
  Dataset train, test;
  load_data(o, train, test, data_source);
  check_compatible(net, train, true, o.data.empty() ? "--task data" : o.data);
  const bool has_test = test.size() > 0;
  if (has_test) check_compatible(net, test, true, o.test.empty() ? "--task test data" : o.test);
  check_run_size({net.layers, train.size(), test.size(), o.fx.fixed(), o.fx.compare_float,
                  o.simulate ? o.mesh.resolve().pes() : 0},
                 fmt::format("training [{}] on {} samples", fmt::join(net.layers, ","), train.size()));
  if (o.steps < 0) throw InputError("--steps is required");
  require_count(o.steps, "--steps", 0, 1000000000);
  require_count(o.log_every, "--log-every", 1, 1000000000);
  if (o.method != "sheaf" && o.method != "sgd" && o.method != "sid")
    throw InputError(fmt::format("unknown --method '{}' (expected sheaf, sgd or sid)", o.method));

  nlohmann::json settings, fixed_json;
  std::shared_ptr<mesh::MeshEngine> engine;  // `simulate` only
  const bool fixed = o.fx.fixed();
  if (fixed && o.method != "sheaf") throw InputError("--arith fixed runs --method sheaf only");
  std::vector<StatRow> fixed_rows;
  Dataset pinned = train;  // the data the engine pins (quantised in fixed point)
  TrainResult r;
  SheafState final_state;
  const bool sheaf = o.method == "sheaf";
  SidRun sid;  // --method sid: its report and statistics
  ProgressLine progress(fmt::format("train ({})", o.method), o.steps);
  const TrainProgress on_point = [&](const TrainPoint& p, long) {
    progress.update(p.step, fmt::format("train loss {:.4g}", p.train.loss));
  };
  if (sheaf) {
    SheafTrainOptions opt = make_sheaf_options(o, net, train.size(), settings);
    if (!fixed) {
      r = train_sheaf(net, train, has_test ? &test : nullptr, opt, on_point, &final_state);
    } else {
      const FixedConfig cfg = o.fx.resolve();
      if (auto w = accumulator_warning(cfg, net.layers, static_cast<long>(train.size()))) warn(*w);
      quantize_constant(opt.alpha * opt.dt, cfg, "alpha*dt");  // fail before the run, not in it
      quantize_constant(effective_beta(opt, train.size()) * opt.dt, cfg, "beta*dt");
      const Network start = net;
      FixedRunInfo info;
      FixedStepperFactory factory;
      if (o.simulate) factory = mesh::mesh_stepper(o.mesh.resolve(), &engine, o.mesh.datapath(), o.mesh.trace_options());
      r = train_sheaf_fixed(net, train, has_test ? &test : nullptr, opt, cfg, on_point, &info, &final_state, factory);
      fixed_json = info.to_json();
      // The fixed model pins the quantised data; its discord is measured against that.
      FixedCounters already_counted;  // the trainer counted these saturations in info
      already_counted.resize(net.depth());
      pinned = pinned_values(train, cfg, already_counted);
      fixed_rows = fixed_statistics(info, true);
      if (o.fx.compare_float) {
        // The float reference of the same command, for the differences at the end.
        progress.finish();
        Network ref = start;
        SheafState ref_state;
        const TrainResult rf = train_sheaf(ref, train, has_test ? &test : nullptr, opt, {}, &ref_state);
        const double lf = rf.history.back().train.loss, lx = r.history.back().train.loss;
        const Difference dw = weight_difference(net, ref);
        fixed_json["compare_float"] = {{"float_train_loss", lf},
                                       {"fixed_train_loss", lx},
                                       {"train_loss_relative_gap", (lx - lf) / lf},
                                       {"float_test_loss", rf.history.back().test.loss},
                                       {"weights", to_json(dw)},
                                       {"stalks", to_json(stalk_difference(final_state, ref_state))}};
        fixed_rows.push_back({"float_train_loss", num(lf)});
        fixed_rows.push_back({"train_loss_relative_gap", num((lx - lf) / lf)});
        fixed_rows.push_back({"weights_max_abs_diff_vs_float", num(dw.max_abs)});
      }
    }
  } else if (o.method == "sid") {
    sid = run_sid_training(o, net, train, has_test ? &test : nullptr, on_point);
    r = sid.result;
    settings = sid.settings;
  } else {
    SgdOptions opt;
    require_positive(o.lr, "--lr");
    opt.lr = o.lr;
    opt.steps = o.steps;
    opt.log_every = o.log_every;
    settings = {{"lr", o.lr}};
    r = train_sgd(net, train, has_test ? &test : nullptr, opt, on_point);
  }
  progress.finish();
  if (const std::string m = divergence_message(r, o.method == "sheaf" ? "sheaf training" : "training"); !m.empty()) warn(m);
  settings["steps"] = o.steps;
  settings["log_every"] = o.log_every;

  if (!o.out_net.empty()) write_network(o.out_net, net);
  nlohmann::json j = {{"command", "train"},
                      {"method", o.method},
                      {"network", {{"source", net_source}, {"layers", net.layers}, {"output", to_string(net.output)}}},
                      {"data", data_source},
                      {"n_train", train.size()},
                      {"n_test", test.size()},
                      {"settings", settings}};
  j["arith"] = fixed ? "fixed" : "float";
  if (fixed) j["fixed"] = fixed_json;
  nlohmann::json trace;
  if (engine) {
    trace = finish_trace(o.mesh, *engine);
    j["command"] = "simulate";
    j["mode"] = "train";
    if (!trace.is_null()) j["trace"] = trace;
    const nlohmann::json m = engine->report();
    j["mesh"] = m;
    if (o.mesh.rtl_pe) j["rtl_pe"] = rtl_pe_json(o.mesh);
    j["total_cycles"] = m["total_cycles"];
    j["cycles_per_step"] = m["cycles_per_step"];
    if (!o.mesh.counters.empty()) write_text_file(o.mesh.counters, engine->counters_csv());
  }
  j.update(to_json(r));
  if (o.method == "sid") j["sid"] = sid.report;
  if (sheaf) j["discord"] = to_json(discord(net, final_state, pinned.X, &pinned.Y, Phase::Training));
  if (!o.report.empty()) write_json(o.report, j);

  const TrainPoint& first = r.history.front();
  const TrainPoint& last = r.history.back();
  const std::string metric = is_classification(net.output) ? "cross_entropy" : "mse";
  std::vector<StatRow> rows = {
      {"method", o.method},
      {"layers", fmt::format("{}", fmt::join(net.layers, ","))},
      {"steps", fmt::format("{}", r.steps)},
      {"param_updates", fmt::format("{}", r.param_updates)},
      {fmt::format("train_{}_initial", metric), num(first.train.loss)},
      {fmt::format("train_{}_final", metric), num(last.train.loss)},
      {fmt::format("test_{}_final", metric), num(last.test.loss)}};
  if (is_classification(net.output)) {
    rows.push_back({"train_accuracy_final", num(last.train.accuracy)});
    rows.push_back({"test_accuracy_final", num(last.test.accuracy)});
  }
  if (sheaf) rows.push_back({"discord_total_final", num(last.discord_total)});
  rows.insert(rows.end(), sid.rows.begin(), sid.rows.end());
  rows.push_back({"arith", fixed ? "fixed" : "float"});
  rows.insert(rows.end(), fixed_rows.begin(), fixed_rows.end());
  if (engine)
    for (const auto& row : engine->statistics()) rows.push_back(row);
  add_rtl_pe_rows(o.mesh, rows);
  rows.push_back({"wall_time_s", num(r.wall_s)});
  rows.push_back({"us_per_step", num(r.steps > 0 ? 1e6 * r.wall_s / static_cast<double>(r.steps) : 0.0)});
  if (!o.report.empty()) rows.push_back({"report", o.report});
  if (!o.out_net.empty()) rows.push_back({"trained_net", o.out_net});
  if (!o.mesh.counters.empty() && engine) rows.push_back({"counters", o.mesh.counters});
  add_trace_rows(trace, rows);
  print_statistics(o.simulate ? "sheafsim simulate" : "sheafsim train", rows);
}

// `simulate --mode infer`: diffusion inference of the data's inputs on the mesh.
void run_simulate_infer(const TrainOpts& o) {
  nlohmann::json net_source, data_source;
  Network net = load_network(o, net_source);
  Dataset train, test;
  load_data(o, train, test, data_source);
  check_compatible(net, train, false, o.data.empty() ? "--task data" : o.data);
  check_run_size({net.layers, train.size(), 0, true, false, o.mesh.resolve().pes()},
                 fmt::format("simulated inference of [{}] on {} samples", fmt::join(net.layers, ","), train.size()));
  if (o.steps < 0) throw InputError("--steps is required");
  require_count(o.steps, "--steps", 0, 1000000000);
  const FixedConfig cfg = o.fx.resolve();
  quantize_constant(o.alpha * o.dt, cfg, "alpha*dt");
  InferenceOptions opt;
  opt.alpha = o.alpha;
  opt.dt = o.dt;
  opt.fixed_steps = o.steps;
  opt.init = o.stalk_init == "auto" ? StalkInit::Zeros : parse_stalk_init(o.stalk_init);
  opt.seed = o.seed;
  std::shared_ptr<mesh::MeshEngine> engine;
  FixedRunInfo info;
  ProgressLine progress("simulate (infer)", o.steps);
  const InferenceResult r =
      run_inference_fixed(net, train.X, opt, cfg, &info,
                          [&](long step, double delta) { progress.update(step, fmt::format("max change {:.3g}", delta)); },
                          100, mesh::mesh_stepper(o.mesh.resolve(), &engine, o.mesh.datapath(), o.mesh.trace_options()));
  progress.finish();
  const ForwardPass fp = forward(net, train.X);
  const double max_err = (r.state.z.back() - fp.output).cwiseAbs().maxCoeff();
  const nlohmann::json trace = finish_trace(o.mesh, *engine);
  const nlohmann::json m = engine->report();
  nlohmann::json j = {{"command", "simulate"},
                      {"mode", "infer"},
                      {"network", {{"source", net_source}, {"layers", net.layers}}},
                      {"data", data_source},
                      {"settings", {{"alpha", o.alpha}, {"dt", o.dt}, {"steps", o.steps}}},
                      {"steps", r.steps},
                      {"last_max_change", r.last_delta},
                      {"max_abs_error_vs_forward", max_err},
                      {"arith", "fixed"},
                      {"fixed", info.to_json()},
                      {"mesh", m},
                      {"total_cycles", m["total_cycles"]},
                      {"cycles_per_step", m["cycles_per_step"]}};
  if (!trace.is_null()) j["trace"] = trace;
  if (o.mesh.rtl_pe) j["rtl_pe"] = rtl_pe_json(o.mesh);
  if (!o.report.empty()) write_json(o.report, j);
  if (!o.mesh.counters.empty()) write_text_file(o.mesh.counters, engine->counters_csv());
  std::vector<StatRow> rows = {{"mode", "infer"},
                               {"layers", fmt::format("{}", fmt::join(net.layers, ","))},
                               {"samples", fmt::format("{}", train.size())},
                               {"steps", fmt::format("{}", r.steps)},
                               {"max_abs_error_vs_forward", num(max_err)}};
  for (const auto& row : fixed_statistics(info, false)) rows.push_back(row);
  for (const auto& row : engine->statistics()) rows.push_back(row);
  add_rtl_pe_rows(o.mesh, rows);
  rows.push_back({"wall_time_s", num(r.wall_s)});
  if (!o.report.empty()) rows.push_back({"report", o.report});
  add_trace_rows(trace, rows);
  print_statistics("sheafsim simulate", rows);
}

}  // namespace

void add_train_options(CLI::App* sub, const std::shared_ptr<TrainOpts>& o) {
  add_config_option(*sub);
  add_resource_options(*sub);
  sub->add_option("--net", o->net, "Network JSON file (or --layers to initialise one)");
  sub->add_option("--layers", o->layers, "He-initialise a network of these widths instead of --net");
  sub->add_option("--output", o->output, "Output for --layers: identity, sigmoid or softmax")->capture_default_str();
  sub->add_option("--init-seed", o->init_seed, "Weight seed for --layers")->capture_default_str();
  sub->add_option("--data", o->data, "Training CSV (or --task to generate one)");
  sub->add_option("--test", o->test, "Test CSV");
  sub->add_option("--task", o->task, "Generate the data: paraboloid, saddle, circular or blobs; or digits (read from python3-sklearn's copy)");
  sub->add_option("--digits-file", o->digits_file,
                  "digits.csv.gz for --task digits (default: $SHEAFSIM_DIGITS, then python3-sklearn's copy)");
  sub->add_option("--n-train", o->n_train, "Training samples for --task")->capture_default_str();
  sub->add_option("--n-test", o->n_test, "Test samples for --task")->capture_default_str();
  sub->add_option("--data-seed", o->data_seed, "Data seed for --task")->capture_default_str();
  sub->add_option("--method", o->method, "sheaf, sgd or sid")->capture_default_str();
  sub->add_option("--alpha", o->alpha, "Stalk rate alpha (sheaf)")->capture_default_str();
  sub->add_option("--beta", o->beta, "Parameter rate beta (sheaf); default 1/n_train");
  sub->add_option("--dt", o->dt, "Euler step dt (sheaf)")->capture_default_str();
  sub->add_option("--lr", o->lr, "Learning rate (sgd, sid)")->capture_default_str();
  sub->add_option("--sid-alpha", o->sid_alpha, "SID fidelity weight alpha in (0, 1]")->capture_default_str();
  sub->add_option("--sid-smoothing", o->sid_smoothing, "SID label smoothing epsilon in [0, 1)")->capture_default_str();
  sub->add_option("--sid-modules", o->sid_modules, "SID: modules in the cascade")->capture_default_str();
  sub->add_option("--sid-hidden", o->sid_hidden, "SID: hidden width of a module (0: twice the features)")
      ->capture_default_str();
  sub->add_option("--steps", o->steps, "Euler steps (sheaf) or full-batch gradient steps (sgd)");
  sub->add_option("--inner", o->inner, "K: K-1 stalk-only steps before every joint step (sheaf)")->capture_default_str();
  sub->add_option("--stalk-init", o->stalk_init, "auto, zeros, forward or random (auto: random for regression, forward for classification)")
      ->capture_default_str();
  sub->add_option("--reinit", o->reinit, "Reset stalks to the forward pass every epoch: auto, never or epoch")
      ->capture_default_str();
  sub->add_option("--epoch-steps", o->epoch_steps, "Steps per epoch (for --reinit)")->capture_default_str();
  sub->add_option("--seed", o->seed, "Stalk seed (sheaf); module initialisation seed (sid)")->capture_default_str();
  sub->add_option("--log-every", o->log_every, "Record losses every N steps")->capture_default_str();
  sub->add_option("--out-net", o->out_net, "Write the trained network here");
  sub->add_option("--report", o->report, "Write the JSON report here");
  add_fixed_options(*sub, o->fx);
}

void register_train(CLI::App& app) {
  auto o = std::make_shared<TrainOpts>();
  CLI::App* sub = app.add_subcommand(
      "train", "Train by sheaf diffusion (two-sided pinning), by backprop SGD or by SID (local losses)");
  add_train_options(sub, o);
  sub->callback([o] { run_train(*o); });
}

void register_simulate(CLI::App& app) {
  auto o = std::make_shared<TrainOpts>();
  o->simulate = true;
  o->fx.arith = "fixed";
  CLI::App* sub = app.add_subcommand(
      "simulate", "Run fixed-point sheaf training (or inference) on the SystemC model of a mesh of edge PEs");
  add_train_options(sub, o);
  add_mesh_options(*sub, o->mesh);
  sub->callback([o] {
    if (o->fx.arith != "fixed") throw InputError("simulate runs the fixed-point mesh; --arith must be fixed");
    if (o->method != "sheaf") throw InputError("simulate runs --method sheaf only");
    if (o->mesh.mode == "train") return run_train(*o);
    if (o->mesh.mode == "infer") return run_simulate_infer(*o);
    throw InputError(fmt::format("unknown --mode '{}' (expected train or infer)", o->mesh.mode));
  });
}

}  // namespace sheafsim::cli
