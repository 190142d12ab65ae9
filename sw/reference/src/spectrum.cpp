#include "sheafsim/reference/spectrum.h"

#include <algorithm>
#include <cmath>

#include <Eigen/Eigenvalues>

namespace sheafsim {

namespace {

// Offsets of each free block in the order z_1, a_1, ..., a_{L-1}, z_L.
struct Layout {
  std::vector<Eigen::Index> z, a;
  Eigen::Index size = 0;
};

Layout layout_of(const Network& net) {
  Layout lay;
  const int L = net.depth();
  for (int l = 1; l <= L; ++l) {
    lay.z.push_back(lay.size);
    lay.size += net.layers[l];
    if (l < L) {
      lay.a.push_back(lay.size);
      lay.size += net.layers[l];
    }
  }
  return lay;
}

}  // namespace

Matrix free_coboundary(const Network& net, const std::vector<Vector>& masks, bool two_sided) {
  const int L = net.depth();
  const Layout lay = layout_of(net);
  const Eigen::Index extra = two_sided ? net.outputs() : 0;
  Matrix d = Matrix::Zero(lay.size + extra, lay.size);
  // Each edge's rows sit at its head's offset: weight edge l <-> z_l, ReLU edge l <-> a_l.
  for (int l = 1; l <= L; ++l) {
    const size_t k = static_cast<size_t>(l - 1);
    const Eigen::Index n = net.layers[l], zo = lay.z[k];
    d.block(zo, zo, n, n).setIdentity();
    if (l >= 2) d.block(zo, lay.a[k - 1], n, net.layers[l - 1]) = -net.W[k];
    if (l < L) {
      const Eigen::Index ao = lay.a[k];
      d.block(ao, ao, n, n).setIdentity();
      d.block(ao, zo, n, n) = -Matrix(masks[k].asDiagonal());
    }
  }
  if (two_sided) d.block(lay.size, lay.z.back(), extra, extra) = -Matrix::Identity(extra, extra);
  return d;
}

Matrix free_laplacian(const Network& net, const std::vector<Vector>& masks, bool two_sided) {
  const Matrix d = free_coboundary(net, masks, two_sided);
  return d.transpose() * d;
}

std::vector<Vector> forward_masks(const Network& net, const Vector& x) {
  const ForwardPass fp = forward(net, x);
  std::vector<Vector> masks;
  for (size_t k = 0; k + 1 < fp.z.size(); ++k)
    masks.push_back((fp.z[k].col(0).array() >= 0.0).cast<double>().matrix());
  return masks;
}

long predicted_steps(double lambda_min, double lambda_max, double s, double tol) {
  const double rho = std::max(std::fabs(1.0 - s * lambda_min), std::fabs(1.0 - s * lambda_max));
  if (!(rho < 1.0)) return -1;
  if (rho == 0.0) return 1;
  return static_cast<long>(std::ceil(std::log(tol) / std::log(rho)));
}

SpectrumResult analyse_spectrum(const Network& net, const Vector& x, double s, double tol, bool two_sided) {
  const Matrix Lf = free_laplacian(net, forward_masks(net, x), two_sided);
  Eigen::SelfAdjointEigenSolver<Matrix> es(Lf, Eigen::EigenvaluesOnly);
  SpectrumResult r;
  r.lambda_min = es.eigenvalues().minCoeff();
  r.lambda_max = es.eigenvalues().maxCoeff();
  r.kappa = r.lambda_max / r.lambda_min;
  r.det = es.eigenvalues().prod();
  r.contraction = std::max(std::fabs(1.0 - s * r.lambda_min), std::fabs(1.0 - s * r.lambda_max));
  r.predicted_steps = predicted_steps(r.lambda_min, r.lambda_max, s, tol);
  return r;
}

double lambda_max_bound(const Network& net, bool two_sided) {
  double m = 1.0;
  for (size_t k = 1; k < net.W.size(); ++k) {
    Eigen::JacobiSVD<Matrix> svd(net.W[k]);
    m = std::max(m, svd.singularValues()(0));
  }
  return (1.0 + m) * (1.0 + m) + (two_sided ? 1.0 : 0.0);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace sheafsim
