// The bit-accurate model's exact-double fast path (FixedArith::*_fast).
#include "sheafsim/bitacc/arith_fixed.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/exact_kernels.h"
#include "sheafsim/fixed/exact_product.h"
#include "sheafsim/fixed/fixed_modes.h"

namespace sheafsim {

// ---- Exact-double fast path ----------------------------------------------------
//
// Every value of the model is an integer (a raw fixed-point value or an exact
// sum of products of them). Held in a double, an integer of magnitude below
// 2^53 is exact, and so are the sum, difference and product of two of them
// whenever the exact result is below 2^53 in magnitude: IEEE 754 rounds only
// results it cannot represent. So a matrix product of integer matrices in
// double, by any algorithm and in any summation order (Eigen's blocked GEMM,
// FMA or not), is exact when sum_j |A_ij| |B_jk| < 2^53 for every entry:
// that bounds every partial sum. Scaling by a power of two is exact. The
// kernels below prove such bounds from the formats and from magnitudes of
// this step measured exactly (max |u|, the row and column sums of |W|,
// max |b|, max |x|, max |z|, max |a|), and fall back to the general integer
// path when a bound fails; the general path computes the same bits. The stalk
// registers z and a are checked to hold values of their format where they are
// read (an out-of-range value also falls back). Rounding, fitting and
// counting are then done in double by the kernels of exact_kernels.h (the
// ones the mesh's vertex units run), which need IEEE round-to-nearest
// (checked each step) and |values| < 2^50 (part of each bound); see
// exact_double.h for why one IEEE add is the register write.
//
// Bounds are magnitudes in unsigned 128-bit integers (exact_bounds.h, the
// arithmetic the mesh's datapaths prove their bounds with).

using fx::wide;
using fx::with_det_modes;
using namespace bounds;

namespace {
// dst = A * B in double (exact under the callers' bounds).
template <typename DA, typename DB>
void exact_product(Matrix& dst, const DA& A, const DB& B) {
  dst.resize(A.rows(), B.cols());
  xd::exact_product(dst, A, B);
}
}  // namespace

bool FixedArith::fast_enabled(Workspace& ws) {
  if (cfg_.quant == fx::Quant::Stoch) return false;  // needs random bits per rounding: general path
  if (pinned_) return false;  // pins: the general path (the same bits) carries the soft pulls and free inputs
  if (ws.fast.round_stamp != stamp()) {  // the environment is read once per step
    ws.fast.round_ok = xd::exact_doubles_ok();
    ws.fast.round_stamp = stamp();
  }
  return ws.fast.round_ok;
}

bool FixedArith::residual_fast(Workspace& ws, int k, const FixedNetwork& net, const FixedState& st,
                               const IMatrix& X) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  const std::uint64_t now = stamp();
  const int wS = cfg_.stalk.width();
  const int fs = cfg_.stalk.frac_bits, fw = cfg_.weight.frac_bits, fb = cfg_.bias.frac_bits,
            fr = cfg_.residual.frac_bits;
  const int sb = fw + fs - fb, d = fw + fs - fr;
  // Stalks and residuals of at most 48 bits keep every biased value in range.
  if (wS > 48 || cfg_.residual.width() > 48 || d < 0) return false;
  // The previous layer's values, as doubles, and a bound on their magnitude.
  const Matrix* prev = nullptr;
  uwide pmax = 0;
  if (k == 0) {
    if (F.x_stamp != now) {  // the pinned input: any int64 (it is not a register), so measured
      F.Xd.resize(X.rows(), X.cols());
      std::int64_t xm = 0;
      for (Eigen::Index i = 0; i < X.size(); ++i) {
        const std::int64_t x = X.data()[i];
        if (x > (std::int64_t{1} << 52) || x < -(std::int64_t{1} << 52)) return false;
        xm = std::max(xm, x < 0 ? -x : x);
        F.Xd.data()[i] = static_cast<double>(x);  // exact: |x| <= 2^52
      }
      F.xmax = static_cast<uwide>(xm);
      F.x_stamp = now;
    }
    prev = &F.Xd;
    pmax = F.xmax;
  } else {
    const IMatrix& a = st.a[li - 1];
    if (F.a_stamp[li - 1] != now) {  // a_k: converted once per step, checked to lie in the stalk format
      Matrix& Ad = F.Ad[li - 1];
      Ad.resize(a.rows(), a.cols());
      double am = 0;
      if (!xd::convert_checked(a.data(), Ad.data(), a.size(), wS, &am)) return false;
      F.amax[li - 1] = mag(am);
      F.a_stamp[li - 1] = now;
    }
    prev = &F.Ad[li - 1];
    pmax = pow2(wS - 1);
  }
  // W as doubles (Wd for W^T u; Ws = W 2^-d for the residual), with the exact
  // row and column sums of |W|; b 2^(sb-d) and max |b|.
  const IMatrix& W = net.W[li];
  const IVector& b = net.b[li];
  Matrix& Wd = F.Wd[li];
  Matrix& Ws = F.Ws[li];
  Wd.resize(W.rows(), W.cols());
  Ws.resize(W.rows(), W.cols());
  std::vector<uwide> colsum(static_cast<size_t>(W.cols()), 0), rowsum(static_cast<size_t>(W.rows()), 0);
  const double inv_d = std::ldexp(1.0, -d);
  for (Eigen::Index j = 0; j < W.cols(); ++j)
    for (Eigen::Index i = 0; i < W.rows(); ++i) {
      const std::int64_t w = W(i, j);
      if (w > (std::int64_t{1} << 52) || w < -(std::int64_t{1} << 52)) return false;
      const uwide aw = static_cast<uwide>(w < 0 ? -w : w);
      colsum[static_cast<size_t>(j)] += aw;
      rowsum[static_cast<size_t>(i)] += aw;
      Wd(i, j) = static_cast<double>(w);  // exact: |w| <= 2^52
      Ws(i, j) = Wd(i, j) * inv_d;        // exact: a power-of-two scaling
    }
  F.wrow[li] = *std::max_element(rowsum.begin(), rowsum.end());
  F.wcol[li] = *std::max_element(colsum.begin(), colsum.end());
  Vector& bd = F.bd[li];
  bd.resize(b.size());
  std::int64_t bm = 0;
  for (Eigen::Index i = 0; i < b.size(); ++i) {
    if (b(i) > (std::int64_t{1} << 52) || b(i) < -(std::int64_t{1} << 52)) return false;
    bm = std::max(bm, b(i) < 0 ? -b(i) : b(i));
    bd(i) = std::ldexp(static_cast<double>(b(i)), sb - d);  // exact: a power-of-two scaling
  }
  // acc = z 2^fw - b 2^sb - sum_j W_ij prev_j: every partial sum is at most
  // Bf = 2^(ws-1) 2^fw + max|b| 2^sb + max_i sum_j |W_ij| max|prev|. Bf < 2^53
  // makes the double products and sums of acc 2^-d exact (in any order: Eigen
  // or the kernel's loop); Bf < 2^(acc_bits-1) means the accumulator does not
  // wrap (acc_fit is the identity, nothing is counted); Bf 2^-d < 2^49 keeps
  // the rounding kernel's sums below 2^50.
  const uwide Bf = pow2(wS - 1 + fw) + mul(static_cast<uwide>(bm), pow2(sb)) + mul(F.wrow[li], pmax);
  if (!(Bf < pow2(53) && Bf < pow2(cfg_.acc_bits - 1) && Bf < pow2(std::min(53, 49 + d)))) return false;
  const IMatrix& z = st.z[li];
  Matrix& Ud = F.Ud[li];
  xd::ResidualArgs<std::int64_t> args;
  args.z = z.data();
  args.rows = z.rows();
  args.cols = z.cols();
  args.bias = bd.data();
  args.zs = std::ldexp(1.0, fw - d);
  args.R = xd::Range::of(cfg_.residual);
  args.z_width = wS;
  const bool small = W.cols() <= 4;  // a few inputs: fused into the rounding pass
  Ud.resize(z.rows(), z.cols());
  if (small) {
    args.ws = Ws.data();
    args.prev = prev->data();
    args.n_in = W.cols();
  } else {
    exact_product(F.P, Ws, *prev);  // sum_j W_ij 2^-d prev_j
    args.prod = F.P.data();
  }
  args.ud = Ud.data();
  // First without the clamp; if any value left the residual register, again
  // with it (the inputs are unchanged, only Ud is rewritten).
  auto run = [&](auto fit_tag) {
    return with_det_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
      constexpr fx::Quant Q = decltype(q)::value;
      constexpr fx::Overflow O = decltype(o)::value;
      constexpr bool kFit = decltype(fit_tag)::value;
      switch (small ? args.n_in : 0) {
        case 1: return xd::residual<Q, O, 1, kFit, false>(args);
        case 2: return xd::residual<Q, O, 2, kFit, false>(args);
        case 3: return xd::residual<Q, O, 3, kFit, false>(args);
        case 4: return xd::residual<Q, O, 4, kFit, false>(args);
        default: return xd::residual<Q, O, 0, kFit, false>(args);
      }
    });
  };
  dpint::WriteCounts c = run(std::false_type{});
  if (!c.in_range) return false;  // z outside its format: the general path
  if (!c.fits) c = run(std::true_type{});
  counters_.add(FxClass::Residual, k + 1, c.saturated);
  F.umax[li] = mag(c.max_abs);
  F.zmax[li] = mag(c.max_in);
  F.u_stamp[li] = F.z_stamp[li] = now;
  return true;
}

void FixedArith::ensure_int_residual(Workspace& ws, int k) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  if (F.u_stamp[li] != stamp() || F.u_int_stamp[li] == stamp()) return;
  xd::to_int64(F.Ud[li].data(), ws.U[li].data(), ws.U[li].size());
  F.u_int_stamp[li] = stamp();
}

bool FixedArith::backward_fast(Workspace& ws, int k) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  if (F.u_stamp[li + 1] != stamp()) return false;
  // |sum_i W_ij u_i| <= max_j sum_i |W_ij| max|u|: every partial sum is exact below 2^53.
  const uwide B = mul(F.wcol[li + 1], F.umax[li + 1]);
  if (!(B < pow2(53))) return false;
  exact_product(F.WtUd[li], F.Wd[li + 1].transpose(), F.Ud[li + 1]);
  F.wtumax[li] = B;
  F.wtu_stamp[li] = stamp();
  return true;
}

bool FixedArith::hebbian_fast(Workspace& ws, int k, FixedNetwork& net) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  const std::uint64_t now = stamp();
  if (F.u_stamp[li] != now) return false;
  const Matrix* prev = nullptr;
  uwide pmax = 0;
  if (k == 0) {
    if (F.x_stamp != now) return false;
    prev = &F.Xd;
    pmax = F.xmax;
  } else {
    if (F.a_stamp[li - 1] != now) return false;
    prev = &F.Ad[li - 1];
    pmax = pow2(cfg_.stalk.width() - 1);
  }
  const Matrix& Ud = F.Ud[li];
  // H = sum_s u a^T and h = sum_s u: |partial sums| <= batch max|u| max|a| (and batch max|u|).
  const uwide batch = static_cast<uwide>(Ud.cols());
  if (!(mul(mul(batch, F.umax[li]), pmax) < pow2(53) && mul(batch, F.umax[li]) < pow2(53))) return false;
  exact_product(F.H, Ud, prev->transpose());
  const Eigen::Index n = net.W[li].rows(), m = net.W[li].cols();
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = 0; i < n; ++i) ws.acc[static_cast<size_t>(j * n + i)] = static_cast<std::int64_t>(F.H(i, j));
  F.hrow.noalias() = Ud.rowwise().sum();  // vectorised over the rows (a strided sum per row is latency-bound)
  for (Eigen::Index i = 0; i < n; ++i) F.hsum[static_cast<size_t>(i)] = static_cast<std::int64_t>(F.hrow(i));
  return true;
}

bool FixedArith::update_hidden_fast(Workspace& ws, int k, FixedState& st, const StepParams& p, double* max_change) {
  auto& F = ws.fast;
  const size_t li = static_cast<size_t>(k);
  const std::uint64_t now = stamp();
  // u_k, W^T u_{k+1} from this step; z_k (residual k) and a_k (residual k+1) checked in range.
  if (F.u_stamp[li] != now || F.wtu_stamp[li] != now || F.z_stamp[li] != now || F.a_stamp[li] != now) return false;
  if (s_raw_ == 0) return false;
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fw = cfg_.weight.frac_bits,
            fc = cfg_.constant.frac_bits;
  const int f1 = std::max(fr, fs), f2 = fw + fr, dz = fc + f1 - fs, da = fc + f2 - fs;
  const uwide S = static_cast<uwide>(s_raw_ < 0 ? -s_raw_ : s_raw_);
  // |q| = |a - m z| <= max|a| + max|z| (measured this step when z and a were
  // read and range-checked); g_z = u 2^(f1-fr) - m q 2^(f1-fs),
  // g_a = q 2^(f2-fs) - W^T u. Their bounds below 2^53 make g exact; g_a below
  // 2^(acc_bits-1) means the accumulator does not wrap; s g below 2^53 makes
  // the product exact (and s g 2^-d, a power-of-two scaling of it); s g 2^-d
  // < 2^49 with |z|, |a| < 2^47 keeps the rounding kernel's sums below 2^50.
  const uwide qB = F.amax[li] + F.zmax[li];
  const uwide Bz = mul(F.umax[li], pow2(f1 - fr)) + mul(qB, pow2(f1 - fs));
  const uwide Ba = mul(qB, pow2(f2 - fs)) + F.wtumax[li];
  if (!(Bz < pow2(53) && Ba < pow2(53) && Ba < pow2(cfg_.acc_bits - 1) && mul(S, Bz) < pow2(std::min(53, 49 + dz)) &&
        mul(S, Ba) < pow2(std::min(53, 49 + da))))
    return false;
  // No result can leave the stalk register when |z| + |s g_z 2^-dz| + 1 <= max_raw
  // (rounding moves a value by less than 1), the same for a: then the kernel
  // skips the clamp and the saturation count (there is nothing to count).
  const uwide hi = static_cast<uwide>(cfg_.stalk.max_raw());
  const bool fit = !(F.zmax[li] + (mul(S, Bz) >> std::min(dz, 120)) + 2 <= hi &&
                     F.amax[li] + (mul(S, Ba) >> std::min(da, 120)) + 2 <= hi);
  // wz = u cu - m q cq = -s g_z 2^-dz, wa = q cqa + wtu cw = -s g_a 2^-da (exact,
  // see above: each product is -s times a term of the bounded sums, scaled).
  xd::HiddenParams P;
  const double ms = -static_cast<double>(s_raw_);  // exact: |s| < 2^53
  P.cu = std::ldexp(ms, f1 - fr - dz);
  P.cq = std::ldexp(ms, f1 - fs - dz);
  P.cqa = std::ldexp(ms, f2 - fs - da);
  P.cw = std::ldexp(-ms, -da);
  P.R = xd::Range::of(cfg_.stalk);
  IMatrix& Z = st.z[li];
  IMatrix& A = st.a[li];
  const xd::Block blk = xd::Block::run(Z.size());
  const dpint::WriteCounts c = with_det_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    std::int64_t* const z = Z.data();
    std::int64_t* const a = A.data();
    const double* const u = F.Ud[li].data();
    const double* const w = F.WtUd[li].data();
    if (p.track_change)
      return fit ? xd::hidden<Q, O, true, true>(z, a, u, w, blk, P, z, a)
                 : xd::hidden<Q, O, false, true>(z, a, u, w, blk, P, z, a);
    return fit ? xd::hidden<Q, O, true, false>(z, a, u, w, blk, P, z, a)
               : xd::hidden<Q, O, false, false>(z, a, u, w, blk, P, z, a);
  });
  counters_.add(FxClass::Z, k + 1, c.saturated, c.lost);
  counters_.add(FxClass::A, k + 1, c.saturated_a, c.lost_a);
  *max_change = p.track_change ? c.max_abs * cfg_.stalk.lsb() : 0.0;
  return true;
}

bool FixedArith::update_output_fast(Workspace& ws, FixedState& st, const StepParams& p, double* max_change) {
  auto& F = ws.fast;
  const size_t li = st.z.size() - 1;
  const std::uint64_t now = stamp();
  if (F.u_stamp[li] != now || F.z_stamp[li] != now || s_raw_ == 0) return false;
  const int fs = cfg_.stalk.frac_bits, fr = cfg_.residual.frac_bits, fc = cfg_.constant.frac_bits;
  const int f = std::max({fr, fs, ws.g_out_frac}), d = fc + f - fs;
  IMatrix& Z = st.z[li];
  const Eigen::Index n = Z.size();
  wide gmax = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const wide g = ws.g_out[static_cast<size_t>(i)];
    gmax = std::max(gmax, g < 0 ? -g : g);
  }
  if (gmax >= (wide{1} << 52)) return false;
  // g = u 2^(f-fr) + g_out 2^(f-fg): exact below 2^53; s g exact below 2^53,
  // s g 2^-d < 2^49 for the rounding kernel (|z| < 2^47).
  const uwide S = static_cast<uwide>(s_raw_ < 0 ? -s_raw_ : s_raw_);
  const uwide Bg = mul(F.umax[li], pow2(f - fr)) + mul(static_cast<uwide>(gmax), pow2(f - ws.g_out_frac));
  if (!(Bg < pow2(53) && mul(S, Bg) < pow2(std::min(53, 49 + d)))) return false;
  // w = u cu + g_out cg = -s g 2^-d: each product is -s times a term of the bounded sum, scaled.
  F.g.resize(static_cast<size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i)
    F.g[static_cast<size_t>(i)] = static_cast<double>(static_cast<std::int64_t>(ws.g_out[static_cast<size_t>(i)]));
  const double ms = -static_cast<double>(s_raw_);
  const double cu = std::ldexp(ms, f - fr - d), cg = std::ldexp(ms, f - ws.g_out_frac - d);
  const xd::Block blk = xd::Block::run(n);
  const dpint::WriteCounts c = with_det_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    const xd::Range R = xd::Range::of(cfg_.stalk);
    std::int64_t* const z = Z.data();
    const double* const u = F.Ud[li].data();
    return p.track_change ? xd::output<Q, O, true, true, false>(z, u, F.g.data(), blk, cu, cg, R, z)
                          : xd::output<Q, O, true, false, false>(z, u, F.g.data(), blk, cu, cg, R, z);
  });
  counters_.add(FxClass::Z, static_cast<int>(li) + 1, c.saturated, c.lost);
  *max_change = p.track_change ? c.max_abs * cfg_.stalk.lsb() : 0.0;
  return true;
}

}  // namespace sheafsim
