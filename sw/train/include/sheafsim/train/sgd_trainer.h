#pragma once
// The backpropagation baseline: full-batch gradient descent on the loss of
// activation.h (MSE for identity output, cross-entropy for sigmoid/softmax),
// on the same network format, so sheaf training is compared on equal footing.
#include "sheafsim/bitacc/sgd_stepper.h"
#include "sheafsim/train/training.h"

namespace sheafsim {

struct SgdOptions {
  double lr = 0.005;
  long steps = 1000;  // full-batch gradient steps
  long log_every = 1000;
  TrainStop stop;  // optional: ends the run at the first history point it accepts
};

struct Gradients {
  std::vector<Matrix> W;
  std::vector<Vector> b;
};

// Forward pass, backward pass and update with buffers sized once per batch.
class SgdTrainer {
 public:
  SgdTrainer(const Network& net, Eigen::Index batch);
  // d(loss)/d(theta) by backpropagation on the whole batch (into gradients()).
  const Gradients& compute_gradients(const Network& net, const Dataset& data);
  // One full-batch step theta -= lr * gradient.
  void step(Network& net, const Dataset& data, double lr);

 private:
  std::vector<Matrix> z_, a_;  // forward pass
  Matrix delta_, back_;
  Gradients g_;
};

TrainResult train_sgd(Network& net, const Dataset& train, const Dataset* test, const SgdOptions& opt,
                      const TrainProgress& progress = {});

// The same in fixed point (docs/fixed-point.md §4.2): the network and the data
// are quantised once, every step runs on the stepper the factory makes (empty:
// the bit-accurate model FixedSgd; the SystemC mesh's SGD step otherwise) with
// eta = sgd::step_constant(lr, ...), and losses are those of the float forward
// pass of the fixed-point weights. `info` receives the formats, counters and constant.
TrainResult train_sgd_fixed(Network& net, const Dataset& train, const Dataset* test, const SgdOptions& opt,
                            const FixedConfig& cfg, const TrainProgress& progress = {}, FixedRunInfo* info = nullptr,
                            const FixedSgdStepperFactory& make_stepper = {});

}  // namespace sheafsim
