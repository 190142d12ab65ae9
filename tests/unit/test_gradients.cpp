// The local (Hebbian) rule is the exact gradient of the relaxed energy E*
// (envelope theorem, sheaf-math.md §9.1), and the backprop baseline's
// gradients match finite differences of its loss.
#include <catch2/catch.hpp>

#include "fixtures.h"
#include "sheafsim/reference/activation.h"
#include "sheafsim/train/sgd_trainer.h"
#include "sheafsim/reference/sheaf_dynamics.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;

namespace {

// Relaxes the stalks with the parameters frozen (two-sided pins) and returns E*.
// `steps` (optional) receives the step count; 200000 means it did not converge.
double relaxed_energy(const Network& net, const Matrix& X, const Matrix& Y, SheafState* out = nullptr,
                      int* steps = nullptr) {
  Rng rng(1);
  SheafState st = make_state(net, X, StalkInit::Forward, rng, false);
  Network frozen = net;
  SheafDynamics dyn(frozen, X.cols());
  StepParams p;
  p.s = 0.1;
  p.phase = Phase::Training;
  int i = 0;
  for (; i < 200000; ++i)
    if (dyn.step(frozen, st, X, &Y, p, false) < 1e-14) break;
  if (out != nullptr) *out = st;
  if (steps != nullptr) *steps = i;
  return energy(net, st, X, &Y, Phase::Training);
}

}  // namespace

TEST_CASE("13.2 local gradients at equilibrium equal finite differences of E*", "[gradients][worked]") {
  const test::FourSprings f = test::four_springs();
  const Network& net = f.net;
  const Matrix &X = f.X, &Y = f.Y;
  SheafState st;
  CHECK(relaxed_energy(net, X, Y, &st) == Approx(0.125).margin(1e-13));
  std::vector<Matrix> U;
  compute_residuals(net, st, X, U);
  // dE/dw1 = -u1 x = 1/4, dE/db1 = 1/4, dE/dw2 = -u2 a1 = 1/8, dE/db2 = 1/4.
  CHECK(-U[0](0, 0) * 1.0 == Approx(0.25).margin(1e-12));
  CHECK(-U[1](0, 0) * st.a[0](0, 0) == Approx(0.125).margin(1e-12));
  CHECK(-U[1](0, 0) == Approx(0.25).margin(1e-12));
  const double h = 1e-5;
  Network p = net, m = net;
  p.W[0](0, 0) += h;
  m.W[0](0, 0) -= h;
  CHECK((relaxed_energy(p, X, Y) - relaxed_energy(m, X, Y)) / (2 * h) == Approx(0.25).margin(1e-7));
  p = net;
  m = net;
  p.W[1](0, 0) += h;
  m.W[1](0, 0) -= h;
  CHECK((relaxed_energy(p, X, Y) - relaxed_energy(m, X, Y)) / (2 * h) == Approx(0.125).margin(1e-7));
}

TEST_CASE("local weight gradient equals the finite difference of the relaxed energy", "[gradients]") {
  // E* is differentiable where the relaxed state keeps every neuron off the
  // ReLU kink. (With two-sided pins, a neuron can instead slide along z = 0 and
  // the Euler iteration chatters there; E* then has a kink of its own.) Positive
  // weights and inputs keep every neuron clearly active.
  const auto seed = GENERATE(1u, 2u, 3u);
  Network net = Network::he_init({2, 5, 4, 1}, OutputKind::Identity, seed);
  for (auto& W : net.W) W = W.cwiseAbs().array() + 0.1;
  for (auto& b : net.b) b.setConstant(0.1);
  Rng rng(seed);
  Dataset d;
  d.X.resize(2, 6);
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.uniform(0.5, 1.5);
  d.Y = predict(net, d.X).array() - 0.5;  // targets below the prediction: real tension
  SheafState st;
  int steps = 0;
  const double e_star = relaxed_energy(net, d.X, d.Y, &st, &steps);
  REQUIRE(steps < 200000);
  CHECK(e_star > 0.01);  // E* <= |eps|^2 / 4 = 0.375 (sheaf-math §9.2), and not trivially 0
  for (const auto& z : st.z) REQUIRE(z.minCoeff() > 0.1);
  std::vector<Matrix> U;
  compute_residuals(net, st, d.X, U);
  const double h = 1e-6;
  int checked = 0;
  for (size_t k = 0; k < net.W.size(); ++k) {
    const Matrix& prev = k == 0 ? d.X : st.a[k - 1];
    const Matrix local = -U[k] * prev.transpose();  // dE/dW_l = -sum_s u a^T
    const Vector local_b = -U[k].rowwise().sum();
    for (Eigen::Index i = 0; i < net.W[k].rows(); ++i) {
      for (Eigen::Index j = 0; j < net.W[k].cols(); ++j) {
        Network p = net, m = net;
        p.W[k](i, j) += h;
        m.W[k](i, j) -= h;
        const double fd = (relaxed_energy(p, d.X, d.Y) - relaxed_energy(m, d.X, d.Y)) / (2 * h);
        INFO("W_" << k + 1 << "[" << i << "][" << j << "]");
        CHECK(fd == Approx(local(i, j)).margin(1e-7));
        ++checked;
      }
      Network p = net, m = net;
      p.b[k](i) += h;
      m.b[k](i) -= h;
      CHECK((relaxed_energy(p, d.X, d.Y) - relaxed_energy(m, d.X, d.Y)) / (2 * h) == Approx(local_b(i)).margin(1e-7));
    }
  }
  CHECK(checked == 10 + 20 + 4);
}

TEST_CASE("backprop gradients equal finite differences of the loss", "[gradients][sgd]") {
  const auto kind = GENERATE(OutputKind::Identity, OutputKind::Sigmoid, OutputKind::Softmax);
  const int nout = kind == OutputKind::Softmax ? 3 : 2;
  const Network net = Network::he_init({3, 6, 4, nout}, kind, 5);
  Rng rng(8);
  Dataset d;
  d.X.resize(3, 7);
  d.Y = Matrix::Zero(nout, 7);
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.uniform(-1, 1);
  for (Eigen::Index c = 0; c < 7; ++c) {
    if (kind == OutputKind::Identity)
      d.Y.col(c) = Vector::Random(nout);
    else if (kind == OutputKind::Sigmoid)
      d.Y.col(c) << static_cast<double>(c % 2), static_cast<double>((c / 2) % 2);
    else
      d.Y(static_cast<Eigen::Index>(c % 3), c) = 1.0;
  }
  SgdTrainer trainer(net, d.size());
  const Gradients g = trainer.compute_gradients(net, d);
  auto loss = [&d](const Network& n) { return loss_from_logits(n.output, forward(n, d.X).z.back(), d.Y); };
  const double h = 1e-6;
  for (size_t k = 0; k < net.W.size(); ++k) {
    for (Eigen::Index i = 0; i < net.W[k].rows(); ++i) {
      for (Eigen::Index j = 0; j < net.W[k].cols(); ++j) {
        Network p = net, m = net;
        p.W[k](i, j) += h;
        m.W[k](i, j) -= h;
        CHECK((loss(p) - loss(m)) / (2 * h) == Approx(g.W[k](i, j)).margin(1e-8));
      }
      Network p = net, m = net;
      p.b[k](i) += h;
      m.b[k](i) -= h;
      CHECK((loss(p) - loss(m)) / (2 * h) == Approx(g.b[k](i)).margin(1e-8));
    }
  }
}
