// sheaf-math.md §13: the hand-worked examples, reproduced exactly.
#include <catch2/catch.hpp>

#include "fixtures.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/reference/sheaf_dynamics.h"
#include "sheafsim/reference/spectrum.h"

using namespace sheafsim;

namespace {

// §13.1: [2,2,1], identity output, one sample, alpha = 1, dt = 1/8, beta = 1.
struct WorkedExample {
  Network net;
  SheafState st;
  Matrix X{2, 1}, Y{1, 1};
  WorkedExample() {
    net.layers = {2, 2, 1};
    Matrix W1(2, 2), W2(1, 2);
    W1 << 1, 0.5, -0.5, 1;
    W2 << 1, -1;
    net.W = {W1, W2};
    net.b = {Vector(2), Vector(1)};
    net.b[0] << 0, 0.25;
    net.b[1] << 0.5;
    X << 1, -1;
    Y << 1;
    st.z = {Matrix(2, 1), Matrix(1, 1)};
    st.a = {Matrix(2, 1)};
    st.z[0] << 0.5, -0.25;
    st.a[0] << 0.25, 0.5;
    st.z[1] << 0;
  }
  StepParams params(Phase phase) const {
    StepParams p;
    p.s = 1.0 / 8;
    p.eta = 1.0 / 8;  // beta = 1/n_train = 1, dt = 1/8
    p.phase = phase;
    return p;
  }
};

}  // namespace

TEST_CASE("13.1 joint training step is exact", "[worked][training]") {
  WorkedExample ex;
  CHECK(energy(ex.net, ex.st, ex.X, &ex.Y, Phase::Training) == 19.0 / 16);
  SheafDynamics dyn(ex.net, 1);
  dyn.step(ex.net, ex.st, ex.X, &ex.Y, ex.params(Phase::Training), true);
  CHECK(ex.st.z[0](0, 0) == 15.0 / 32);
  CHECK(ex.st.z[0](1, 0) == -3.0 / 8);
  CHECK(ex.st.a[0](0, 0) == 1.0 / 4);
  CHECK(ex.st.a[0](1, 0) == 15.0 / 32);
  CHECK(ex.st.z[1](0, 0) == 5.0 / 32);
  Matrix W1(2, 2), W2(1, 2);
  W1 << 1, 0.5, -3.0 / 8, 7.0 / 8;
  W2 << 127.0 / 128, -65.0 / 64;
  CHECK(ex.net.W[0] == W1);
  CHECK(ex.net.W[1] == W2);
  CHECK(ex.net.b[0](0) == 0.0);
  CHECK(ex.net.b[0](1) == 3.0 / 8);
  CHECK(ex.net.b[1](0) == 15.0 / 32);
  CHECK(energy(ex.net, ex.st, ex.X, &ex.Y, Phase::Training) == Approx(5190889.0 / 8388608).epsilon(1e-15));
}

TEST_CASE("13.1 stalk-only step leaves parameters and gives E = 451/512", "[worked][training]") {
  WorkedExample ex;
  const Network before = ex.net;
  SheafDynamics dyn(ex.net, 1);
  dyn.step(ex.net, ex.st, ex.X, &ex.Y, ex.params(Phase::Training), false);
  CHECK(ex.net.W[0] == before.W[0]);
  CHECK(ex.net.W[1] == before.W[1]);
  CHECK(ex.net.b[1] == before.b[1]);
  CHECK(ex.st.z[1](0, 0) == 5.0 / 32);
  CHECK(energy(ex.net, ex.st, ex.X, &ex.Y, Phase::Training) == 451.0 / 512);
}

TEST_CASE("13.1 inference variant: no output edge, z2 -> 1/32", "[worked][inference]") {
  WorkedExample ex;
  SheafDynamics dyn(ex.net, 1);
  const double delta = dyn.step(ex.net, ex.st, ex.X, nullptr, ex.params(Phase::Inference), false);
  CHECK(ex.st.z[1](0, 0) == 1.0 / 32);
  CHECK(ex.st.z[0](0, 0) == 15.0 / 32);
  CHECK(ex.st.z[0](1, 0) == -3.0 / 8);
  CHECK(ex.st.a[0](1, 0) == 15.0 / 32);
  CHECK(delta == 1.0 / 8);  // |s * g_z1[1]| = 1/8 is the largest change
}

TEST_CASE("13.1 matrix form: L_free, forcing and spectra", "[worked][spectrum]") {
  WorkedExample ex;
  const std::vector<Vector> masks = {(Vector(2) << 1, 0).finished()};
  Matrix expected(5, 5);
  expected << 2, 0, -1, 0, 0,  //
      0, 1, 0, 0, 0,           //
      -1, 0, 2, -1, -1,        //
      0, 0, -1, 2, 1,          //
      0, 0, -1, 1, 2;
  const Matrix Lt = free_laplacian(ex.net, masks, true);
  CHECK(Lt == expected);
  // grad E = L_free x - f reproduces Step 2 of the worked example.
  Vector x(5), f(5), g(5);
  x << 0.5, -0.25, 0.25, 0.5, 0;
  f << 0.5, -1.25, -0.5, 0.5, 1.5;
  g << 0.25, 1, 0, 0.25, -1.25;
  CHECK((Lt * x - f - g).cwiseAbs().maxCoeff() == 0.0);
  const Matrix Li = free_laplacian(ex.net, masks, false);
  CHECK(Li.determinant() == Approx(1.0).epsilon(1e-12));
  CHECK(Lt.determinant() == Approx(5.0).epsilon(1e-12));
  Eigen::SelfAdjointEigenSolver<Matrix> es(Li);
  const Vector ev = es.eigenvalues();
  CHECK(ev(0) == Approx(0.1729).margin(1e-4));
  CHECK(ev(1) == Approx(0.6617).margin(1e-4));
  CHECK(ev(2) == Approx(1.0).margin(1e-4));
  CHECK(ev(3) == Approx(2.2091).margin(1e-4));
  CHECK(ev(4) == Approx(3.9563).margin(1e-4));
  Eigen::SelfAdjointEigenSolver<Matrix> et(Lt);
  CHECK(et.eigenvalues()(0) == Approx(0.5188).margin(1e-4));
  CHECK(et.eigenvalues()(4) == Approx(4.1701).margin(1e-4));
  CHECK(lambda_max_bound(ex.net, false) == Approx(std::pow(1 + std::sqrt(2.0), 2)));
}

TEST_CASE("13.2 four springs: Euler from zero reaches the equilibrium, E* = 1/8", "[worked][training]") {
  test::FourSprings f = test::four_springs();
  Network& net = f.net;  // the step takes the network it may update
  const Matrix &X = f.X, &Y = f.Y;
  Rng rng(0);
  SheafState st = make_state(net, X, StalkInit::Zeros, rng, false);
  SheafDynamics dyn(net, 1);
  StepParams p;
  p.s = 0.1;
  p.phase = Phase::Training;
  for (int i = 0; i < 2000; ++i) dyn.step(net, st, X, &Y, p, false);
  CHECK(st.z[0](0, 0) == Approx(0.75).margin(1e-12));
  CHECK(st.a[0](0, 0) == Approx(0.5).margin(1e-12));
  CHECK(st.z[1](0, 0) == Approx(0.25).margin(1e-12));
  CHECK(energy(net, st, X, &Y, Phase::Training) == Approx(0.125).margin(1e-12));
  // Spectra: input-only eigenvalues 2 - 2cos((2j-1)pi/7); training 2 - sqrt2, 2, 2 + sqrt2.
  const std::vector<Vector> masks = {Vector::Ones(1)};
  Eigen::SelfAdjointEigenSolver<Matrix> ei(free_laplacian(net, masks, false));
  for (int j = 1; j <= 3; ++j)
    CHECK(ei.eigenvalues()(j - 1) == Approx(2 - 2 * std::cos((2 * j - 1) * M_PI / 7)).margin(1e-12));
  Eigen::SelfAdjointEigenSolver<Matrix> et(free_laplacian(net, masks, true));
  CHECK(et.eigenvalues()(0) == Approx(2 - std::sqrt(2.0)).margin(1e-12));
  CHECK(et.eigenvalues()(2) == Approx(2 + std::sqrt(2.0)).margin(1e-12));
}
