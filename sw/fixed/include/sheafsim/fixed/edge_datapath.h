#pragma once
// The arithmetic of one edge processing element (docs/fixed-point.md §4 rows
// 1, 3, 8-10): the wrapping multiply-accumulate of the forward,
// backward and Hebbian products, and the end-of-step weight and bias writes.
// This is what the RTL edge unit (rtl/edge_unit.sv) implements; the
// bit-accurate model, the SystemC mesh and the RTL testbench's scoreboard all
// call these functions.
#include <cstdint>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::edge {

// The stochastic-rounding site of a register (docs/fixed-point.md §5).
inline std::uint64_t site(FxClass cls, int layer, std::uint64_t row) {
  return (static_cast<std::uint64_t>(cls) << 56) | (static_cast<std::uint64_t>(layer) << 48) | row;
}

// acc + x*y in an acc_bits-wide two's-complement accumulator that wraps
// (the product is exact; `*wrapped` tells whether the sum left the range).
inline fx::wide mac(fx::wide acc, std::int64_t x, std::int64_t y, int acc_bits, bool* wrapped) {
  return fx::fit_width<fx::wide>(acc + fx::wide{x} * y, acc_bits, fx::Overflow::Wrap, wrapped);
}

// A register written once per step: the new raw value and its two flags.
struct Write {
  std::int64_t value = 0;
  bool saturated = false;  // the rounded value left the register (saturated or wrapped)
  bool lost = false;       // a non-zero update left the register unchanged
};

// W' = round((W << (fc + fr + fs - fw)) + eta * H): H is the wrapped Hebbian
// accumulator sum_s u[row] a[col] (frac fr + fs), eta the raw step constant.
// `rnd` are the stochastic bits of bits(seed, step, col, site(Weight, layer, row)).
inline Write update_weight(std::int64_t w, fx::wide hacc, std::int64_t eta, const FixedConfig& cfg,
                           std::uint64_t rnd) {
  const int frac = cfg.constant.frac_bits + cfg.residual.frac_bits + cfg.stalk.frac_bits;
  const fx::wide delta = fx::wide{eta} * hacc;
  Write out;
  out.value = fx::quantize(fx::shl(w, frac - cfg.weight.frac_bits) + delta, frac, cfg.weight, cfg.quant,
                           cfg.overflow, &out.saturated, rnd);
  out.lost = delta != 0 && out.value == w;
  return out;
}

// b' = round((b << (fc + fr - fb)) + eta * h): h is the wrapped sum_s u[row]
// (frac fr). `rnd`: bits(seed, step, 0, site(Bias, layer, row)).
inline Write update_bias(std::int64_t b, fx::wide hsum, std::int64_t eta, const FixedConfig& cfg,
                         std::uint64_t rnd) {
  const int frac = cfg.constant.frac_bits + cfg.residual.frac_bits;
  const fx::wide delta = fx::wide{eta} * hsum;
  Write out;
  out.value = fx::quantize(fx::shl(b, frac - cfg.bias.frac_bits) + delta, frac, cfg.bias, cfg.quant, cfg.overflow,
                           &out.saturated, rnd);
  out.lost = delta != 0 && out.value == b;
  return out;
}

}  // namespace sheafsim::edge
