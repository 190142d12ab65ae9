// `sheafsim compare`: the float golden reference and the fixed-point model
// (bit-accurate C++, or the SystemC mesh with --engine systemc) trained side
// by side; per-layer traces of their differences, final losses, counters and
// value ranges against the formats (docs/cli.md "compare", docs/file-formats.md).
// The library trains (compare_run.h) and summarises (compare_report.h); this
// checks the options, writes the files and prints the statistics block.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "compare_cli.h"
#include "console.h"
#include "option_rules.h"
#include "sheafsim/analysis/compare_report.h"
#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/reference/tasks.h"
#include "toml_config.h"

namespace sheafsim::cli {

FixedStepperFactory compare_stepper(const CompareOpts& o, std::shared_ptr<mesh::MeshEngine>* engine) {
  if (o.engine != "systemc") return {};
  const MeshOptions& m = o.t->mesh;
  return mesh::mesh_stepper(m.resolve(), engine, m.datapath(), m.trace_options());
}

namespace {

// The mesh options mean nothing to the bit-accurate engine.
const char* const kMeshOptions[] = {"--mesh",         "--lanes",       "--vertex-lanes",
                                    "--sram-kib",    "--mac-pipeline", "--update-pipeline", "--sram-latency", "--link-latency",
                                    "--link-width",  "--tile-rows",    "--tile-cols",   "--tile-order",
                                    "--vertex-placement", "--time-multiplex", "--clock-mhz", "--random-stalls",
                                    "--max-stall",   "--counters",     "--trace",       "--rtl-pe",      "--rtl-timing",  "--rtl-chunks",
                                    "--trace-window", "--schedule",   "--reduction",   "--chunk",
                                    "--vertex-sram-kib"};

void check_options(const CompareOpts& o, const CLI::App& sub) {
  const TrainOpts& t = *o.t;
  if (o.engine != "bit-accurate" && o.engine != "systemc")
    throw InputError(fmt::format("unknown --engine '{}' (expected bit-accurate or systemc)", o.engine));
  if (o.engine != "systemc")
    for (const char* name : kMeshOptions)
      if (typed(sub, name)) throw InputError(fmt::format("{} is a mesh option; it needs --engine systemc", name));
  if (o.sweep.empty())
    refuse_typed(sub, {"--jobs", "--loss-tolerance", "--resume"}, "applies with --sweep SPEC (a grid of runs)");
  if (!o.resume.empty() && !o.out.empty() && o.resume != o.out)
    throw InputError(fmt::format("--resume {} continues the sweep in that directory; --out {} names another", o.resume, o.out));
  if (!o.sweep.empty())
    refuse_typed(sub, {"--trace-every"}, "applies to a single run; --sweep writes one row per point, no traces");
  if (t.mesh.mode != "train") throw InputError("compare trains; --mode must be train");
  if (t.method != "sheaf") throw InputError(fmt::format("compare runs --method sheaf only (got '{}')", t.method));
  if (t.fx.arith != "fixed") throw InputError("compare runs float and fixed point side by side; --arith must stay fixed");
  if (!t.report.empty()) throw InputError("--report belongs to train; compare writes DIR/compare.json (--out DIR)");
  if (!t.out_net.empty()) throw InputError("--out-net belongs to train; compare does not write networks");
  if (o.trace_every < 0) throw InputError(fmt::format("--trace-every = {} must be >= 1", o.trace_every));
  if (o.jobs < 0) throw InputError(fmt::format("--jobs = {} must be >= 1", o.jobs));
  if (!(o.tolerance >= 0.0) || !std::isfinite(o.tolerance))
    throw InputError(fmt::format("--loss-tolerance = {} must be a finite number >= 0", o.tolerance));
}

CompareSetup load_setup(const CompareOpts& o) {
  const TrainOpts& t = *o.t;
  CompareSetup s;
  static_cast<TrainData&>(s) = load_train_data(t, true);
  if (t.steps < 0) throw InputError("--steps is required");
  s.opt = make_sheaf_options(t, s.net, s.train.size(), s.settings);  // both runs, float and fixed, take its pins
  s.cfg = t.fx.resolve();
  s.systemc = o.engine == "systemc";
  s.task = !t.task.empty() ? t.task : std::filesystem::path(t.data).stem().string();
  return s;
}

// The configuration's problems that stop a run before it starts.
void check_fixed(const CompareSetup& s, const FixedConfig& cfg, const std::string& where) {
  try {
    cfg.validate();
    quantize_constant(s.opt.alpha * s.opt.dt, cfg, "alpha*dt");
    quantize_constant(effective_beta(s.opt, s.train.size()) * s.opt.dt, cfg, "beta*dt");
    if (s.opt.pins) check_pins(*s.opt.pins, cfg, s.opt.alpha * s.opt.dt);
  } catch (const InputError& e) {
    if (where.empty()) throw;
    throw InputError(fmt::format("{}: {}", where, e.what()));
  }
}

void run_single(const CompareOpts& o, const CompareSetup& s) {
  const TrainOpts& t = *o.t;
  check_fixed(s, s.cfg, "");
  if (!o.out.empty()) create_output_directory(o.out);  // before the run, so a bad --out fails at once
  if (auto w = accumulator_warning(s.cfg, s.net.layers, static_cast<long>(s.train.size()))) warn(*w);
  const long every = o.trace_every > 0 ? o.trace_every : std::max(1L, t.steps / 100);
  std::shared_ptr<mesh::MeshEngine> engine;
  ProgressLine progress(fmt::format("compare (float | fixed, {})", o.engine), t.steps, "steps");
  const TrainProgress on_point = [&](const TrainPoint& p, long) {
    progress.update(p.step, fmt::format("fixed train loss {:.4g}", p.train.loss));
  };
  const CompareRun run = run_compare(s.net, s.train, s.test_set(), s.opt, s.cfg, every, compare_stepper(o, &engine),
                                     on_point);
  progress.finish();
  for (const auto& [r, name] : {std::pair{&run.float_result, "the float reference"},
                                std::pair{&run.fixed_result, "the fixed-point run"}})
    if (const std::string m = divergence_message(*r, name); !m.empty()) warn(m);

  const CompareSummary sum = summarize(run, s.cfg);
  nlohmann::json j = to_json(run, sum);
  j.update({{"command", "compare"},
            {"engine", o.engine},
            {"network", {{"source", s.net_source}, {"layers", s.net.layers}, {"output", to_string(s.net.output)}}},
            {"data", s.data_source},
            {"task", s.task},
            {"n_train", s.train.size()},
            {"n_test", s.test.size()},
            {"settings", s.settings},
            {"steps", t.steps},
            {"trace_every_steps", every}});
  // The fixed run's "fixed" object with the denominator of its lost updates.
  const std::uint64_t writes =
      update_register_writes(s.net.layers, static_cast<std::uint64_t>(s.train.size()), run.fixed_result);
  j["fixed"] = fixed_json(run.info, writes);
  if (engine) {
    j["mesh"] = engine->report();
    if (!t.mesh.counters.empty()) write_text_file(t.mesh.counters, engine->counters_csv());
    if (!t.mesh.trace.empty()) engine->finish_trace();
  }

  std::string plots;
  if (!o.out.empty()) {
    write_json(o.out + "/compare.json", j);
    write_text_file(o.out + "/trace.csv", trace_csv(run, s.cfg));
    if (!o.no_plots) plots = run_plots(o.out);
  }

  const TrainPoint& lf = run.float_result.history.back();
  const TrainPoint& lx = run.fixed_result.history.back();
  const bool cls = is_classification(s.net.output);
  const std::string metric = cls ? "cross_entropy" : "mse";
  std::vector<StatRow> rows = {{"engine", o.engine},
                               {"layers", fmt::format("{}", fmt::join(s.net.layers, ","))},
                               {"train_samples", fmt::format("{}", s.train.size())},
                               {"test_samples", fmt::format("{}", s.test.size())},
                               {"steps", fmt::format("{}", t.steps)},
                               {"trace_every_steps", fmt::format("{}", every)}};
  for (const auto& row : fixed_statistics(run.info, true, writes)) rows.push_back(row);
  rows.push_back({fmt::format("float_train_{}_final", metric), num(lf.train.loss)});
  rows.push_back({fmt::format("fixed_train_{}_final", metric), num(lx.train.loss)});
  rows.push_back({"train_loss_relative_gap", num(sum.train_loss_relative_gap)});
  if (s.test.size() > 0) {
    rows.push_back({fmt::format("float_test_{}_final", metric), num(lf.test.loss)});
    rows.push_back({fmt::format("fixed_test_{}_final", metric), num(lx.test.loss)});
    rows.push_back({"test_loss_relative_gap", num(sum.test_loss_relative_gap)});
  }
  if (cls) {
    rows.push_back({"float_test_accuracy_final", num(lf.test.accuracy)});
    rows.push_back({"fixed_test_accuracy_final", num(lx.test.accuracy)});
  }
  for (int q = 0; q < kQuantities; ++q)
    rows.push_back({fmt::format("max_abs_diff_{}", to_string(static_cast<Quantity>(q))),
                    num(sum.worst_abs_diff[static_cast<size_t>(q)])});
  size_t clipping = 0;
  for (const FormatFinding& f : sum.findings) {
    rows.push_back({f.where + "_range", f.text});
    if (f.clips) {
      ++clipping;
      warn(fmt::format("{} {}", f.where, f.text));
    }
  }
  rows.push_back({"formats_clipping", fmt::format("{}", clipping)});
  rows.push_back({"formats_wasting_bits", fmt::format("{}", sum.findings.size() - clipping)});
  if (engine)
    for (const auto& row : engine->statistics()) rows.push_back(row);
  rows.push_back({"wall_time_s", num(run.float_result.wall_s + run.fixed_result.wall_s)});
  if (!o.out.empty()) {
    rows.push_back({"report", o.out + "/compare.json"});
    rows.push_back({"trace", o.out + "/trace.csv"});
    if (!plots.empty()) rows.push_back({"figures", plots});
  }
  print_statistics("sheafsim compare", rows);
}

}  // namespace

void register_compare(CLI::App& app) {
  auto o = std::make_shared<CompareOpts>();
  o->t->fx.arith = "fixed";
  CLI::App* sub = app.add_subcommand(
      "compare", "Train in float and in fixed point side by side: per-layer error traces, ranges, sweeps of formats");
  add_train_options(sub, o->t, TrainCommand::Compare);
  add_mesh_options(*sub, o->t->mesh, false, true);
  const std::string group = "Compare (docs/cli.md)";
  sub->add_option("--out", o->out, "Write compare.json and trace.csv (or sweep.csv and summary.json) and the figures here")
      ->group(group);
  sub->add_option("--engine", o->engine, "Fixed-point engine: bit-accurate or systemc (the mesh; mesh options apply)")
      ->capture_default_str()->group(group);
  sub->add_option("--trace-every", o->trace_every, "Sample the differences every N steps (default steps/100)")
      ->group(group);
  sub->add_option("--sweep", o->sweep, "Grid of fixed-point settings, e.g. \"stalk=Q4.8..Q4.16,round=rnd_conv|stoch\"")
      ->group(group);
  sub->add_option("--jobs", o->jobs, "Parallel sweep points (default: every core; under mpirun: the ranks)")->group(group);
  sub->add_option("--resume", o->resume, "Continue the sweep checkpointed in DIR (its --out), with the same settings")
      ->group(group);
  sub->add_option("--loss-tolerance", o->tolerance, "Sweep summary: largest relative loss gap to float")
      ->capture_default_str()->group(group);
  sub->add_flag("--no-plots", o->no_plots, "Do not run tools/plot_compare.py")->group(group);
  sub->callback([o, sub] {
    check_train_options(*o->t, *sub);
    check_options(*o, *sub);
    const CompareSetup s = load_setup(*o);
    if (!o->sweep.empty()) return run_sweep(*o, s);
    run_single(*o, s);
  });
}

}  // namespace sheafsim::cli
