#include "sheafsim/reference/sheaf_dynamics.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sheafsim/reference/activation.h"
#include "sheafsim/base/error.h"

namespace sheafsim {

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
  FloatArith arith;
  FloatArith::Workspace ws;
  ws.U.resize(static_cast<size_t>(net.depth()));
  for (int k = 0; k < net.depth(); ++k) arith.residual(ws, k, net, st, X);
  U = std::move(ws.U);
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

// The pins of a hidden layer's z and a (null: none), seen by the update
// kernel per flat index i (row i % rows): the force gamma (v - target), and
// whether the coordinate is hard-pinned (its change is overwritten, so it is
// not a change of the free stalks).
struct PinView {
  const StalkPins *z = nullptr, *a = nullptr;
  Eigen::Index rows = 1;
  static double force(const StalkPins* sp, Eigen::Index r, double v) {
    const auto k = static_cast<size_t>(r);
    return sp == nullptr || sp->gamma[k] == 0 ? 0.0 : sp->gamma[k] * (v - sp->target[k]);
  }
  static bool hard(const StalkPins* sp, Eigen::Index r) {
    return sp != nullptr && !std::isnan(sp->hard[static_cast<size_t>(r)]);
  }
};

// The elementwise part of a step, written branch-free so the compiler
// vectorises it; the max-change reduction is a separate pass because a
// floating-point max reduction does not vectorise under strict IEEE semantics.
// kPins adds the soft pins' forces (sheaf-math §6.3) and leaves hard-pinned
// coordinates out of the max change; without pins the code is unchanged.
template <bool kPins>
double update_hidden_kernel(double* __restrict z, double* __restrict a, const double* __restrict u, const double* __restrict w, double s, Eigen::Index n,
                     bool track, const PinView& pins = {}) {
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
      if constexpr (kPins) {
        const Eigen::Index r = i % pins.rows;
        dz[j] = s * (u[i] - m * q + PinView::force(pins.z, r, zi));
        da[j] = s * (q - w[i] + PinView::force(pins.a, r, ai));
      } else {
        dz[j] = s * (u[i] - m * q);
        da[j] = s * (q - w[i]);
      }
      z[i] = zi - dz[j];
      a[i] = ai - da[j];
    }
    if (track) {
      for (Eigen::Index j = 0; j < len; ++j) {
        if constexpr (kPins) {
          const Eigen::Index r = (base + j) % pins.rows;
          md = std::max({md, PinView::hard(pins.z, r) ? 0.0 : std::fabs(dz[j]),
                         PinView::hard(pins.a, r) ? 0.0 : std::fabs(da[j])});
        } else {
          md = std::max(md, std::max(std::fabs(dz[j]), std::fabs(da[j])));
        }
      }
    }
  }
  return md;
}

double update_output_kernel(double* __restrict z, const double* __restrict u, const double* __restrict g, double s, Eigen::Index n, bool track) {
  double md = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) z[i] -= s * (u[i] + g[i]);
  if (track)
    for (Eigen::Index i = 0; i < n; ++i) md = std::max(md, std::fabs(s * (u[i] + g[i])));
  return md;
}

}  // namespace

namespace {

// The pins of a stalk, or null when it has none (the unpinned kernels run).
const StalkPins* pinned(const PinSet* pins, const StalkPins& sp) {
  return pins != nullptr && (sp.any_soft() || sp.any_hard()) ? &sp : nullptr;
}

}  // namespace

void FloatArith::prepare(Workspace& ws, const Network& net, Eigen::Index batch) const {
  const int L = net.depth();
  ws.U.clear();
  ws.WtU.clear();
  for (int k = 0; k < L; ++k) ws.U.emplace_back(net.layers[k + 1], batch);
  for (int k = 0; k + 1 < L; ++k) ws.WtU.emplace_back(net.layers[k + 1], batch);
  ws.g_out.resize(net.outputs(), batch);
}

void FloatArith::residual(Workspace& ws, int k, const Network& net, const SheafState& st, const Matrix& X) const {
  const size_t i = static_cast<size_t>(k);
  const Matrix& prev = k > 0 ? st.a[i - 1] : st.x.size() > 0 ? st.x : X;  // st.x: the input with free coordinates
  Matrix& u = ws.U[i];
  u.noalias() = st.z[i].colwise() - net.b[i];
  accumulate_product(u, -1.0, net.W[i], prev);
}

void FloatArith::backward(Workspace& ws, int k, const Network& net) const {
  const size_t i = static_cast<size_t>(k);
  ws.WtU[i].setZero();
  accumulate_product(ws.WtU[i], 1.0, net.W[i + 1].transpose(), ws.U[i + 1]);
}

double FloatArith::output_force(Workspace& ws, const Network& net, SheafState& st, const Matrix* Y,
                                const StepParams& p) const {
  const Matrix& zL = st.z.back();
  if (p.phase == Phase::Training) {
    if (net.output == OutputKind::Identity)
      ws.g_out = zL - *Y;
    else
      ws.g_out = apply_output(net.output, zL) - *Y;  // cross-entropy force, no Jacobian (§6.3)
    return 0.0;
  }
  if (!st.has_output_vertex()) {
    ws.g_out.setZero();
    return 0.0;
  }
  const Matrix P = apply_output(net.output, zL);
  const Matrix D = P - st.a_out;  // phi(z_L) - a_out, from the old state
  ws.g_out = p.output_mode == OutputMode::Exact ? output_jacobian_t_times(net.output, P, D) : D;
  const StalkPins* pa = pins_ != nullptr ? pinned(pins_, pins_->a_out) : nullptr;
  if (pa == nullptr) {
    st.a_out += p.s * D;
    return p.track_change ? p.s * D.cwiseAbs().maxCoeff() : 0.0;
  }
  double md = 0.0;  // g_aout = a_out - phi(z_L) + gamma (a_out - target)
  for (Eigen::Index c = 0; c < D.cols(); ++c)
    for (Eigen::Index r = 0; r < D.rows(); ++r) {
      const double d = p.s * (D(r, c) - PinView::force(pa, r, st.a_out(r, c)));
      st.a_out(r, c) += d;
      if (p.track_change && !PinView::hard(pa, r)) md = std::max(md, std::fabs(d));
    }
  return md;
}

void FloatArith::hebbian(Workspace& ws, int k, Network& net, const SheafState& st, const Matrix& X,
                         const StepParams& p) const {
  const size_t i = static_cast<size_t>(k);
  const Matrix& prev = k == 0 ? X : st.a[i - 1];
  accumulate_product(net.W[i], p.eta, ws.U[i], prev.transpose());
  net.b[i].noalias() += p.eta * ws.U[i].rowwise().sum();
}

double FloatArith::update_hidden(Workspace& ws, int k, SheafState& st, const StepParams& p) const {
  // sheaf-math §6.2 with q = a - m z and m = 1[z >= 0] from the old z:
  // g_z = u - m q, g_a = q - W^T u' (plus the soft pins' gamma (v - target)).
  const size_t i = static_cast<size_t>(k);
  const PinView hp{pins_ != nullptr ? pinned(pins_, pins_->z[i]) : nullptr,
                      pins_ != nullptr ? pinned(pins_, pins_->a[i]) : nullptr, st.z[i].rows()};
  if (hp.z == nullptr && hp.a == nullptr)
    return update_hidden_kernel<false>(st.z[i].data(), st.a[i].data(), ws.U[i].data(), ws.WtU[i].data(), p.s,
                                       st.z[i].size(), p.track_change);
  return update_hidden_kernel<true>(st.z[i].data(), st.a[i].data(), ws.U[i].data(), ws.WtU[i].data(), p.s,
                                    st.z[i].size(), p.track_change, hp);
}

double FloatArith::update_output(Workspace& ws, SheafState& st, const StepParams& p) const {
  Matrix& zL = st.z.back();
  const StalkPins* pz = pins_ != nullptr ? pinned(pins_, pins_->z.back()) : nullptr;
  if (pz == nullptr)
    return update_output_kernel(zL.data(), ws.U.back().data(), ws.g_out.data(), p.s, zL.size(), p.track_change);
  double md = 0.0;
  for (Eigen::Index c = 0; c < zL.cols(); ++c)
    for (Eigen::Index r = 0; r < zL.rows(); ++r) {
      const double d = p.s * (ws.U.back()(r, c) + ws.g_out(r, c) + PinView::force(pz, r, zL(r, c)));
      zL(r, c) -= d;
      if (p.track_change && !PinView::hard(pz, r)) md = std::max(md, std::fabs(d));
    }
  return md;
}

void FloatArith::input_pull(Workspace& ws, const Network& net) const {
  ws.input_pull.noalias() = net.W[0].transpose() * ws.U[0];  // the first weight edge's pull on its input
}

double FloatArith::update_input(Workspace& ws, SheafState& st, const StepParams& p) const {
  // g_x = -W_1^T u_1 (the input has no ReLU edge): x -= s g_x on the free coordinates.
  double md = 0.0;
  for (int r : pins_->free_inputs)
    for (Eigen::Index c = 0; c < st.x.cols(); ++c) {
      const double d = p.s * ws.input_pull(r, c);
      st.x(r, c) += d;
      if (p.track_change) md = std::max(md, std::fabs(d));
    }
  return md;
}

void FloatArith::apply_hard_pins(SheafState& st) const {
  if (pins_ == nullptr) return;
  auto set = [](Matrix& m, const StalkPins& sp) {
    for (Eigen::Index r = 0; r < m.rows(); ++r)
      if (!std::isnan(sp.hard[static_cast<size_t>(r)])) m.row(r).setConstant(sp.hard[static_cast<size_t>(r)]);
  };
  for (size_t k = 0; k < st.z.size(); ++k) set(st.z[k], pins_->z[k]);
  for (size_t k = 0; k < st.a.size(); ++k) set(st.a[k], pins_->a[k]);
  if (st.has_output_vertex()) set(st.a_out, pins_->a_out);
}

}  // namespace sheafsim
