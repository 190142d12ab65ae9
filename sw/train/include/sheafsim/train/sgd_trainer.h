#pragma once
// The backpropagation baseline: full-batch gradient descent on the loss of
// activation.h (MSE for identity output, cross-entropy for sigmoid/softmax),
// on the same network format, so sheaf training is compared on equal footing.
#include "sheafsim/train/training.h"

namespace sheafsim {

struct SgdOptions {
  double lr = 0.005;
  long steps = 1000;  // full-batch gradient steps
  long log_every = 1000;
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

}  // namespace sheafsim
