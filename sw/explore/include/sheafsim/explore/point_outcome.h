#pragma once
// What `sheafsim explore` learns about one design point: the training run of
// its numeric setting (shared by every architecture with that setting) and its
// mesh evaluation, their exact JSON forms (points may be computed on other MPI
// ranks) and the metrics derived from the two.
#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

namespace sheafsim::explore {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One training run (one per distinct numeric + training setting) in the bit-accurate model.
struct TrainingOutcome {
  long steps = 0;
  double train_loss = kNaN, test_loss = kNaN;          // test: NaN without a test set
  double train_accuracy = kNaN, test_accuracy = kNaN;  // NaN for regression
  bool diverged = false;
  std::uint64_t saturations = 0, lost_updates = 0;
  std::string error;  // non-empty: the run could not start (e.g. a constant that quantises to zero)
};

// The mesh evaluation of one design point.
struct ArchOutcome {
  bool feasible = true;
  std::string reason;  // infeasible: why (the mapping does not fit, ...)
  double cycles_per_step = kNaN, mac_utilisation = kNaN, link_utilisation = kNaN;
  long simulated_steps = 0;
  std::uint64_t pes = 0, links = 0, sram_bits = 0;
  long peak_sram_bits_per_pe = 0;
  double arithmetic_pJ_per_step = 0, sram_pJ_per_step = 0, links_pJ_per_step = 0;  // dynamic energy per step
  double static_uW = 0;  // leakage of the whole mesh
  double clock_mhz = kNaN;
  std::string clock_source;
  double area_mm2 = kNaN;
  std::string area_basis;
};

// Exact round trips: doubles as JSON numbers (printed in the shortest form
// that reads back to the same double), non-finite values as the strings "nan",
// "inf", "-inf" (JSON has none). The readers throw InputError naming a missing
// or mistyped field.
nlohmann::json to_json(const TrainingOutcome& t);
TrainingOutcome training_outcome_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ArchOutcome& a);
ArchOutcome arch_outcome_from_json(const nlohmann::json& j);

// Derived per point, for the tables. NaN where an input is NaN; every field
// NaN for an infeasible architecture; the to-train totals NaN when training
// failed (`error`) or has no steps.
struct PointMetrics {
  double time_per_step_us = kNaN;            // cycles_per_step / clock_mhz
  double dynamic_energy_per_step_uJ = kNaN;  // (arithmetic + SRAM + links) pJ x 1e-6
  double static_energy_per_step_uJ = kNaN;   // static_uW x time_per_step_us x 1e-6
  double energy_per_step_uJ = kNaN;          // dynamic + static
  double time_to_train_us = kNaN;            // steps x time_per_step_us
  double energy_to_train_uJ = kNaN;          // steps x energy_per_step_uJ
};

PointMetrics derive(const TrainingOutcome& t, const ArchOutcome& a);

}  // namespace sheafsim::explore
