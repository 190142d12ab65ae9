#pragma once
// What `sheafsim compare` reports of one float-vs-fixed run (compare_run.h):
// per layer, the fixed run's counters and each quantity's value range against
// its format (clips, wastes integer bits); the findings; the final losses'
// gaps; and the files' forms (compare.json's run fields, trace.csv).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/analysis/compare_run.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/analysis/value_range.h"

namespace sheafsim {

struct QuantityCheck {
  Quantity quantity = Quantity::Z;
  fx::FixedFormat format;
  ValueRange float_range, fixed_range;
  std::uint64_t saturations = 0, lost_updates = 0;
  RangeVerdict verdict;
  double max_abs_diff = 0, max_rel_rms = 0;
};

struct LayerCheck {
  int layer = 1;
  std::array<std::uint64_t, kFxClasses> saturations{}, lost_updates{};  // per counter class
  std::vector<QuantityCheck> quantities;
};

// A format that clips, or one that wastes integer bits.
struct FormatFinding {
  std::string where, text;  // "layer1_W", what is wrong
  bool clips = false;
};

struct CompareSummary {
  std::vector<LayerCheck> layers;
  std::vector<FormatFinding> findings;
  std::array<double, kQuantities> worst_abs_diff{};  // per quantity, over layers and samples
  double train_loss_relative_gap = 0, test_loss_relative_gap = 0;
  bool float_diverged = false, fixed_diverged = false;
};

CompareSummary summarize(const CompareRun& run, const FixedConfig& cfg);

// Final-loss figures of one run ({train_loss, test_loss, train_accuracy, test_accuracy}; null when not finite).
nlohmann::json final_metrics(const TrainResult& r);

// compare.json's fields of the run: fixed, trace_samples, final, diverged, layers, findings, wall_time_s.
nlohmann::json to_json(const CompareRun& run, const CompareSummary& summary);

// trace.csv: one row per sampled step, layer and quantity.
std::string trace_csv(const CompareRun& run, const FixedConfig& cfg);

}  // namespace sheafsim
