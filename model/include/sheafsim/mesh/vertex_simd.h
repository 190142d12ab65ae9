#pragma once
// Vectorised register writes of a vertex unit (vertex_datapath.h) for the
// deterministic rounding modes, over a chunk of n x B registers stored
// densely. The vertex unit calls them only under the bounds stated at each
// kernel (checked from the formats and this step's magnitudes, fast64.h);
// otherwise it takes the 64-bit or __int128 path, which compute the same bits.
//
// Integers held in doubles. A double holds every integer of magnitude below
// 2^53 exactly, and +, -, * of exact values are exact whenever the exact
// result is representable (IEEE 754 rounds only results it cannot represent);
// scaling by a power of two is exact at these magnitudes. Every value below is
// an integer times a power of two whose integer part the bounds keep below
// 2^53.
//
// Rounding with one add. With M = 1.5 * 2^52, an integer A with |A| < 2^51 is
// held "biased" as Ab = A + M, in [2^52, 2^53) where doubles are exactly 1
// apart, and bits(Ab) = bits(M) + A. For an exact w with |A + w| < 2^50 the
// IEEE sum y = fl(Ab + w) is M + n, n the integer nearest to A + w, ties to
// even (M is even): that is the rnd_conv write of (A + w) (fixed-point.md §3,
// the rounding of v * 2^-d with v = (A + w) 2^d). Then t = y - Ab = n - A and
// w - t = (A + w) - n in [-1/2, 1/2] are exact and say where n lies relative
// to A + w, which gives the other modes (round_biased). This needs the IEEE
// default rounding mode (round to nearest; vertex_unit.cpp checks it before
// taking these paths) and no reassociation (no -ffast-math, checked below).
//
// GCC vector extensions: SSE2 in the default x86-64 build, AVX with
// -march=native; elsewhere plain per-lane code.
#include <cfenv>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "sheafsim/fixed_point.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#if defined(__FAST_MATH__)
#error "the exact-double kernels of vertex_simd.h need IEEE arithmetic without -ffast-math"
#endif

namespace sheafsim::mesh::simd {

// IEEE 754 doubles evaluated in double precision, rounding to nearest.
inline bool exact_doubles_ok() {
  return std::numeric_limits<double>::is_iec559 && FLT_EVAL_METHOD == 0 && std::fegetround() == FE_TONEAREST
#if defined(__SSE2__)
         && (_mm_getcsr() & 0x6000u) == 0  // MXCSR rounding control: to nearest
#endif
      ;
}

#if defined(__AVX__)
constexpr int kVecBytes = 32;
#else
constexpr int kVecBytes = 16;
#endif
typedef double vd __attribute__((vector_size(kVecBytes)));
using vm = decltype(vd{} < vd{});  // int64 lanes; comparisons give 0 or -1
constexpr int kLanes = kVecBytes / 8;

// Blocks of doubles (and the vertex units' registers) are stored [s * ld + i]
// with ld = padded(n), the rows rounded up to whole vectors, and kLanes
// values of slack after the last row, so that kernels may load whole vectors
// from any row's start (the extra lanes are finite values and are ignored).
inline size_t padded(int n) { return (static_cast<size_t>(n) + kLanes - 1) / kLanes * kLanes; }
inline size_t padded_size(int n, int B) { return padded(n) * static_cast<size_t>(B) + kLanes; }

constexpr double kMagic = 6755399441055744.0;            // M = 1.5 * 2^52
constexpr std::int64_t kMagicBits = 0x4338000000000000;  // bits(M)

// Keeps GCC from turning mask arithmetic into per-lane scalar code.
inline vm opaque(vm m) {
#if defined(__x86_64__) || defined(__i386__)
  asm("" : "+x"(m));
#endif
  return m;
}
inline vd splat(double x) { return vd{} + x; }
inline vm splati(std::int64_t x) { return vm{} + x; }
inline vd load(const double* p) {
  vd v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline vm loadi(const std::int64_t* p) {
  vm v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void store(double* p, vd v) { std::memcpy(p, &v, sizeof v); }
inline void storei(std::int64_t* p, vm v) { std::memcpy(p, &v, sizeof v); }
inline vd bits_d(vm v) { return (vd)v; }
inline vm bits_i(vd v) { return (vm)v; }
inline vd select(vm mask, vd v) { return bits_d(mask & bits_i(v)); }  // v where mask, else +0
inline vd vabs(vd v) { return bits_d(bits_i(v) & splati(0x7fffffffffffffff)); }
inline vd vmax(vd a, vd b) {
#if defined(__AVX__)
  return _mm256_max_pd(a, b);
#elif defined(__SSE2__)
  return _mm_max_pd(a, b);
#else
  return a > b ? a : b;
#endif
}
inline vd vmin(vd a, vd b) {
#if defined(__AVX__)
  return _mm256_min_pd(a, b);
#elif defined(__SSE2__)
  return _mm_min_pd(a, b);
#else
  return a < b ? a : b;
#endif
}
inline std::int64_t hsum(vm v) {
  std::int64_t s = 0;
  for (int l = 0; l < kLanes; ++l) s += v[l];
  return s;
}
inline double hmax(vd v) {
  double m = v[0];
  for (int l = 1; l < kLanes; ++l) m = v[l] > m ? v[l] : m;
  return m;
}
inline double hmin(vd v) {
  double m = v[0];
  for (int l = 1; l < kLanes; ++l) m = v[l] < m ? v[l] : m;
  return m;
}

// int64 <-> biased double (|A| < 2^51): one integer add on the bits.
inline vd biased(vm a) { return bits_d(a + splati(kMagicBits)); }
inline vm unbias(vd ab) { return bits_i(ab) - splati(kMagicBits); }

// floor(x), |x| < 2^51: x rounded to nearest, minus one where that is above x.
inline vd vfloor(vd x) {
  const vd t = (x + kMagic) - kMagic;
  return t - select(opaque(t > x), splat(1.0));
}

// M + (A + w rounded by mode Q), from Ab = A + M and the exact w (|A + w| < 2^50):
//  y = M + n, n = rne(A + w); t = n - A; g = w - t = (A + w) - n in [-1/2, 1/2];
//  trn: floor = n - [n > A + w] = n - [t > w];
//  trn_zero: the floor, plus one where A + w is not an integer (w != t) and negative (floor < 0);
//  rnd (ties up): n, plus one at a tie rne rounded down (g = 1/2);
//  rnd_zero (ties toward zero): n, plus one at a negative tie rounded down (g = 1/2, n < 0),
//  minus one at a positive tie rounded up (g = -1/2, n > 0).
template <fx::Quant Q>
inline vd round_biased(vd Ab, vd w) {
  static_assert(Q != fx::Quant::Stoch, "stochastic rounding takes the 64-bit path");
  const vd y = Ab + w;
  if constexpr (Q == fx::Quant::RndConv) {
    return y;
  } else {
    const vd t = y - Ab;
    const vd one = splat(1.0);
    if constexpr (Q == fx::Quant::Trn) {
      return y - select(opaque(t > w), one);
    } else if constexpr (Q == fx::Quant::TrnZero) {
      const vd fl = y - select(opaque(t > w), one);
      return fl + select(opaque(w != t) & opaque(fl < kMagic), one);
    } else if constexpr (Q == fx::Quant::Rnd) {
      return y + select(opaque((w - t) == 0.5), one);
    } else {  // RndZero
      const vd g = w - t;
      return y + select(opaque(g == 0.5) & opaque(y < kMagic), one) -
             select(opaque(g == -0.5) & opaque(y > kMagic), one);
    }
  }
}

// A register format (width <= 50) in the biased representation.
struct Range {
  double lo = 0, hi = 0, span = 0, inv_span = 0;
  static Range of(const fx::FixedFormat& f) {
    Range r;
    r.lo = static_cast<double>(f.min_raw()) + kMagic;
    r.hi = static_cast<double>(f.max_raw()) + kMagic;
    r.span = std::ldexp(1.0, f.width());
    r.inv_span = std::ldexp(1.0, -f.width());
    return r;
  }
};

// fx::fit_width of a biased integer: clamp (sat) or keep the low `width` bits
// (wrap: r - 2^w floor((r - lo) / 2^w), exact); counts the lanes out of range.
template <fx::Overflow O>
inline vd fit(vd r, const Range& R, vm& count) {
  const vd lo = splat(R.lo), hi = splat(R.hi);
  if constexpr (O == fx::Overflow::Sat) {
    const vd c = vmin(vmax(r, lo), hi);
    count -= opaque(c != r);
    return c;
  } else {
    count -= opaque(r < lo) | opaque(r > hi);
    return r - vfloor((r - lo) * R.inv_span) * R.span;
  }
}

struct Counts {
  std::int64_t sat = 0, sat_a = 0, lost = 0, lost_a = 0;
  double max_abs = 0;  // max |u| (residuals), raw
};

// Lanes of a partial vector, loaded and stored one by one.
template <typename T>
inline void store_first(T* p, const T (&t)[kLanes], std::ptrdiff_t len) {
  for (std::ptrdiff_t l = 0; l < len; ++l) p[l] = t[l];
}
// Stores the first `len` lanes of v (len <= kLanes) to p.
inline void storei_n(std::int64_t* p, vm v, std::ptrdiff_t len) {
  if (len == kLanes) {
    storei(p, v);
  } else {
    std::int64_t t[kLanes];
    storei(t, v);
    store_first(p, t, len);
  }
}

// Rows [0, n) of the B columns of a column-major int64 matrix (column stride
// ldm) into out[s * ld + i] as doubles. Returns a bound on max |v|: the OR
// over all values v of v ^ (v >> 63), plus 1 (fast::mag_bound); when that is
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

// A chunk of a vertex unit: n registers per sample for B samples, its inputs
// stored [s * ld + i] (ld = padded(n); the padding lanes hold 0, which gives 0
// and counts nothing), its new stalks written to columns of the state matrix.
struct Chunk {
  std::ptrdiff_t n = 0, ld = 0, B = 0;
};

// ---- The residual write ----------------------------------------------------------------
// u = fit(round(acc 2^-d)), acc = z zs - p (zs = 2^fw; p the sum of the
// partial sums; the caller proved |z zs| + |p| < min(2^50, 2^(acc_bits - 1)):
// exact, no accumulator wrap), for all ld * B lanes. Writes u as doubles.
template <fx::Quant Q, fx::Overflow O, bool kFit>
Counts residual(const double* z, double zs, const double* p, double* ud, std::ptrdiff_t total, double scale,
                const Range R) {
  vm sat = vm{};
  const vd M = splat(kMagic), sc = splat(scale), vzs = splat(zs);
  vd hi = M, lo = M;
  for (std::ptrdiff_t i = 0; i < total; i += kLanes) {  // total: whole vectors (padded rows)
    vd r = round_biased<Q>(M, (load(z + i) * vzs - load(p + i)) * sc);
    if constexpr (kFit) r = fit<O>(r, R, sat);
    hi = vmax(hi, r);
    lo = vmin(lo, r);
    store(ud + i, r - M);
  }
  Counts c;
  c.sat = hsum(sat);
  c.max_abs = std::max(hmax(hi) - kMagic, kMagic - hmin(lo));
  return c;
}

// ---- The hidden neuron's step (vertex::hidden_update) ------------------------------------
// z' = fit(round(z + wz)), a' = fit(round(a + wa)) with q = a - m z, m = [z >= 0],
// wz = u cu - m q cq = -s g_z 2^-dz, wa = q cqa + p cw = -s g_a 2^-da (the
// caller's bounds: s |g_z|, s |g_a| and every product below 2^53, |z + wz|,
// |a + wa| < 2^50, no accumulator wrap of g_a, s != 0 so that wz != 0 iff g_z != 0).
struct HiddenParams {
  double cu, cq, cqa, cw;
  Range R;
};
// Reads z, a, u, p ([s * ld + i], doubles) and writes the new stalks to
// Zo[s * ldz + i], Ao[s * lda + i], i < n. (The largest change is measured
// afterwards from the old and new values, only when asked: VertexUnit::max_change.)
template <fx::Quant Q, fx::Overflow O, bool kFit>
Counts hidden(const double* Z, const double* A, const double* U, const double* P, const Chunk& ch,
              const HiddenParams& prm, std::int64_t* Zo, std::ptrdiff_t ldz, std::int64_t* Ao, std::ptrdiff_t lda) {
  vm sat_z = vm{}, sat_a = vm{}, lost_z = vm{}, lost_a = vm{};
  const vd cu = splat(prm.cu), cq = splat(prm.cq), cqa = splat(prm.cqa), cw = splat(prm.cw), M = splat(kMagic);
  const Range R = prm.R;
  const std::ptrdiff_t n = ch.n, ld = ch.ld, B = ch.B;  // locals: the stores could alias ch otherwise
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    const std::ptrdiff_t row = s * ld;
    for (std::ptrdiff_t i = 0; i < n; i += kLanes) {
      const std::ptrdiff_t k = row + i;
      const vd zb = load(Z + k) + M, ab = load(A + k) + M;  // biased: exact, |z|, |a| < 2^50
      const vd u = load(U + k), p = load(P + k);
      const vd q = ab - vmax(zb, M);  // a - max(z, 0) = a - m z
      const vd wz = u * cu - select(opaque(zb >= M), q) * cq;
      const vd wa = q * cqa + p * cw;
      vd zn = round_biased<Q>(zb, wz), an = round_biased<Q>(ab, wa);
      if constexpr (kFit) {
        zn = fit<O>(zn, R, sat_z);
        an = fit<O>(an, R, sat_a);
      }
      lost_z -= opaque(wz != 0.0) & opaque(zn == zb);
      lost_a -= opaque(wa != 0.0) & opaque(an == ab);
      const std::ptrdiff_t len = std::min<std::ptrdiff_t>(kLanes, n - i);
      storei_n(Zo + s * ldz + i, unbias(zn), len);
      storei_n(Ao + s * lda + i, unbias(an), len);
    }
  }
  Counts c;
  c.sat = hsum(sat_z);
  c.sat_a = hsum(sat_a);
  c.lost = hsum(lost_z);
  c.lost_a = hsum(lost_a);
  return c;
}

// ---- The identity output neuron's step (vertex::output_update) ----------------------------
// z' = fit(round(z + w)), w = u cu + (z - y) cy = -s g 2^-d (Y null: inference,
// g_out = 0) under the same kind of bounds. Writes Zo[s * ldz + i], i < n.
template <fx::Quant Q, fx::Overflow O, bool kFit>
Counts output(const double* Z, const double* Y, const double* U, const Chunk& ch, double cu, double cy,
              const Range R, std::int64_t* Zo, std::ptrdiff_t ldz) {
  vm sat = vm{}, lost = vm{};
  const vd vcu = splat(cu), vcy = splat(cy), M = splat(kMagic);
  const std::ptrdiff_t n = ch.n, ld = ch.ld, B = ch.B;
  for (std::ptrdiff_t s = 0; s < B; ++s) {
    const std::ptrdiff_t row = s * ld;
    for (std::ptrdiff_t i = 0; i < n; i += kLanes) {
      const std::ptrdiff_t k = row + i;
      const vd z = load(Z + k), zb = z + M;
      vd w = load(U + k) * vcu;
      if (Y != nullptr) w += (z - load(Y + k)) * vcy;
      vd zn = round_biased<Q>(zb, w);
      if constexpr (kFit) zn = fit<O>(zn, R, sat);
      lost -= opaque(w != 0.0) & opaque(zn == zb);
      storei_n(Zo + s * ldz + i, unbias(zn), std::min<std::ptrdiff_t>(kLanes, n - i));
    }
  }
  Counts c;
  c.sat = hsum(sat);
  c.lost = hsum(lost);
  return c;
}

}  // namespace sheafsim::mesh::simd
