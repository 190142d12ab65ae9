#pragma once
// Vectorised kernels of the bit-accurate model's exact-double fast path
// (private to arith_fixed.cpp, which states the bounds under which it calls
// them and proves that every value is exact; the primitives and the rounding
// are those of sheafsim/fixed/exact_double.h). Partial vectors (the end of a
// column) are loaded lane by lane with zero padding; zero inputs give zero
// outputs and count nothing.
#include <cstddef>
#include <cstdint>

#include "sheafsim/fixed/exact_double.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::fxk {
namespace {

using namespace xd;

// Range check of raw register values against a `width`-bit format (width <= 50):
// v is in [-2^(width-1), 2^(width-1)) iff v + 2^(width-1) (mod 2^64) has no bit
// at or above `width`.
struct RangeCheck {
  vm off, mask;
  explicit RangeCheck(int width)
      : off(splati(std::int64_t{1} << (width - 1))), mask(splati(~((std::int64_t{1} << width) - 1))) {}
  void add(vm& bad, vm v) const { bad |= (vm)((vu)v + (vu)off) & mask; }
  static bool clean(vm bad) {
    std::int64_t any = 0;
    for (int l = 0; l < kLanes; ++l) any |= bad[l];
    return any == 0;
  }
};

struct Counts {
  std::int64_t saturated = 0, saturated_a = 0, lost_z = 0, lost_a = 0;
  double max_abs = 0;    // max |u| (residuals) or max |change| (stalks), raw
  double max_in = 0;     // max |z| read (residuals)
  bool in_range = true;  // the register values read lay in their format
  bool fits = true;      // every rounded value lay in the register (no clamp was needed)
};

// max |v| from the running max and min of biased values (exact).
inline double max_abs_biased(vd hi, vd lo) {
  const double mx = hmax(hi) - kMagic, mn = kMagic - hmin(lo);
  return mx > mn ? mx : mn;
}

// ---- Residual write --------------------------------------------------------------
// u = round(z 2^(fw-d) - b 2^(sb-d) - sum_j W_ij 2^-d prev_j), i.e. the
// accumulator value times 2^-d, exact (the caller's bound). Written as a
// double (Ud) only; the int64 copy is made when a general-path kernel needs it.
struct ResidualArgs {
  const std::int64_t* z;  // rows x cols, column-major
  double* ud;             // out: u
  const double* prod;     // the product form: sum_j W_ij 2^-d prev_j (rows x cols)
  const double* bias;     // rows: b 2^(sb-d)
  std::ptrdiff_t rows, cols;
  double zs;              // 2^(fw-d)
  // The small-fan-in form: W 2^-d (rows x n_in, column-major) and prev (n_in x cols).
  const double* ws = nullptr;
  const double* prev = nullptr;
  std::ptrdiff_t n_in = 0;
  Range R;
  int z_width;
};

// kFanIn = 1..4: the small-fan-in form, else (0) the product form.
// kFit = false: no clamp and no saturation count; the caller checks the
// extremes (max_abs) and reruns with kFit = true if a value left the register.
template <fx::Quant Q, fx::Overflow O, int kFanIn, bool kFit>
Counts residual_round(const ResidualArgs& args) {
  // Locals: the stores below could alias the argument struct otherwise.
  const std::int64_t* const z = args.z;
  double* const ud = args.ud;
  const double* const prod = args.prod;
  const double* const bias = args.bias;
  const double* const ws = args.ws;
  const double* const prev = args.prev;
  const std::ptrdiff_t rows = args.rows, cols = args.cols;
  const Range R = args.R;
  vm sat = vm{}, bad = vm{};
  vd hi = splat(kMagic), lo = splat(kMagic), zhi = splat(kMagic), zlo = splat(kMagic);
  const vd zs = splat(args.zs), M = splat(kMagic);
  const RangeCheck check(args.z_width);
  constexpr int kW = kFanIn > 0 ? kFanIn : 1;
  // One vector of rows i .. i + kLanes of column c: z (int64), the bias, and
  // the sum (product form) or the weights and the column's inputs x (small fan-in).
  auto one = [&](vm zi, vd b, vd p, const vd (&wj)[kW], const vd (&x)[kW]) {
    check.add(bad, zi);
    const vd zb = biased(zi);
    zhi = vmax(zhi, zb);
    zlo = vmin(zlo, zb);
    vd w = (zb - M) * zs - b;
    if constexpr (kFanIn > 0) {
      for (int j = 0; j < kFanIn; ++j) w -= wj[j] * x[j];
    } else {
      w -= p;
    }
    vd r = round_biased<Q>(M, w);
    if constexpr (kFit) r = fit<O>(r, R, sat);
    hi = vmax(hi, r);
    lo = vmin(lo, r);
    return r - M;
  };
  const bool flat = rows == 1 && kFanIn == 0;  // one row: a single run with a constant bias
  const std::ptrdiff_t seg = flat ? cols : rows, nseg = flat ? 1 : cols;
  for (std::ptrdiff_t c = 0; c < nseg; ++c) {
    const std::int64_t* zc = z + c * seg;
    double* uc = ud + c * seg;
    vd x[kW] = {};
    if constexpr (kFanIn > 0)
      for (int j = 0; j < kFanIn; ++j) x[j] = splat(prev[c * kFanIn + j]);
    std::ptrdiff_t i = 0;
    for (; i + kLanes <= seg; i += kLanes) {
      vd wj[kW] = {};
      if constexpr (kFanIn > 0)
        for (int j = 0; j < kFanIn; ++j) wj[j] = load(ws + j * rows + i);
      const vd b = flat ? splat(bias[0]) : load(bias + i);
      store(uc + i, one(loadi(zc + i), b, kFanIn > 0 ? vd{} : load(prod + c * seg + i), wj, x));
    }
    if (i < seg) {
      const std::ptrdiff_t len = seg - i;
      std::int64_t zt[kLanes];
      double bt[kLanes], pt[kLanes] = {}, ut[kLanes];
      vd wj[kW] = {};
      load_part(zt, zc + i, len);
      if (flat) {
        for (int l = 0; l < kLanes; ++l) bt[l] = l < len ? bias[0] : 0.0;
      } else {
        load_part(bt, bias + i, len);
      }
      if constexpr (kFanIn > 0) {
        for (int j = 0; j < kFanIn; ++j) {
          double t[kLanes];
          load_part(t, ws + j * rows + i, len);
          wj[j] = load(t);
        }
      } else {
        load_part(pt, prod + c * seg + i, len);
      }
      store(ut, one(loadi(zt), load(bt), load(pt), wj, x));
      store_part(uc + i, ut, len);
    }
  }
  Counts out;
  out.saturated = hsum(sat);
  out.max_abs = max_abs_biased(hi, lo);
  out.max_in = max_abs_biased(zhi, zlo);
  out.in_range = RangeCheck::clean(bad);
  out.fits = hmax(hi) <= R.hi && hmin(lo) >= R.lo;
  return out;
}

// ---- Hidden-layer stalk update -----------------------------------------------------
// z' = round(z + wz), a' = round(a + wa) with q = a - m z, m = [z >= 0],
// wz = u cu - m q cq, wa = q cqa - wtu cw: the constants carry -s and the
// alignment shifts, so wz = -s g_z 2^-dz and wa = -s g_a 2^-da exactly (the
// caller's bound keeps every product and difference below 2^53).
struct HiddenParams {
  double cu, cq, cqa, cw;
  Range R;
};

// kFit = false when the caller proved that no result can leave the register
// (max |z| + max |wz| + 1 <= 2^(w-1) - 1, the same for a): no clamp, nothing to count.
template <fx::Quant Q, fx::Overflow O, bool kTrack, bool kFit>
Counts hidden_update(std::int64_t* Z, std::int64_t* A, const double* U, const double* WtU, std::ptrdiff_t n,
                     const HiddenParams& P) {
  vm sat_z = vm{}, sat_a = vm{}, lost_z = vm{}, lost_a = vm{};
  vd mx = vd{};
  const vd cu = splat(P.cu), cq = splat(P.cq), cqa = splat(P.cqa), cw = splat(P.cw), M = splat(kMagic);
  const Range R = P.R;  // a local: the stores below could alias P otherwise
  auto one = [&](vm zi, vm ai, vd u, vd wtu, vm* zo, vm* ao) {
    const vd zb = biased(zi), ab = biased(ai);
    // m z = max(z, 0), so q = a - m z = (a + M) - max(z + M, M): exact.
    const vd q = ab - vmax(zb, M);
    const vd wz = u * cu - select(opaque(zb >= M), q) * cq;
    const vd wa = q * cqa - wtu * cw;
    vd zn = round_biased<Q>(zb, wz), an = round_biased<Q>(ab, wa);
    if constexpr (kFit) {
      zn = fit<O>(zn, R, sat_z);
      an = fit<O>(an, R, sat_a);
    }
    lost_z -= opaque(wz != 0.0) & opaque(zn == zb);
    lost_a -= opaque(wa != 0.0) & opaque(an == ab);
    if constexpr (kTrack) mx = vmax(mx, vmax(vabs(zn - zb), vabs(an - ab)));
    *zo = unbias(zn);
    *ao = unbias(an);
  };
  std::ptrdiff_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    vm zo, ao;
    one(loadi(Z + i), loadi(A + i), load(U + i), load(WtU + i), &zo, &ao);
    storei(Z + i, zo);
    storei(A + i, ao);
  }
  if (i < n) {
    const std::ptrdiff_t len = n - i;
    std::int64_t zt[kLanes], at[kLanes];
    double ut[kLanes], wt[kLanes];
    load_part(zt, Z + i, len);
    load_part(at, A + i, len);
    load_part(ut, U + i, len);
    load_part(wt, WtU + i, len);
    vm zo, ao;
    one(loadi(zt), loadi(at), load(ut), load(wt), &zo, &ao);
    storei(zt, zo);
    storei(at, ao);
    store_part(Z + i, zt, len);
    store_part(A + i, at, len);
  }
  Counts c;
  c.saturated = hsum(sat_z);
  c.saturated_a = hsum(sat_a);
  c.lost_z = hsum(lost_z);
  c.lost_a = hsum(lost_a);
  c.max_abs = hmax(mx);
  return c;
}

// ---- Output-layer stalk update: z' = round(z + g c) ---------------------------------
template <fx::Quant Q, fx::Overflow O, bool kTrack>
Counts stalk_update(std::int64_t* Z, const double* G, std::ptrdiff_t n, double c, const Range R) {
  vm sat = vm{}, lost = vm{};
  vd mx = vd{};
  const vd vc = splat(c);
  auto one = [&](vm zi, vd g) {
    const vd zb = biased(zi);
    const vd w = g * vc;
    const vd zn = fit<O>(round_biased<Q>(zb, w), R, sat);
    lost -= opaque(w != 0.0) & opaque(zn == zb);
    if constexpr (kTrack) mx = vmax(mx, vabs(zn - zb));
    return unbias(zn);
  };
  std::ptrdiff_t i = 0;
  for (; i + kLanes <= n; i += kLanes) storei(Z + i, one(loadi(Z + i), load(G + i)));
  if (i < n) {
    const std::ptrdiff_t len = n - i;
    std::int64_t zt[kLanes];
    double gt[kLanes];
    load_part(zt, Z + i, len);
    load_part(gt, G + i, len);
    storei(zt, one(loadi(zt), load(gt)));
    store_part(Z + i, zt, len);
  }
  Counts out;
  out.saturated = hsum(sat);
  out.lost_z = hsum(lost);
  out.max_abs = hmax(mx);
  return out;
}

// ---- Conversions -----------------------------------------------------------------------
// Raw values of a `width`-bit register (width <= 50) to doubles; false if any
// lies outside the format (then the converted values are not used).
// *max_abs: the largest magnitude converted.
inline bool convert_checked(const std::int64_t* src, double* dst, std::ptrdiff_t n, int width, double* max_abs) {
  vm bad = vm{};
  vd hi = splat(kMagic), lo = splat(kMagic);
  const RangeCheck check(width);
  const vd M = splat(kMagic);
  auto one = [&](vm v) {
    check.add(bad, v);
    const vd b = biased(v);
    hi = vmax(hi, b);
    lo = vmin(lo, b);
    return b - M;
  };
  std::ptrdiff_t i = 0;
  {
    // Two vectors per iteration into two sets of extremes: one max/min chain
    // alone would bound the loop by the latency of maxpd.
    vd hi2 = hi, lo2 = lo;
    for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
      const vm v0 = loadi(src + i), v1 = loadi(src + i + kLanes);
      check.add(bad, v0);
      check.add(bad, v1);
      const vd b0 = biased(v0), b1 = biased(v1);
      hi = vmax(hi, b0);
      lo = vmin(lo, b0);
      hi2 = vmax(hi2, b1);
      lo2 = vmin(lo2, b1);
      store(dst + i, b0 - M);
      store(dst + i + kLanes, b1 - M);
    }
    hi = vmax(hi, hi2);
    lo = vmin(lo, lo2);
  }
  for (; i + kLanes <= n; i += kLanes) store(dst + i, one(loadi(src + i)));
  if (i < n) {
    std::int64_t t[kLanes];
    double o[kLanes];
    load_part(t, src + i, n - i);
    store(o, one(loadi(t)));
    store_part(dst + i, o, n - i);
  }
  *max_abs = max_abs_biased(hi, lo);
  return RangeCheck::clean(bad);
}

// Integer-valued doubles (|x| < 2^51) to int64.
inline void to_int64(const double* src, std::int64_t* dst, std::ptrdiff_t n) {
  const vd M = splat(kMagic);
  std::ptrdiff_t i = 0;
  for (; i + kLanes <= n; i += kLanes) storei(dst + i, unbias(load(src + i) + M));
  for (; i < n; ++i) dst[i] = static_cast<std::int64_t>(src[i]);
}

}  // namespace
}  // namespace sheafsim::fxk
