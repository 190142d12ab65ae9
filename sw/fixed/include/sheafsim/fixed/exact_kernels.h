#pragma once
// The exact-double vector form of the register writes (docs/fixed-point.md §4),
// the one such form of each kernel that the bit-accurate model
// (arith_fixed.cpp) and the mesh's vertex datapath run: integers held in
// doubles and rounded with one add (biased doubles; the primitives and
// round_biased are those of exact_double.h). Callers call them only for the
// deterministic rounding modes, under the bounds stated at each kernel
// (proved from the formats and this step's magnitudes, exact_bounds.h), and
// after checking xd::exact_doubles_ok(); otherwise they run the integer forms
// (datapath_int.h), which compute the same bits.
//
// A chunk is n registers per sample for B samples (a Block). The stalks are
// read either as raw registers (int64, converted to biased doubles; the tail
// of a column is loaded lane by lane) or as exact doubles in the vertex
// units' padded layout (padded() below: whole vectors may be read from any
// row's start). Zero inputs give zero outputs and count nothing.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/exact_double.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::xd {

using dpint::WriteCounts;

// Blocks of doubles (and the vertex units' registers) are stored [s * ld + i]
// with ld = padded(n), the rows rounded up to whole vectors, and kLanes
// values of slack after the last row, so that kernels may load whole vectors
// from any row's start (the extra lanes are finite values and are ignored).
inline size_t padded(int n) { return (static_cast<size_t>(n) + kLanes - 1) / kLanes * kLanes; }
inline size_t padded_size(int n, int B) { return padded(n) * static_cast<size_t>(B) + kLanes; }

// A chunk of registers: n per sample for B samples, the inputs [s * ld + i],
// the new stalks written to Zo[s * ldz + i] (and Ao[s * lda + i]).
struct Block {
  std::ptrdiff_t n = 0, B = 1, ld = 0, ldz = 0, lda = 0;
  // One contiguous run of n registers (the bit-accurate model's matrices).
  static Block run(std::ptrdiff_t n) { return {n, 1, n, n, n}; }
};

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

// max |v| from the running max and min of biased values (exact).
inline double max_abs_biased(vd hi, vd lo) {
  const double mx = hmax(hi) - kMagic, mn = kMagic - hmin(lo);
  return mx > mn ? mx : mn;
}

// A stalk as a biased double: from a raw register, or from an exact double (|v| < 2^50).
inline vd biased_at(const std::int64_t* p) { return biased(loadi(p)); }
inline vd biased_at(const double* p) { return load(p) + splat(kMagic); }

// Calls one(full, s, i, len) for every vector of rows i .. i + len of column s
// of a chunk, with full = std::true_type where the vector may be read whole
// (len = kLanes, or the inputs are padded: kPadded) and std::false_type for
// the tail of a column (read lane by lane, zero-padded).
template <bool kPadded, typename F>
inline void for_vectors(const Block& blk, F&& one) {
  const std::ptrdiff_t n = blk.n, B = blk.B;
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    std::ptrdiff_t i = 0;
    for (; i + kLanes <= n; i += kLanes) one(std::true_type{}, s, i, kLanes);
    if (i < n) {
      if constexpr (kPadded)
        one(std::true_type{}, s, i, n - i);
      else
        one(std::false_type{}, s, i, n - i);
    }
  }
}
// p, or the first len values of p copied to t (the others zero): for loading a whole vector.
template <bool kFull, typename T>
inline const T* lanes(const T* p, T (&t)[kLanes], std::ptrdiff_t len) {
  if constexpr (kFull) {
    return p;
  } else {
    load_part(t, p, len);
    return t;
  }
}
// Stores the first len lanes of v to p.
inline void store_lanes(std::int64_t* p, vm v, std::ptrdiff_t len) {
  if (len == kLanes) {
    storei(p, v);
  } else {
    std::int64_t t[kLanes];
    storei(t, v);
    store_part(p, t, len);
  }
}

// Rows [0, n) of the B columns of a column-major int64 matrix (column stride
// ldm) into out[s * ld + i] as doubles. Returns a bound on max |v|: the OR
// over all values v of v ^ (v >> 63), plus 1 (bounds::mag_bound); when that is
// at most 2^51 the doubles are exact, and then the bound returned is the
// exact max |v| measured on them.
inline fx::uwide gather_doubles(const std::int64_t* M, std::ptrdiff_t ldm, std::ptrdiff_t n, std::ptrdiff_t B,
                                double* out, std::ptrdiff_t ld) {
  vm bnd = vm{};
  vd mx = vd{};
  std::uint64_t tail = 0;
  double tail_mx = 0;
  const vm magic = splati(kMagicBits);
  const vd Md = splat(kMagic);
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    const std::int64_t* col = M + s * ldm;
    double* dst = out + s * ld;
    std::ptrdiff_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      const vm v = loadi(col + i);
      bnd |= v ^ (v >> 63);
      const vd d = bits_d(v + magic) - Md;  // exact for |v| < 2^51
      mx = vmax(mx, vabs(d));
      store(dst + i, d);
    }
    for (; i < n; ++i) {
      const std::int64_t v = col[i];
      tail |= static_cast<std::uint64_t>(v ^ (v >> 63));
      dst[i] = static_cast<double>(v);
      tail_mx = std::max(tail_mx, std::fabs(dst[i]));
    }
  }
  for (int l = 0; l < kLanes; ++l) tail |= static_cast<std::uint64_t>(bnd[l]);
  const fx::uwide bound = static_cast<fx::uwide>(tail) + 1;
  if (bound > (fx::uwide{1} << 51)) return bound;
  return static_cast<fx::uwide>(std::max(hmax(mx), tail_mx));
}

// ---- The residual write (vertex::residual) --------------------------------------------
// u = fit(round(acc 2^-d)), acc = z 2^fw - b 2^sb - sum_j W_ij prev_j, computed
// as w = (z zs - b - p) sc with the scalings chosen by the caller (zs = 2^(fw-d),
// b and p given times 2^-d, sc = 1; or zs = 2^fw, no b, p the plain sum and
// sc = 2^-d: kScale): the caller's bound keeps every value exact, |w| < 2^50
// and the accumulator unwrapped. Written as doubles (ud) only.
template <typename ZIn>
struct ResidualArgs {
  const ZIn* z = nullptr;         // z: raw registers (range-checked) or exact doubles, rows x cols column-major
  double* ud = nullptr;           // out: u
  const double* prod = nullptr;   // the product form: p (rows x cols)
  const double* bias = nullptr;   // rows values b, or null: 0
  std::ptrdiff_t rows = 0, cols = 0;
  double zs = 1, scale = 1;
  // The small-fan-in form: W 2^-d (rows x n_in, column-major) and prev (n_in x cols): p = W prev.
  const double* ws = nullptr;
  const double* prev = nullptr;
  std::ptrdiff_t n_in = 0;
  Range R;
  int z_width = 0;
};

// kFanIn = 1..4: the small-fan-in form, else (0) the product form. kFit =
// false: no clamp and no saturation count; the caller proved that no value
// leaves the register, or checks the extremes (fits) and reruns with kFit.
// A single row (rows = 1, product form) runs as one flat run with a constant bias.
// Raw registers (ZIn = int64) are range-checked (in_range) and their max |z| measured (max_in).
template <fx::Quant Q, fx::Overflow O, int kFanIn, bool kFit, bool kScale, typename ZIn>
WriteCounts residual(const ResidualArgs<ZIn>& args) {
  constexpr bool kRaw = std::is_same_v<ZIn, std::int64_t>;
  // Locals: the stores below could alias the argument struct otherwise.
  const ZIn* const z = args.z;
  double* const ud = args.ud;
  const double* const prod = args.prod;
  const double* const bias = args.bias;
  const double* const ws = args.ws;
  const double* const prev = args.prev;
  const std::ptrdiff_t rows = args.rows, cols = args.cols;
  const Range R = args.R;
  vm sat = vm{}, bad = vm{};
  vd hi = splat(kMagic), lo = splat(kMagic), zhi = splat(kMagic), zlo = splat(kMagic);
  const vd zs = splat(args.zs), sc = splat(args.scale), M = splat(kMagic);
  const RangeCheck check(kRaw ? args.z_width : 1);
  constexpr int kW = kFanIn > 0 ? kFanIn : 1;
  // One vector of rows i .. i + kLanes of column c: z, the bias, and the sum
  // (product form) or the weights and the column's inputs x (small fan-in).
  auto one = [&](const ZIn* zp, vd b, vd p, const vd (&wj)[kW], const vd (&x)[kW]) {
    vd zv;
    if constexpr (kRaw) {
      const vm zi = loadi(zp);
      check.add(bad, zi);
      const vd zb = biased(zi);
      zhi = vmax(zhi, zb);
      zlo = vmin(zlo, zb);
      zv = zb - M;
    } else {
      zv = load(zp);
    }
    vd w = zv * zs - b;
    if constexpr (kFanIn > 0) {
      for (int j = 0; j < kFanIn; ++j) w -= wj[j] * x[j];
    } else {
      w -= p;
    }
    if constexpr (kScale) w *= sc;
    vd r = round_biased<Q>(M, w);
    if constexpr (kFit) r = fit<O>(r, R, sat);
    hi = vmax(hi, r);
    lo = vmin(lo, r);
    return r - M;
  };
  const bool flat = rows == 1 && kFanIn == 0;  // one row: a single run with a constant bias
  const std::ptrdiff_t seg = flat ? cols : rows, nseg = flat ? 1 : cols;
  const double b0 = bias != nullptr ? bias[0] : 0.0;
  for (std::ptrdiff_t c = 0; c < nseg; ++c) {
    const ZIn* zc = z + c * seg;
    double* uc = ud + c * seg;
    vd x[kW] = {};
    if constexpr (kFanIn > 0)
      for (int j = 0; j < kFanIn; ++j) x[j] = splat(prev[c * kFanIn + j]);
    std::ptrdiff_t i = 0;
    for (; i + kLanes <= seg; i += kLanes) {
      vd wj[kW] = {};
      if constexpr (kFanIn > 0)
        for (int j = 0; j < kFanIn; ++j) wj[j] = load(ws + j * rows + i);
      const vd b = flat ? splat(b0) : bias != nullptr ? load(bias + i) : vd{};
      store(uc + i, one(zc + i, b, kFanIn > 0 ? vd{} : load(prod + c * seg + i), wj, x));
    }
    if (i < seg) {
      const std::ptrdiff_t len = seg - i;
      ZIn zt[kLanes];
      double bt[kLanes] = {}, pt[kLanes] = {}, ut[kLanes];
      vd wj[kW] = {};
      load_part(zt, zc + i, len);
      if (flat) {
        for (int l = 0; l < kLanes; ++l) bt[l] = l < len ? b0 : 0.0;
      } else if (bias != nullptr) {
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
      store(ut, one(zt, load(bt), load(pt), wj, x));
      store_part(uc + i, ut, len);
    }
  }
  WriteCounts out;
  out.saturated = static_cast<std::uint64_t>(hsum(sat));
  out.max_abs = max_abs_biased(hi, lo);
  out.max_in = max_abs_biased(zhi, zlo);
  out.in_range = RangeCheck::clean(bad);
  out.fits = hmax(hi) <= R.hi && hmin(lo) >= R.lo;
  return out;
}

// ---- The hidden neuron's step (vertex::hidden_update) ----------------------------------
// z' = fit(round(z + wz)), a' = fit(round(a + wa)) with q = a - m z, m = [z >= 0],
// wz = u cu - m q cq = -s g_z 2^-dz, wa = q cqa + p cw = -s g_a 2^-da: the
// constants carry -s and the alignment shifts (the caller's bounds: s |g_z|,
// s |g_a| and every product below 2^53, |z + wz|, |a + wa| < 2^50, no
// accumulator wrap of g_a, s != 0 so that wz != 0 iff g_z != 0).
struct HiddenParams {
  double cu, cq, cqa, cw;
  Range R;
};
// Reads z, a (raw registers, or exact doubles in padded blocks: ZIn), u and p
// (doubles, [s * ld + i]) and writes the new stalks to Zo and Ao (which may
// be z and a). kFit = false when the caller proved that no result can leave
// the register (no clamp, nothing to count); kTrack: max_abs = the largest change.
template <fx::Quant Q, fx::Overflow O, bool kFit, bool kTrack, typename ZIn>
WriteCounts hidden(const ZIn* Z, const ZIn* A, const double* U, const double* P, const Block& blk,
                   const HiddenParams& prm, std::int64_t* Zo, std::int64_t* Ao) {
  vm sat_z = vm{}, sat_a = vm{}, lost_z = vm{}, lost_a = vm{};
  vd mx = vd{};
  const vd cu = splat(prm.cu), cq = splat(prm.cq), cqa = splat(prm.cqa), cw = splat(prm.cw), M = splat(kMagic);
  const Range R = prm.R;  // locals: the stores could alias prm and blk otherwise
  const std::ptrdiff_t ld = blk.ld, ldz = blk.ldz, lda = blk.lda;
  for_vectors<std::is_same_v<ZIn, double>>(blk, [&](auto full, std::ptrdiff_t s, std::ptrdiff_t i,
                                                    std::ptrdiff_t len) {
    constexpr bool kFull = decltype(full)::value;
    const std::ptrdiff_t k = s * ld + i;
    ZIn zt[kLanes], at[kLanes];
    double ut[kLanes], pt[kLanes];
    const vd zb = biased_at(lanes<kFull>(Z + k, zt, len)), ab = biased_at(lanes<kFull>(A + k, at, len));
    const vd u = load(lanes<kFull>(U + k, ut, len)), p = load(lanes<kFull>(P + k, pt, len));
    // m z = max(z, 0), so q = a - m z = (a + M) - max(z + M, M): exact.
    const vd q = ab - vmax(zb, M);
    const vd wz = u * cu - select(opaque(zb >= M), q) * cq;
    const vd wa = q * cqa + p * cw;
    vd zn = round_biased<Q>(zb, wz), an = round_biased<Q>(ab, wa);
    if constexpr (kFit) {
      zn = fit<O>(zn, R, sat_z);
      an = fit<O>(an, R, sat_a);
    }
    lost_z -= opaque(wz != 0.0) & opaque(zn == zb);
    lost_a -= opaque(wa != 0.0) & opaque(an == ab);
    if constexpr (kTrack) mx = vmax(mx, vmax(vabs(zn - zb), vabs(an - ab)));
    store_lanes(Zo + s * ldz + i, unbias(zn), len);
    store_lanes(Ao + s * lda + i, unbias(an), len);
  });
  WriteCounts c;
  c.saturated = static_cast<std::uint64_t>(hsum(sat_z));
  c.saturated_a = static_cast<std::uint64_t>(hsum(sat_a));
  c.lost = static_cast<std::uint64_t>(hsum(lost_z));
  c.lost_a = static_cast<std::uint64_t>(hsum(lost_a));
  c.max_abs = hmax(mx);
  return c;
}

// ---- The identity output neuron's step (vertex::output_update) ---------------------------
// z' = fit(round(z + w)), w = u cu + g cg = -s g 2^-d where g_out = z - G
// (kDiff: G the targets) or G (the force itself), 0 when G is null; under
// the same kind of bounds. Writes Zo[s * ldz + i].
template <fx::Quant Q, fx::Overflow O, bool kFit, bool kTrack, bool kDiff, typename ZIn>
WriteCounts output(const ZIn* Z, const double* U, const double* G, const Block& blk, double cu, double cg,
                   const Range R, std::int64_t* Zo) {
  vm sat = vm{}, lost = vm{};
  vd mx = vd{};
  const vd vcu = splat(cu), vcg = splat(cg), M = splat(kMagic);
  const std::ptrdiff_t ld = blk.ld, ldz = blk.ldz;
  for_vectors<std::is_same_v<ZIn, double>>(blk, [&](auto full, std::ptrdiff_t s, std::ptrdiff_t i,
                                                    std::ptrdiff_t len) {
    constexpr bool kFull = decltype(full)::value;
    const std::ptrdiff_t k = s * ld + i;
    ZIn zt[kLanes];
    double ut[kLanes], gt[kLanes];
    const ZIn* zp = lanes<kFull>(Z + k, zt, len);
    const vd zb = biased_at(zp);
    vd w = load(lanes<kFull>(U + k, ut, len)) * vcu;
    if (G != nullptr) {
      const vd g = load(lanes<kFull>(G + k, gt, len));
      if constexpr (kDiff) {
        w += (zb - M - g) * vcg;
      } else {
        w += g * vcg;
      }
    }
    vd zn = round_biased<Q>(zb, w);
    if constexpr (kFit) zn = fit<O>(zn, R, sat);
    lost -= opaque(w != 0.0) & opaque(zn == zb);
    if constexpr (kTrack) mx = vmax(mx, vabs(zn - zb));
    store_lanes(Zo + s * ldz + i, unbias(zn), len);
  });
  WriteCounts c;
  c.saturated = static_cast<std::uint64_t>(hsum(sat));
  c.lost = static_cast<std::uint64_t>(hsum(lost));
  c.max_abs = hmax(mx);
  return c;
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

}  // namespace sheafsim::xd
