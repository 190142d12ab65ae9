// L_free is unitriangular-factored: det = 1 and positive definite for every
// activation pattern (Lemma 3.2); lambda_max stays below the §4.3 certificate.
#include <catch2/catch.hpp>

#include <Eigen/Eigenvalues>

#include "sheafsim/base/rng.h"
#include "sheafsim/reference/spectrum.h"

using namespace sheafsim;

TEST_CASE("det L_free = 1 and L_free > 0 for random networks and random masks", "[spectrum]") {
  const auto shape = GENERATE(std::vector<int>{2, 4, 1}, std::vector<int>{3, 5, 4, 2}, std::vector<int>{2, 6, 4, 4, 1},
                              std::vector<int>{4, 7, 3, 5, 2});
  const auto seed = GENERATE(range(1u, 6u));
  Network net = Network::he_init(shape, OutputKind::Identity, seed);
  // Random biases too: they do not enter L_free, but keep the test honest.
  Rng rng(seed * 31);
  for (auto& b : net.b)
    for (Eigen::Index i = 0; i < b.size(); ++i) b(i) = rng.normal();
  std::vector<Vector> masks;
  for (size_t l = 1; l + 1 < shape.size(); ++l) {
    Vector m(shape[l]);
    for (Eigen::Index i = 0; i < m.size(); ++i) m(i) = rng.uniform() < 0.5 ? 0.0 : 1.0;
    masks.push_back(m);
  }
  const Matrix delta = free_coboundary(net, masks, false);
  // Unit lower block-triangular: ones on the diagonal, nothing above it.
  CHECK(delta.diagonal().isOnes());
  CHECK(delta.triangularView<Eigen::StrictlyUpper>().toDenseMatrix().isZero());
  const Matrix L = free_laplacian(net, masks, false);
  CHECK(std::fabs(L.determinant() - 1.0) < 1e-9);
  Eigen::SelfAdjointEigenSolver<Matrix> es(L);
  CHECK(es.eigenvalues().minCoeff() > 0.0);
  CHECK(es.eigenvalues().minCoeff() <= 1.0 + 1e-12);
  CHECK(es.eigenvalues().maxCoeff() >= 1.0 - 1e-12);
  CHECK(es.eigenvalues().maxCoeff() <= lambda_max_bound(net, false) * (1 + 1e-12));
  // Two-sided: L + diag(0, ..., I): still positive definite, lambda_min can only grow.
  const Matrix Lt = free_laplacian(net, masks, true);
  Eigen::SelfAdjointEigenSolver<Matrix> et(Lt);
  CHECK(et.eigenvalues().minCoeff() >= es.eigenvalues().minCoeff() - 1e-12);
  CHECK(et.eigenvalues().maxCoeff() <= es.eigenvalues().maxCoeff() + 1.0 + 1e-9);
  CHECK(et.eigenvalues().maxCoeff() <= lambda_max_bound(net, true) * (1 + 1e-12));
}

TEST_CASE("predicted steps follow the contraction factor", "[spectrum]") {
  // rho = 1 - s lambda_min = 0.99: ln(1e-9) / ln(0.99) = 2061.9 -> 2062.
  CHECK(predicted_steps(0.1, 1.0, 0.1, 1e-9) == 2062);
  // s lambda_max > 2: unstable, never converges.
  CHECK(predicted_steps(0.1, 30.0, 0.1, 1e-9) == -1);
  const Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 42);
  const SpectrumResult r = analyse_spectrum(net, Vector::Constant(2, 0.3), 0.01, 1e-9, false);
  CHECK(r.det == Approx(1.0).epsilon(1e-10));
  CHECK(r.kappa == Approx(r.lambda_max / r.lambda_min));
  CHECK(r.predicted_steps == predicted_steps(r.lambda_min, r.lambda_max, 0.01, 1e-9));
}
