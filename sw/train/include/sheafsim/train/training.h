#pragma once
// What every trainer (sheaf, backprop SGD) reports: a loss history evaluated
// with the ordinary forward pass (sheaf-math.md §7.1), and run totals.
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "sheafsim/reference/dataset.h"
#include "sheafsim/base/run_control.h"

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
  // Ended by the run's TrainStop at its last history point.
  bool stopped = false;
};

// Called at every history point with (point, total steps).
using TrainProgress = std::function<void(const TrainPoint&, long)>;
// Asked at every history point: true ends the run there (a target reached, `sheafsim race`).
using TrainStop = std::function<bool(const TrainPoint&)>;

// The history point after `step` steps of a model that `evaluate(model,
// data)` scores (a Network, a SidModel): train and, with a test set, test metrics.
template <typename Model>
TrainPoint evaluate_point(const Model& model, const Dataset& train, const Dataset* test, long step) {
  TrainPoint pt;
  pt.step = step;
  pt.train = evaluate(model, train);
  if (test != nullptr) pt.test = evaluate(model, *test);
  return pt;
}

// The loop every trainer shares: `step(i)` advances step i (0-based) and
// returns whether it updated the parameters; `point(s)` evaluates the history
// point after s steps, taken at step 0, every `log_every` steps and at the
// last step. A SIGINT/SIGTERM ends the run at a step boundary, with a last
// history point there; `stop` (if set) ends it at the first history point it accepts.
template <typename Step, typename Point>
TrainResult run_training_steps(long steps, long log_every, const TrainProgress& progress, Step&& step,
                               Point&& point, const TrainStop& stop = {}) {
  const auto t0 = std::chrono::steady_clock::now();
  TrainResult r;
  auto record = [&](long s) {
    r.history.push_back(point(s));
    if (progress) progress(r.history.back(), steps);
    if (stop && stop(r.history.back())) r.stopped = true;
  };
  record(0);
  for (long i = 0; i < steps && !r.stopped; ++i) {
    if (interrupt_requested()) {
      r.interrupted = true;
      if (r.history.back().step != r.steps) record(r.steps);
      break;
    }
    if (step(i)) ++r.param_updates;
    r.steps = i + 1;
    if (r.steps % log_every == 0 || r.steps == steps) record(r.steps);
  }
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace sheafsim
