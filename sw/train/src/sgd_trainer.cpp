#include "sheafsim/train/sgd_trainer.h"


#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/reference/activation.h"

namespace sheafsim {

SgdTrainer::SgdTrainer(const Network& net, Eigen::Index batch) {
  const int L = net.depth();
  for (int k = 0; k < L; ++k) {
    z_.emplace_back(net.layers[k + 1], batch);
    if (k + 1 < L) a_.emplace_back(net.layers[k + 1], batch);
    g_.W.emplace_back(net.layers[k + 1], net.layers[k]);
    g_.b.emplace_back(net.layers[k + 1]);
  }
}

const Gradients& SgdTrainer::compute_gradients(const Network& net, const Dataset& data) {
  const int L = net.depth();
  for (int k = 0; k < L; ++k) {
    const size_t i = static_cast<size_t>(k);
    const Matrix& prev = k == 0 ? data.X : a_[i - 1];
    z_[i].noalias() = net.W[i] * prev;
    z_[i].colwise() += net.b[i];
    if (k + 1 < L) a_[i] = z_[i].cwiseMax(0.0);
  }
  delta_ = loss_gradient_logits(net.output, z_.back(), data.Y);  // d loss / d z_L
  for (int k = L - 1; k >= 0; --k) {
    const size_t i = static_cast<size_t>(k);
    const Matrix& prev = k == 0 ? data.X : a_[i - 1];
    g_.W[i].noalias() = delta_ * prev.transpose();
    g_.b[i].noalias() = delta_.rowwise().sum();
    if (k > 0) {
      back_.noalias() = net.W[i].transpose() * delta_;
      // ReLU derivative: 1 for z > 0, 0 otherwise (the convention of autograd frameworks).
      delta_ = (z_[i - 1].array() > 0.0).select(back_, 0.0);
    }
  }
  return g_;
}

void SgdTrainer::step(Network& net, const Dataset& data, double lr) {
  compute_gradients(net, data);
  for (size_t k = 0; k < net.W.size(); ++k) {
    net.W[k].noalias() -= lr * g_.W[k];
    net.b[k].noalias() -= lr * g_.b[k];
  }
}

TrainResult train_sgd(Network& net, const Dataset& train, const Dataset* test, const SgdOptions& opt,
                      const TrainProgress& progress) {
  SgdTrainer trainer(net, train.size());
  return run_training_steps(
      opt.steps, opt.log_every, progress,
      [&](long) {
        trainer.step(net, train, opt.lr);
        return true;
      },
      [&](long step) { return evaluate_point(net, train, test, step); }, opt.stop);
}

TrainResult train_sgd_fixed(Network& net, const Dataset& train, const Dataset* test, const SgdOptions& opt,
                            const FixedConfig& cfg, const TrainProgress& progress, FixedRunInfo* info,
                            const FixedSgdStepperFactory& make_stepper) {
  cfg.validate();
  FixedProblem q = quantise_problem(net, train, cfg);
  FixedNetwork& fnet = q.net;
  const IMatrix &X = q.X, &Y = q.Y;
  const std::int64_t eta = sgd::step_constant(opt.lr, net.output, net.layers.back(), static_cast<long>(train.size()), cfg);
  std::unique_ptr<FixedSgdStepper> engine = make_sgd_stepper(make_stepper, fnet, train.size(), cfg, q.loads);
  TrainResult r = run_training_steps(
      opt.steps, opt.log_every, progress,
      [&](long) {
        engine->step(fnet, X, Y, eta);
        return true;
      },
      [&](long step) { return evaluate_point(to_float(fnet, cfg), train, test, step); }, opt.stop);
  net = to_float(fnet, cfg);
  if (info != nullptr) *info = engine->run_info();
  return r;
}

}  // namespace sheafsim
