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

// A soft pin on one coordinate (docs/fixed-point.md §4.3): kp = round(s gamma)
// (frac fc) and the target t (raw stalk); kp = 0: no pin.
struct SoftPin {
  std::int64_t kp = 0;
  std::int64_t target = 0;
};

// The one rounding of a stalk write: v' = round((v << (fc + f - fs)) - s g -
// kp ((v - t) << (f - fs))), g exact with f >= fs fractional bits. `lost`: a
// non-zero force (g or the pin's) that left the register unchanged.
inline edge::Write stalk_write(std::int64_t v, fx::wide g, int f, std::int64_t s, SoftPin pin, const FixedConfig& cfg,
                               std::uint64_t rnd) {
  const int fs = cfg.stalk.frac_bits, fc = cfg.constant.frac_bits;
  const fx::wide pull = pin.kp == 0 ? fx::wide{0} : fx::wide{pin.kp} * fx::shl(v - pin.target, f - fs);
  edge::Write out;
  out.value = fx::quantize(fx::shl(v, fc + f - fs) - fx::wide{s} * g - pull, fc + f, cfg.stalk, cfg.quant,
                           cfg.overflow, &out.saturated, rnd);
  out.lost = (g != 0 || pull != 0) && out.value == v;
  return out;
}

// The hidden neuron's step: z, a the old stalks, u its residual, p = sum_i
// W_{l+1}[i, .] u_{l+1}[i] (exact, frac fw + fr), s the raw stalk constant,
// pz, pa the soft pins of z and a.
struct HiddenStep {
  edge::Write z, a;
  bool acc_wrapped = false;  // g_a left the accumulator
};
inline HiddenStep hidden_update(std::int64_t z, std::int64_t a, std::int64_t u, fx::wide p, std::int64_t s,
                                const FixedConfig& cfg, std::uint64_t rnd_z, std::uint64_t rnd_a, SoftPin pz = {},
                                SoftPin pa = {}) {
  const int fs = cfg.stalk.frac_bits, fr = cfg.residual.frac_bits, fw = cfg.weight.frac_bits;
  const int f1 = fr > fs ? fr : fs, f2 = fw + fr;
  const bool active = z >= 0;                       // the ReLU edge's mask
  const std::int64_t q = active ? a - z : a;        // its discord a - m z
  const fx::wide gz = fx::shl(u, f1 - fr) - (active ? fx::shl(q, f1 - fs) : fx::wide{0});
  HiddenStep out;
  const fx::wide ga = acc_fit(fx::shl(q, f2 - fs) - p, cfg.acc_bits, &out.acc_wrapped);
  out.z = stalk_write(z, gz, f1, s, pz, cfg, rnd_z);
  out.a = stalk_write(a, ga, f2, s, pa, cfg, rnd_a);
  return out;
}

// A free input coordinate's step (inference, §4.3): the a-update with q = 0,
// g_x = -p, p = sum_i W_1[i, .] u_1[i] (exact, frac fw + fr).
struct InputStep {
  edge::Write x;
  bool acc_wrapped = false;
};
inline InputStep input_update(std::int64_t x, fx::wide p, std::int64_t s, const FixedConfig& cfg, std::uint64_t rnd) {
  InputStep out;
  const fx::wide g = acc_fit(-p, cfg.acc_bits, &out.acc_wrapped);
  out.x = stalk_write(x, g, cfg.weight.frac_bits + cfg.residual.frac_bits, s, {}, cfg, rnd);
  return out;
}

// The identity output neuron's step: g = u + g_out, where g_out = z - y in
// training (frac fs) and 0 in inference; pz its soft pin.
inline edge::Write output_update(std::int64_t z, std::int64_t u, fx::wide g_out, int g_out_frac, std::int64_t s,
                                 const FixedConfig& cfg, std::uint64_t rnd, SoftPin pz = {}) {
  const int fs = cfg.stalk.frac_bits, fr = cfg.residual.frac_bits;
  int f = fr > fs ? fr : fs;
  if (g_out_frac > f) f = g_out_frac;
  const fx::wide g = fx::shl(u, f - fr) + fx::shl(g_out, f - g_out_frac);
  return stalk_write(z, g, f, s, pz, cfg, rnd);
}

}  // namespace sheafsim::vertex
