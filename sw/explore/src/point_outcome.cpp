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

}  // namespace

json to_json(const TrainingOutcome& t) {
  return {{"steps", t.steps},
          {"train_loss", number(t.train_loss)},
          {"test_loss", number(t.test_loss)},
          {"train_accuracy", number(t.train_accuracy)},
          {"test_accuracy", number(t.test_accuracy)},
          {"diverged", t.diverged},
          {"saturations", t.saturations},
          {"lost_updates", t.lost_updates},
          {"error", t.error}};
}

TrainingOutcome training_outcome_from_json(const json& j) {
  const char* what = "training outcome";
  TrainingOutcome t;
  t.steps = read_integer<long>(j, what, "steps");
  t.train_loss = read_double(j, what, "train_loss");
  t.test_loss = read_double(j, what, "test_loss");
  t.train_accuracy = read_double(j, what, "train_accuracy");
  t.test_accuracy = read_double(j, what, "test_accuracy");
  t.diverged = read_bool(j, what, "diverged");
  t.saturations = read_integer<std::uint64_t>(j, what, "saturations");
  t.lost_updates = read_integer<std::uint64_t>(j, what, "lost_updates");
  t.error = read_string(j, what, "error");
  return t;
}

json to_json(const ArchOutcome& a) {
  return {{"feasible", a.feasible},
          {"reason", a.reason},
          {"cycles_per_step", number(a.cycles_per_step)},
          {"mac_utilisation", number(a.mac_utilisation)},
          {"link_utilisation", number(a.link_utilisation)},
          {"simulated_steps", a.simulated_steps},
          {"pes", a.pes},
          {"links", a.links},
          {"sram_bits", a.sram_bits},
          {"peak_sram_bits_per_pe", a.peak_sram_bits_per_pe},
          {"arithmetic_pJ_per_step", number(a.arithmetic_pJ_per_step)},
          {"sram_pJ_per_step", number(a.sram_pJ_per_step)},
          {"links_pJ_per_step", number(a.links_pJ_per_step)},
          {"static_uW", number(a.static_uW)},
          {"clock_mhz", number(a.clock_mhz)},
          {"clock_source", a.clock_source},
          {"area_mm2", number(a.area_mm2)},
          {"area_basis", a.area_basis}};
}

ArchOutcome arch_outcome_from_json(const json& j) {
  const char* what = "architecture outcome";
  ArchOutcome a;
  a.feasible = read_bool(j, what, "feasible");
  a.reason = read_string(j, what, "reason");
  a.cycles_per_step = read_double(j, what, "cycles_per_step");
  a.mac_utilisation = read_double(j, what, "mac_utilisation");
  a.link_utilisation = read_double(j, what, "link_utilisation");
  a.simulated_steps = read_integer<long>(j, what, "simulated_steps");
  a.pes = read_integer<std::uint64_t>(j, what, "pes");
  a.links = read_integer<std::uint64_t>(j, what, "links");
  a.sram_bits = read_integer<std::uint64_t>(j, what, "sram_bits");
  a.peak_sram_bits_per_pe = read_integer<long>(j, what, "peak_sram_bits_per_pe");
  a.arithmetic_pJ_per_step = read_double(j, what, "arithmetic_pJ_per_step");
  a.sram_pJ_per_step = read_double(j, what, "sram_pJ_per_step");
  a.links_pJ_per_step = read_double(j, what, "links_pJ_per_step");
  a.static_uW = read_double(j, what, "static_uW");
  a.clock_mhz = read_double(j, what, "clock_mhz");
  a.clock_source = read_string(j, what, "clock_source");
  a.area_mm2 = read_double(j, what, "area_mm2");
  a.area_basis = read_string(j, what, "area_basis");
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
