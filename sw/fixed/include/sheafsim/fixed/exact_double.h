#pragma once
// Integers held in doubles: the vector primitives and the rounding of the
// exact-double kernels (exact_kernels.h) that the bit-accurate model and the
// mesh's vertex units run, and of the mesh's PE products (pe_kernels.cpp).
// Their callers state the bounds under which every value is exact.
//
// A double holds every integer of magnitude below
// 2^53 exactly, and +, -, * of exact values are exact whenever the exact
// result is representable (IEEE 754 rounds only results it cannot
// represent); multiplying by a power of two is exact at these magnitudes.
//
// Biased values. With M = 1.5 * 2^52, an integer A with |A| < 2^51 is held as
// Ab = A + M, which lies in [2^52, 2^53) where doubles are spaced exactly 1
// apart and bits(Ab) = bits(M) + A (so int64 <-> biased double is one integer
// add). For an exact w with |A + w| < 2^50, the IEEE sum fl(Ab + w) is the
// exact real A + w + M rounded once to that grid: M + (A + w rounded to the
// nearest integer, ties to even), since M is even. That single add is the
// rnd_conv write of docs/fixed-point.md §3 for the value (A + w) * 2^d; the
// other modes are derived from it below. It needs the IEEE default rounding
// mode (round to nearest) and a compiler that does not reassociate (no
// -ffast-math): exact_doubles_ok() tells, and the callers check it.
// FMA contraction changes nothing: every product that could be fused into an
// add is exact already.
//
// The kernels use GCC vector extensions: SSE2 in the default x86-64 build,
// AVX with -march=native.
#include <cfenv>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include "sheafsim/fixed/fixed_point.h"

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace sheafsim::xd {

// IEEE 754 doubles evaluated in double precision (no x87 excess precision),
// and no reassociation.
constexpr bool kExactDoubleOk = std::numeric_limits<double>::is_iec559 && FLT_EVAL_METHOD == 0
#if defined(__FAST_MATH__)
                                && false
#endif
    ;

// ... and the current rounding mode is to nearest. On x86, glibc's fegetround
// reads the x87 control word only; the SSE unit's (MXCSR bits 13-14) is checked too.
inline bool exact_doubles_ok() {
  return kExactDoubleOk && std::fegetround() == FE_TONEAREST
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
using vm = decltype(vd{} < vd{});  // int64 lanes; comparisons give 0 or -1 per lane
typedef std::uint64_t vu __attribute__((vector_size(kVecBytes)));  // the same, wrapping
constexpr int kLanes = kVecBytes / 8;

constexpr double kMagic = 6755399441055744.0;            // M = 1.5 * 2^52
constexpr std::int64_t kMagicBits = 0x4338000000000000;  // bits(M)

// A comparison mask the optimiser must treat as plain bits: GCC otherwise
// turns some combinations of comparison results (a & b subtracted from a
// counter) into per-lane scalar code on SSE2.
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
// The first `len` lanes (0 < len < kLanes), the others zero / not written.
template <typename T>
inline void load_part(T (&t)[kLanes], const T* p, std::ptrdiff_t len) {
  for (int l = 0; l < kLanes; ++l) t[l] = l < len ? p[l] : T{0};
}
template <typename T>
inline void store_part(T* p, const T (&t)[kLanes], std::ptrdiff_t len) {
  for (int l = 0; l < kLanes; ++l)
    if (l < len) p[l] = t[l];
}
inline vd bits_d(vm v) { return (vd)v; }  // same-size vector casts reinterpret the bits
inline vm bits_i(vd v) { return (vm)v; }
inline vd select(vm mask, vd v) { return bits_d(mask & bits_i(v)); }  // v where mask, else +0
inline vd vabs(vd v) { return bits_d(bits_i(v) & splati(0x7fffffffffffffff)); }
// a > b ? a : b (kMax) and a < b ? a : b (maxpd / minpd have exactly these
// semantics; GCC sometimes expands the conditional into a four-instruction blend).
template <bool kMax>
inline vd vext(vd a, vd b) {
#if defined(__AVX__)
  return kMax ? _mm256_max_pd(a, b) : _mm256_min_pd(a, b);
#elif defined(__SSE2__)
  return kMax ? _mm_max_pd(a, b) : _mm_min_pd(a, b);
#else
  return kMax ? (a > b ? a : b) : (a < b ? a : b);
#endif
}
inline vd vmax(vd a, vd b) { return vext<true>(a, b); }
inline vd vmin(vd a, vd b) { return vext<false>(a, b); }
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

// Biased <-> int64 and unbiased values (|A| < 2^51).
inline vd biased(vm a) { return bits_d(a + splati(kMagicBits)); }
inline vm unbias(vd ab) { return bits_i(ab) - splati(kMagicBits); }

// floor(x) for |x| < 2^51: x rounded to the nearest integer, minus one where that is above x.
inline vd vfloor(vd x) {
  const vd t = (x + kMagic) - kMagic;
  return t - select(opaque(t > x), splat(1.0));
}

// The biased result of writing the exact value (A + w) 2^d to a register with
// d fractional bits dropped, by mode Q (docs/fixed-point.md §3), from
// Ab = A + M (A an integer) and the exact w, |A + w| < 2^50:
//  - y = fl(Ab + w) = M + n, n the integer nearest to A + w, ties to even:
//    that is rnd_conv;
//  - t = y - Ab = n - A is exact, and A + w - n = w - t is exact, in
//    [-1/2, 1/2]; it says where n lies relative to A + w:
//  - trn: floor(A + w) = n - [t > w];
//  - trn_zero: the floor plus one where A + w < 0 is not an integer
//    (w != t, and then A + w < 0 iff the floor is negative);
//  - rnd (ties up): n, plus one at a tie rounded down (w - t = 1/2);
//  - rnd_zero (ties toward zero): n, plus one at A + w = n + 1/2 with n < 0,
//    minus one at A + w = n - 1/2 with n > 0.
template <fx::Quant Q>
inline vd round_biased(vd Ab, vd w) {
  static_assert(Q != fx::Quant::Stoch, "stochastic rounding has no fast path");
  const vd y = Ab + w;
  if constexpr (Q == fx::Quant::RndConv) {
    return y;
  } else {
    const vd t = y - Ab;
    const vd one = splat(1.0);
    if constexpr (Q == fx::Quant::Trn) {
      return y - select(opaque(t > w), one);
    } else if constexpr (Q == fx::Quant::TrnZero) {
      const vm above = opaque(t > w);
      const vd fl = y - select(above, one);  // M + floor(A + w)
      // A + w is not an integer iff w != t (as n - A + (w - t) with n integral).
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

// A register's range in the biased representation: [lo, hi] + M, and 2^w for wrapping.
struct Range {
  double lo = 0, hi = 0, span = 0, inv_span = 0;
  static Range of(const fx::FixedFormat& f) {
    Range r;
    r.lo = static_cast<double>(f.min_raw()) + kMagic;  // exact: |raw| < 2^51
    r.hi = static_cast<double>(f.max_raw()) + kMagic;
    r.span = std::ldexp(1.0, f.width());
    r.inv_span = std::ldexp(1.0, -f.width());
    return r;
  }
};

// Fits a biased integer into the register: clamp (sat) or keep the low w bits
// (wrap: r - 2^w floor((r - lo) / 2^w), all exact); adds one to `count` per
// lane that was out of range.
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
}  // namespace sheafsim::xd
