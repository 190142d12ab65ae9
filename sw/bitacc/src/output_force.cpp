#include "sheafsim/bitacc/output_force.h"

#include <algorithm>

#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/fixed_point.h"
#include "sheafsim/reference/activation.h"

namespace sheafsim {

namespace {

template <typename G>
OutputForceResult lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y, IMatrix* a_out,
                               std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step, int layer, G* g_out) {
  OutputForceResult r;
  const Eigen::Index rows = z.rows(), n = z.size();
  auto bits = [&](Eigen::Index idx, std::uint64_t salt) -> std::uint64_t {
    if (cfg.quant != fx::Quant::Stoch) return 0;
    return fx::stoch_bits(cfg.seed, step, static_cast<std::uint64_t>(idx / rows),
                          edge::site(FxClass::Output, layer, static_cast<std::uint64_t>(idx % rows) | (salt << 32)));
  };
  auto to_residual = [&](const Matrix& v, Eigen::Index idx, std::uint64_t salt) {
    bool ovf = false;
    const std::int64_t q = fx::from_double(v.data()[idx], cfg.residual, cfg.quant, cfg.overflow, &ovf, bits(idx, salt));
    if (ovf) ++r.saturated;
    return q;
  };
  const Matrix P = apply_output(kind, to_float(z, cfg.stalk));
  if (Y != nullptr) {
    const Matrix D = P - to_float(*Y, cfg.stalk);  // cross-entropy force phi(z) - y
    for (Eigen::Index i = 0; i < n; ++i) g_out[i] = static_cast<G>(to_residual(D, i, 0));
    return r;
  }
  // Inference with an output vertex: D = phi(z_L) - a_out, a_out += s D.
  const Matrix D = P - to_float(*a_out, cfg.stalk);
  const Matrix Gm = mode == OutputMode::Exact ? output_jacobian_t_times(kind, P, D) : D;
  const int fs = cfg.stalk.frac_bits, fr = cfg.residual.frac_bits, fc = cfg.constant.frac_bits;
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::int64_t d = to_residual(D, i, 0);
    g_out[i] = static_cast<G>(to_residual(Gm, i, 1));
    std::int64_t& a = a_out->data()[i];
    bool ovf = false;
    const std::int64_t next = fx::quantize(fx::shl(a, fc + fr - fs) + fx::wide{s_raw} * d, fc + fr, cfg.stalk,
                                           cfg.quant, cfg.overflow, &ovf, bits(i, 2));
    if (ovf) ++r.saturated;
    if (d != 0 && next == a) ++r.lost;
    r.max_change = std::max(r.max_change, next > a ? next - a : a - next);
    a = next;
  }
  return r;
}

}  // namespace

OutputForceResult output_lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y,
                                      IMatrix* a_out, std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step,
                                      int layer, fx::wide* g_out) {
  return lookup_force(kind, mode, z, Y, a_out, s_raw, cfg, step, layer, g_out);
}

OutputForceResult output_lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y,
                                      IMatrix* a_out, std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step,
                                      int layer, std::int64_t* g_out) {
  return lookup_force(kind, mode, z, Y, a_out, s_raw, cfg, step, layer, g_out);
}

}  // namespace sheafsim
