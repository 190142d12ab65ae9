// Diffusion inference converges to the forward pass (Prop. 3.4, Thm. 4.1),
// at the rate lambda_min predicts.
#include <catch2/catch.hpp>

#include "sheafsim/train/inference.h"
#include "sheafsim/reference/spectrum.h"

using namespace sheafsim;

namespace {

Matrix random_inputs(int n0, int count, std::uint64_t seed) {
  Rng rng(seed);
  Matrix X(n0, count);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = rng.uniform(-1.5, 1.5);
  return X;
}

}  // namespace

TEST_CASE("diffusion converges to the forward pass on random networks", "[diffusion]") {
  const auto shape = GENERATE(std::vector<int>{2, 4, 1}, std::vector<int>{2, 6, 4, 4, 1}, std::vector<int>{3, 8, 8, 2},
                              std::vector<int>{5, 3, 1}, std::vector<int>{4, 2});
  const auto seed = GENERATE(1u, 2u, 3u);
  const Network net = Network::he_init(shape, OutputKind::Identity, seed);
  const Matrix X = random_inputs(shape[0], 4, seed + 100);
  InferenceOptions opt;
  opt.dt = 0.05;
  opt.tol = 1e-13;
  opt.max_steps = 2000000;
  opt.init = StalkInit::Random;
  const InferenceResult r = run_inference(net, X, opt);
  INFO("layers " << shape.size() << " seed " << seed << " steps " << r.steps);
  REQUIRE(r.converged);
  const ForwardPass fp = forward(net, X);
  for (size_t k = 0; k < fp.z.size(); ++k) CHECK((r.state.z[k] - fp.z[k]).cwiseAbs().maxCoeff() < 1e-9);
  for (size_t k = 0; k < fp.a.size(); ++k) CHECK((r.state.a[k] - fp.a[k]).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("diffusion with sigmoid and softmax output converges to phi(forward)", "[diffusion]") {
  const auto kind = GENERATE(OutputKind::Sigmoid, OutputKind::Softmax);
  const auto mode = GENERATE(OutputMode::Exact, OutputMode::JacobianFree);
  const Network net = Network::he_init({2, 5, 3}, kind, 11);
  const Matrix X = random_inputs(2, 3, 5);
  InferenceOptions opt;
  opt.dt = 0.05;
  opt.tol = 1e-13;
  opt.max_steps = 2000000;
  opt.output_mode = mode;
  const InferenceResult r = run_inference(net, X, opt);
  REQUIRE(r.converged);
  CHECK((r.state.a_out - predict(net, X)).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("the energy decays at the rate (1 - s lambda_min)^2 per step", "[diffusion][spectrum]") {
  const Network net = Network::he_init({2, 4, 3, 1}, OutputKind::Identity, 7);
  const Matrix X = random_inputs(2, 1, 9);
  const SpectrumResult sp = analyse_spectrum(net, X.col(0), 0.02, 1e-9, false);
  // Start near the forward pass so the activation pattern never changes and the
  // dynamics are exactly linear; the slowest mode then dominates.
  Rng rng(3);
  SheafState st = make_state(net, X, StalkInit::Forward, rng, false);
  for (auto& z : st.z) z.array() += 1e-4;
  for (auto& a : st.a) a.array() -= 1e-4;
  const ForwardPass fp = forward(net, X);
  double margin = 1.0;
  for (const auto& z : fp.z) margin = std::min(margin, z.cwiseAbs().minCoeff());
  REQUIRE(margin > 1e-3);
  Network frozen = net;
  SheafDynamics dyn(frozen, 1);
  StepParams p;
  p.s = 0.02;
  double e_prev = energy(frozen, st, X, nullptr, Phase::Inference);
  double ratio = 0.0;
  for (int i = 0; i < 3000; ++i) {
    dyn.step(frozen, st, X, nullptr, p, false);
    const double e = energy(frozen, st, X, nullptr, Phase::Inference);
    ratio = e / e_prev;
    e_prev = e;
  }
  const double expected = std::pow(1 - p.s * sp.lambda_min, 2);
  INFO("lambda_min " << sp.lambda_min << " measured ratio " << ratio);
  CHECK(ratio == Approx(expected).epsilon(1e-5));
}

TEST_CASE("inference stops by tolerance or after a fixed step count", "[diffusion]") {
  const Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 42);
  const Matrix X = random_inputs(2, 2, 1);
  InferenceOptions opt;
  opt.fixed_steps = 123;
  const InferenceResult fixed = run_inference(net, X, opt);
  CHECK(fixed.steps == 123);
  CHECK_FALSE(fixed.converged);
  opt.fixed_steps = -1;
  opt.tol = 1e-6;
  const InferenceResult tol = run_inference(net, X, opt);
  CHECK(tol.converged);
  CHECK(tol.last_delta < 1e-6);
  CHECK(tol.steps < opt.max_steps);
  // Forward init starts at the fixed point: the first step changes nothing.
  opt.init = StalkInit::Forward;
  CHECK(run_inference(net, X, opt).steps == 1);
}
