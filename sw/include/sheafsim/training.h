#pragma once
// What every trainer (sheaf, backprop SGD) reports: a loss history evaluated
// with the ordinary forward pass (sheaf-math.md §7.1), and run totals.
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "sheafsim/dataset.h"

namespace sheafsim {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Metrics {
  double loss = kNaN;      // MSE (identity) or cross-entropy (sigmoid/softmax)
  double accuracy = kNaN;  // classification only
};
Metrics evaluate(const Network& net, const Dataset& data);

struct TrainPoint {
  long step = 0;
  Metrics train, test;            // test is NaN without a test set
  double discord_total = kNaN;    // sheaf: 2 E_batch / B (sheaf-math §10.1); SGD: NaN
};

struct TrainResult {
  std::vector<TrainPoint> history;  // step 0, every log_every steps, and the last step
  long steps = 0;
  long param_updates = 0;
  double wall_s = 0.0;
  // Stopped early by SIGINT/SIGTERM (run_control.h) after `steps` steps; the
  // history then ends with a point at that step.
  bool interrupted = false;
};

// Called at every history point with (point, total steps).
using TrainProgress = std::function<void(const TrainPoint&, long)>;

}  // namespace sheafsim
