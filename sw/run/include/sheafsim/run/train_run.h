#pragma once
// One training run of `sheafsim train` (and of `simulate`'s training mode):
// sheaf diffusion in float or in fixed point (bit-accurate, or a hardware
// model through a stepper factory), with the float reference alongside on
// request; full-batch backprop SGD; or SID. The request (TrainSpec) is
// validated by whoever builds it; run_train trains and returns the figures
// (TrainRun), to_json the report (docs/file-formats.md, "Training report").
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/analysis/compare.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/discord.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/train/sgd_trainer.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/train/sid_trainer.h"
#include "sheafsim/train/training.h"

namespace sheafsim {

// The network and the data of a run, with their descriptions for the report.
struct TrainData {
  Network net;
  Dataset train, test;  // test: no samples when there is none
  nlohmann::json net_source, data_source;
  const Dataset* test_set() const { return test.size() > 0 ? &test : nullptr; }
};

struct TrainSpec {
  TrainData data;
  std::string method = "sheaf";  // sheaf, sgd or sid
  long steps = 0, log_every = 1000;
  nlohmann::json settings;       // the report's settings (sheaf, sgd); SID's come from its run
  SheafTrainOptions sheaf;
  SgdOptions sgd;
  SidOptions sid;
  bool fixed = false;            // sheaf or sgd in fixed point
  FixedConfig formats;
  bool compare_float = false;    // fixed: the float run too, for the differences
  FixedStepperFactory stepper;   // fixed sheaf: who computes the steps (empty: the bit-accurate model)
  FixedSgdStepperFactory sgd_stepper;  // fixed sgd: the same
};

// Checks the fixed-point settings of a sheaf run before it starts: a warning
// when the accumulator has few guard bits; alpha*dt and beta*dt must not
// quantise to zero (InputError).
void check_fixed_training(const FixedConfig& cfg, const SheafTrainOptions& opt, const std::vector<int>& layers,
                          Eigen::Index n_train, const std::function<void(const std::string&)>& warn);

// The same for a fixed-point SGD run: the accumulator warning, and the step
// constant lr * gradient scale must not quantise to zero (InputError).
void check_fixed_sgd(const FixedConfig& cfg, const SgdOptions& opt, const Network& net, Eigen::Index n_train,
                     const std::function<void(const std::string&)>& warn);

// The fixed-point run against the float run of the same request.
struct FloatComparison {
  double float_train_loss = 0, fixed_train_loss = 0, float_test_loss = 0;
  double train_loss_relative_gap = 0;
  Difference weights, stalks;
};

// What SID trained (sid_trainer.h): its architecture, MACs and per-module metrics.
struct SidSummary {
  nlohmann::json settings;
  std::vector<int> extractor;
  int features = 0, classes = 0, modules = 0, hidden = 0;
  std::uint64_t parameters = 0;
  SidMacCount macs;
  std::vector<Metrics> per_module_train, per_module_test;  // test: one per module, NaN without test data
};

struct TrainRun {
  Network net;  // trained
  TrainResult result;
  std::optional<FixedRunInfo> fixed;         // fixed point: formats, constants, counters
  std::optional<FloatComparison> vs_float;   // fixed point with compare_float
  std::optional<SidSummary> sid;             // method sid
  std::optional<DiscordReport> discord;      // sheaf: the final discord on the (pinned) training data
};

// Trains spec.data.net (a copy: the trained network is in the result).
// `progress` follows the run (not the float reference of compare_float).
TrainRun run_train(const TrainSpec& spec, const TrainProgress& progress = {});

// The register writes that can lose an update in a fixed-point run (the
// denominator of lost_updates_fraction): stalks and parameters for sheaf,
// weights and biases for sgd.
std::uint64_t update_writes(const TrainSpec& spec, const TrainRun& run);

// The training report ("command": "train").
nlohmann::json to_json(const TrainSpec& spec, const TrainRun& run);

}  // namespace sheafsim
