// `sheafsim train`: the options become a request (TrainSpec, train_run.h),
// the library trains, and this writes the network and the report and prints
// the statistics block. `simulate` (cmd_simulate.cpp) runs the same request
// on the SystemC mesh.
#include <algorithm>

#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "mesh_options.h"
#include "option_rules.h"
#include "resource_options.h"
#include "simulate_cli.h"
#include "toml_config.h"
#include "train_options.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/digits.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/base/resource_limits.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/run/train_run.h"
#include "sheafsim/train/report_json.h"

namespace sheafsim::cli {

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

TrainData load_train_data(const TrainOpts& o, bool training) {
  TrainData d;
  d.net = load_network(o, d.net_source);
  load_data(o, d.train, d.test, d.data_source);
  check_compatible(d.net, d.train, training, o.data.empty() ? "--task data" : o.data);
  if (training && d.test.size() > 0)
    check_compatible(d.net, d.test, true, o.test.empty() ? "--task test data" : o.test);
  return d;
}

void require_steps(const TrainOpts& o) {
  if (o.steps < 0) throw InputError("--steps is required");
  require_count(o.steps, "--steps", 0, 1000000000);
}

namespace {

// The request of `train` (and of `simulate`'s training mode, whose stepper
// runs the mesh: *engine receives it when the run starts).
TrainSpec train_spec(const TrainOpts& o, std::shared_ptr<mesh::MeshEngine>* engine) {
  TrainSpec s;
  s.data = load_train_data(o, true);
  const Network& net = s.data.net;
  const Eigen::Index n_train = s.data.train.size();
  check_run_size({net.layers, n_train, s.data.test.size(), o.fx.fixed(), o.fx.compare_float,
                  o.simulate ? o.mesh.resolve().pes() : 0},
                 fmt::format("training [{}] on {} samples", fmt::join(net.layers, ","), n_train));
  require_steps(o);
  require_count(o.log_every, "--log-every", 1, 1000000000);
  if (o.method != "sheaf" && o.method != "sgd" && o.method != "sid")
    throw InputError(fmt::format("unknown --method '{}' (expected sheaf, sgd or sid)", o.method));
  s.method = o.method;
  s.steps = o.steps;
  s.log_every = o.log_every;
  s.fixed = o.fx.fixed();
  if (s.fixed && o.method == "sid") throw InputError("--arith fixed runs --method sheaf or sgd, not sid");
  if (!o.pins.empty() && o.method != "sheaf")
    throw InputError(fmt::format("--pins goes with --method sheaf (pins clamp stalks; --method {} has none)", o.method));
  if (o.method == "sheaf") {
    s.sheaf = make_sheaf_options(o, net, n_train, s.settings);  // with its pins
    if (!s.fixed) return s;
    s.formats = o.fx.resolve();
    s.compare_float = o.fx.compare_float;
    check_fixed_training(s.formats, s.sheaf, net.layers, n_train, warn);
    if (s.sheaf.pins) check_pins(*s.sheaf.pins, s.formats, s.sheaf.alpha * s.sheaf.dt);  // refused before the run
    if (o.simulate) s.stepper = mesh::mesh_stepper(o.mesh.resolve(), engine, o.mesh.datapath(), o.mesh.trace_options());
  } else if (o.method == "sid") {
    if (!o.out_net.empty())
      throw InputError("--out-net writes an MLP network file; --method sid trains an extractor and a module cascade "
                       "that it cannot hold (use --report)");
    // lr, alpha, smoothing, modules, hidden, steps, log_every, seed (sid_trainer.h)
    s.sid = SidOptions{o.lr,         o.sid_alpha, o.sid_smoothing, o.sid_modules,
                       o.sid_hidden, o.steps,     o.log_every,     o.sid_seed,    {}};
    validate(s.sid);
  } else {
    require_positive(o.lr, "--lr");
    s.sgd = SgdOptions{o.lr, o.steps, o.log_every, {}};
    s.settings = {{"lr", o.lr}};
    if (!s.fixed) return s;
    s.formats = o.fx.resolve();
    if (o.fx.compare_float) throw InputError("--compare-float goes with --method sheaf (compare runs sgd against sheaf)");
    check_fixed_sgd(s.formats, s.sgd, net, n_train, warn);
    if (o.simulate)
      s.sgd_stepper = mesh::mesh_sgd_stepper(o.mesh.resolve(), engine, o.mesh.datapath(), o.mesh.trace_options());
  }
  return s;
}

// The rows of the run's method: losses, accuracies, discord, SID's modules, fixed point.
std::vector<StatRow> train_rows(const TrainSpec& s, const TrainRun& run) {
  const TrainResult& r = run.result;
  const TrainPoint& first = r.history.front();
  const TrainPoint& last = r.history.back();
  const bool cls = is_classification(run.net.output);
  const std::string metric = cls ? "cross_entropy" : "mse";
  std::vector<StatRow> rows = {{"method", s.method},
                               {"layers", fmt::format("{}", fmt::join(run.net.layers, ","))},
                               {"train_samples", fmt::format("{}", s.data.train.size())},
                               {"test_samples", fmt::format("{}", s.data.test.size())},
                               {"steps", fmt::format("{}", r.steps)},
                               {"param_updates", fmt::format("{}", r.param_updates)},
                               {fmt::format("train_{}_initial", metric), num(first.train.loss)},
                               {fmt::format("train_{}_final", metric), num(last.train.loss)},
                               {fmt::format("test_{}_final", metric), num(last.test.loss)}};
  if (cls) {
    rows.push_back({"train_accuracy_final", num(last.train.accuracy)});
    rows.push_back({"test_accuracy_final", num(last.test.accuracy)});
  }
  if (s.method == "sheaf") rows.push_back({"discord_total_final", num(last.discord_total)});
  if (s.sheaf.pins) rows.push_back({"pins", pins_summary(s.settings["pins"]["file"].get<std::string>(), *s.sheaf.pins)});
  if (run.sid) {
    const SidSummary& m = *run.sid;
    std::vector<std::string> test_acc;
    for (const Metrics& t : m.per_module_test) test_acc.push_back(num(t.accuracy));
    rows.push_back({"sid_architecture", fmt::format("phi {} + {} modules ({}+{} -> {} -> {}), {} parameters",
                                                    fmt::join(m.extractor, ","), m.modules, m.features, m.classes,
                                                    m.hidden, m.classes, m.parameters)});
    rows.push_back({"sid_synapse_macs_per_training_step", fmt::format("{}", m.macs.total())});
    rows.push_back({"sid_test_accuracy_per_module", fmt::format("{}", fmt::join(test_acc, ","))});
  }
  rows.push_back({"arith", s.fixed ? "fixed" : "float"});
  if (run.fixed) {
    const std::uint64_t writes = update_writes(s, run);
    for (const auto& row : fixed_statistics(*run.fixed, true, writes, s.method == "sgd")) rows.push_back(row);
    if (run.vs_float) {
      rows.push_back({"float_train_loss", num(run.vs_float->float_train_loss)});
      rows.push_back({"train_loss_relative_gap", num(run.vs_float->train_loss_relative_gap)});
      rows.push_back({"weights_max_abs_diff_vs_float", num(run.vs_float->weights.max_abs)});
    }
  }
  return rows;
}

// What the progress line names: the command, the method, the arithmetic or the mesh.
std::string progress_label(const TrainOpts& o) {
  if (o.simulate) {
    const mesh::MeshConfig m = o.mesh.resolve();
    return fmt::format("simulate ({}, mesh {}x{}{})", o.method, m.rows, m.cols, o.mesh.rtl_pe ? ", RTL PEs" : "");
  }
  if (o.method != "sid") return fmt::format("train ({}, {})", o.method, o.fx.fixed() ? "fixed" : "float");
  return fmt::format("train ({})", o.method);
}

}  // namespace

TrainSpec make_train_spec(const TrainOpts& o, std::shared_ptr<mesh::MeshEngine>* engine) { return train_spec(o, engine); }

void run_train_command(const TrainOpts& o) {
  std::shared_ptr<mesh::MeshEngine> engine;  // `simulate` only
  const TrainSpec spec = train_spec(o, &engine);
  ProgressLine progress(progress_label(o), o.steps, "steps");
  const TrainRun run = run_train(spec, [&](const TrainPoint& p, long) {
    progress.update(p.step, fmt::format("train loss {:.4g}", p.train.loss));
  });
  progress.finish();
  const TrainResult& r = run.result;
  if (const std::string m = divergence_message(r, o.method == "sheaf" ? "sheaf training" : "training"); !m.empty()) warn(m);

  if (!o.out_net.empty()) write_network(o.out_net, run.net);
  nlohmann::json j = to_json(spec, run);
  std::optional<mesh::TraceSummary> trace;
  if (engine) {
    j["command"] = "simulate";
    j["mode"] = "train";
    trace = add_mesh_report(o.mesh, *engine, j);
    if (!o.mesh.counters.empty()) write_text_file(o.mesh.counters, engine->counters_csv());
  }
  if (!o.report.empty()) write_json(o.report, j);

  std::vector<StatRow> rows = train_rows(spec, run);
  add_mesh_rows(o.mesh, engine.get(), rows);
  rows.push_back({"wall_time_s", num(r.wall_s)});
  rows.push_back({"us_per_step", r.steps > 0 ? num(1e6 * r.wall_s / static_cast<double>(r.steps)) : "n/a"});
  if (!o.report.empty()) rows.push_back({"report", o.report});
  if (!o.out_net.empty()) rows.push_back({"trained_net", o.out_net});
  if (!o.mesh.counters.empty() && engine) rows.push_back({"counters", o.mesh.counters});
  add_trace_rows(trace, rows);
  print_statistics(o.simulate ? "sheafsim simulate" : "sheafsim train", rows);
}

void add_train_options(CLI::App* sub, const std::shared_ptr<TrainOpts>& o, TrainCommand cmd) {
  const bool train = cmd == TrainCommand::Train;
  add_config_option(*sub);
  add_resource_options(*sub);
  sub->add_option("--net", o->net, "Network JSON file (required: --net or --layers)");
  sub->add_option("--layers", o->layers, "He-initialise a network of these widths instead of --net");
  sub->add_option("--output", o->output, "Output for --layers: identity, sigmoid or softmax")->capture_default_str();
  sub->add_option("--weight-seed,--init-seed", o->init_seed,
                  "Weight seed for --layers (--init-seed: deprecated alias)")->capture_default_str();
  sub->add_option("--data", o->data, "Training CSV (required: --data or --task)");
  sub->add_option("--test", o->test, "Test CSV (with --data)");
  sub->add_option("--task", o->task, "Generate the data: paraboloid, saddle, circular or blobs; or digits (read from python3-sklearn's copy)");
  sub->add_option("--digits-file", o->digits_file,
                  "digits.csv.gz for --task digits (default: $SHEAFSIM_DIGITS, then python3-sklearn's copy)");
  sub->add_option("--n-train", o->n_train, "Training samples for --task")->capture_default_str();
  sub->add_option("--n-test", o->n_test, "Test samples for --task")->capture_default_str();
  sub->add_option("--data-seed", o->data_seed, "Data seed for --task")->capture_default_str();
  if (cmd == TrainCommand::Simulate) {  // the mesh runs sheaf diffusion or backprop SGD
    sub->add_option("--method", o->method, "sheaf or sgd (backprop SGD on the same mesh)")->capture_default_str();
    sub->add_option("--lr", o->lr, "Learning rate (sgd)")->capture_default_str();
  }
  if (train) {
    sub->add_option("--method", o->method, "sheaf, sgd or sid")->capture_default_str();
    sub->add_option("--lr", o->lr, "Learning rate (sgd, sid)")->capture_default_str();
    sub->add_option("--sid-alpha", o->sid_alpha, "SID fidelity weight alpha in (0, 1]")->capture_default_str();
    sub->add_option("--sid-smoothing", o->sid_smoothing, "SID label smoothing epsilon in [0, 1)")
        ->capture_default_str();
    sub->add_option("--sid-modules", o->sid_modules, "SID: modules in the cascade")->capture_default_str();
    sub->add_option("--sid-hidden", o->sid_hidden, "SID: hidden width of a module (0: twice the features)")
        ->capture_default_str();
    sub->add_option("--sid-seed", o->sid_seed, "SID: the modules' initialisation seed")->capture_default_str();
  }
  const char* sheaf = train ? " (sheaf)" : "";
  sub->add_option("--alpha", o->alpha, fmt::format("Stalk rate alpha{}", sheaf))->capture_default_str();
  sub->add_option("--beta", o->beta, fmt::format("Parameter rate beta{}; default 1/n_train", sheaf));
  sub->add_option("--dt", o->dt, fmt::format("Euler step dt{}", sheaf))->capture_default_str();
  sub->add_option("--steps", o->steps,
                  train ? "Euler steps (sheaf) or full-batch gradient steps (sgd, sid)" : "Euler steps")
      ->required();
  sub->add_option("--inner", o->inner, fmt::format("K: K-1 stalk-only steps before every joint step{}", sheaf))
      ->capture_default_str();
  sub->add_option("--stalk-init", o->stalk_init, "auto, zeros, forward or random (auto: random for regression, forward for classification)")
      ->capture_default_str();
  sub->add_option("--reinit", o->reinit, "Reset stalks to the forward pass every epoch: auto, never or epoch")
      ->capture_default_str();
  sub->add_option("--epoch-steps", o->epoch_steps, "Steps per epoch (for --reinit)")->capture_default_str();
  sub->add_option("--stalk-seed", o->seed, fmt::format("Stalk seed{}", sheaf))->capture_default_str();
  sub->add_option("--seed", o->seed_alias,
                  train ? "Deprecated alias of --stalk-seed (sheaf) and --sid-seed (sid)"
                        : "Deprecated alias of --stalk-seed");
  sub->add_option("--log-every", o->log_every, "Record losses every N steps")->capture_default_str();
  sub->add_option("--pins", o->pins,
                    "Pins file (JSON, sheaf): hard and soft pins on stalk coordinates (docs/file-formats.md)");
  if (cmd != TrainCommand::Compare) {
    sub->add_option("--out-net", o->out_net, "Write the trained network here");
    sub->add_option("--report", o->report, "Write the JSON report here");
  }
  add_fixed_options(*sub, o->fx, train, cmd != TrainCommand::Compare);
}

std::shared_ptr<TrainOpts> parse_train_config(const std::string& text, const std::string& origin, TrainCommand cmd,
                                              const TrainOpts& base) {
  const char* name = cmd == TrainCommand::Train ? "train" : cmd == TrainCommand::Simulate ? "simulate" : "compare";
  auto o = std::make_shared<TrainOpts>(base);
  CLI::App app;
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  CLI::App* sub = app.add_subcommand(name);
  add_train_options(sub, o, cmd);
  if (cmd == TrainCommand::Simulate) add_mesh_options(*sub, o->mesh, false, false);
  add_integer_parsing(app);
  std::vector<std::string> args = config_arguments(*sub, text, origin);
  args.insert(args.begin(), name);
  std::reverse(args.begin(), args.end());  // CLI11 parses a vector from its back
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    throw InputError(fmt::format("{}: {}", origin, e.what()));
  }
  set_config_origin(origin);  // its unused settings are named after the file
  check_train_options(*o, *sub);
  set_config_origin("");
  return o;
}

void register_train(CLI::App& app) {
  auto o = std::make_shared<TrainOpts>();
  CLI::App* sub = app.add_subcommand(
      "train", "Train by sheaf diffusion (two-sided pinning), by backprop SGD or by SID (local losses)");
  add_train_options(sub, o, TrainCommand::Train);
  sub->callback([o, sub] {
    check_train_options(*o, *sub);
    run_train_command(*o);
  });
}

}  // namespace sheafsim::cli
