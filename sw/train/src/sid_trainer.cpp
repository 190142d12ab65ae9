#include "sheafsim/train/sid_trainer.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/reference/activation.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/reference/settings.h"

namespace sheafsim {
namespace {

std::uint64_t macs_of(Eigen::Index rows, Eigen::Index inner, Eigen::Index cols) {
  return static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(inner) * static_cast<std::uint64_t>(cols);
}

Matrix he_matrix(Rng& rng, int rows, int cols) {
  const double std = std::sqrt(2.0 / cols);
  Matrix W(rows, cols);
  for (int i = 0; i < rows; ++i)  // row-major, as Network::he_init
    for (int j = 0; j < cols; ++j) W(i, j) = rng.normal(0.0, std);
  return W;
}

// z = W2 ReLU(W1 [t; h] + b1) + b2, without bookkeeping (inference, loss evaluation).
Matrix module_logits(const SidModule& mod, const Matrix& t, const Matrix& h) {
  const Eigen::Index C = t.rows();
  Matrix pre = mod.W1.leftCols(C) * t;
  pre.noalias() += mod.W1.rightCols(h.rows()) * h;
  pre.colwise() += mod.b1;
  Matrix z = mod.W2 * pre.cwiseMax(0.0);
  z.colwise() += mod.b2;
  return z;
}

// log softmax(Z), columnwise, without overflow.
Matrix log_softmax(const Matrix& Z) {
  Matrix out(Z.rows(), Z.cols());
  for (Eigen::Index c = 0; c < Z.cols(); ++c) {
    const double m = Z.col(c).maxCoeff();
    const double lse = m + std::log((Z.col(c).array() - m).exp().sum());
    out.col(c) = Z.col(c).array() - lse;
  }
  return out;
}

// sum_i a_i log a_i over a column, with 0 log 0 = 0.
double neg_entropy(const Eigen::Ref<const Vector>& a) {
  double s = 0.0;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (a(i) > 0.0) s += a(i) * std::log(a(i));
  return s;
}

}  // namespace

void validate(const SidOptions& opt) {
  require_positive(opt.lr, "--lr");
  if (!std::isfinite(opt.alpha) || opt.alpha <= 0.0 || opt.alpha > 1.0)
    throw InputError(fmt::format("--sid-alpha = {} must be a finite number in (0, 1]", opt.alpha));
  if (!std::isfinite(opt.smoothing) || opt.smoothing < 0.0 || opt.smoothing >= 1.0)
    throw InputError(fmt::format("--sid-smoothing = {} must be a finite number in [0, 1)", opt.smoothing));
  require_count(opt.modules, "--sid-modules", 1, 100000);
  require_count(opt.hidden, "--sid-hidden", 0, 1L << 24);
}

SidModel SidModel::from_network(const Network& net, int modules, int hidden, std::uint64_t seed) {
  if (net.output != OutputKind::Softmax)
    throw InputError(fmt::format("--method sid trains a classifier over beliefs: it needs a softmax output "
                                 "(this network's output is {})",
                                 to_string(net.output)));
  if (net.outputs() < 2) throw InputError("--method sid needs at least 2 classes (n_L >= 2)");
  require_count(modules, "--sid-modules", 1, 100000);
  require_count(hidden, "--sid-hidden", 0, 1L << 24);
  SidModel m;
  const int L = net.depth();
  for (int k = 0; k + 1 < L; ++k) {
    m.W.push_back(net.W[static_cast<size_t>(k)]);
    m.b.push_back(net.b[static_cast<size_t>(k)]);
  }
  m.inputs = net.inputs();
  m.features = net.layers[static_cast<size_t>(L - 1)];  // n_{L-1}, or n0 without phi
  m.classes = net.outputs();
  m.hidden = hidden > 0 ? hidden : 2 * m.features;
  Rng rng(seed);
  for (int k = 0; k < modules; ++k) {
    SidModule mod;
    mod.W1 = he_matrix(rng, m.hidden, m.classes + m.features);
    mod.W2 = he_matrix(rng, m.classes, m.hidden);
    mod.b1 = Vector::Zero(m.hidden);
    mod.b2 = Vector::Zero(m.classes);
    m.modules.push_back(std::move(mod));
  }
  return m;
}

std::uint64_t SidModel::num_parameters() const {
  std::uint64_t n = 0;
  for (size_t k = 0; k < W.size(); ++k) n += static_cast<std::uint64_t>(W[k].size() + b[k].size());
  for (const SidModule& mod : modules)
    n += static_cast<std::uint64_t>(mod.W1.size() + mod.b1.size() + mod.W2.size() + mod.b2.size());
  return n;
}

Matrix SidModel::features_of(const Matrix& X) const {
  Matrix h = X;
  for (size_t k = 0; k < W.size(); ++k) {
    Matrix z = W[k] * h;
    z.colwise() += b[k];
    h = k + 1 < W.size() ? Matrix(z.cwiseMax(0.0)) : z;  // phi's last layer is affine
  }
  return h;
}

std::vector<Matrix> SidModel::cascade_logits(const Matrix& X) const {
  const Matrix h = features_of(X);
  Matrix p = Matrix::Constant(classes, X.cols(), 1.0 / classes);
  std::vector<Matrix> zs;
  for (const SidModule& mod : modules) {
    zs.push_back(module_logits(mod, p, h));
    p = apply_output(OutputKind::Softmax, zs.back());
  }
  return zs;
}

double sid_local_loss(const Matrix& Z, const Matrix& Yt, const Matrix& T, double alpha) {
  const Matrix logp = log_softmax(Z);
  double total = 0.0;
  for (Eigen::Index c = 0; c < Z.cols(); ++c) {
    const double kl_y = neg_entropy(Yt.col(c)) - Yt.col(c).dot(logp.col(c));
    const double kl_t = neg_entropy(T.col(c)) - T.col(c).dot(logp.col(c));
    total += alpha * kl_y + (1.0 - alpha) * kl_t;
  }
  return total / static_cast<double>(Z.cols());
}

Matrix sid_local_error(const Matrix& Z, const Matrix& Yt, const Matrix& T, double alpha) {
  return apply_output(OutputKind::Softmax, Z) - (alpha * Yt + (1.0 - alpha) * T);
}

Matrix sid_smoothed_targets(const Matrix& Y, double smoothing) {
  return ((1.0 - smoothing) * Y.array() + smoothing / static_cast<double>(Y.rows())).matrix();
}

double sid_total_loss(const SidModel& m, const Matrix& X, const Matrix& Yt, const std::vector<Matrix>& T,
                      double alpha) {
  const Matrix h = m.features_of(X);
  double total = 0.0;
  for (size_t k = 0; k < m.modules.size(); ++k)
    total += sid_local_loss(module_logits(m.modules[k], T[k], h), Yt, T[k], alpha);
  return total;
}

SidTrainer::SidTrainer(const SidModel& m, Eigen::Index batch) {
  const size_t E = m.W.size();
  for (size_t k = 0; k < E; ++k) {
    z_.emplace_back(m.W[k].rows(), batch);
    if (k + 1 < E) a_.emplace_back(m.W[k].rows(), batch);
    g_.W.push_back(Matrix::Zero(m.W[k].rows(), m.W[k].cols()));
    g_.b.push_back(Vector::Zero(m.b[k].size()));
  }
  for (const SidModule& mod : m.modules)
    g_.modules.push_back({Matrix::Zero(mod.W1.rows(), mod.W1.cols()), Matrix::Zero(mod.W2.rows(), mod.W2.cols()),
                          Vector::Zero(mod.b1.size()), Vector::Zero(mod.b2.size())});
  t_.assign(m.modules.size() + 1, Matrix(m.classes, batch));
  z2_.assign(m.modules.size(), Matrix(m.classes, batch));
}

void SidTrainer::forward_module(const SidModule& mod, const Matrix& t, const Matrix& h, Matrix& pre, Matrix& z,
                                std::uint64_t& macs) {
  const Eigen::Index C = t.rows(), d = h.rows(), H = mod.W1.rows(), B = h.cols();
  pre.noalias() = mod.W1.leftCols(C) * t;
  pre.noalias() += mod.W1.rightCols(d) * h;
  pre.colwise() += mod.b1;
  r_ = pre.cwiseMax(0.0);  // r, kept until the module's backward pass
  z.noalias() = mod.W2 * r_;
  z.colwise() += mod.b2;
  macs += macs_of(H, C + d, B) + macs_of(z.rows(), H, B);
}

const SidGradients& SidTrainer::compute_gradients(const SidModel& m, const Matrix& X, const Matrix& Yt,
                                                  double alpha) {
  macs_ = {};
  const size_t E = m.W.size(), M = m.modules.size();
  const Eigen::Index B = X.cols(), C = m.classes;
  // phi forward, once; h = z of its last layer (affine), or the input without phi.
  for (size_t k = 0; k < E; ++k) {
    const Matrix& prev = k == 0 ? X : a_[k - 1];
    z_[k].noalias() = m.W[k] * prev;
    z_[k].colwise() += m.b[k];
    macs_.extractor_forward += macs_of(m.W[k].rows(), m.W[k].cols(), B);
    if (k + 1 < E) a_[k] = z_[k].cwiseMax(0.0);
  }
  const Matrix& h = E > 0 ? z_.back() : X;
  const Eigen::Index d = h.rows();

  // Phase 1: the teacher beliefs, sequential in k, no gradients.
  t_[0].setConstant(1.0 / static_cast<double>(C));
  for (size_t k = 0; k < M; ++k) {
    forward_module(m.modules[k], t_[k], h, pre_, z1_, macs_.phase1);
    t_[k + 1] = apply_output(OutputKind::Softmax, z1_);
  }

  // Phase 2: every module on its own, from sg(t_{k-1}) and h. The recomputed
  // forward equals phase 1's in value; it is kept because each module's worker
  // runs it with its own activations (sid.md §4.1, and what ops counts).
  if (E > 0) gh_.setZero(d, B);
  const double inv_b = 1.0 / static_cast<double>(B);
  for (size_t k = 0; k < M; ++k) {
    const SidModule& mod = m.modules[k];
    SidModule& g = g_.modules[k];
    forward_module(mod, t_[k], h, pre_, z2_[k], macs_.phase2);
    // dL_k/dz_k for the batch mean: (p_k - (alpha y~ + (1 - alpha) t_{k-1})) / B.
    e_ = sid_local_error(z2_[k], Yt, t_[k], alpha) * inv_b;
    const Eigen::Index H = mod.W1.rows();
    g.W2.noalias() = e_ * r_.transpose();
    g.b2.noalias() = e_.rowwise().sum();
    back_.noalias() = mod.W2.transpose() * e_;
    // ReLU derivative: 1 for a positive pre-activation, 0 otherwise (as the SGD baseline).
    back_ = (pre_.array() > 0.0).select(back_, 0.0);
    g.W1.leftCols(C).noalias() = back_ * t_[k].transpose();
    g.W1.rightCols(d).noalias() = back_ * h.transpose();
    g.b1.noalias() = back_.rowwise().sum();
    macs_.phase2 += 2 * macs_of(C, H, B) + macs_of(H, C + d, B);
    // Into h only: the belief input is a stop-gradient, and without phi h is the data.
    if (E > 0) {
      gh_.noalias() += mod.W1.rightCols(d).transpose() * back_;
      macs_.phase2 += macs_of(d, H, B);
    }
  }
  macs_.softmax_evaluations = 2 * macs_of(static_cast<Eigen::Index>(M), C, B);

  // phi backward on sum_k dL_k/dh: ordinary backprop inside phi (no input gradient for its first layer).
  if (E > 0) delta_ = gh_;
  for (size_t k = E; k-- > 0;) {
    const Matrix& prev = k == 0 ? X : a_[k - 1];
    g_.W[k].noalias() = delta_ * prev.transpose();
    g_.b[k].noalias() = delta_.rowwise().sum();
    macs_.extractor_backward += macs_of(m.W[k].rows(), m.W[k].cols(), B);
    if (k > 0) {
      back_.noalias() = m.W[k].transpose() * delta_;
      macs_.extractor_backward += macs_of(m.W[k].rows(), m.W[k].cols(), B);
      delta_ = (z_[k - 1].array() > 0.0).select(back_, 0.0);
    }
  }
  return g_;
}

void SidTrainer::step(SidModel& m, const Matrix& X, const Matrix& Yt, double alpha, double lr) {
  compute_gradients(m, X, Yt, alpha);
  for (size_t k = 0; k < m.W.size(); ++k) {
    m.W[k].noalias() -= lr * g_.W[k];
    m.b[k].noalias() -= lr * g_.b[k];
  }
  for (size_t k = 0; k < m.modules.size(); ++k) {
    SidModule& mod = m.modules[k];
    const SidModule& g = g_.modules[k];
    mod.W1.noalias() -= lr * g.W1;
    mod.b1.noalias() -= lr * g.b1;
    mod.W2.noalias() -= lr * g.W2;
    mod.b2.noalias() -= lr * g.b2;
  }
}

std::vector<Metrics> evaluate_per_module(const SidModel& m, const Dataset& data) {
  std::vector<Metrics> out(m.modules.size());
  if (data.size() == 0 || !data.has_targets()) return out;
  const std::vector<Matrix> zs = m.cascade_logits(data.X);
  for (size_t k = 0; k < zs.size(); ++k) {
    out[k].loss = loss_from_logits(OutputKind::Softmax, zs[k], data.Y);
    out[k].accuracy = accuracy_from_logits(OutputKind::Softmax, zs[k], data.Y);
  }
  return out;
}

Metrics evaluate(const SidModel& m, const Dataset& data) {
  const std::vector<Metrics> all = evaluate_per_module(m, data);
  return all.empty() ? Metrics{} : all.back();
}

TrainResult train_sid(SidModel& m, const Dataset& train, const Dataset* test, const SidOptions& opt,
                      const TrainProgress& progress, SidMacCount* macs) {
  validate(opt);
  SidTrainer trainer(m, train.size());
  const Matrix Yt = sid_smoothed_targets(train.Y, opt.smoothing);
  TrainResult r = run_training_steps(
      opt.steps, opt.log_every, progress,
      [&](long) {
        trainer.step(m, train.X, Yt, opt.alpha, opt.lr);
        return true;
      },
      [&](long step) { return evaluate_point(m, train, test, step); }, opt.stop);
  if (macs != nullptr) {
    if (opt.steps == 0) trainer.compute_gradients(m, train.X, Yt, opt.alpha);  // count without updating
    *macs = trainer.last_step_macs();
  }
  return r;
}

}  // namespace sheafsim
