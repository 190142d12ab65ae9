#pragma once
// A straightforward fixed-point SGD step written from the definition
// (docs/fixed-point.md §4.2), one call of sgd_datapath.h / edge_datapath.h per
// register: forward wave, output error, backward wave, gradient and update,
// with the counters. Independent of the mesh's dataflow and of FixedSgd's
// kernels: the mesh tests compare both against it.
#include <cstdint>
#include <vector>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/bitacc/output_force.h"
#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim::test {

inline void reference_sgd_step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta,
                               const FixedConfig& f, std::uint64_t step, FixedCounters& cnt) {
  const int L = net.depth();
  const Eigen::Index B = X.cols();
  auto bits = [&](std::uint64_t sample, FxClass cls, int layer, Eigen::Index row) -> std::uint64_t {
    return f.quant == fx::Quant::Stoch
               ? fx::stoch_bits(f.seed, step, sample, edge::site(cls, layer, static_cast<std::uint64_t>(row)))
               : 0;
  };
  auto fit = [&](fx::wide v, int layer) {
    bool wrapped = false;
    const fx::wide out = vertex::acc_fit(v, f.acc_bits, &wrapped);
    if (wrapped) cnt.saturated(FxClass::Accumulator, layer);
    return out;
  };
  auto flag = [&](const edge::Write& w, FxClass cls, int layer) {
    if (w.saturated) cnt.saturated(cls, layer);
    if (w.lost) cnt.lost(cls, layer);
    return w.value;
  };
  std::vector<IMatrix> z(static_cast<size_t>(L) + 1), a(static_cast<size_t>(L) + 1), d(static_cast<size_t>(L) + 1);
  a[0] = X;
  const int sb = f.weight.frac_bits + f.stalk.frac_bits - f.bias.frac_bits;
  for (int l = 1; l <= L; ++l) {
    const IMatrix& W = net.W[static_cast<size_t>(l - 1)];
    const IVector& b = net.b[static_cast<size_t>(l - 1)];
    const IMatrix& in = a[static_cast<size_t>(l - 1)];
    IMatrix& zl = z[static_cast<size_t>(l)];
    zl.resize(W.rows(), B);
    for (Eigen::Index s = 0; s < B; ++s)
      for (Eigen::Index i = 0; i < W.rows(); ++i) {
        fx::wide acc = fx::shl(fx::wide{b(i)}, sb);
        for (Eigen::Index j = 0; j < W.cols(); ++j) acc += fx::wide{W(i, j)} * in(j, s);
        zl(i, s) = flag(sgd::forward_z(fit(acc, l), f, bits(static_cast<std::uint64_t>(s), FxClass::Z, l, i)),
                        FxClass::Z, l);
      }
    if (l < L) a[static_cast<size_t>(l)] = zl.unaryExpr([](std::int64_t v) { return sgd::relu(v); });
  }
  IMatrix& dL = d[static_cast<size_t>(L)];
  const IMatrix& zL = z[static_cast<size_t>(L)];
  dL.resize(zL.rows(), B);
  if (net.output == OutputKind::Identity) {
    for (Eigen::Index s = 0; s < B; ++s)
      for (Eigen::Index i = 0; i < zL.rows(); ++i)
        dL(i, s) = flag(sgd::output_error(zL(i, s), Y(i, s), f, bits(static_cast<std::uint64_t>(s), FxClass::Residual, L, i)),
                        FxClass::Residual, L);
  } else {
    std::vector<std::int64_t> g(static_cast<size_t>(zL.size()));
    const OutputForceResult r = output_lookup_force(net.output, OutputMode::Exact, zL, &Y, nullptr, 0, f, step, L, g.data());
    cnt.add(FxClass::Output, L, r.saturated, r.lost);
    for (Eigen::Index s = 0; s < B; ++s)
      for (Eigen::Index i = 0; i < zL.rows(); ++i) dL(i, s) = g[static_cast<size_t>(s * zL.rows() + i)];
  }
  for (int l = L - 1; l >= 1; --l) {
    const IMatrix& W = net.W[static_cast<size_t>(l)];  // W_{l+1}, old
    const IMatrix& up = d[static_cast<size_t>(l + 1)];
    IMatrix& dl = d[static_cast<size_t>(l)];
    dl.resize(W.cols(), B);
    for (Eigen::Index s = 0; s < B; ++s)
      for (Eigen::Index j = 0; j < W.cols(); ++j) {
        fx::wide p = 0;
        for (Eigen::Index i = 0; i < W.rows(); ++i) p += fx::wide{W(i, j)} * up(i, s);
        dl(j, s) = flag(sgd::hidden_error(z[static_cast<size_t>(l)](j, s), fit(p, l + 1), f,
                                          bits(static_cast<std::uint64_t>(s), FxClass::Residual, l, j)),
                        FxClass::Residual, l);
      }
  }
  for (int l = 1; l <= L; ++l) {
    IMatrix& W = net.W[static_cast<size_t>(l - 1)];
    IVector& b = net.b[static_cast<size_t>(l - 1)];
    const IMatrix& dl = d[static_cast<size_t>(l)];
    const IMatrix& in = a[static_cast<size_t>(l - 1)];
    for (Eigen::Index i = 0; i < W.rows(); ++i) {
      for (Eigen::Index j = 0; j < W.cols(); ++j) {
        fx::wide G = 0;
        for (Eigen::Index s = 0; s < B; ++s) G += fx::wide{dl(i, s)} * in(j, s);
        W(i, j) = flag(edge::update_weight(W(i, j), fit(G, l), eta, f,
                                           bits(static_cast<std::uint64_t>(j), FxClass::Weight, l, i)),
                       FxClass::Weight, l);
      }
      fx::wide g = 0;
      for (Eigen::Index s = 0; s < B; ++s) g += dl(i, s);
      b(i) = flag(edge::update_bias(b(i), fit(g, l), eta, f, bits(0, FxClass::Bias, l, i)), FxClass::Bias, l);
    }
  }
}

}  // namespace sheafsim::test
