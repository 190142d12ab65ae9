#include "sheafsim/reference/activation.h"

#include <cmath>

namespace sheafsim {
namespace {

// log(1 + exp(x)) without overflow.
double softplus(double x) { return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

double sigmoid(double x) {
  if (x >= 0) return 1.0 / (1.0 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1.0 + e);
}

}  // namespace

Matrix apply_output(OutputKind kind, const Matrix& Z) {
  switch (kind) {
    case OutputKind::Identity:
      return Z;
    case OutputKind::Sigmoid:
      return Z.unaryExpr([](double v) { return sigmoid(v); });
    case OutputKind::Softmax: {
      Matrix P(Z.rows(), Z.cols());
      for (Eigen::Index c = 0; c < Z.cols(); ++c) {
        const double m = Z.col(c).maxCoeff();
        P.col(c) = (Z.col(c).array() - m).exp().matrix();
        P.col(c) /= P.col(c).sum();
      }
      return P;
    }
  }
  return Z;
}

Matrix output_jacobian_t_times(OutputKind kind, const Matrix& P, const Matrix& V) {
  switch (kind) {
    case OutputKind::Identity:
      return V;
    case OutputKind::Sigmoid:
      return (P.array() * (1.0 - P.array()) * V.array()).matrix();
    case OutputKind::Softmax: {
      // J = diag(p) - p p^T, so J^T v = p .* v - p (p . v).
      Matrix out = (P.array() * V.array()).matrix();
      const Eigen::RowVectorXd pv = (P.array() * V.array()).colwise().sum();
      out -= (P.array().rowwise() * pv.array()).matrix();
      return out;
    }
  }
  return V;
}

double loss_from_logits(OutputKind kind, const Matrix& ZL, const Matrix& Y) {
  const double n = static_cast<double>(ZL.size());
  switch (kind) {
    case OutputKind::Identity:
      return (ZL - Y).squaredNorm() / n;
    case OutputKind::Sigmoid:
      return cross_entropy_sum(kind, ZL, Y) / n;
    case OutputKind::Softmax:
      return cross_entropy_sum(kind, ZL, Y) / static_cast<double>(ZL.cols());
  }
  return 0.0;
}

Matrix loss_gradient_logits(OutputKind kind, const Matrix& ZL, const Matrix& Y) {
  switch (kind) {
    case OutputKind::Identity:
      return 2.0 * (ZL - Y) / static_cast<double>(ZL.size());
    case OutputKind::Sigmoid:
      return (apply_output(kind, ZL) - Y) / static_cast<double>(ZL.size());
    case OutputKind::Softmax:
      return (apply_output(kind, ZL) - Y) / static_cast<double>(ZL.cols());
  }
  return ZL;
}

double cross_entropy_sum(OutputKind kind, const Matrix& ZL, const Matrix& Y) {
  double total = 0.0;
  if (kind == OutputKind::Sigmoid) {
    // -[y log s(z) + (1-y) log(1 - s(z))] = y softplus(-z) + (1-y) softplus(z)
    for (Eigen::Index i = 0; i < ZL.size(); ++i) {
      const double z = ZL.data()[i], y = Y.data()[i];
      total += y * softplus(-z) + (1.0 - y) * softplus(z);
    }
  } else if (kind == OutputKind::Softmax) {
    for (Eigen::Index c = 0; c < ZL.cols(); ++c) {
      const double m = ZL.col(c).maxCoeff();
      const double lse = m + std::log((ZL.col(c).array() - m).exp().sum());
      total += -(Y.col(c).array() * (ZL.col(c).array() - lse)).sum();
    }
  }
  return total;
}

double accuracy_from_logits(OutputKind kind, const Matrix& ZL, const Matrix& Y) {
  if (ZL.cols() == 0) return 0.0;
  if (kind == OutputKind::Sigmoid) {
    Eigen::Index hits = 0;
    for (Eigen::Index i = 0; i < ZL.size(); ++i)
      hits += ((ZL.data()[i] >= 0.0) == (Y.data()[i] >= 0.5)) ? 1 : 0;
    return static_cast<double>(hits) / static_cast<double>(ZL.size());
  }
  Eigen::Index hits = 0;
  for (Eigen::Index c = 0; c < ZL.cols(); ++c) {
    Eigen::Index pz, py;
    ZL.col(c).maxCoeff(&pz);
    Y.col(c).maxCoeff(&py);
    hits += (pz == py) ? 1 : 0;
  }
  return static_cast<double>(hits) / static_cast<double>(ZL.cols());
}

}  // namespace sheafsim
