#pragma once
// The float golden reference and the fixed-point model trained side by side
// on the same network, data, seeds and steps, with a trace of their
// differences per layer and quantity (z, a, W, b) every `trace_every` steps,
// so a divergence can be located in layer and time (`sheafsim compare`).
#include <vector>

#include "sheafsim/analysis/compare.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/analysis/value_range.h"

namespace sheafsim {

// One sampled step of one quantity of one layer.
struct TraceRow {
  long step = 0;
  int layer = 1;  // 1..L
  Quantity quantity = Quantity::Z;
  Difference diff;             // fixed - float: max |.|, RMS
  double rel_rms = 0.0;        // ||fixed - float||_F / ||float||_F (0 when both are 0, NaN when only float is)
  ValueRange float_range, fixed_range;  // at this step
};

// A layer's quantity over the whole run (every sampled step).
struct QuantityRanges {
  int layer = 1;
  Quantity quantity = Quantity::Z;
  ValueRange float_range, fixed_range;
  double max_abs_diff = 0.0;   // the largest max |fixed - float| of any sample
  double max_rel_rms = 0.0;    // the largest relative RMS difference of any sample
};

struct CompareRun {
  TrainResult float_result, fixed_result;
  Network float_net, fixed_net;     // trained
  FixedRunInfo info;                // formats, constants, per-layer counters
  std::vector<TraceRow> trace;      // step-major, then layer, then z, a, W, b
  std::vector<QuantityRanges> ranges;  // layer-major, then z, a, W, b
};

// The layers' quantities in trace order: (layer, quantity) for z, a (hidden
// layers only), W, b of layers 1..L.
std::vector<std::pair<int, Quantity>> traced_quantities(int depth);

// One sample's rows: fixed against float at `step`.
std::vector<TraceRow> compare_sample(long step, const Network& float_net, const SheafState& float_state,
                                     const Network& fixed_net, const SheafState& fixed_state);

// Trains copies of `start` in float and in fixed point (by `make_stepper`,
// default the bit-accurate model) from the same seeds, the float run on a
// second thread in lockstep with the fixed one (at most a few samples apart,
// so memory stays bounded). `trace_every` >= 1. `progress` follows the fixed run.
CompareRun run_compare(const Network& start, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                       const FixedConfig& cfg, long trace_every, const FixedStepperFactory& make_stepper = {},
                       const TrainProgress& progress = {});

}  // namespace sheafsim
