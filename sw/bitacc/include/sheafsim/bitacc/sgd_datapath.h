#pragma once
// The arithmetic of full-batch backprop SGD in fixed point (docs/fixed-point.md
// §4.2), one register at a time: the forward write of z_l, the output error,
// the masked backward error and the step constant. The products and the
// gradient-and-update of a weight are the edge unit's (edge_datapath.h): the
// gradient is the Hebbian accumulation with the error in place of the
// residual, the update the Hebbian write with eta = -lr_eff. The bit-accurate
// SGD model (FixedSgd) and the SystemC mesh's SGD step both call these
// functions, so they cannot drift apart.
#include <cstdint>
#include <string>

#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/network.h"

namespace sheafsim::sgd {

// z_l = round(acc) into the stalk format, acc = (b << (fw + fs - fb)) + sum_j W a
// (frac fw + fs), already wrapped to the accumulator. Stochastic bits:
// bits(seed, step, sample, site(Z, l, row)).
inline edge::Write forward_z(fx::wide acc, const FixedConfig& cfg, std::uint64_t rnd) {
  edge::Write out;
  out.value = fx::quantize(acc, cfg.weight.frac_bits + cfg.stalk.frac_bits, cfg.stalk, cfg.quant, cfg.overflow,
                           &out.saturated, rnd);
  return out;
}

// The ReLU and its derivative on the raw z: a = max(z, 0) (exact, stalk format);
// the mask is z > 0 (strict, the convention of the float reference and of autograd).
inline std::int64_t relu(std::int64_t z) { return z > 0 ? z : 0; }
inline bool active(std::int64_t z) { return z > 0; }

// The identity output's error d_L = z_L - y (frac fs, exact) into the residual
// format. Stochastic bits: bits(seed, step, sample, site(Residual, L, row)).
// (Sigmoid and softmax outputs take output_lookup_force's training force
// round_r(phi(z_L) - y), output_force.h, FxClass::Output.)
inline edge::Write output_error(std::int64_t z, std::int64_t y, const FixedConfig& cfg, std::uint64_t rnd) {
  edge::Write out;
  out.value = fx::quantize(fx::wide{z} - y, cfg.stalk.frac_bits, cfg.residual, cfg.quant, cfg.overflow,
                           &out.saturated, rnd);
  return out;
}

// The hidden error d_l = 1[z_l > 0] round(p), p = sum_i W_{l+1}[i, .] d_{l+1}[i]
// (frac fw + fr, wrapped to the accumulator), into the residual format. An
// inactive unit writes 0 and draws no rounding. Stochastic bits:
// bits(seed, step, sample, site(Residual, l, row)).
inline edge::Write hidden_error(std::int64_t z, fx::wide p, const FixedConfig& cfg, std::uint64_t rnd) {
  edge::Write out;
  if (!active(z)) return out;
  out.value = fx::quantize(p, cfg.weight.frac_bits + cfg.residual.frac_bits, cfg.residual, cfg.quant, cfg.overflow,
                           &out.saturated, rnd);
  return out;
}

// The float loss's gradient scale that the step constant absorbs
// (activation.h, loss_gradient_logits): 2 / (n_L B) for the MSE of an identity
// output, 1 / (n_L B) for sigmoid cross-entropy, 1 / B for softmax.
inline double gradient_scale(OutputKind kind, int n_out, long batch) {
  const double nb = static_cast<double>(n_out) * static_cast<double>(batch);
  switch (kind) {
    case OutputKind::Identity: return 2.0 / nb;
    case OutputKind::Sigmoid: return 1.0 / nb;
    case OutputKind::Softmax: return 1.0 / static_cast<double>(batch);
  }
  return 1.0 / nb;
}

// The raw step constant of the weight and bias writes: -round(lr * scale) in
// the constant format (round to nearest, ties to even, once per run; zero or
// overflow is an InputError naming the format that would hold it).
inline std::int64_t step_constant(double lr, OutputKind kind, int n_out, long batch, const FixedConfig& cfg) {
  return -quantize_constant(lr * gradient_scale(kind, n_out, batch), cfg, "lr*gradient scale");
}

}  // namespace sheafsim::sgd
