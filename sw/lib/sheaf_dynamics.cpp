#include "sheafsim/sheaf_dynamics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sheafsim/activation.h"
#include "sheafsim/error.h"

namespace sheafsim {

StalkInit parse_stalk_init(const std::string& name) {
  if (name == "zeros") return StalkInit::Zeros;
  if (name == "forward") return StalkInit::Forward;
  if (name == "random") return StalkInit::Random;
  throw InputError(fmt::format("unknown stalk init '{}' (expected zeros, forward or random)", name));
}

std::string to_string(StalkInit init) {
  switch (init) {
    case StalkInit::Zeros: return "zeros";
    case StalkInit::Forward: return "forward";
    case StalkInit::Random: return "random";
  }
  return "zeros";
}

OutputMode parse_output_mode(const std::string& name) {
  if (name == "exact") return OutputMode::Exact;
  if (name == "jacobian-free") return OutputMode::JacobianFree;
  throw InputError(fmt::format("unknown output mode '{}' (expected exact or jacobian-free)", name));
}

void set_to_forward(const Network& net, const Matrix& X, SheafState& state) {
  ForwardPass fp = forward(net, X);
  state.z = std::move(fp.z);
  state.a = std::move(fp.a);
  if (state.has_output_vertex()) state.a_out = fp.output;
}

SheafState make_state(const Network& net, const Matrix& X, StalkInit init, Rng& rng, bool with_output_vertex) {
  const int L = net.depth();
  const Eigen::Index B = X.cols();
  SheafState st;
  for (int k = 0; k < L; ++k) st.z.push_back(Matrix::Zero(net.layers[k + 1], B));
  for (int k = 0; k + 1 < L; ++k) st.a.push_back(Matrix::Zero(net.layers[k + 1], B));
  if (with_output_vertex) st.a_out = Matrix::Zero(net.outputs(), B);
  if (init == StalkInit::Forward) {
    set_to_forward(net, X, st);
  } else if (init == StalkInit::Random) {
    auto fill = [&rng](Matrix& m) {
      for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = rng.normal();
    };
    for (int k = 0; k < L; ++k) {
      fill(st.z[static_cast<size_t>(k)]);
      if (k + 1 < L) fill(st.a[static_cast<size_t>(k)]);
    }
    if (with_output_vertex) fill(st.a_out);
  }
  return st;
}

namespace {

// dst += alpha * A * B. With a tiny inner or outer dimension (the input layer
// of [2,30,1], the single output of a regression net) a blocked GEMM spends
// its time packing; rank-1 updates or matrix-vector products do not.
template <typename DA, typename DB>
void accumulate_product(Matrix& dst, double alpha, const DA& A, const DB& B) {
  if (A.cols() <= 4) {
    for (Eigen::Index j = 0; j < A.cols(); ++j) dst.noalias() += (alpha * A.col(j)) * B.row(j);
  } else if (B.cols() <= 4) {  // e.g. the Hebbian u x^T of a 2-input layer: a few GEMVs
    for (Eigen::Index j = 0; j < B.cols(); ++j) dst.col(j).noalias() += alpha * (A * B.col(j));
  } else {
    dst.noalias() += alpha * A * B;
  }
}

}  // namespace

void compute_residuals(const Network& net, const SheafState& st, const Matrix& X, std::vector<Matrix>& U) {
  const int L = net.depth();
  U.resize(static_cast<size_t>(L));
  for (int k = 0; k < L; ++k) {
    const Matrix& prev = k == 0 ? X : st.a[static_cast<size_t>(k - 1)];
    Matrix& u = U[static_cast<size_t>(k)];
    const Matrix& W = net.W[static_cast<size_t>(k)];
    u.noalias() = st.z[static_cast<size_t>(k)].colwise() - net.b[static_cast<size_t>(k)];
    accumulate_product(u, -1.0, W, prev);
  }
}

double energy(const Network& net, const SheafState& st, const Matrix& X, const Matrix* Y, Phase phase) {
  std::vector<Matrix> U;
  compute_residuals(net, st, X, U);
  double e = 0.0;
  for (const auto& u : U) e += 0.5 * u.squaredNorm();
  for (size_t k = 0; k < st.a.size(); ++k) e += 0.5 * (st.a[k] - st.z[k].cwiseMax(0.0)).squaredNorm();
  const Matrix& zL = st.z.back();
  if (phase == Phase::Training) {
    if (Y == nullptr) throw InputError("training energy needs targets");
    if (net.output == OutputKind::Identity)
      e += 0.5 * (zL - *Y).squaredNorm();
    else
      e += cross_entropy_sum(net.output, zL, *Y);
  } else if (st.has_output_vertex()) {
    e += 0.5 * (st.a_out - apply_output(net.output, zL)).squaredNorm();
  }
  return e;
}

namespace {

// The elementwise part of a step, written branch-free so the compiler
// vectorises it; the max-change reduction is a separate pass because a
// floating-point max reduction does not vectorise under strict IEEE semantics.
double update_hidden(double* __restrict z, double* __restrict a, const double* __restrict u, const double* __restrict w, double s, Eigen::Index n,
                     bool track) {
  double md = 0.0;
  constexpr Eigen::Index kChunk = 256;
  double dz[kChunk], da[kChunk];
  for (Eigen::Index base = 0; base < n; base += kChunk) {
    const Eigen::Index len = std::min(kChunk, n - base);
    for (Eigen::Index j = 0; j < len; ++j) {
      const Eigen::Index i = base + j;
      const double zi = z[i], ai = a[i];
      const double m = zi >= 0.0 ? 1.0 : 0.0;
      const double q = ai - m * zi;  // ReLU-edge discord
      dz[j] = s * (u[i] - m * q);
      da[j] = s * (q - w[i]);
      z[i] = zi - dz[j];
      a[i] = ai - da[j];
    }
    if (track) {
      for (Eigen::Index j = 0; j < len; ++j) md = std::max(md, std::max(std::fabs(dz[j]), std::fabs(da[j])));
    }
  }
  return md;
}

double update_output(double* __restrict z, const double* __restrict u, const double* __restrict g, double s, Eigen::Index n, bool track) {
  double md = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) z[i] -= s * (u[i] + g[i]);
  if (track)
    for (Eigen::Index i = 0; i < n; ++i) md = std::max(md, std::fabs(s * (u[i] + g[i])));
  return md;
}

}  // namespace

SheafDynamics::SheafDynamics(const Network& net, Eigen::Index batch) {
  const int L = net.depth();
  for (int k = 0; k < L; ++k) U_.emplace_back(net.layers[k + 1], batch);
  for (int k = 0; k + 1 < L; ++k) WtU_.emplace_back(net.layers[k + 1], batch);
  g_out_.resize(net.outputs(), batch);
}

double SheafDynamics::step(Network& net, SheafState& st, const Matrix& X, const Matrix* Y, const StepParams& p,
                           bool update_params) {
  const int L = net.depth();
  const double s = p.s;
  // 1. Discords and forces, all from the old state and the old parameters.
  compute_residuals(net, st, X, U_);
  for (int k = 0; k + 1 < L; ++k) {
    WtU_[static_cast<size_t>(k)].setZero();
    accumulate_product(WtU_[static_cast<size_t>(k)], 1.0, net.W[static_cast<size_t>(k + 1)].transpose(),
                       U_[static_cast<size_t>(k + 1)]);
  }
  Matrix& zL = st.z.back();
  double max_delta = 0.0;
  if (p.phase == Phase::Training) {
    if (Y == nullptr) throw InputError("a training step needs targets");
    if (net.output == OutputKind::Identity)
      g_out_ = zL - *Y;
    else
      g_out_ = apply_output(net.output, zL) - *Y;  // cross-entropy force, no Jacobian (§6.3)
  } else if (st.has_output_vertex()) {
    const Matrix P = apply_output(net.output, zL);
    const Matrix D = P - st.a_out;  // phi(z_L) - a_out, from the old state
    g_out_ = p.output_mode == OutputMode::Exact ? output_jacobian_t_times(net.output, P, D) : D;
    st.a_out += s * D;
    max_delta = s * D.cwiseAbs().maxCoeff();
  } else {
    g_out_.setZero();
  }

  // 2. Local parameter update (old stalks; W is not read again in this step).
  if (update_params) {
    for (int k = 0; k < L; ++k) {
      const Matrix& prev = k == 0 ? X : st.a[static_cast<size_t>(k - 1)];
      const Matrix& u = U_[static_cast<size_t>(k)];
      accumulate_product(net.W[static_cast<size_t>(k)], p.eta, u, prev.transpose());
      net.b[static_cast<size_t>(k)].noalias() += p.eta * u.rowwise().sum();
    }
  }

  // 3. Stalk write (§6.2) with q = a - m z and m = 1[z >= 0] from the old z:
  //    g_z = u - m q,  g_a = q - W^T u'.
  for (int k = 0; k + 1 < L; ++k) {
    const size_t i = static_cast<size_t>(k);
    const double md = update_hidden(st.z[i].data(), st.a[i].data(), U_[i].data(), WtU_[i].data(), s,
                                    st.z[i].size(), p.track_change);
    max_delta = std::max(max_delta, md);
  }
  max_delta = std::max(max_delta, update_output(zL.data(), U_.back().data(), g_out_.data(), s, zL.size(),
                                                p.track_change));
  return max_delta;
}

}  // namespace sheafsim
