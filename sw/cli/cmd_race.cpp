// `sheafsim race`: sheaf against SGD (and SID at the operation-count level) to
// a target test loss or accuracy on one mesh (docs/cli.md, "race"). Each
// method's hyper-parameters come from its `train` config file, the formats
// and the mesh from this command; the race trains every method in the
// bit-accurate model until it meets the target, simulates a few steps of it
// on the mesh for the cycles, prices the counters with the energy table and
// adds the mesh's static power over the time to target.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "commands.h"
#include "compare_cli.h"
#include "console.h"
#include "mesh_costing.h"
#include "option_rules.h"
#include "toml_config.h"
#include "train_options.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/cost/ops_report.h"
#include "sheafsim/cost/silicon_figures.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/race/race_report.h"
#include "sheafsim/reference/settings.h"

#ifndef SHEAFSIM_DEFAULT_ENERGY_TABLE
#define SHEAFSIM_DEFAULT_ENERGY_TABLE "configs/energy-45nm-horowitz.toml"
#endif
#ifndef SHEAFSIM_RACE_PLOT_SCRIPT
#define SHEAFSIM_RACE_PLOT_SCRIPT "tools/plot_race.py"
#endif

namespace sheafsim::cli {

namespace {

using json = nlohmann::json;

struct RaceOpts {
  std::string sheaf_config, sgd_config, sid_config, out_dir, energy_table;
  double target_loss = kNaN, target_accuracy = kNaN;
  long max_steps = 0, eval_every = 50, sim_steps = 0;
  bool no_plots = false;
  FixedOptions fx;
  MeshOptions mesh;
};

// A method's `train` config file (its `text`), parsed as `sheafsim train --config FILE` would.
std::shared_ptr<TrainOpts> load_method(const std::string& text, const std::string& path, const std::string& option,
                                       const std::string& method) {
  auto o = parse_train_config(text, fmt::format("{} {}", option, path), TrainCommand::Train);
  if (o->method != method)
    throw InputError(fmt::format("{} {} trains --method {}; it must be a {} config", option, path, o->method, method));
  return o;
}

// A config file's opening comment lines, without their "# ": where its
// settings come from (how they were chosen), quoted in race.md.
std::string leading_comment(const std::string& text) {
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] != '#') break;
    const size_t body = line.find_first_not_of('#');
    const std::string rest = body == std::string::npos ? "" : line.substr(body);
    out += (out.empty() ? "" : "\n") + (rest.rfind(' ', 0) == 0 ? rest.substr(1) : rest);
  }
  return out;
}

// The race's settings over a method's: the formats (fixed point, for sheaf and
// sgd), the step budget, the evaluation interval, the mesh; no files written.
void apply_race(TrainOpts& o, const RaceOpts& r) {
  if (o.method != "sid") {
    o.fx = r.fx;
    o.fx.arith = "fixed";
  }
  if (r.max_steps > 0) o.steps = r.max_steps;
  o.log_every = r.eval_every;
  o.mesh = r.mesh;
  o.out_net.clear();
  o.report.clear();
}

// Every method must train the same network on the same data.
void check_same_task(const TrainSpec& a, const std::string& a_opt, const TrainSpec& b, const std::string& b_opt) {
  auto differ = [&](const json& x, const json& y, const char* what) {
    if (x != y)
      throw InputError(fmt::format("{} and {} describe different {} ({} against {}): a race needs one task and network",
                                   a_opt, b_opt, what, x.dump(), y.dump()));
  };
  differ(a.data.net_source, b.data.net_source, "networks");
  differ(a.data.data_source, b.data.data_source, "data");
}

// SID at the operation-count level: its arithmetic per step, priced (no mesh model).
race::StepCost sid_cost(const TrainSpec& spec, const FixedConfig& fx, const ops::EnergyTable& table,
                        const std::string& table_path) {
  ops::OpsSpec os;
  os.net = spec.data.net;
  os.batch = static_cast<std::uint64_t>(spec.data.train.size());
  os.sheaf = false;
  os.sid = true;
  os.sid_modules = spec.sid.modules;
  os.sid_hidden = spec.sid.hidden;
  os.formats = fx;
  os.table = table;
  os.table_path = table_path;
  const ops::OpsReport r = ops::run_ops(os, [](const std::string&) {});
  race::StepCost c;
  c.arithmetic_pJ = r.sid->energy_pJ_per_training_step;
  c.basis = fmt::format("operation counts of one SID step priced by {} (no memory, links or static power: SID has no "
                        "mesh model)", table.name());
  return c;
}

void run_race_command(const RaceOpts& r, const CLI::App& sub) {
  if ((sub.count("--target-loss") > 0) == (sub.count("--target-accuracy") > 0))
    throw InputError("give exactly one of --target-loss X or --target-accuracy X");
  race::RaceResult res;
  res.target.accuracy = sub.count("--target-accuracy") > 0;
  res.target.value = res.target.accuracy ? r.target_accuracy : r.target_loss;
  if (!std::isfinite(res.target.value) || (res.target.accuracy && (res.target.value <= 0 || res.target.value > 1)) ||
      (!res.target.accuracy && res.target.value <= 0))
    throw InputError(res.target.accuracy ? fmt::format("--target-accuracy {} must be in (0, 1]", res.target.value)
                                         : fmt::format("--target-loss {} must be a finite number > 0", res.target.value));
  require_count(r.eval_every, "--eval-every", 1, 1000000000);
  require_count(r.max_steps, "--max-steps", 0, 1000000000);
  require_count(r.sim_steps, "--sim-steps", 0, 100000);
  if (r.out_dir.empty()) throw InputError("--out-dir DIR is required (race.json, race.md and the figure go there)");
  const FixedConfig fx = r.fx.resolve();
  const mesh::MeshConfig mc = r.mesh.resolve();
  const std::string table_path = r.energy_table.empty() ? SHEAFSIM_DEFAULT_ENERGY_TABLE : r.energy_table;
  const ops::EnergyTable table = ops::EnergyTable::load(table_path);

  struct Plan {
    std::string option, file, method;
    std::string text;  // the config file, read once
    std::shared_ptr<TrainOpts> opts;
    TrainSpec spec;
    MeshPricing price;
  };
  std::vector<Plan> plans = {{"--sheaf-config", r.sheaf_config, "sheaf", {}, nullptr, {}, {}},
                             {"--sgd-config", r.sgd_config, "sgd", {}, nullptr, {}, {}}};
  if (!r.sid_config.empty()) plans.push_back({"--sid-config", r.sid_config, "sid", {}, nullptr, {}, {}});
  for (Plan& p : plans) {
    if (p.file.empty()) throw InputError(fmt::format("{} FILE is required (a `sheafsim train` config)", p.option));
    p.text = read_text_file(p.file);
    p.opts = load_method(p.text, p.file, p.option, p.method);
    apply_race(*p.opts, r);
    p.spec = make_train_spec(*p.opts, nullptr);
    if (p.spec.data.test.size() == 0)
      throw InputError(fmt::format("{} {}: the race measures the target on the test split; give --n-test > 0", p.option, p.file));
    if (&p != &plans.front()) check_same_task(plans.front().spec, plans.front().option, p.spec, p.option);
    if (res.target.accuracy && !is_classification(p.spec.data.net.output))
      throw InputError(fmt::format("--target-accuracy needs a classifier, but {} {} trains a regression network ({} "
                                   "output, no accuracy): give --target-loss", p.option, p.file,
                                   to_string(p.spec.data.net.output)));
    if (p.method != "sid") p.price = price_on_mesh(p.spec, mc, fx, table, table_path);
  }
  create_output_directory(r.out_dir);

  // The clock: --clock-mhz when typed, else the RTL PE's at these formats, else the mesh default.
  const ops::PeSilicon si = ops::pe_silicon(fx, mc.lanes);
  if (sub.count("--clock-mhz") > 0) {
    res.clock_mhz = mc.clock_mhz;
    res.clock_source = "--clock-mhz";
  } else if (si.available) {
    res.clock_mhz = si.clock_mhz;
    res.clock_source = fmt::format("the RTL PE's fmax at 45 nm ({} {}/{}, {})", si.set, si.quant, si.overflow, si.basis);
  } else {
    res.clock_mhz = mc.clock_mhz;
    res.clock_source = fmt::format("--clock-mhz default (no RTL figure: {})", si.reason);
    warn(fmt::format("race: no RTL clock for these formats ({}); times use --clock-mhz {}", si.reason, mc.clock_mhz));
  }

  for (Plan& p : plans) {
    TrainSpec& spec = p.spec;
    const race::Target target = res.target;
    const TrainStop stop = [target](const TrainPoint& pt) { return target.reached(pt); };
    spec.sheaf.stop = spec.sgd.stop = spec.sid.stop = stop;
    ProgressLine progress(fmt::format("race: {} ({})", p.method, p.method == "sid" ? "float" : "bit-accurate"), spec.steps,
                          "steps", true);
    TrainRun run = run_train(spec, [&](const TrainPoint& pt, long) {
      progress.update(pt.step, fmt::format("test {} {:.4g}", target.accuracy ? "accuracy" : "loss",
                                           target.accuracy ? pt.test.accuracy : pt.test.loss));
    });
    progress.finish();
    race::Entry e;
    e.method = p.method;
    e.config_file = p.file;
    e.config_comment = leading_comment(p.text);
    e.settings = p.method == "sid" && run.sid ? run.sid->settings : spec.settings;
    e.result = run.result;
    if (p.method == "sid") {
      e.cost = sid_cost(spec, fx, table, table_path);
    } else {
      // An even number of steps whose halves hold whole inner loops (K - 1 diffusion steps and a joint step).
      const long K = p.method == "sheaf" ? std::max(1, spec.sheaf.inner) : 1;
      const long sim = r.sim_steps > 0 ? r.sim_steps : 16 * K;
      if (sim % (2 * K) != 0)
        throw InputError(fmt::format("--sim-steps {} must be a multiple of 2K = {} (--inner {} of {})", sim, 2 * K, K, p.file));
      e.cost = mesh_cost(spec, mc, sim, p.price, table);
    }
    res.entries.push_back(std::move(e));
  }

  const TrainSpec& first = plans.front().spec;
  res.eval_every = r.eval_every;
  res.max_steps = 0;
  for (const Plan& p : plans) res.max_steps = std::max(res.max_steps, p.spec.steps);
  res.task = first.data.data_source;
  res.network = {{"layers", first.data.net.layers}, {"output", to_string(first.data.net.output)},
                 {"source", first.data.net_source}};
  res.formats = fx.to_json();
  res.formats["summary"] = fmt::format("stalk {} weight {} residual {}, {} / {}", fx.stalk.str(), fx.weight.str(),
                                       fx.residual.str(), fx::to_string(fx.quant), fx::to_string(fx.overflow));
  res.mesh = mc.to_json();
  res.mesh["summary"] = fmt::format("{}x{} PEs, {} lanes", mc.rows, mc.cols, mc.lanes);
  res.energy_table = table.to_json();

  const std::string json_path = (std::filesystem::path(r.out_dir) / "race.json").string();
  const std::string md_path = (std::filesystem::path(r.out_dir) / "race.md").string();
  write_json(json_path, race::to_json(res));
  write_text_file(md_path, race::summary_markdown(res));
  std::string figures;
  if (!r.no_plots) {
    const char* env = std::getenv("SHEAFSIM_RACE_PLOT_SCRIPT");
    figures = run_figure_script(env != nullptr ? env : SHEAFSIM_RACE_PLOT_SCRIPT, r.out_dir);
  }

  std::vector<StatRow> rows = {{"target", res.target.describe()},
                               {"clock_mhz", fmt::format("{:.4g} ({})", res.clock_mhz, res.clock_source)}};
  for (const race::Entry& e : res.entries) {
    const long ts = e.target_step(res.target);
    const double n = static_cast<double>(ts);
    rows.push_back({e.method + "_steps_to_target", ts >= 0 ? fmt::format("{}", ts) : "not reached"});
    if (e.cost.on_mesh) {
      rows.push_back({e.method + "_cycles_per_step", num(e.cost.cycles_per_step)});
      rows.push_back({e.method + "_time_to_target_us", ts >= 0 ? num(race::time_us(e.cost, n, res.clock_mhz)) : "n/a"});
    }
    rows.push_back({e.method + "_energy_to_target_uJ",
                    ts >= 0 ? num(race::energy_uJ(e.cost, n, res.clock_mhz)) + (e.cost.on_mesh ? "" : " (arithmetic only)")
                            : "n/a"});
  }
  rows.push_back({"report", json_path});
  rows.push_back({"summary", md_path});
  rows.push_back({"figures", figures.empty() ? "none" : figures});
  print_statistics("sheafsim race", rows);
}

}  // namespace

void register_race(CLI::App& app) {
  auto o = std::make_shared<RaceOpts>();
  CLI::App* sub = app.add_subcommand(
      "race", "Sheaf against backprop SGD (and SID) to a target test loss or accuracy: time and energy on one mesh");
  add_config_option(*sub);
  sub->add_option("--sheaf-config", o->sheaf_config, "The sheaf method's `train` config (its hyper-parameters)");
  sub->add_option("--sgd-config", o->sgd_config, "The SGD method's `train` config");
  sub->add_option("--sid-config", o->sid_config, "Optional: a SID `train` config (operation-count level)");
  sub->add_option("--target-loss", o->target_loss, "Target: test loss <= X");
  sub->add_option("--target-accuracy", o->target_accuracy, "Target: test accuracy >= X");
  sub->add_option("--max-steps", o->max_steps, "Step budget per method (0: each config's --steps)")->capture_default_str();
  sub->add_option("--eval-every", o->eval_every, "Test the target every N steps")->capture_default_str();
  sub->add_option("--sim-steps", o->sim_steps,
                  "Mesh steps simulated per method; cycles per step are the second half's (0: 16, times K for sheaf)")
      ->capture_default_str();
  sub->add_option("--energy-table", o->energy_table, "Energy per action, TOML (default " SHEAFSIM_DEFAULT_ENERGY_TABLE ")");
  sub->add_option("--out-dir", o->out_dir, "Write race.json, race.md and race.png here");
  sub->add_flag("--no-plots", o->no_plots, "Do not draw the figure");
  add_fixed_options(*sub, o->fx, false, false);
  add_mesh_options(*sub, o->mesh, false, false);
  sub->callback([o, sub] { run_race_command(*o, *sub); });
}

}  // namespace sheafsim::cli
