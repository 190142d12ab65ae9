#pragma once
// SID, Synergistic Information Distillation (../shared/docs/sid.md): a local
// learning rule to set beside sheaf training and backprop. A shared feature
// extractor phi computes h = phi(x) once; a cascade of M modules refines a
// class belief, module k reading [p_{k-1}; h] and emitting logits z_k,
// p_k = softmax(z_k), p_0 uniform. Module k is trained on its own loss
//   L_k = alpha KL(y~ || p_k) + (1 - alpha) KL(sg(t_{k-1}) || p_k)
// (forward KL, the original release, sid.md §3.2), whose error at the logits
// is p_k - (alpha y~ + (1 - alpha) t_{k-1}) (§3.4). One step has two phases
// (§4.1): phase 1 runs the cascade without gradients to get the teacher
// beliefs t_k; phase 2 recomputes every module from t_{k-1} and h,
// backpropagates inside the module only (and into h), and phi is trained by
// ordinary backprop on sum_k dL_k/dh.
//
// The MLP reading of the architecture is the one `sheafsim ops --method sid`
// counts (op_counts.h, docs/ops.md §2): phi is the network's layers
// n0 .. n_{L-1} (ReLU between them, last layer affine, h = z_{L-1}; no phi
// when L = 1, h = x), C = n_L classes, modules Linear(d + C -> H) - ReLU -
// Linear(H -> C). Training is full-batch gradient descent with one step size
// for every parameter, as the SGD baseline (docs/validation.md "SID").
#include <cstdint>

#include "sheafsim/train/training.h"

namespace sheafsim {

struct SidOptions {
  double lr = 0.005;       // gradient step of every parameter (phi and modules)
  double alpha = 0.5;      // fidelity weight, in (0, 1] (sid.md §3.2)
  double smoothing = 0.0;  // label smoothing epsilon in [0, 1): y~ = (1 - eps) y + eps / C
  int modules = 4;         // M
  int hidden = 0;          // H; 0: twice the features (2 d, SimpleCNN's 128 -> 256)
  long steps = 1000;       // full-batch steps
  long log_every = 1000;
  std::uint64_t seed = 42;  // initialisation of the modules
  TrainStop stop;           // optional: ends the run at the first history point it accepts
};

// Throws InputError naming the option (--lr, --sid-alpha, --sid-smoothing, ...).
void validate(const SidOptions& opt);

// One module: r = ReLU(W1 [t; h] + b1), z = W2 r + b2. W1's first C columns read
// the belief t, the other d the features h.
struct SidModule {
  Matrix W1, W2;
  Vector b1, b2;
};

struct SidModel {
  std::vector<Matrix> W;  // phi's layers: W[k] is n_{k+1} x n_k, k = 0 .. L-2
  std::vector<Vector> b;
  std::vector<SidModule> modules;
  int inputs = 0, features = 0, classes = 0, hidden = 0;

  // phi from the network's first L - 1 layers (their weights and biases);
  // modules He-initialised (N(0, 2 / fan_in), zero biases) from `seed`, module 1
  // first, W1 before W2, column-major.
  static SidModel from_network(const Network& net, int modules, int hidden, std::uint64_t seed);
  std::uint64_t num_parameters() const;  // weights and biases of phi and the modules
  Matrix features_of(const Matrix& X) const;  // h = phi(X), d x B
  // Inference (sid.md §2.2): the logits z_1 .. z_M of the ordinary cascade from p_0 uniform.
  std::vector<Matrix> cascade_logits(const Matrix& X) const;
};

// The local loss and its error, per sample as columns (sid.md §3.2, §3.4).
// Z: logits, Yt: the (smoothed) target distribution y~, T: the teacher belief
// t_{k-1}; every column of Yt and T sums to 1.
// Mean over the columns of alpha KL(y~ || p) + (1 - alpha) KL(t || p), 0 log 0 = 0.
double sid_local_loss(const Matrix& Z, const Matrix& Yt, const Matrix& T, double alpha);
// softmax(Z) - (alpha Yt + (1 - alpha) T): the gradient of the summed (not mean) loss in Z.
Matrix sid_local_error(const Matrix& Z, const Matrix& Yt, const Matrix& T, double alpha);
// y~ = (1 - eps) Y + eps / C for one-hot Y.
Matrix sid_smoothed_targets(const Matrix& Y, double smoothing);

// sum_k L_k at the current parameters with the teacher beliefs T[k - 1] held
// fixed (stop-gradient): the function whose gradient one SID step follows.
double sid_total_loss(const SidModel& m, const Matrix& X, const Matrix& Yt, const std::vector<Matrix>& T,
                      double alpha);

// Multiply-accumulates one step performs, by the phases of op_counts' SidCounts.
struct SidMacCount {
  std::uint64_t extractor_forward = 0, phase1 = 0, phase2 = 0, extractor_backward = 0;
  std::uint64_t softmax_evaluations = 0;  // entries of softmax(z) computed
  std::uint64_t total() const { return extractor_forward + phase1 + phase2 + extractor_backward; }
};

struct SidGradients {
  std::vector<Matrix> W;
  std::vector<Vector> b;
  std::vector<SidModule> modules;
};

// The two-phase step on a whole batch with buffers sized once.
class SidTrainer {
 public:
  SidTrainer(const SidModel& m, Eigen::Index batch);
  // Phase 1 and phase 2 and phi's backward pass: the gradients of sum_k L_k
  // with the teachers fixed (into gradients(), teachers()). Yt is y~.
  const SidGradients& compute_gradients(const SidModel& m, const Matrix& X, const Matrix& Yt, double alpha);
  // compute_gradients, then theta -= lr * gradient for every parameter.
  void step(SidModel& m, const Matrix& X, const Matrix& Yt, double alpha, double lr);
  // Teacher beliefs of the last step: T[0] = uniform, T[k] = t_k (k = 1 .. M).
  const std::vector<Matrix>& teachers() const { return t_; }
  // Phase-2 logits of the last step (equal to phase 1's: same parameters and inputs).
  const std::vector<Matrix>& phase2_logits() const { return z2_; }
  const SidMacCount& last_step_macs() const { return macs_; }

 private:
  void forward_module(const SidModule& mod, const Matrix& t, const Matrix& h, Matrix& pre, Matrix& z,
                      std::uint64_t& macs);
  std::vector<Matrix> z_, a_;  // phi's forward pass
  Matrix gh_, delta_, back_, pre_, z1_, e_, r_;  // r_: the module's ReLU output
  std::vector<Matrix> t_, z2_;
  SidGradients g_;
  SidMacCount macs_;
};

// Loss and accuracy of the cascade's last belief p_M (cross-entropy averaged
// over samples, argmax), and of every p_k (index k - 1).
Metrics evaluate(const SidModel& m, const Dataset& data);
std::vector<Metrics> evaluate_per_module(const SidModel& m, const Dataset& data);

// Full-batch SID training; the history's losses and accuracies are those of
// the ordinary cascade inference (sid.md §2.2). `macs`, when given, receives
// the count of one training step.
TrainResult train_sid(SidModel& m, const Dataset& train, const Dataset* test, const SidOptions& opt,
                      const TrainProgress& progress = {}, SidMacCount* macs = nullptr);

}  // namespace sheafsim
