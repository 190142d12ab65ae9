#pragma once
// One inference run of `sheafsim infer` (and of `simulate --mode infer`):
// diffusion with the input pinned, in float or in fixed point (bit-accurate,
// or a hardware model through a stepper factory), with the float run alongside
// on request; the outputs against the forward pass and the final discord.
// The request (InferSpec) is validated by whoever builds it; run_infer runs it
// and returns the figures (InferRun), to_json the report (docs/file-formats.md).
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/analysis/compare.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/discord.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/reference/network.h"

namespace sheafsim {

struct InferSpec {
  Network net;
  Dataset data;                 // its inputs (targets ignored)
  InferenceOptions opt;
  bool fixed = false;
  FixedConfig formats;
  bool compare_float = false;   // fixed: the float run too, for the stalks' differences
  FixedStepperFactory stepper;  // fixed: who computes the steps (empty: the bit-accurate model)
  long progress_every = 1000;   // steps between progress calls
  std::string net_file;         // for the report
  nlohmann::json settings;      // the report's settings
};

// Refuses an inference whose stalks (and the report's copy of every stalk of
// every sample) would not fit in memory or in the index range (resource_limits.h).
void check_inference_size(const Network& net, Eigen::Index samples, bool fixed, bool compare_float);

// Checks the fixed-point settings before the run: a warning when the
// accumulator has few guard bits; alpha*dt must not quantise to zero (InputError).
void check_fixed_inference(const FixedConfig& cfg, const InferenceOptions& opt, const Network& net,
                           Eigen::Index samples, const std::function<void(const std::string&)>& warn);

struct InferRun {
  InferenceResult result;
  std::optional<FixedRunInfo> fixed;
  std::optional<long> float_steps;  // compare_float: the float run's steps ...
  Difference vs_float;              // ... and its stalks against the fixed run's
  Matrix output;                    // the output vertex: z_L (identity output) or a_out
  Matrix forward_output;            // the forward pass's output
  double max_abs_error_vs_forward = 0;
  DiscordReport discord;            // of the final stalks
  // Some final stalk is not finite (the Euler steps diverged, alpha*dt too large):
  // the report says converged false and last_max_change null (not the step's 0).
  bool diverged = false;
};

InferRun run_infer(const InferSpec& spec, const InferenceProgress& progress = {});

// The inference report ("command": "infer"), every sample's stalks included.
nlohmann::json to_json(const InferSpec& spec, const InferRun& run);

}  // namespace sheafsim
