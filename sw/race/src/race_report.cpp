#include "sheafsim/race/race_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace sheafsim::race {

namespace {

using json = nlohmann::json;

json finite(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// A string field of an object, "" when absent.
std::string field(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

// A ratio "4.2x" of two positive figures, or "n/a".
std::string times(double a, double b) {
  if (!(a > 0) || !(b > 0) || !std::isfinite(a) || !std::isfinite(b)) return "n/a";
  return fmt::format("{:.3g}x", a / b);
}

std::string si_time(double us) {
  if (!std::isfinite(us)) return "n/a";
  if (us >= 1e6) return fmt::format("{:.3g} s", us * 1e-6);
  if (us >= 1e3) return fmt::format("{:.3g} ms", us * 1e-3);
  return fmt::format("{:.3g} us", us);
}

std::string si_energy(double uJ) {
  if (!std::isfinite(uJ)) return "n/a";
  if (uJ < 1) return fmt::format("{:.3g} nJ", uJ * 1e3);
  if (uJ >= 1e6) return fmt::format("{:.3g} J", uJ * 1e-6);
  if (uJ >= 1e3) return fmt::format("{:.3g} mJ", uJ * 1e-3);
  return fmt::format("{:.3g} uJ", uJ);
}

// "alpha 1, dt 0.15, ...": the hyper-parameters among a method's settings.
std::string hyper_parameters(const json& settings) {
  std::string s;
  for (const char* key : {"alpha", "beta", "dt", "inner", "stalk_init", "reinit_each_epoch", "lr", "sid_alpha",
                          "sid_smoothing", "sid_modules", "sid_hidden"}) {
    if (!settings.is_object() || !settings.contains(key) || settings[key].is_null()) continue;
    const json& v = settings[key];
    const std::string text = v.is_string() ? v.get<std::string>()
                             : v.is_number_float() ? fmt::format("{:.6g}", v.get<double>())
                                                   : v.dump();
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", key, text);
  }
  return s;
}

// Where the settings and the prices come from: each method's config file and its
// own account of how its hyper-parameters were chosen, and the energy table's
// static-power entries (the least certain figures of the race).
std::string provenance_markdown(const RaceResult& r) {
  std::string s = "\n## Where the figures come from\n\n";
  for (const Entry& e : r.entries) {
    s += fmt::format("- **{}**: {} from `{}`.", e.method, hyper_parameters(e.settings), e.config_file);
    if (e.config_comment.empty()) {
      s += " The file does not say how they were chosen.\n";
      continue;
    }
    s += " Its header says:\n";
    size_t start = 0;
    while (start < e.config_comment.size()) {
      const size_t end = std::min(e.config_comment.find('\n', start), e.config_comment.size());
      s += "  > " + e.config_comment.substr(start, end - start) + "\n";
      start = end + 1;
    }
  }
  const json& t = r.energy_table;
  if (t.is_object() && t.contains("entries")) {
    s += fmt::format("- **Energy**: table `{}` ({}, `{}`). Static power, paid for the whole time to target:\n",
                     field(t, "name"), field(t, "technology"), field(t, "file"));
    for (const char* key : {"leakage_pe", "leakage_sram_bit", "leakage_link"}) {
      if (!t["entries"].contains(key)) continue;
      const json& en = t["entries"][key];
      s += fmt::format("  - {}: {:.4g} {} ({})\n", key, en.value("value", kNaN), field(en, "unit"), field(en, "source"));
    }
  }
  return s;
}

}  // namespace

bool Target::reached(const TrainPoint& p) const {
  return accuracy ? p.test.accuracy >= value : p.test.loss <= value;
}

std::string Target::describe() const {
  return fmt::format("test {} {} {}", accuracy ? "accuracy" : "loss", accuracy ? ">=" : "<=", value);
}

long Entry::target_step(const Target& t) const {
  for (const TrainPoint& p : result.history)
    if (t.reached(p)) return p.step;
  return -1;
}

double time_us(const StepCost& c, double steps, double clock_mhz) {
  return c.on_mesh ? steps * c.cycles_per_step / clock_mhz : kNaN;
}

double energy_uJ(const StepCost& c, double steps, double clock_mhz) {
  const double dynamic_pJ = steps * c.dynamic_pJ();
  const double static_pJ = c.on_mesh ? c.static_uW * time_us(c, steps, clock_mhz) : 0.0;  // uW x us = pJ
  return (dynamic_pJ + static_pJ) * 1e-6;
}

json to_json(const RaceResult& r) {
  json methods = json::array();
  for (const Entry& e : r.entries) {
    const StepCost& c = e.cost;
    const long ts = e.target_step(r.target);
    const double steps = static_cast<double>(ts);
    const TrainPoint& last = e.result.history.back();
    json m = {{"method", e.method},
              {"config", e.config_file},
              {"config_comment", e.config_comment},
              {"settings", e.settings},
              {"level", c.on_mesh ? "mesh simulation" : "operation counts (no mesh model)"},
              {"basis", c.basis},
              {"reached_target", ts >= 0},
              {"steps_to_target", ts >= 0 ? json(ts) : json(nullptr)},
              {"steps_run", e.result.steps},
              {"param_updates", e.result.param_updates},
              {"final_step", last.step},
              {"final_test_loss", finite(last.test.loss)},
              {"final_test_accuracy", finite(last.test.accuracy)},
              {"final_train_loss", finite(last.train.loss)}};
    json per_step = {{"cycles", finite(c.cycles_per_step)},
                     {"simulated_steps", c.simulated_steps},
                     {"arithmetic_pJ", c.arithmetic_pJ},
                     {"sram_pJ", c.on_mesh ? json(c.sram_pJ) : json(nullptr)},
                     {"links_pJ", c.on_mesh ? json(c.links_pJ) : json(nullptr)},
                     {"dynamic_pJ", c.dynamic_pJ()},
                     {"mac_utilisation", finite(c.mac_utilisation)},
                     {"link_utilisation", finite(c.link_utilisation)}};
    m["per_step"] = per_step;
    m["static_power_uW"] = c.on_mesh ? json(c.static_uW) : json(nullptr);
    m["peak_sram_bits_per_pe"] = c.on_mesh ? json(c.peak_sram_bits_per_pe) : json(nullptr);
    if (ts >= 0) {
      const double t = time_us(c, steps, r.clock_mhz);
      m["to_target"] = {{"cycles", c.on_mesh ? json(steps * c.cycles_per_step) : json(nullptr)},
                        {"time_us", finite(t)},
                        {"energy_uJ", energy_uJ(c, steps, r.clock_mhz)},
                        {"arithmetic_uJ", steps * c.arithmetic_pJ * 1e-6},
                        {"sram_uJ", c.on_mesh ? json(steps * c.sram_pJ * 1e-6) : json(nullptr)},
                        {"links_uJ", c.on_mesh ? json(steps * c.links_pJ * 1e-6) : json(nullptr)},
                        {"static_uJ", c.on_mesh ? json(c.static_uW * t * 1e-6) : json(nullptr)}};
    } else {
      m["to_target"] = nullptr;
    }
    json curve = json::array();
    for (const TrainPoint& p : e.result.history) {
      const double s = static_cast<double>(p.step);
      curve.push_back({{"step", p.step},
                       {"time_us", finite(time_us(c, s, r.clock_mhz))},
                       {"energy_uJ", energy_uJ(c, s, r.clock_mhz)},
                       {"train_loss", finite(p.train.loss)},
                       {"test_loss", finite(p.test.loss)},
                       {"test_accuracy", finite(p.test.accuracy)}});
    }
    m["curve"] = curve;
    if (!c.mesh_report.is_null()) m["mesh_report"] = c.mesh_report;
    methods.push_back(m);
  }
  return {{"command", "race"},
          {"target", {{"metric", r.target.accuracy ? "test_accuracy" : "test_loss"}, {"value", r.target.value},
                      {"rule", r.target.describe()}}},
          {"eval_every_steps", r.eval_every},
          {"max_steps", r.max_steps},
          {"clock_mhz", r.clock_mhz},
          {"clock_source", r.clock_source},
          {"task", r.task},
          {"network", r.network},
          {"formats", r.formats},
          {"mesh", r.mesh},
          {"energy_table", r.energy_table},
          {"methods", methods}};
}

std::string summary_markdown(const RaceResult& r) {
  std::string s = fmt::format("# Race to {}\n\n", r.target.describe());
  std::string task = r.task.dump();
  if (r.task.is_object() && r.task.contains("task") && r.task.contains("n_train") && r.task.contains("n_test"))
    task = fmt::format("{} ({} training and {} test samples)", r.task["task"].get<std::string>(),
                       r.task["n_train"].dump(), r.task["n_test"].dump());
  s += fmt::format("Task {}; network {} {}; formats {}; mesh {}; clock {:.4g} MHz ({}). Steps are counted at the "
                   "history points, every {} steps, up to {} per method.\n\n",
                   task, r.network.is_object() && r.network.contains("layers") ? r.network["layers"].dump() : "",
                   field(r.network, "output"), field(r.formats, "summary"), field(r.mesh, "summary"), r.clock_mhz, r.clock_source, r.eval_every, r.max_steps);
  s += "| method | steps to target | time to target | energy to target | arithmetic / SRAM / links / static | "
       "peak SRAM per PE | final test accuracy | final test loss |\n|---|---|---|---|---|---|---|---|\n";
  const Entry* fastest = nullptr;
  const Entry* frugal = nullptr;
  for (const Entry& e : r.entries) {
    const StepCost& c = e.cost;
    const long ts = e.target_step(r.target);
    const TrainPoint& last = e.result.history.back();
    std::string steps = ts >= 0 ? fmt::format("{}", ts) : fmt::format("not reached in {}", e.result.steps);
    std::string t = "n/a", en = "n/a", split = "n/a";
    if (ts >= 0) {
      const double n = static_cast<double>(ts);
      const double tu = time_us(c, n, r.clock_mhz), eu = energy_uJ(c, n, r.clock_mhz);
      t = c.on_mesh ? si_time(tu) : "no mesh model";
      en = si_energy(eu) + (c.on_mesh ? "" : " (arithmetic only)");
      if (c.on_mesh && ts > 0) {
        const double total = eu * 1e6;  // pJ
        split = fmt::format("{:.0f} / {:.0f} / {:.0f} / {:.0f} %", 100 * n * c.arithmetic_pJ / total,
                            100 * n * c.sram_pJ / total, 100 * n * c.links_pJ / total, 100 * c.static_uW * tu / total);
      }
      // Met before training (ts 0): no time or energy to compare.
      if (ts > 0 && c.on_mesh && (fastest == nullptr || tu < time_us(fastest->cost, static_cast<double>(fastest->target_step(r.target)), r.clock_mhz)))
        fastest = &e;
      if (ts > 0 && c.on_mesh && (frugal == nullptr || eu < energy_uJ(frugal->cost, static_cast<double>(frugal->target_step(r.target)), r.clock_mhz)))
        frugal = &e;
    }
    s += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", e.method, steps, t, en, split,
                     c.on_mesh ? fmt::format("{:.1f} KiB", static_cast<double>(c.peak_sram_bits_per_pe) / 8192.0) : "n/a",
                     std::isfinite(last.test.accuracy) ? fmt::format("{:.4f}", last.test.accuracy) : "n/a",
                     fmt::format("{:.4g}", last.test.loss));
  }
  s += "\n";
  // The verdict: the mesh methods against each other.
  for (const Entry& e : r.entries) {
    const long ts = e.target_step(r.target);
    if (ts == 0)
      s += fmt::format("- **{}** meets the target at step 0, before any training: the race says nothing about it "
                       "(choose a harder target).\n", e.method);
    if (!e.cost.on_mesh || ts >= 0) continue;
    s += fmt::format("- **{}** did not reach the target in {} steps.\n", e.method, e.result.steps);
  }
  if (fastest != nullptr) {
    for (const Entry& e : r.entries) {
      if (&e == fastest || !e.cost.on_mesh || e.target_step(r.target) <= 0) continue;
      const double tf = time_us(fastest->cost, static_cast<double>(fastest->target_step(r.target)), r.clock_mhz);
      const double te = time_us(e.cost, static_cast<double>(e.target_step(r.target)), r.clock_mhz);
      s += fmt::format("- **{}** gets there first: {} sooner than {} ({} against {}).\n", fastest->method,
                       times(te, tf), e.method, si_time(tf), si_time(te));
    }
  }
  if (frugal != nullptr) {
    for (const Entry& e : r.entries) {
      if (&e == frugal || !e.cost.on_mesh || e.target_step(r.target) <= 0) continue;
      const double ef = energy_uJ(frugal->cost, static_cast<double>(frugal->target_step(r.target)), r.clock_mhz);
      const double ee = energy_uJ(e.cost, static_cast<double>(e.target_step(r.target)), r.clock_mhz);
      s += fmt::format("- **{}** spends less energy: {} less than {} ({} against {}).\n", frugal->method,
                       times(ee, ef), e.method, si_energy(ef), si_energy(ee));
    }
  }
  s += "\nPer step on the mesh:\n\n";
  for (const Entry& e : r.entries) {
    const StepCost& c = e.cost;
    if (!c.on_mesh) {
      s += fmt::format("- {}: {:.4g} pJ of arithmetic per step ({}).\n", e.method, c.arithmetic_pJ, c.basis);
      continue;
    }
    s += fmt::format("- {}: {:.0f} cycles, {} dynamic ({:.0f} % arithmetic, {:.0f} % SRAM, {:.0f} % links), "
                     "MACs busy {:.1f} % of the PE-cycles, links {:.1f} %.\n",
                     e.method, c.cycles_per_step, si_energy(c.dynamic_pJ() * 1e-6), 100 * c.arithmetic_pJ / c.dynamic_pJ(),
                     100 * c.sram_pJ / c.dynamic_pJ(), 100 * c.links_pJ / c.dynamic_pJ(), 100 * c.mac_utilisation,
                     100 * c.link_utilisation);
  }
  if (!r.entries.empty() && r.entries.front().cost.on_mesh)
    s += fmt::format("\nStatic power of the mesh: {:.4g} mW, paid for the whole time to target.\n",
                     r.entries.front().cost.static_uW * 1e-3);
  s += provenance_markdown(r);
  return s;
}

}  // namespace sheafsim::race
