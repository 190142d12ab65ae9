#pragma once
// 64-bit fast paths of the mesh's arithmetic. The exact model computes every
// intermediate in __int128 (edge_datapath.h, vertex_datapath.h); a PE or a
// vertex unit may instead compute a chunk in 64-bit integers (or, for the PE
// products, in doubles) when it has proved, from the formats and from the
// magnitudes of this step's operands, that every intermediate of the chunk
// fits: an exact integer computation gives the same value in any type it
// fits in, and a rounding of a value that fits in 64 bits is done by
// fx::quantize in 64-bit arithmetic anyway (write64 below is that branch).
// Otherwise the chunk takes the __int128 path, unchanged.
//
// Bounds are magnitudes in unsigned 128-bit integers that saturate at kHuge
// (a value that large only means "does not fit"); each check compares a
// bound with a power of two far below kHuge.
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include <Eigen/Core>

#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::mesh::fast {

using fx::uwide;
using fx::wide;

constexpr uwide kHuge = uwide{1} << 126;
constexpr uwide kInt64 = uwide{1} << 63;   // |v| < kInt64: v fits in std::int64_t
constexpr uwide kDouble = uwide{1} << 53;  // |v| <= kDouble: v is exact in a double

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

// The rounding and overflow modes as compile-time constants (sheafsim/fixed/fixed_modes.h).
using fx::OverflowTag;
using fx::QuantTag;
using fx::with_det_modes;
using fx::with_modes;

// Calls f(std::bool_constant<b>).
template <typename F>
decltype(auto) with_bool(bool b, F&& f) {
  if (b) return f(std::true_type{});
  return f(std::false_type{});
}

// ---- Register writes in 64 bits ------------------------------------------------

// fx::quantize(v, frac_in, f, Q, O, ...) for v that fits in 64 bits and
// d = frac_in - f.frac_bits in [0, 63): exactly its 64-bit branch.
template <fx::Quant Q, fx::Overflow O>
inline std::int64_t write64(std::int64_t v, int d, int width, bool* overflowed, std::uint64_t rnd) {
  return fx::fit_width<std::int64_t>(fx::round_shift<std::int64_t>(v, d, Q, rnd), width, O, overflowed);
}

// vertex::acc_fit (the accumulator register, wrapping) of a value that fits in 64 bits.
inline std::int64_t acc_wrap64(std::int64_t v, int acc_bits, bool* wrapped) {
  if (acc_bits >= 64) {  // [-2^63, 2^63) lies inside the accumulator
    *wrapped = false;
    return v;
  }
  return fx::fit_width<std::int64_t>(v, acc_bits, fx::Overflow::Wrap, wrapped);
}

// The stochastic-rounding bits fx::stoch_bits(seed, step, sample, site) with
// the chain's common prefix computed once: step_key(seed, step), then
// sample_key(step_key, sample) once per sample, then bits(sample_key, site).
inline std::uint64_t step_key(std::uint64_t seed, std::uint64_t step) { return fx::mix64(fx::mix64(seed) ^ step); }
inline std::uint64_t sample_key(std::uint64_t step_key, std::uint64_t sample) { return fx::mix64(step_key ^ sample); }
inline std::uint64_t bits(std::uint64_t sample_key, std::uint64_t site) { return fx::mix64(sample_key ^ site); }

// ---- The vertex unit's registers in 64 bits (vertex_datapath.h) ------------------

// The shifts and widths of vertex::hidden_update and vertex::output_update.
struct VertexShifts {
  int fs, fr, fw, fc, f1, f2, ws, acc_bits;
  explicit VertexShifts(const FixedConfig& c)
      : fs(c.stalk.frac_bits), fr(c.residual.frac_bits), fw(c.weight.frac_bits), fc(c.constant.frac_bits),
        f1(std::max(fr, fs)), f2(fw + fr), ws(c.stalk.width()), acc_bits(c.acc_bits) {}
};

// vertex::hidden_update in 64-bit integers. Exact when (HiddenBounds below)
// every intermediate fits: then each step is the same integer operation.
struct HiddenStep64 {
  std::int64_t z, a;
  bool z_sat, a_sat, z_lost, a_lost, acc_wrapped;
};
template <fx::Quant Q, fx::Overflow O>
inline HiddenStep64 hidden_update64(std::int64_t z, std::int64_t a, std::int64_t u, std::int64_t p, std::int64_t s,
                                    const VertexShifts& k, std::uint64_t rnd_z, std::uint64_t rnd_a) {
  const bool active = z >= 0;
  const std::int64_t q = active ? a - z : a;
  const std::int64_t gz = fx::shl64(u, k.f1 - k.fr) - (active ? fx::shl64(q, k.f1 - k.fs) : 0);
  HiddenStep64 out;
  const std::int64_t ga = acc_wrap64(fx::shl64(q, k.f2 - k.fs) - p, k.acc_bits, &out.acc_wrapped);
  const int dz = k.fc + k.f1 - k.fs, da = k.fc + k.f2 - k.fs;
  out.z = write64<Q, O>(fx::shl64(z, dz) - s * gz, dz, k.ws, &out.z_sat, rnd_z);
  out.a = write64<Q, O>(fx::shl64(a, da) - s * ga, da, k.ws, &out.a_sat, rnd_a);
  out.z_lost = gz != 0 && out.z == z;
  out.a_lost = ga != 0 && out.a == a;
  return out;
}
// Is hidden_update64 exact for |z| <= zmax, |a| <= amax, |u| <= umax, |p| <= pmax, |s| <= smax?
inline bool hidden_fits64(const VertexShifts& k, uwide zmax, uwide amax, uwide umax, uwide pmax, uwide smax) {
  const int dz = k.fc + k.f1 - k.fs, da = k.fc + k.f2 - k.fs;
  if (dz < 0 || dz >= 63 || da < 0 || da >= 63) return false;
  const uwide q = add(zmax, amax);
  const uwide gz = add(shl(umax, k.f1 - k.fr), shl(q, k.f1 - k.fs));
  const uwide ga_exact = add(shl(q, k.f2 - k.fs), pmax);
  const uwide ga = std::min(ga_exact, pow2(k.acc_bits - 1));  // after the accumulator
  return pmax < kInt64 && gz < kInt64 && ga_exact < kInt64 && add(shl(zmax, dz), mul(smax, gz)) < kInt64 &&
         add(shl(amax, da), mul(smax, ga)) < kInt64;
}

// vertex::output_update in 64-bit integers, g_out = z - y (train) or 0.
template <fx::Quant Q, fx::Overflow O>
inline edge::Write output_update64(std::int64_t z, std::int64_t u, std::int64_t g_out, int g_out_frac, std::int64_t s,
                                   const VertexShifts& k, std::uint64_t rnd) {
  const int f = std::max(k.f1, g_out_frac), d = k.fc + f - k.fs;
  const std::int64_t g = fx::shl64(u, f - k.fr) + fx::shl64(g_out, f - g_out_frac);
  edge::Write out;
  out.value = write64<Q, O>(fx::shl64(z, d) - s * g, d, k.ws, &out.saturated, rnd);
  out.lost = g != 0 && out.value == z;
  return out;
}
inline bool output_fits64(const VertexShifts& k, int g_out_frac, uwide zmax, uwide umax, uwide gmax, uwide smax) {
  const int f = std::max(k.f1, g_out_frac), d = k.fc + f - k.fs;
  if (d < 0 || d >= 63) return false;
  const uwide g = add(shl(umax, f - k.fr), shl(gmax, f - g_out_frac));
  return g < kInt64 && add(shl(zmax, d), mul(smax, g)) < kInt64;
}

}  // namespace sheafsim::mesh::fast
