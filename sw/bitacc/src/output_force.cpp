#include "sheafsim/bitacc/output_force.h"

#include <algorithm>

#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/fixed_point.h"
#include "sheafsim/fixed/vertex_datapath.h"
#include "sheafsim/reference/activation.h"

namespace sheafsim {

namespace {

template <typename G>
OutputForceResult lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y, IMatrix* a_out,
                               std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step, int layer, G* g_out,
                               const FixedStalkPins* pins) {
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
  const int fr = cfg.residual.frac_bits;
  for (Eigen::Index i = 0; i < n; ++i) {
    const std::int64_t d = to_residual(D, i, 0);
    g_out[i] = static_cast<G>(to_residual(Gm, i, 1));
    std::int64_t& a = a_out->data()[i];
    // a_out += s d (and its soft pin's pull): the stalk write with g = -d at frac fr.
    const Eigen::Index row = i % rows;
    const edge::Write w = vertex::stalk_write(a, -fx::wide{d}, fr, s_raw,
                                              pins != nullptr ? pins->soft_row(row) : vertex::SoftPin{}, cfg, bits(i, 2));
    if (pins == nullptr || !pins->hard_row(row)) {  // a hard pin's write is discarded, not counted
      r.saturated += w.saturated;
      r.lost += w.lost;
      r.max_change = std::max(r.max_change, w.value > a ? w.value - a : a - w.value);
    }
    a = w.value;
  }
  return r;
}

}  // namespace

OutputForceResult output_lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y,
                                      IMatrix* a_out, std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step,
                                      int layer, fx::wide* g_out, const FixedStalkPins* pins) {
  return lookup_force(kind, mode, z, Y, a_out, s_raw, cfg, step, layer, g_out, pins);
}

OutputForceResult output_lookup_force(OutputKind kind, OutputMode mode, const IMatrix& z, const IMatrix* Y,
                                      IMatrix* a_out, std::int64_t s_raw, const FixedConfig& cfg, std::uint64_t step,
                                      int layer, std::int64_t* g_out, const FixedStalkPins* pins) {
  return lookup_force(kind, mode, z, Y, a_out, s_raw, cfg, step, layer, g_out, pins);
}

}  // namespace sheafsim
