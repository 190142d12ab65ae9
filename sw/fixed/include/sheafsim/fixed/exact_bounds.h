#pragma once
// Magnitude bounds: the arithmetic with which the fast paths of the
// bit-accurate model (arith_fixed.cpp) and of the mesh (the PE and vertex
// datapaths) prove, from the formats and from magnitudes measured this step,
// that every intermediate of a kernel fits the representation it runs in
// (a double below 2^53, an int64 below 2^63, or the accumulator without a wrap).
//
// A bound is a magnitude in an unsigned 128-bit integer that saturates at
// kHuge (a value that large only means "does not fit"); each check compares
// a bound with a power of two far below kHuge, so a saturated bound fails
// every check that the exact one fails.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <Eigen/Core>

#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::bounds {

using fx::uwide;
using fx::wide;

constexpr uwide kHuge = uwide{1} << 126;
constexpr uwide kInt64 = uwide{1} << 63;   // |v| < kInt64: v fits in std::int64_t
constexpr uwide kDouble = uwide{1} << 53;  // |v| <= kDouble: v is exact in a double

// 2^n (n < 0: 1).
inline uwide pow2(int n) { return n >= 126 ? kHuge : uwide{1} << std::max(n, 0); }
inline uwide add(uwide x, uwide y) { return std::min(std::min(x, kHuge) + std::min(y, kHuge), kHuge); }
inline uwide mul(uwide x, uwide y) {
  if (x == 0 || y == 0) return 0;
  if (x >= kInt64 || y >= kInt64) return kHuge;
  return std::min(x * y, kHuge);  // < 2^126
}
// x * 2^n (n >= 0).
inline uwide shl(uwide x, int n) {
  if (x == 0) return 0;
  if (n >= 126 || x >= (kHuge >> n)) return kHuge;
  return x << n;
}
inline uwide mag(std::int64_t v) { return v < 0 ? static_cast<uwide>(-wide{v}) : static_cast<uwide>(v); }
inline uwide mag(wide v) { return v < 0 ? static_cast<uwide>(-v) : static_cast<uwide>(v); }
// A measured magnitude: a non-negative integer-valued double.
inline uwide mag(double x) { return x < 0x1p63 ? static_cast<uwide>(static_cast<std::uint64_t>(x)) : kHuge; }
// max |p[k]| over n values.
inline uwide max_abs(const std::int64_t* p, size_t n) {
  std::int64_t lo = 0, hi = 0;
  for (size_t k = 0; k < n; ++k) {
    lo = std::min(lo, p[k]);
    hi = std::max(hi, p[k]);
  }
  return std::max(mag(lo), mag(hi));
}
// A bound on max |p[k]| within a factor of 2, in one vectorisable pass: with
// t = v ^ (v >> 63) (v >= 0: v; v < 0: -v - 1), |v| <= t + 1 <= (OR of all t) + 1.
inline uwide mag_bound(const std::int64_t* p, size_t n) {
  std::uint64_t acc = 0;
  for (size_t k = 0; k < n; ++k) acc |= static_cast<std::uint64_t>(p[k] ^ (p[k] >> 63));
  return static_cast<uwide>(acc) + 1;
}
// max |M(i, s)| over rows [r0, r0 + n) and columns [c0, c0 + m) of a column-major matrix.
template <typename Mat>
uwide block_max_abs(const Mat& M, Eigen::Index r0, Eigen::Index n, Eigen::Index c0, Eigen::Index m) {
  std::int64_t lo = 0, hi = 0;
  for (Eigen::Index c = c0; c < c0 + m; ++c) {
    const std::int64_t* col = M.data() + c * M.outerStride() + r0;
    for (Eigen::Index i = 0; i < n; ++i) {
      lo = std::min(lo, col[i]);
      hi = std::max(hi, col[i]);
    }
  }
  return std::max(mag(lo), mag(hi));
}
// The largest magnitude of a register of width w.
inline uwide reg_max(int width) { return pow2(width - 1); }

}  // namespace sheafsim::bounds
