// `sheafsim explore --config explore.toml`: design-space exploration
// (docs/explore.md). The design space (sheafsim/explore/) is sampled into
// points; every distinct numeric + training setting trains once in the
// bit-accurate model (the mesh does not change the bits), every point runs a
// short simulation on the SystemC mesh for its cycles and is priced for
// energy and area. The tasks are a farm (farm_run.h): --jobs threads or the
// ranks of `mpirun -n N`, checkpointed in OUT/checkpoint as they finish.
#include <algorithm>
#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "commands.h"
#include "compare_cli.h"
#include "console.h"
#include "farm_run.h"
#include "mesh_costing.h"
#include "option_rules.h"
#include "toml_config.h"
#include "train_options.h"
#include "sheafsim/analysis/sweep.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/cost/silicon_figures.h"
#include "sheafsim/explore/design_sample.h"
#include "sheafsim/explore/design_space.h"
#include "sheafsim/explore/explore_tables.h"
#include "sheafsim/explore/point_outcome.h"

#ifndef SHEAFSIM_DEFAULT_ENERGY_TABLE
#define SHEAFSIM_DEFAULT_ENERGY_TABLE "configs/energy-45nm-horowitz.toml"
#endif
#ifndef SHEAFSIM_EXPLORE_PLOT_SCRIPT
#define SHEAFSIM_EXPLORE_PLOT_SCRIPT "tools/plot_explore.py"
#endif

namespace sheafsim::cli {

namespace {

using json = nlohmann::json;
using explore::AxisKind;
using explore::DesignPoint;

struct ExploreOpts {
  std::string config, out_dir, resume;
  int jobs = 0;
  bool no_plots = false;
};

// The [run] table: `sheafsim simulate`'s training options (network, data,
// method, hyper-parameters, steps, base formats, base mesh), parsed as
// `simulate --config` would parse them.
struct RunSettings {
  std::shared_ptr<TrainOpts> opts = std::make_shared<TrainOpts>();
  bool clock_typed = false;  // [run] clock-mhz: every point's clock unless an axis sets it
};

RunSettings parse_run_table(const toml::table& file, const std::string& origin) {
  RunSettings r;
  const toml::table* run = file["run"].as_table();
  if (run == nullptr) throw InputError(fmt::format("{}: no [run] table (the task, network and training: train's options)", origin));
  std::ostringstream text;
  text << *run;
  const std::string where = origin + " [run]";
  TrainOpts fixed_point;
  fixed_point.fx.arith = "fixed";  // every point is a fixed-point run
  r.opts = parse_train_config(text.str(), where, TrainCommand::Simulate, fixed_point);
  TrainOpts& o = *r.opts;
  if (o.method != "sheaf" && o.method != "sgd")
    throw InputError(fmt::format("{}: method = \"{}\": explore runs sheaf or sgd (the mesh runs those)", where, o.method));
  if (!o.pins.empty())
    throw InputError(fmt::format("{}: pins = \"{}\": explore prices unpinned training (use simulate --pins for one design)",
                                 where, o.pins));
  if (!o.report.empty() || !o.out_net.empty())
    throw InputError(fmt::format("{}: report and out-net are not used: explore writes its files to --out-dir", where));
  r.clock_typed = run->contains("clock-mhz");
  o.fx.arith = "fixed";
  o.simulate = false;
  return r;
}

// The whole file as JSON, for the summary and the checkpoint's fingerprint.
json toml_as_json(const toml::table& t) {
  std::ostringstream s;
  s << toml::json_formatter{t};
  return json::parse(s.str());
}

std::string point_key(const DesignPoint& p, const std::function<bool(AxisKind, const std::string&)>& keep) {
  std::string s;
  for (const auto& [k, v] : p)
    if (keep(explore::axis_kind(k), k)) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

// A point's numeric axes over the base formats (not validated).
FixedConfig point_formats(const FixedConfig& base, const DesignPoint& p) {
  SweepPoint numeric;
  for (const auto& kv : p)
    if (explore::axis_kind(kv.first) == AxisKind::Numeric) numeric.push_back(kv);
  return apply_sweep_point(base, numeric);
}

long point_steps(const TrainOpts& o, const DesignPoint& p) {
  for (const auto& [k, v] : p)
    if (k == "steps") return static_cast<long>(std::stod(v));
  return o.steps;
}

// A point's architecture axes over the base mesh options; resolve() validates.
MeshOptions point_mesh(MeshOptions m, const DesignPoint& p) {
  for (const auto& [k, v] : p) {
    if (k == "mesh") m.shape = v;
    else if (k == "lanes") m.cfg.lanes = std::stoi(v);
    else if (k == "vertex-lanes") m.cfg.vertex_lanes = std::stoi(v);
    else if (k == "link-width") m.cfg.link_width = std::stoi(v);
    else if (k == "sram-kib") m.cfg.sram_kib = std::stol(v);
    else if (k == "vertex-sram-kib") m.cfg.vertex_sram_kib = std::stol(v);
    else if (k == "chunk") m.cfg.chunk = std::stoi(v);
    else if (k == "schedule") m.schedule = v;
    else if (k == "reduction") m.reduction = v;
    else if (k == "clock-mhz") m.cfg.clock_mhz = std::stod(v);
  }
  return m;
}

bool has_axis(const DesignPoint& p, const std::string& key) {
  return std::any_of(p.begin(), p.end(), [&](const auto& kv) { return kv.first == key; });
}

// The fixed-point settings of a run must let it start (constants that do not
// quantise to zero): its InputError is the point's reason.
void check_point_training(const TrainSpec& spec) {
  auto quiet = [](const std::string&) {};
  if (spec.method == "sheaf")
    check_fixed_training(spec.formats, spec.sheaf, spec.data.net.layers, spec.data.train.size(), quiet);
  else
    check_fixed_sgd(spec.formats, spec.sgd, spec.data.net, spec.data.train.size(), quiet);
}

// Everything a task needs, shared read-only by the threads of one process.
struct Explore {
  RunSettings run;
  TrainSpec base;              // fixed point, the base formats, the bit-accurate model
  FixedConfig base_formats;
  mesh::MeshConfig base_mesh;
  explore::DesignSpace space;
  explore::Sample sample;
  std::vector<std::string> training_keys;     // distinct, first appearance
  std::vector<size_t> training_of_point;      // point -> training task
  std::vector<std::string> arch_keys;         // distinct numeric + architecture settings
  std::vector<size_t> arch_of_point, arch_point;  // point -> arch task; arch task -> its first point
  std::vector<size_t> training_point;         // training task -> its first point
  ops::EnergyTable table;
  std::string table_path;
  long sim_steps = 0;
};

explore::TrainingOutcome run_training(const Explore& x, const DesignPoint& p) {
  explore::TrainingOutcome out;
  TrainSpec spec = x.base;
  const long steps = point_steps(*x.run.opts, p);
  out.steps = steps;
  try {
    spec.formats = point_formats(x.base_formats, p);
    spec.formats.validate();
    set_train_steps(spec, steps, steps);
    check_point_training(spec);
  } catch (const InputError& e) {
    out.error = e.what();
    return out;
  }
  const TrainRun run = run_train(spec);
  const TrainPoint& last = run.result.history.back();
  out.train_loss = last.train.loss;
  out.test_loss = last.test.loss;
  out.train_accuracy = last.train.accuracy;
  out.test_accuracy = last.test.accuracy;
  for (const TrainPoint& h : run.result.history) out.diverged = out.diverged || !std::isfinite(h.train.loss);
  if (run.fixed) {
    out.saturations = run.fixed->counters.total_saturations();
    out.lost_updates = run.fixed->counters.total_lost_updates();
  }
  return out;
}

// The clock of a point: an axis or [run] clock-mhz; else the RTL PE's fmax at
// these formats; else (no 45 nm figure at these formats) the q16 PE's at these
// rounding modes, stated as assumed.
// The synthesised q16 PE at the point's rounding and overflow modes (else at
// the measured PE's): the basis of the figures of formats with no synthesis.
ops::PeSilicon q16_basis(const FixedConfig& cfg, int lanes) {
  FixedConfig q16;
  q16.quant = cfg.quant;
  q16.overflow = cfg.overflow;
  ops::PeSilicon si = ops::pe_silicon(q16, lanes);
  return si.available ? si : ops::pe_silicon(FixedConfig{}, lanes);
}

void point_clock(const Explore& x, const DesignPoint& p, const FixedConfig& cfg, const mesh::MeshConfig& mc,
                 const MeshPricing& price, explore::ArchOutcome& a) {
  a.clock_mhz = mc.clock_mhz;
  if (has_axis(p, "clock-mhz")) {
    a.clock_source = "the clock-mhz axis";
    return;
  }
  if (x.run.clock_typed) {
    a.clock_source = "[run] clock-mhz";
    return;
  }
  if (price.silicon.available) {
    a.clock_mhz = price.silicon.clock_mhz;
    a.clock_source = "the RTL PE's 45 nm fmax (" + price.silicon.basis + ")";
    return;
  }
  const ops::PeSilicon si = q16_basis(cfg, mc.lanes);
  a.clock_mhz = si.clock_mhz;
  a.clock_source = fmt::format("assumed: the q16 PE's 45 nm fmax at {}/{} (no figure at these formats: {})", si.quant,
                               si.overflow, price.silicon.reason);
}

// PE logic at these formats when synthesised; else the q16 PE's scaled by the
// multiplier's operand widths (stalk x weight bits over 16 x 16), an estimate.
void point_area(const FixedConfig& cfg, const mesh::MeshConfig& mc, const MeshPricing& price, explore::ArchOutcome& a) {
  double logic = 0;
  if (price.silicon.available) {
    logic = price.silicon.logic_area_um2;
    a.area_basis = "PE logic: " + price.silicon.basis;
  } else {
    const ops::PeSilicon q16 = q16_basis(cfg, mc.lanes);
    const double scale = static_cast<double>(cfg.stalk.width() * cfg.weight.width()) / (16.0 * 16.0);
    logic = q16.logic_area_um2 * scale;
    a.area_basis = fmt::format("PE logic: estimated, the q16 PE's at {}/{} x {:.4g} (stalk x weight bits / 16 x 16)",
                               q16.quant, q16.overflow, scale);
  }
  a.area_mm2 = ops::mesh_area_um2(logic, price.pes, mc.sram_kib, price.vertex_groups, mc.vertex_sram_kib) * 1e-6;
  a.area_basis += "; SRAM 0.346 um^2/bit x 1.5 (PEs and vertex units)";
}

explore::ArchOutcome run_arch(const Explore& x, const DesignPoint& p) {
  explore::ArchOutcome a;
  TrainSpec spec = x.base;
  mesh::MeshConfig mc;
  MeshPricing price;
  try {
    spec.formats = point_formats(x.base_formats, p);
    spec.formats.validate();
    check_point_training(spec);
    mc = point_mesh(x.run.opts->mesh, p).resolve();
    price = price_on_mesh(spec, mc, spec.formats, x.table, x.table_path);
  } catch (const InputError& e) {
    a.feasible = false;
    a.reason = e.what();
    return a;
  }
  race::StepCost c;
  try {
    c = mesh_cost(spec, mc, x.sim_steps, price, x.table);
  } catch (const InputError& e) {
    a.feasible = false;
    a.reason = e.what();
    return a;
  }
  a.cycles_per_step = c.cycles_per_step;
  a.mac_utilisation = c.mac_utilisation;
  a.link_utilisation = c.link_utilisation;
  a.simulated_steps = c.simulated_steps;
  a.pes = c.pes;
  a.links = c.links;
  a.sram_bits = c.sram_bits;
  a.peak_sram_bits_per_pe = c.peak_sram_bits_per_pe;
  a.arithmetic_pJ_per_step = c.arithmetic_pJ;
  a.sram_pJ_per_step = c.sram_pJ;
  a.links_pJ_per_step = c.links_pJ;
  a.static_uW = c.static_uW;
  point_clock(x, p, spec.formats, mc, price, a);
  point_area(spec.formats, mc, price, a);
  return a;
}

// Every key of the design with this point's value: the base's where no axis sets it.
DesignPoint full_settings(const Explore& x, const DesignPoint& p, const explore::ArchOutcome& a) {
  const FixedConfig& f = x.base_formats;
  const mesh::MeshConfig& m = x.base_mesh;
  std::map<std::string, std::string> v = {
      {"stalk", f.stalk.str()},
      {"weight", f.weight.str()},
      {"bias", f.bias.str()},
      {"residual", f.residual.str()},
      {"constant", f.constant.str()},
      {"acc", std::to_string(f.acc_bits)},
      {"round", fx::to_string(f.quant)},
      {"overflow", fx::to_string(f.overflow)},
      {"mesh", fmt::format("{}x{}", m.rows, m.cols)},
      {"lanes", std::to_string(m.lanes)},
      {"vertex-lanes", std::to_string(m.vertex_lanes)},
      {"link-width", std::to_string(m.link_width)},
      {"sram-kib", std::to_string(m.sram_kib)},
      {"vertex-sram-kib", std::to_string(m.vertex_sram_kib)},
      {"chunk", std::to_string(m.chunk)},
      {"schedule", mesh::to_string(m.schedule)},
      {"reduction", mesh::to_string(m.reduction)},
      {"clock-mhz", fmt::format("{}", std::isfinite(a.clock_mhz) ? a.clock_mhz : m.clock_mhz)},
      {"steps", std::to_string(x.run.opts->steps)}};
  for (const auto& [k, val] : p) v[k] = val;
  DesignPoint out;
  for (const std::string& k : explore::axis_keys()) out.emplace_back(k, v.at(k));
  return out;
}

void run_explore_command(const ExploreOpts& o) {
  if (o.config.empty() && o.resume.empty())
    throw InputError("--config explore.toml is required (or --resume DIR to continue a run)");
  if (!o.resume.empty() && !o.out_dir.empty() && o.resume != o.out_dir)
    throw InputError(fmt::format("--resume {} continues the run in that directory; --out-dir {} names another", o.resume,
                                 o.out_dir));
  if (o.jobs < 0) throw InputError(fmt::format("--jobs = {} must be >= 1", o.jobs));
  const std::string out = !o.resume.empty() ? o.resume : o.out_dir.empty() ? "explore-out" : o.out_dir;
  // --resume DIR alone reads the run's copy of its config.
  const std::string config_path = !o.config.empty() ? o.config : (std::filesystem::path(out) / "explore.toml").string();
  const std::string text = read_text_file(config_path);
  toml::table file;
  try {
    file = toml::parse(text, config_path);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}: not TOML: {} (line {})", config_path, e.description(), e.source().begin.line));
  }

  Explore x;
  x.space = explore::parse_design_space(text, config_path);
  x.run = parse_run_table(file, config_path);
  const TrainOpts& t = *x.run.opts;
  require_steps(t);
  x.base = make_train_spec(t, nullptr);
  x.base_formats = x.base.formats;
  x.base_mesh = t.mesh.resolve();
  x.table_path = x.space.energy_table.empty() ? SHEAFSIM_DEFAULT_ENERGY_TABLE : x.space.energy_table;
  x.table = ops::EnergyTable::load(x.table_path);
  const long K = t.method == "sheaf" ? std::max(1, x.base.sheaf.inner) : 1;
  x.sim_steps = x.space.sim_steps > 0 ? x.space.sim_steps : 4 * K;
  if (x.sim_steps % (2 * K) != 0)
    throw InputError(fmt::format("{}: [cost] sim-steps = {} must be a multiple of 2K = {} (inner = {})", config_path,
                                 x.sim_steps, 2 * K, K));
  x.sample = explore::sample_design(x.space);
  const size_t n = x.sample.points.size();

  // Training: one per numeric + training setting; architecture: one per numeric + architecture setting.
  auto training_axis = [](AxisKind k, const std::string&) { return k != AxisKind::Architecture; };
  auto arch_axis = [](AxisKind k, const std::string&) { return k != AxisKind::Training; };
  std::map<std::string, size_t> tk, ak;
  for (size_t i = 0; i < n; ++i) {
    const DesignPoint& p = x.sample.points[i];
    const std::string a = point_key(p, training_axis), b = point_key(p, arch_axis);
    if (tk.emplace(a, x.training_keys.size()).second) {
      x.training_keys.push_back(a);
      x.training_point.push_back(i);
    }
    if (ak.emplace(b, x.arch_keys.size()).second) {
      x.arch_keys.push_back(b);
      x.arch_point.push_back(i);
    }
    x.training_of_point.push_back(tk.at(a));
    x.arch_of_point.push_back(ak.at(b));
  }
  const size_t n_train = x.training_keys.size(), n_arch = x.arch_keys.size();

  const json config = toml_as_json(file);
  const json fingerprint = {{"command", "explore"},
                            {"config", config},
                            {"network", x.base.data.net_source},
                            {"data", x.base.data.data_source},
                            {"energy_table", x.table.to_json()}};
  FarmRequest req;
  req.what = "explore";
  req.unit = "tasks";
  req.tasks = n_train + n_arch;  // the trainings first: they are the long tasks
  req.jobs = o.jobs;
  req.out_dir = out;
  req.resume = !o.resume.empty();
  req.fingerprint = fingerprint.dump();
  req.exclusive = [n_train](size_t task) { return task >= n_train; };  // the SystemC mesh
  req.describe = [&x, n_train](size_t task) {
    return task < n_train ? "training " + x.training_keys[task] : "mesh " + x.arch_keys[task - n_train];
  };
  const bool fresh = o.resume.empty() && !launched_as_worker_rank();
  // The run's own copy of its config, for --resume DIR; not over an unfinished
  // run's (the checkpoint refuses to start over it).
  if (fresh && !std::filesystem::exists(std::filesystem::path(out) / "checkpoint" / "run.json")) {
    create_output_directory(out);
    const std::filesystem::path copy = std::filesystem::path(out) / "explore.toml";
    if (!std::filesystem::exists(copy) || !std::filesystem::equivalent(copy, config_path)) write_text_file(copy.string(), text);
  }
  FarmOutcome farmed = run_farm_tasks(req, [&x, n_train](size_t task) -> std::string {
    if (task < n_train) return explore::to_json(run_training(x, x.sample.points[x.training_point[task]])).dump();
    return explore::to_json(run_arch(x, x.sample.points[x.arch_point[task - n_train]])).dump();
  });
  if (!farmed.coordinator) return;

  std::vector<explore::ExploreRow> rows;
  for (size_t i = 0; i < n; ++i) {
    explore::ExploreRow r;
    r.point = i;
    r.training_key = x.training_keys[x.training_of_point[i]];
    r.training = explore::training_outcome_from_json(json::parse(farmed.results[x.training_of_point[i]]));
    r.arch = explore::arch_outcome_from_json(json::parse(farmed.results[n_train + x.arch_of_point[i]]));
    r.settings = full_settings(x, x.sample.points[i], r.arch);
    rows.push_back(std::move(r));
  }
  explore::ExploreContext ctx;
  ctx.config = config;
  ctx.run = {{"method", t.method},
             {"network", x.base.data.net_source},
             {"data", x.base.data.data_source},
             {"settings", x.base.settings},
             {"steps", t.steps},
             {"sim_steps", x.sim_steps}};
  ctx.base_fixed = x.base_formats.to_json();
  ctx.base_mesh = x.base_mesh.to_json();
  ctx.classification = is_classification(x.base.data.net.output);
  ctx.has_test = x.base.data.test.size() > 0;
  ctx.energy_table = x.table.to_json();
  ctx.training_runs = n_train;
  const explore::ExploreTables tables = explore::make_tables(x.space, x.sample, rows, ctx);

  const std::filesystem::path dir(out);
  write_text_file((dir / "explore.csv").string(), tables.explore_csv);
  write_text_file((dir / "pareto.csv").string(), tables.pareto_csv);
  write_json((dir / "summary.json").string(), tables.summary);
  write_timing(out, farmed);
  std::string figures;
  if (!o.no_plots) {
    const char* env = std::getenv("SHEAFSIM_EXPLORE_PLOT_SCRIPT");
    figures = run_figure_script(env != nullptr ? env : SHEAFSIM_EXPLORE_PLOT_SCRIPT, out);
  }

  const json& s = tables.summary;
  auto best = [&s](const char* what) {
    const json& b = s.at("best").at(what);
    return b.is_null() ? std::string("none") : fmt::format("point {}", b.get<long>());
  };
  std::vector<StatRow> stat = {{"method", t.method},
                               {"layers", fmt::format("{}", fmt::join(x.base.data.net.layers, ","))},
                               {"train_samples", fmt::format("{}", x.base.data.train.size())},
                               {"sample", fmt::format("{}, {} of {} grid points", s.at("sample").at("method").get<std::string>(),
                                                      n, x.space.grid_size())},
                               {"points", fmt::format("{}", n)},
                               {"feasible_points", fmt::format("{}", s.at("feasible_points").get<long>())},
                               {"infeasible_points", fmt::format("{}", s.at("infeasible_points").get<long>())},
                               {"diverged_points", fmt::format("{}", s.at("diverged_points").get<long>())},
                               {"training_runs", fmt::format("{} ({} steps each unless an axis sets them)", n_train, t.steps)},
                               {"mesh_simulations", fmt::format("{} ({} steps each)", n_arch, x.sim_steps)},
                               {"front_accuracy_energy_area_points",
                                fmt::format("{}", s.at("fronts").at("accuracy_energy_area").size())},
                               {"front_accuracy_time_points", fmt::format("{}", s.at("fronts").at("accuracy_time").size())},
                               {"best_quality", best("quality")},
                               {"least_energy_to_train", best("energy_to_train")},
                               {"least_time_to_train", best("time_to_train")},
                               {"workers", describe_workers(farmed)}};
  add_farm_rows(farmed, stat);
  stat.push_back({"explore_csv", (dir / "explore.csv").string()});
  stat.push_back({"pareto_csv", (dir / "pareto.csv").string()});
  stat.push_back({"summary", (dir / "summary.json").string()});
  stat.push_back({"timing", (dir / "timing.json").string()});
  stat.push_back({"figures", figures.empty() ? "none" : figures});
  print_statistics("sheafsim explore", stat);
}

}  // namespace

void register_explore(CLI::App& app) {
  auto o = std::make_shared<ExploreOpts>();
  CLI::App* sub = app.add_subcommand(
      "explore", "Design-space exploration: formats x mesh x training, energy, time and area, Pareto fronts");
  sub->add_option("--config", o->config, "explore.toml: [run], [sample], [axes], [cost] (docs/explore.md)");
  sub->add_option("--out-dir", o->out_dir, "Write explore.csv, pareto.csv, summary.json and the figure here (default explore-out)");
  sub->add_option("--jobs", o->jobs, "Tasks at once in one process (default: every core; under mpirun: the ranks)");
  sub->add_option("--resume", o->resume, "Continue the run checkpointed in DIR (its config is DIR/explore.toml)");
  sub->add_flag("--no-plots", o->no_plots, "Do not draw the figure");
  sub->callback([o] { run_explore_command(*o); });
}

}  // namespace sheafsim::cli
