// The vertex unit's SGD arithmetic (sgd_vertex_datapath.h): straightforward
// loops over the group and the batch in __int128, one call of
// sgd_datapath.h per register write. The PEs' products dominate a step; these
// loops touch each neuron-sample once.
#include "sheafsim/mesh/sgd_vertex_datapath.h"

#include <algorithm>
#include <stdexcept>

#include "sheafsim/bitacc/output_force.h"
#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/fixed/exact_kernels.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim::mesh {

namespace {
// Register values of up to this many bits are exact as doubles (the PE kernels' fast operand form).
constexpr long kExactDoubleBits = 50;
}  // namespace

SgdVertexDatapath::SgdVertexDatapath(int group, MeshContext& ctx, UnitCounters& unit)
    : group_(group), ctx_(ctx), unit_(unit) {
  ld_ = xd::padded(n());
}

void SgdVertexDatapath::count(bool saturated, FxClass cls, int layer) {
  if (!saturated) return;
  ctx_.counters.saturated(cls, layer);
  ++unit_.saturations;
}

void SgdVertexDatapath::count_wrap(int layer) { count(true, FxClass::Accumulator, layer); }

Message SgdVertexDatapath::publish(const std::vector<std::int64_t>& v, std::vector<double>& d, long width) {
  const VertexGroup& g = group();
  Message m;
  m.n0 = g.n0;
  m.n1 = g.n1;
  m.narrow = v.data();
  m.stride = m.dstride = ld_;
  std::uint64_t acc = 0;
  for (std::int64_t x : v) acc |= static_cast<std::uint64_t>(x ^ (x >> 63));
  m.bound = static_cast<fx::uwide>(acc) + 1;
  if (width <= kExactDoubleBits) {  // padding lanes and slack zero (mailbox.h)
    d.assign(xd::padded_size(n(), batch()), 0.0);
    for (size_t k = 0; k < v.size(); ++k) d[k] = static_cast<double>(v[k]);
    m.dbl = d.data();
    m.zero_pad = true;
  }
  return m;
}

Message SgdVertexDatapath::input() {
  const VertexGroup& g = group();
  const IMatrix& X = *ctx_.X;
  a_.assign(ld_ * static_cast<size_t>(batch()), 0);
  for (int s = 0; s < batch(); ++s)
    for (int i = 0; i < n(); ++i) a_[static_cast<size_t>(s) * ld_ + static_cast<size_t>(i)] = X(g.n0 + i, s);
  return publish(a_, a_d_, ctx_.fx.stalk.width());
}

void SgdVertexDatapath::reduce(const Mailbox& box) {
  sum_.assign(ld_ * static_cast<size_t>(batch()), 0);
  for (const Message& m : box.messages())
    for_each_value(m, group().n0, ld_, batch(), [&](size_t k, fx::wide v) { sum_[k] += v; });
}

Message SgdVertexDatapath::forward(const Mailbox& fwd) {
  const VertexGroup& g = group();
  const FixedConfig& f = ctx_.fx;
  const int l = g.layer;
  const bool hidden = l < ctx_.L;
  reduce(fwd);
  const size_t size = ld_ * static_cast<size_t>(batch());
  z_.assign(size, 0);
  if (hidden) a_.assign(size, 0);
  for (int s = 0; s < batch(); ++s)
    for (int i = 0; i < n(); ++i) {
      const size_t k = static_cast<size_t>(s) * ld_ + static_cast<size_t>(i);
      const auto row = static_cast<std::uint64_t>(g.n0 + i);
      bool wrapped = false;
      const fx::wide acc = vertex::acc_fit(sum_[k], f.acc_bits, &wrapped);
      if (wrapped) count_wrap(l);
      const edge::Write z = sgd::forward_z(acc, f, ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Z, l, row));
      count(z.saturated, FxClass::Z, l);
      z_[k] = z.value;
      if (hidden) a_[k] = sgd::relu(z.value);
    }
  if (hidden) return publish(a_, a_d_, f.stalk.width());
  // The output error d_L in the residual format.
  d_.assign(size, 0);
  if (ctx_.net->output == OutputKind::Identity) {
    const IMatrix& Y = *ctx_.Y;
    for (int s = 0; s < batch(); ++s)
      for (int i = 0; i < n(); ++i) {
        const size_t k = static_cast<size_t>(s) * ld_ + static_cast<size_t>(i);
        const auto row = static_cast<std::uint64_t>(g.n0 + i);
        const edge::Write d = sgd::output_error(z_[k], Y(g.n0 + i, s), f,
                                                ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Residual, l, row));
        count(d.saturated, FxClass::Residual, l);
        d_[k] = d.value;
      }
  } else {
    // The output unit's lookup (output_force.h): it needs every output neuron of a sample.
    if (g.n0 != 0 || g.n1 != ctx_.net->W.back().rows())
      throw std::logic_error("the output unit needs the whole output layer in one vertex group");
    z_out_.resize(n(), batch());
    for (int s = 0; s < batch(); ++s)
      for (int i = 0; i < n(); ++i) z_out_(i, s) = z_[static_cast<size_t>(s) * ld_ + static_cast<size_t>(i)];
    g_.resize(static_cast<size_t>(n()) * static_cast<size_t>(batch()));
    const OutputForceResult r = output_lookup_force(ctx_.net->output, OutputMode::Exact, z_out_, ctx_.Y, nullptr, 0,
                                                    f, ctx_.step, l, g_.data());
    ctx_.counters.add(FxClass::Output, l, r.saturated, r.lost);
    unit_.saturations += r.saturated;
    unit_.lost_updates += r.lost;
    for (int s = 0; s < batch(); ++s)
      for (int i = 0; i < n(); ++i)
        d_[static_cast<size_t>(s) * ld_ + static_cast<size_t>(i)] =
            g_[static_cast<size_t>(s) * static_cast<size_t>(n()) + static_cast<size_t>(i)];
  }
  return publish(d_, d_d_, f.residual.width());
}

Message SgdVertexDatapath::backward(const Mailbox& bwd) {
  const VertexGroup& g = group();
  const FixedConfig& f = ctx_.fx;
  const int l = g.layer;
  reduce(bwd);
  d_.assign(ld_ * static_cast<size_t>(batch()), 0);
  for (int s = 0; s < batch(); ++s)
    for (int i = 0; i < n(); ++i) {
      const size_t k = static_cast<size_t>(s) * ld_ + static_cast<size_t>(i);
      const auto row = static_cast<std::uint64_t>(g.n0 + i);
      bool wrapped = false;
      const fx::wide p = vertex::acc_fit(sum_[k], f.acc_bits, &wrapped);
      // Counted at this group's layer, where the sum is wrapped (as FixedSgd counts it).
      if (wrapped) count_wrap(l);
      const edge::Write d =
          sgd::hidden_error(z_[k], p, f, ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Residual, l, row));
      count(d.saturated, FxClass::Residual, l);
      d_[k] = d.value;
    }
  return publish(d_, d_d_, f.residual.width());
}

}  // namespace sheafsim::mesh
