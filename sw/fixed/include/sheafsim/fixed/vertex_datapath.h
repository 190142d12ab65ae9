#pragma once
// The arithmetic of a vertex unit (docs/fixed-point.md §4 rows 2, 4-7), one
// register at a time: the residual write of a weight edge, and the Euler
// update of a hidden neuron (ReLU edge) or an identity output neuron. The
// bit-accurate model's batch kernels compute exactly these values (tests
// compare the two through the SystemC mesh, which calls these functions).
#include <cstdint>

#include "sheafsim/fixed/edge_datapath.h"

namespace sheafsim::vertex {

// The accumulator register: the exact value wrapped to acc_bits.
inline fx::wide acc_fit(fx::wide v, int acc_bits, bool* wrapped) {
  return fx::fit_width<fx::wide>(v, acc_bits, fx::Overflow::Wrap, wrapped);
}

// u = round(acc) into the residual format, where acc = (z << fw) - (b << (fw + fs - fb)) - sum_j W a
// (frac fw + fs) is already wrapped to the accumulator.
inline edge::Write residual(fx::wide acc, const FixedConfig& cfg, std::uint64_t rnd) {
  edge::Write out;
  out.value = fx::quantize(acc, cfg.weight.frac_bits + cfg.stalk.frac_bits, cfg.residual, cfg.quant, cfg.overflow,
                           &out.saturated, rnd);
  return out;
}

// The hidden neuron's step: z, a the old stalks, u its residual, p = sum_i
// W_{l+1}[i, .] u_{l+1}[i] (exact, frac fw + fr), s the raw stalk constant.
struct HiddenStep {
  edge::Write z, a;
  bool acc_wrapped = false;  // g_a left the accumulator
};
inline HiddenStep hidden_update(std::int64_t z, std::int64_t a, std::int64_t u, fx::wide p, std::int64_t s,
                                const FixedConfig& cfg, std::uint64_t rnd_z, std::uint64_t rnd_a) {
  const int fs = cfg.stalk.frac_bits, fr = cfg.residual.frac_bits, fw = cfg.weight.frac_bits,
            fc = cfg.constant.frac_bits;
  const int f1 = fr > fs ? fr : fs, f2 = fw + fr;
  const bool active = z >= 0;                       // the ReLU edge's mask
  const std::int64_t q = active ? a - z : a;        // its discord a - m z
  const fx::wide gz = fx::shl(u, f1 - fr) - (active ? fx::shl(q, f1 - fs) : fx::wide{0});
  HiddenStep out;
  const fx::wide ga = acc_fit(fx::shl(q, f2 - fs) - p, cfg.acc_bits, &out.acc_wrapped);
  out.z.value = fx::quantize(fx::shl(z, fc + f1 - fs) - fx::wide{s} * gz, fc + f1, cfg.stalk, cfg.quant,
                             cfg.overflow, &out.z.saturated, rnd_z);
  out.a.value = fx::quantize(fx::shl(a, fc + f2 - fs) - fx::wide{s} * ga, fc + f2, cfg.stalk, cfg.quant,
                             cfg.overflow, &out.a.saturated, rnd_a);
  out.z.lost = gz != 0 && out.z.value == z;
  out.a.lost = ga != 0 && out.a.value == a;
  return out;
}

// The identity output neuron's step: g = u + g_out, where g_out = z - y in
// training (frac fs) and 0 in inference.
inline edge::Write output_update(std::int64_t z, std::int64_t u, fx::wide g_out, int g_out_frac, std::int64_t s,
                                 const FixedConfig& cfg, std::uint64_t rnd) {
  const int fs = cfg.stalk.frac_bits, fr = cfg.residual.frac_bits, fc = cfg.constant.frac_bits;
  int f = fr > fs ? fr : fs;
  if (g_out_frac > f) f = g_out_frac;
  const fx::wide g = fx::shl(u, f - fr) + fx::shl(g_out, f - g_out_frac);
  edge::Write out;
  out.value = fx::quantize(fx::shl(z, fc + f - fs) - fx::wide{s} * g, fc + f, cfg.stalk, cfg.quant, cfg.overflow,
                           &out.saturated, rnd);
  out.lost = g != 0 && out.value == z;
  return out;
}

}  // namespace sheafsim::vertex
