#include "sheafsim/explore/explore_tables.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/explore/pareto.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::explore {

namespace {

using nlohmann::json;

// Every axis key's column, with its unit where it has one.
const std::map<std::string, std::string>& column_names() {
  static const std::map<std::string, std::string> names = {
      {"stalk", "stalk"},        {"weight", "weight"},       {"bias", "bias"},
      {"residual", "residual"},  {"constant", "constant"},   {"acc", "acc_bits"},
      {"round", "round"},        {"overflow", "overflow"},   {"mesh", "mesh"},
      {"lanes", "lanes"},        {"vertex-lanes", "vertex_lanes"}, {"link-width", "link_width_bits"},
      {"sram-kib", "sram_kib"},  {"vertex-sram-kib", "vertex_sram_kib"}, {"chunk", "chunk_samples"},
      {"schedule", "schedule"},  {"reduction", "reduction"}, {"clock-mhz", "clock_mhz"},
      {"steps", "steps"}};
  return names;
}

// The unit (or meaning) of every column after the design.
const std::vector<std::pair<std::string, std::string>>& metric_units() {
  static const std::vector<std::pair<std::string, std::string>> units = {
      {"word_length_bits", "bits: stalk width + weight width (the multiply operands)"},
      {"feasible", "1: the point trained and its mapping fits the mesh; 0: see reason"},
      {"train_loss", "the task's loss on the training set after the last step"},
      {"test_loss", "the task's loss on the test set after the last step (empty without one)"},
      {"train_accuracy", "fraction of training samples classified right (empty for a regression)"},
      {"test_accuracy", "fraction of test samples classified right (empty for a regression or without a test set)"},
      {"diverged", "1: the training run diverged"},
      {"saturations", "count: fixed-point saturations over the training run"},
      {"lost_updates", "count: fixed-point updates rounded away over the training run"},
      {"cycles_per_step", "clock cycles per training step on the mesh (simulated)"},
      {"time_per_step_us", "us: cycles_per_step / clock_mhz"},
      {"mac_utilisation", "fraction of MAC-lane cycles busy"},
      {"link_utilisation", "fraction of link cycles busy"},
      {"pes", "count: processing elements"},
      {"links", "count: neighbour links"},
      {"sram_bits", "bits: SRAM of every PE and vertex unit"},
      {"peak_sram_bits_per_pe", "bits: the largest SRAM use of one PE"},
      {"arithmetic_pJ_per_step", "pJ per training step: multiplies, adds and register writes"},
      {"sram_pJ_per_step", "pJ per training step: SRAM reads and writes"},
      {"links_pJ_per_step", "pJ per training step: link bit-hops"},
      {"dynamic_energy_per_step_uJ", "uJ: (arithmetic + SRAM + links) pJ per step x 1e-6"},
      {"static_power_uW", "uW: leakage of the whole mesh"},
      {"static_energy_per_step_uJ", "uJ: static_power_uW x time_per_step_us x 1e-6"},
      {"energy_per_step_uJ", "uJ: dynamic + static energy per step"},
      {"time_to_train_us", "us: time_per_step_us x steps"},
      {"energy_to_train_uJ", "uJ: energy_per_step_uJ x steps"},
      {"area_mm2", "mm^2: silicon area of the mesh"},
      {"clock_source", "where clock_mhz comes from"},
      {"area_basis", "where area_mm2's PE logic and SRAM figures come from (measured, derived or estimated)"}};
  return units;
}

// A CSV field: quoted (quotes doubled) when it holds a comma, quote or line break.
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// A double as 17 significant digits (reads back exactly); non-finite: empty.
std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.17g}", v) : ""; }

bool trained(const ExploreRow& r) { return r.training.error.empty(); }
bool feasible(const ExploreRow& r) { return trained(r) && r.arch.feasible; }

std::string reason(const ExploreRow& r) { return trained(r) ? r.arch.reason : r.training.error; }

double quality_of(const ExploreRow& r, const QualityObjective& q) {
  if (q.column == "test_accuracy") return r.training.test_accuracy;
  if (q.column == "train_accuracy") return r.training.train_accuracy;
  if (q.column == "test_loss") return r.training.test_loss;
  return r.training.train_loss;
}

// The format of `key` from the point's settings, else from the base configuration.
fx::FixedFormat format_of(const DesignPoint& settings, const json& base_fixed, const std::string& key) {
  for (const auto& [k, v] : settings)
    if (k == key) return fx::parse_format(v, key);
  const std::string base_key = key + "_format";
  if (base_fixed.is_object() && base_fixed.contains(base_key) && base_fixed[base_key].is_string())
    return fx::parse_format(base_fixed[base_key].get<std::string>(), base_key);
  throw InputError(fmt::format("explore tables: no {} format in the settings or the base configuration", key));
}

std::string design_header(const std::vector<std::string>& keys) {
  std::string s;
  for (const std::string& k : keys) s += "," + design_column(k);
  return s;
}

std::string design_fields(const ExploreRow& r) {
  std::string s;
  for (const auto& [k, v] : r.settings) s += "," + csv_field(v);
  return s;
}

struct Front {
  std::string name;
  std::vector<size_t> members;  // indices into the sorted rows, in listing order
};

}  // namespace

std::string design_column(const std::string& key) {
  const auto it = column_names().find(key);
  if (it == column_names().end()) {
    axis_kind(key);  // throws, with a did-you-mean
    throw InputError(fmt::format("no column for axis '{}'", key));
  }
  return it->second;
}

QualityObjective quality_objective(const ExploreContext& ctx) {
  if (ctx.classification) return {ctx.has_test ? "test_accuracy" : "train_accuracy", true};
  return {ctx.has_test ? "test_loss" : "train_loss", false};
}

ExploreTables make_tables(const DesignSpace& space, const Sample& sample, const std::vector<ExploreRow>& unsorted,
                          const ExploreContext& ctx) {
  // Point order, whichever process finished first.
  std::vector<ExploreRow> rows = unsorted;
  std::stable_sort(rows.begin(), rows.end(), [](const ExploreRow& a, const ExploreRow& b) { return a.point < b.point; });
  std::vector<std::string> keys;
  if (rows.empty()) keys = axis_keys();
  else
    for (const auto& [k, v] : rows.front().settings) keys.push_back(k);
  for (const ExploreRow& r : rows) {
    bool same = r.settings.size() == keys.size();
    for (size_t k = 0; same && k < keys.size(); ++k) same = r.settings[k].first == keys[k];
    if (!same) throw InputError(fmt::format("explore tables: point {} has other settings keys than point {}", r.point,
                                            rows.front().point));
  }
  const QualityObjective q = quality_objective(ctx);

  // explore.csv
  std::string csv = "point" + design_header(keys);
  for (const auto& [column, unit] : metric_units()) {
    csv += "," + column;
    if (column == "feasible") csv += ",reason";
  }
  csv += "\n";
  std::vector<PointMetrics> metrics;
  for (const ExploreRow& r : rows) {
    const PointMetrics m = derive(r.training, r.arch);
    metrics.push_back(m);
    const int word = format_of(r.settings, ctx.base_fixed, "stalk").width() +
                     format_of(r.settings, ctx.base_fixed, "weight").width();
    const TrainingOutcome& t = r.training;
    const ArchOutcome& a = r.arch;
    csv += fmt::format("{}{},{},{},{}", r.point, design_fields(r), word, feasible(r) ? 1 : 0, csv_field(reason(r)));
    // What did not run has no figures: empty fields, not zeros.
    const bool ran = trained(r), mapped = a.feasible;
    auto count = [](bool known, std::uint64_t v) { return known ? std::to_string(v) : std::string(); };
    auto value = [](bool known, double v) { return known ? num(v) : std::string(); };
    csv += fmt::format(",{},{},{},{},{},{},{}", num(t.train_loss), num(t.test_loss), num(t.train_accuracy),
                       num(t.test_accuracy), count(ran, t.diverged ? 1 : 0), count(ran, t.saturations),
                       count(ran, t.lost_updates));
    csv += fmt::format(",{},{},{},{},{},{},{},{}", num(a.cycles_per_step), num(m.time_per_step_us),
                       num(a.mac_utilisation), num(a.link_utilisation), count(mapped, a.pes), count(mapped, a.links),
                       count(mapped, a.sram_bits), count(mapped, static_cast<std::uint64_t>(a.peak_sram_bits_per_pe)));
    csv += fmt::format(",{},{},{},{},{},{},{},{},{},{},{},{}\n", value(mapped, a.arithmetic_pJ_per_step),
                       value(mapped, a.sram_pJ_per_step), value(mapped, a.links_pJ_per_step),
                       num(m.dynamic_energy_per_step_uJ), value(mapped, a.static_uW),
                       num(m.static_energy_per_step_uJ), num(m.energy_per_step_uJ), num(m.time_to_train_us),
                       num(m.energy_to_train_uJ), num(a.area_mm2), csv_field(a.clock_source),
                       csv_field(a.area_basis));
  }

  // The fronts: quality is minimised as itself or its negation.
  const double sign = q.higher_is_better ? -1.0 : 1.0;
  std::vector<size_t> eligible;
  for (size_t i = 0; i < rows.size(); ++i)
    if (feasible(rows[i]) && !rows[i].training.diverged) eligible.push_back(i);
  auto front_of = [&](const std::string& name, auto objectives_of) {
    std::vector<std::vector<double>> objectives;
    for (const size_t i : eligible) objectives.push_back(objectives_of(i));
    Front f{name, {}};
    for (const size_t e : pareto_front(objectives)) f.members.push_back(eligible[e]);
    std::stable_sort(f.members.begin(), f.members.end(), [&](size_t a, size_t b) {
      const double qa = sign * quality_of(rows[a], q), qb = sign * quality_of(rows[b], q);
      return qa != qb ? qa < qb : rows[a].point < rows[b].point;
    });
    return f;
  };
  const std::vector<Front> fronts = {
      front_of("accuracy_energy_area",
               [&](size_t i) {
                 return std::vector<double>{sign * quality_of(rows[i], q), metrics[i].energy_to_train_uJ,
                                            rows[i].arch.area_mm2};
               }),
      front_of("accuracy_time", [&](size_t i) {
        return std::vector<double>{sign * quality_of(rows[i], q), metrics[i].time_to_train_us};
      })};

  // pareto.csv
  std::string pareto = fmt::format("front,point,{},energy_to_train_uJ,area_mm2,time_to_train_us{}\n", q.column,
                                   design_header(keys));
  json fronts_json = json::object();
  for (const Front& f : fronts) {
    json listed = json::array();
    for (const size_t i : f.members) {
      pareto += fmt::format("{},{},{},{},{},{}{}\n", f.name, rows[i].point, num(quality_of(rows[i], q)),
                            num(metrics[i].energy_to_train_uJ), num(rows[i].arch.area_mm2),
                            num(metrics[i].time_to_train_us), design_fields(rows[i]));
      listed.push_back(rows[i].point);
    }
    fronts_json[f.name] = listed;
  }

  // The best of each objective: the first in listing order wins a tie.
  auto least = [&](const Front& f, auto value_of) {
    json best = nullptr;
    double best_value = 0;
    for (const size_t i : f.members)
      if (best.is_null() || value_of(i) < best_value) best = rows[i].point, best_value = value_of(i);
    return best;
  };
  json best_quality = nullptr;
  double best_q = 0;
  for (const size_t i : eligible) {
    const double v = sign * quality_of(rows[i], q);
    if (std::isfinite(v) && (best_quality.is_null() || v < best_q)) best_quality = rows[i].point, best_q = v;
  }

  size_t n_feasible = 0, n_diverged = 0;
  for (const ExploreRow& r : rows) {
    n_feasible += feasible(r) ? 1 : 0;
    n_diverged += trained(r) && r.training.diverged ? 1 : 0;
  }
  json axes = json::object();
  std::vector<std::string> axis_order;
  for (const Axis& a : space.axes)
    if (a.values.size() > 1) axes[a.key] = a.values, axis_order.push_back(a.key);
  json units = json::object();
  for (const auto& [column, unit] : metric_units()) units[column] = unit;

  json s = json::object();
  s["command"] = "explore";
  s["config"] = ctx.config;
  s["run"] = ctx.run;
  s["base_fixed"] = ctx.base_fixed;
  s["base_mesh"] = ctx.base_mesh;
  s["energy_table"] = ctx.energy_table;
  s["sample"] = {{"method", to_string(space.method)},
                 {"grid_size", space.grid_size()},
                 {"points", sample.points.size()},
                 {"seed", space.method == SampleMethod::Grid ? json(nullptr) : json(space.sample_seed)},
                 {"duplicates_removed", sample.duplicates_removed}};
  s["axes"] = axes;
  s["axis_order"] = axis_order;  // JSON objects are unordered: the file's order of the varied axes
  s["points"] = rows.size();
  s["feasible_points"] = n_feasible;
  s["infeasible_points"] = rows.size() - n_feasible;
  s["diverged_points"] = n_diverged;
  s["training_runs"] = ctx.training_runs;
  s["quality"] = {{"column", q.column}, {"better", q.higher_is_better ? "higher" : "lower"}};
  s["fronts"] = fronts_json;
  s["best"] = {{"quality", best_quality},
               {"energy_to_train", least(fronts[0], [&](size_t i) { return metrics[i].energy_to_train_uJ; })},
               {"time_to_train", least(fronts[1], [&](size_t i) { return metrics[i].time_to_train_us; })},
               {"area", least(fronts[0], [&](size_t i) { return rows[i].arch.area_mm2; })}};
  s["units"] = units;
  return {csv, pareto, s};
}

}  // namespace sheafsim::explore
