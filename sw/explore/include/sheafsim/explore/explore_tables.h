#pragma once
// The outputs of `sheafsim explore`: explore.csv (every point, its full
// design, training result, mesh figures and derived metrics), pareto.csv (the
// two fronts) and summary.json. Pure functions of their inputs: the same rows
// give byte-identical text however many processes computed them.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/explore/design_sample.h"
#include "sheafsim/explore/design_space.h"
#include "sheafsim/explore/point_outcome.h"

namespace sheafsim::explore {

struct ExploreRow {
  size_t point = 0;              // index in the sample
  DesignPoint settings;          // every key of axis_keys(), resolved, in that order (the CLI fills it)
  std::string training_key;      // which training run this point shares
  TrainingOutcome training;
  ArchOutcome arch;
};

struct ExploreTables {
  std::string explore_csv, pareto_csv;
  nlohmann::json summary;
};

// What the CLI knows about the run, recorded in the summary.
struct ExploreContext {
  nlohmann::json config;                 // the whole explore.toml as JSON, verbatim
  nlohmann::json run;                    // the training settings (task, network, data, method)
  nlohmann::json base_fixed, base_mesh;  // FixedConfig::to_json, MeshConfig::to_json of the base settings
  bool classification = false;
  bool has_test = true;
  nlohmann::json energy_table;           // name and provenance
  size_t training_runs = 0;
};

// The quality objective: test (else train) accuracy, maximised, for a
// classification; test (else train) loss, minimised, for a regression.
struct QualityObjective {
  std::string column;     // an explore.csv column: test_accuracy, train_accuracy, test_loss or train_loss
  bool higher_is_better;
};
QualityObjective quality_objective(const ExploreContext& ctx);

// The explore.csv column of an axis key ("acc" -> "acc_bits", "link-width" ->
// "link_width_bits", ...); throws InputError for an unknown key.
std::string design_column(const std::string& key);

// Rows are written in point order (whatever order they arrive in). Fronts, over
// feasible, non-diverged points with finite objectives: "accuracy_energy_area"
// (quality, energy_to_train_uJ, area_mm2) and "accuracy_time" (quality,
// time_to_train_us), each listed best quality first, ties by point.
ExploreTables make_tables(const DesignSpace& space, const Sample& sample, const std::vector<ExploreRow>& rows,
                          const ExploreContext& ctx);

}  // namespace sheafsim::explore
