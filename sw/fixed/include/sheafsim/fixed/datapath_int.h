#pragma once
// The register writes of the datapath (docs/fixed-point.md §4) in a chosen
// integer width, the one integer form of each kernel that the bit-accurate
// model (arith_fixed.cpp) and the mesh's PE and vertex datapaths run: T is
// std::int64_t where a bound (exact_bounds.h) proves that every intermediate
// fits in 64 bits, else fx::wide (__int128); the rounding and overflow modes
// are compile-time constants Q, O (fixed_modes.h; Q = Stoch takes the random
// bits `rnd`). An exact integer computation gives the same value in any type
// it fits in, so these are the values of the per-register reference functions
// of edge_datapath.h and vertex_datapath.h (which compute in __int128 with the
// modes of the configuration).
#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/fixed/fixed_point.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim::dpint {

using fx::wide;

// The fractional bits, shifts and widths of the writes.
struct Shifts {
  int fs, fr, fw, fc;
  int f1, f2;          // frac of g_z (hidden) and g_a: max(fr, fs), fw + fr
  int dr, dw, db;      // bits dropped by the residual, weight and bias writes (dr < 0: a left shift)
  int ws, wr, ww, wb;  // register widths: stalk, residual, weight, bias
  int acc_bits;
  explicit Shifts(const FixedConfig& c)
      : fs(c.stalk.frac_bits), fr(c.residual.frac_bits), fw(c.weight.frac_bits), fc(c.constant.frac_bits),
        f1(std::max(fr, fs)), f2(fw + fr), dr(fw + fs - fr), dw(fc + fr + fs - fw), db(fc + fr - c.bias.frac_bits),
        ws(c.stalk.width()), wr(c.residual.width()), ww(c.weight.width()), wb(c.bias.width()),
        acc_bits(c.acc_bits) {}
  int dz() const { return fc + f1 - fs; }  // bits dropped by the hidden z write
  int da() const { return fc + f2 - fs; }  // ... and the a write
};

// v << n in T, defined for negative v.
template <typename T>
inline T lsh(T v, int n) {
  return static_cast<T>(static_cast<typename fx::Unsigned<T>::type>(v) << n);
}

// The register write of an exact v with d >= 0 fractional bits to drop
// (d < bits of T): fx::quantize, in T.
template <typename T, fx::Quant Q, fx::Overflow O>
inline std::int64_t write(T v, int d, int width, bool* overflowed, std::uint64_t rnd) {
  return static_cast<std::int64_t>(fx::fit_width<T>(fx::round_shift<T>(v, d, Q, rnd), width, O, overflowed));
}

// The accumulator register (vertex::acc_fit): v wrapped to acc_bits.
template <typename T>
inline T acc_wrap(T v, int acc_bits, bool* wrapped) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (acc_bits >= 64) {  // [-2^63, 2^63) lies inside the accumulator
      *wrapped = false;
      return v;
    }
  }
  return fx::fit_width<T>(v, acc_bits, fx::Overflow::Wrap, wrapped);
}

// vertex::residual of the exact accumulator value, before its wrap (acc_wrapped).
struct ResidualStep {
  edge::Write u;
  bool acc_wrapped = false;
};
template <typename T, fx::Quant Q, fx::Overflow O>
inline ResidualStep residual(T acc, const Shifts& k, std::uint64_t rnd) {
  ResidualStep out;
  const T v = acc_wrap<T>(acc, k.acc_bits, &out.acc_wrapped);
  if (k.dr >= 0)
    out.u.value = write<T, Q, O>(v, k.dr, k.wr, &out.u.saturated, rnd);
  else  // a residual with more fractional bits than the accumulator: an exact left shift
    out.u.value = static_cast<std::int64_t>(fx::fit_width<wide>(fx::shl(wide{v}, -k.dr), k.wr, O, &out.u.saturated));
  return out;
}

// vertex::stalk_write: v' = round((v << d) - s g - kp ((v - t) << shift)),
// d = fc + f - fs and shift = f - fs for g with f fractional bits.
template <typename T, fx::Quant Q, fx::Overflow O>
inline edge::Write stalk_write(std::int64_t v, T g, int d, int shift, std::int64_t s, vertex::SoftPin pin, int width,
                               std::uint64_t rnd) {
  const T pull = pin.kp == 0 ? T{0} : T{pin.kp} * lsh<T>(v - pin.target, shift);
  edge::Write out;
  out.value = write<T, Q, O>(lsh<T>(v, d) - T{s} * g - pull, d, width, &out.saturated, rnd);
  out.lost = (g != 0 || pull != 0) && out.value == v;
  return out;
}

// vertex::hidden_update: p = sum_i W_{l+1}[i, .] u_{l+1}[i] (frac fw + fr).
// With soft pins (pz, pa) T must be fx::wide: the 64-bit bounds do not cover them.
template <typename T, fx::Quant Q, fx::Overflow O>
inline vertex::HiddenStep hidden_update(std::int64_t z, std::int64_t a, std::int64_t u, T p, std::int64_t s,
                                        const Shifts& k, std::uint64_t rnd_z, std::uint64_t rnd_a,
                                        vertex::SoftPin pz = {}, vertex::SoftPin pa = {}) {
  const bool active = z >= 0;                 // the ReLU edge's mask
  const std::int64_t q = active ? a - z : a;  // its discord a - m z
  const T gz = lsh<T>(u, k.f1 - k.fr) - (active ? lsh<T>(q, k.f1 - k.fs) : T{0});
  vertex::HiddenStep out;
  const T ga = acc_wrap<T>(lsh<T>(q, k.f2 - k.fs) - p, k.acc_bits, &out.acc_wrapped);
  out.z = stalk_write<T, Q, O>(z, gz, k.dz(), k.f1 - k.fs, s, pz, k.ws, rnd_z);
  out.a = stalk_write<T, Q, O>(a, ga, k.da(), k.f2 - k.fs, s, pa, k.ws, rnd_a);
  return out;
}

// vertex::input_update: the a-update with q = 0 (g_x = -p wrapped to the accumulator).
template <typename T, fx::Quant Q, fx::Overflow O>
inline vertex::InputStep input_update(std::int64_t x, T p, std::int64_t s, const Shifts& k, std::uint64_t rnd) {
  vertex::InputStep out;
  const T g = acc_wrap<T>(T{0} - p, k.acc_bits, &out.acc_wrapped);
  out.x = stalk_write<T, Q, O>(x, g, k.da(), k.f2 - k.fs, s, {}, k.ws, rnd);
  return out;
}

// vertex::output_update: g = u + g_out (g_out exact with g_out_frac fractional bits).
template <typename T, fx::Quant Q, fx::Overflow O>
inline edge::Write output_update(std::int64_t z, std::int64_t u, T g_out, int g_out_frac, std::int64_t s,
                                 const Shifts& k, std::uint64_t rnd, vertex::SoftPin pz = {}) {
  const int f = std::max(k.f1, g_out_frac), d = k.fc + f - k.fs;
  const T g = lsh<T>(u, f - k.fr) + lsh<T>(g_out, f - g_out_frac);
  return stalk_write<T, Q, O>(z, g, d, f - k.fs, s, pz, k.ws, rnd);
}

// edge::update_weight and edge::update_bias of the wrapped Hebbian sum h:
// p' = round((p << d) + eta h) into a register of `width` bits.
template <typename T, fx::Quant Q, fx::Overflow O>
inline edge::Write update_param(std::int64_t p, T h, std::int64_t eta, int d, int width, std::uint64_t rnd) {
  const T delta = T{eta} * h;
  edge::Write out;
  out.value = write<T, Q, O>(lsh<T>(p, d) + delta, d, width, &out.saturated, rnd);
  out.lost = delta != 0 && out.value == p;
  return out;
}
template <typename T, fx::Quant Q, fx::Overflow O>
inline edge::Write update_weight(std::int64_t w, T h, std::int64_t eta, const Shifts& k, std::uint64_t rnd) {
  return update_param<T, Q, O>(w, h, eta, k.dw, k.ww, rnd);
}
template <typename T, fx::Quant Q, fx::Overflow O>
inline edge::Write update_bias(std::int64_t b, T h, std::int64_t eta, const Shifts& k, std::uint64_t rnd) {
  return update_param<T, Q, O>(b, h, eta, k.db, k.wb, rnd);
}

// Calls f(WidthTag<T>{}, QuantTag, OverflowTag) with T = std::int64_t when
// `narrow` (a bound proved the 64-bit form exact), else fx::wide, and the run's modes.
template <typename T>
struct WidthTag {
  using type = T;
};
template <typename F>
decltype(auto) with_width_and_modes(bool narrow, fx::Quant q, fx::Overflow o, F&& f) {
  return fx::with_modes(q, o, [&](auto qt, auto ot) -> decltype(auto) {
    if (narrow) return f(WidthTag<std::int64_t>{}, qt, ot);
    return f(WidthTag<wide>{}, qt, ot);
  });
}

// ---- When the 64-bit forms are exact (bounds on the operands' magnitudes) ----

// update_weight / update_bias <int64> for |p| <= pmax (the old register),
// |h| <= hmax (before the wrap to acc_bits) and |eta| <= etamax, with d
// dropped bits (Shifts::dw or db)? (shifted old value) + eta * (wrapped sum).
inline bool update_fits64(int d, int acc_bits, bounds::uwide pmax, bounds::uwide hmax, bounds::uwide etamax) {
  using namespace bounds;
  return d >= 0 && d < 63 && add(shl(pmax, d), mul(etamax, std::min(hmax, pow2(acc_bits - 1)))) < kInt64;
}
// hidden_update<int64> for |z| <= zmax, |a| <= amax, |u| <= umax, |p| <= pmax, |s| <= smax?
inline bool hidden_fits64(const Shifts& k, bounds::uwide zmax, bounds::uwide amax, bounds::uwide umax,
                          bounds::uwide pmax, bounds::uwide smax) {
  using namespace bounds;
  const int dz = k.dz(), da = k.da();
  if (dz < 0 || dz >= 63 || da < 0 || da >= 63) return false;
  const uwide q = add(zmax, amax);
  const uwide gz = add(shl(umax, k.f1 - k.fr), shl(q, k.f1 - k.fs));
  const uwide ga_exact = add(shl(q, k.f2 - k.fs), pmax);
  const uwide ga = std::min(ga_exact, pow2(k.acc_bits - 1));  // after the accumulator
  return pmax < kInt64 && gz < kInt64 && ga_exact < kInt64 && add(shl(zmax, dz), mul(smax, gz)) < kInt64 &&
         add(shl(amax, da), mul(smax, ga)) < kInt64;
}
// output_update<int64> for |z| <= zmax, |u| <= umax, |g_out| <= gmax, |s| <= smax?
inline bool output_fits64(const Shifts& k, int g_out_frac, bounds::uwide zmax, bounds::uwide umax,
                          bounds::uwide gmax, bounds::uwide smax) {
  using namespace bounds;
  const int f = std::max(k.f1, g_out_frac), d = k.fc + f - k.fs;
  if (d < 0 || d >= 63) return false;
  const uwide g = add(shl(umax, f - k.fr), shl(gmax, f - g_out_frac));
  return g < kInt64 && add(shl(zmax, d), mul(smax, g)) < kInt64;
}

// The counts of a chunk of register writes (every kernel form: integer and
// exact-double): the first register class (z, or u, or the one written) and the second (a).
struct WriteCounts {
  std::uint64_t saturated = 0, saturated_a = 0;  // rounded values that left the register
  std::uint64_t lost = 0, lost_a = 0;            // non-zero updates that left it unchanged
  std::uint64_t acc_wrapped = 0;                 // accumulator wraps
  double max_abs = 0;    // max |u| (residuals) or max |change| (stalks), raw
  double max_in = 0;     // max |z| read (residuals)
  bool in_range = true;  // the register values read lay in their format
  bool fits = true;      // every rounded value lay in the register (no clamp was needed)
  void add(const edge::Write& w) {
    saturated += w.saturated;
    lost += w.lost;
  }
  void add(const ResidualStep& r) {
    add(r.u);
    acc_wrapped += r.acc_wrapped;
  }
  void add(const vertex::HiddenStep& h) {
    saturated += h.z.saturated;
    lost += h.z.lost;
    saturated_a += h.a.saturated;
    lost_a += h.a.lost;
    acc_wrapped += h.acc_wrapped;
  }
};

}  // namespace sheafsim::dpint
