#include "sheafsim/explore/point_outcome.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::explore {

namespace {

using nlohmann::json;

json number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;  // nlohmann prints the shortest text that reads back to v
}

const json& field(const json& j, const char* what, const char* key) {
  if (!j.is_object()) throw InputError(fmt::format("{}: expected a JSON object", what));
  const auto it = j.find(key);
  if (it == j.end()) throw InputError(fmt::format("{}: missing field '{}'", what, key));
  return *it;
}

double read_double(const json& j, const char* what, const char* key) {
  const json& v = field(j, what, key);
  if (v.is_number()) return v.get<double>();
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "nan") return std::nan("");
    if (s == "inf") return HUGE_VAL;
    if (s == "-inf") return -HUGE_VAL;
  }
  throw InputError(fmt::format("{}: '{}' must be a number, \"nan\", \"inf\" or \"-inf\"", what, key));
}

template <typename T>
T read_integer(const json& j, const char* what, const char* key) {
  const json& v = field(j, what, key);
  if (!v.is_number_integer()) throw InputError(fmt::format("{}: '{}' must be an integer", what, key));
  if (std::is_unsigned_v<T> && !v.is_number_unsigned())
    throw InputError(fmt::format("{}: '{}' must be an integer >= 0", what, key));
  return v.get<T>();
}

bool read_bool(const json& j, const char* what, const char* key) {
  const json& v = field(j, what, key);
  if (!v.is_boolean()) throw InputError(fmt::format("{}: '{}' must be true or false", what, key));
  return v.get<bool>();
}

std::string read_string(const json& j, const char* what, const char* key) {
  const json& v = field(j, what, key);
  if (!v.is_string()) throw InputError(fmt::format("{}: '{}' must be a string", what, key));
  return v.get<std::string>();
}

// One list of a record's fields serves both directions: `v(key, field)` for each.
template <typename Record, typename Visit>
void training_fields(Record& t, Visit&& v) {
  v("steps", t.steps);
  v("train_loss", t.train_loss);
  v("test_loss", t.test_loss);
  v("train_accuracy", t.train_accuracy);
  v("test_accuracy", t.test_accuracy);
  v("diverged", t.diverged);
  v("saturations", t.saturations);
  v("lost_updates", t.lost_updates);
  v("error", t.error);
}

template <typename Record, typename Visit>
void arch_fields(Record& a, Visit&& v) {
  v("feasible", a.feasible);
  v("reason", a.reason);
  v("cycles_per_step", a.cycles_per_step);
  v("mac_utilisation", a.mac_utilisation);
  v("link_utilisation", a.link_utilisation);
  v("simulated_steps", a.simulated_steps);
  v("pes", a.pes);
  v("links", a.links);
  v("sram_bits", a.sram_bits);
  v("peak_sram_bits_per_pe", a.peak_sram_bits_per_pe);
  v("arithmetic_pJ_per_step", a.arithmetic_pJ_per_step);
  v("sram_pJ_per_step", a.sram_pJ_per_step);
  v("links_pJ_per_step", a.links_pJ_per_step);
  v("static_uW", a.static_uW);
  v("clock_mhz", a.clock_mhz);
  v("clock_source", a.clock_source);
  v("area_mm2", a.area_mm2);
  v("area_basis", a.area_basis);
}

// Doubles as number() spells them (NaN and infinities as strings); the rest as they are.
struct FieldWriter {
  json& j;
  void operator()(const char* key, double x) const { j[key] = number(x); }
  template <typename T>
  void operator()(const char* key, const T& x) const { j[key] = x; }
};

struct FieldReader {
  const json& j;
  const char* what;
  void operator()(const char* key, double& x) const { x = read_double(j, what, key); }
  void operator()(const char* key, bool& x) const { x = read_bool(j, what, key); }
  void operator()(const char* key, std::string& x) const { x = read_string(j, what, key); }
  template <typename T>
  void operator()(const char* key, T& x) const { x = read_integer<T>(j, what, key); }
};

}  // namespace

json to_json(const TrainingOutcome& t) {
  json j = json::object();
  training_fields(t, FieldWriter{j});
  return j;
}

TrainingOutcome training_outcome_from_json(const json& j) {
  TrainingOutcome t;
  training_fields(t, FieldReader{j, "training outcome"});
  return t;
}

json to_json(const ArchOutcome& a) {
  json j = json::object();
  arch_fields(a, FieldWriter{j});
  return j;
}

ArchOutcome arch_outcome_from_json(const json& j) {
  ArchOutcome a;
  arch_fields(a, FieldReader{j, "architecture outcome"});
  return a;
}

PointMetrics derive(const TrainingOutcome& t, const ArchOutcome& a) {
  PointMetrics m;
  if (!a.feasible) return m;  // no mapping: no time or energy to report
  m.time_per_step_us = a.cycles_per_step / a.clock_mhz;
  m.dynamic_energy_per_step_uJ = (a.arithmetic_pJ_per_step + a.sram_pJ_per_step + a.links_pJ_per_step) * 1e-6;
  m.static_energy_per_step_uJ = a.static_uW * m.time_per_step_us * 1e-6;
  m.energy_per_step_uJ = m.dynamic_energy_per_step_uJ + m.static_energy_per_step_uJ;
  if (t.steps > 0 && t.error.empty()) {
    const double steps = static_cast<double>(t.steps);
    m.time_to_train_us = steps * m.time_per_step_us;
    m.energy_to_train_uJ = steps * m.energy_per_step_uJ;
  }
  return m;
}

}  // namespace sheafsim::explore
