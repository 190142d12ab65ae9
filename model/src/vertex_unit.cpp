#include "sheafsim/mesh/vertex_unit.h"

#include <algorithm>

#include "sheafsim/mesh/edge_pe.h"

namespace sheafsim::mesh {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
constexpr std::uint64_t kResidual = 5, kUpdate = 6;
}  // namespace

VertexUnit::VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx)
    : sc_module(name), group_(group), ctx_(ctx), fwd_("fwd"), bwd_("bwd") {
  SC_THREAD(run);
}

int VertexUnit::pe() const { return ctx_.map->groups()[static_cast<size_t>(group_)].pe; }

void VertexUnit::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    step();
  }
}

void VertexUnit::busy(std::uint64_t cycles, std::uint64_t phase) {
  const std::uint64_t stall = random_stall(
      ctx_.mesh, fx::mix64((ctx_.step << 20) ^ (static_cast<std::uint64_t>(group_ + ctx_.map->pes()) << 4) ^ phase));
  c_.busy_cycles += cycles;
  c_.stall_cycles += stall;
  if (cycles + stall > 0) sc_core::wait(static_cast<double>(cycles + stall) * ctx_.period);
}

void VertexUnit::gather(Mailbox& box) {
  const std::uint64_t t0 = ctx_.now();
  box.wait_all(t0, ctx_.period);
  c_.stall_cycles += ctx_.now() - t0;
}

void VertexUnit::step() {
  max_change_ = 0;
  send_activations();
  if (ctx_.map->groups()[static_cast<size_t>(group_)].layer == 0) return;  // the input only sends
  residuals();
  update();
}

void VertexUnit::send_activations() {
  const VertexGroup& g = ctx_.map->groups()[static_cast<size_t>(group_)];
  if (g.layer == ctx_.L) return;  // the output's activation is its z (identity): nobody reads it
  const IMatrix& src = g.layer == 0 ? *ctx_.X : ctx_.st->a[static_cast<size_t>(g.layer - 1)];
  const auto B = static_cast<int>(ctx_.batch);
  for (size_t ti = 0; ti < ctx_.map->tiles().size(); ++ti) {
    const Tile& t = ctx_.map->tiles()[ti];
    if (t.layer != g.layer + 1 || t.c1 <= g.n0 || g.n1 <= t.c0) continue;
    Message m;
    m.n0 = std::max(t.c0, g.n0);
    m.n1 = std::min(t.c1, g.n1);
    const int w = m.n1 - m.n0;
    m.data.resize(static_cast<size_t>(w) * static_cast<size_t>(B));
    for (int s = 0; s < B; ++s)
      for (int j = m.n0; j < m.n1; ++j) m.data[static_cast<size_t>(s * w + j - m.n0)] = src(j, s);
    const std::uint64_t now = ctx_.now();
    const long bits = static_cast<long>(w) * B * ctx_.fx.stalk.width();
    const std::uint64_t arr =
        ctx_.noc->transfer(g.pe, t.pe, bits, now, fx::mix64((ctx_.step << 32) ^ (ti << 12) ^ static_cast<std::uint64_t>(group_)), c_);
    ctx_.tile_owner[ti]->activations(static_cast<int>(ti)).deliver(std::move(m), arr, now, ctx_.period);
  }
}

void VertexUnit::residuals() {
  const VertexGroup& g = ctx_.map->groups()[static_cast<size_t>(group_)];
  gather(fwd_);
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  // acc = (z << fw) - sum of the partial sums (b << sb) + sum_j W a, exact; then wrapped and rounded once.
  std::vector<fx::wide> acc(static_cast<size_t>(n) * static_cast<size_t>(B));
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) acc[static_cast<size_t>(s * n + i)] = fx::shl(Z(g.n0 + i, s), ctx_.fx.weight.frac_bits);
  for (const Message& m : fwd_.messages()) {
    const int w = m.n1 - m.n0;
    for (int s = 0; s < B; ++s)
      for (int i = m.n0; i < m.n1; ++i)
        acc[static_cast<size_t>(s * n + i - g.n0)] -= m.data[static_cast<size_t>(s * w + i - m.n0)];
  }
  FixedCounters& fc = ctx_.counters;
  u_.resize(acc.size());
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      bool wrapped = false;
      const fx::wide v = vertex::acc_fit(acc[static_cast<size_t>(s * n + i)], ctx_.fx.acc_bits, &wrapped);
      if (wrapped) { fc.saturated(FxClass::Accumulator, layer); ++c_.saturations; }
      const edge::Write r = vertex::residual(
          v, ctx_.fx, ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Residual, layer, static_cast<std::uint64_t>(g.n0 + i)));
      if (r.saturated) { fc.saturated(FxClass::Residual, layer); ++c_.saturations; }
      u_[static_cast<size_t>(s * n + i)] = r.value;
    }
  const auto elems = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(B);
  c_.adds += elems * fwd_.messages().size();
  c_.register_writes += elems;
  busy(ceil_div(elems * (fwd_.messages().size() + 1), static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kResidual);
  if (!ctx_.needs_residuals(layer)) return;
  for (size_t ti = 0; ti < ctx_.map->tiles().size(); ++ti) {
    const Tile& t = ctx_.map->tiles()[ti];
    if (t.layer != layer || t.r1 <= g.n0 || g.n1 <= t.r0) continue;
    Message m;
    m.n0 = std::max(t.r0, g.n0);
    m.n1 = std::min(t.r1, g.n1);
    const int w = m.n1 - m.n0;
    m.data.resize(static_cast<size_t>(w) * static_cast<size_t>(B));
    for (int s = 0; s < B; ++s)
      for (int i = m.n0; i < m.n1; ++i) m.data[static_cast<size_t>(s * w + i - m.n0)] = u_[static_cast<size_t>(s * n + i - g.n0)];
    const std::uint64_t now = ctx_.now();
    const long bits = static_cast<long>(w) * B * ctx_.fx.residual.width();
    const std::uint64_t arr =
        ctx_.noc->transfer(g.pe, t.pe, bits, now, fx::mix64((~ctx_.step << 32) ^ (ti << 12) ^ static_cast<std::uint64_t>(group_)), c_);
    ctx_.tile_owner[ti]->residuals(static_cast<int>(ti)).deliver(std::move(m), arr, now, ctx_.period);
  }
}

void VertexUnit::update() {
  const VertexGroup& g = ctx_.map->groups()[static_cast<size_t>(group_)];
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const size_t li = static_cast<size_t>(layer - 1);
  IMatrix& Z = ctx_.st->z[li];
  FixedCounters& fc = ctx_.counters;
  auto count = [&](const edge::Write& w, FxClass cls) {
    if (w.saturated) { fc.saturated(cls, layer); ++c_.saturations; }
    if (w.lost) { fc.lost(cls, layer); ++c_.lost_updates; }
  };
  const auto elems = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(B);
  if (layer < ctx_.L) {
    gather(bwd_);
    // p = sum of the next layer's backward partial sums, exact.
    std::vector<fx::wide> p(static_cast<size_t>(n) * static_cast<size_t>(B), 0);
    for (const Message& m : bwd_.messages()) {
      const int w = m.n1 - m.n0;
      for (int s = 0; s < B; ++s)
        for (int i = m.n0; i < m.n1; ++i)
          p[static_cast<size_t>(s * n + i - g.n0)] += m.data[static_cast<size_t>(s * w + i - m.n0)];
    }
    IMatrix& A = ctx_.st->a[li];
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < n; ++i) {
        const std::int64_t z = Z(g.n0 + i, s), a = A(g.n0 + i, s);
        const auto row = static_cast<std::uint64_t>(g.n0 + i), sample = static_cast<std::uint64_t>(s);
        const vertex::HiddenStep h =
            vertex::hidden_update(z, a, u_[static_cast<size_t>(s * n + i)], p[static_cast<size_t>(s * n + i)],
                                  ctx_.s_raw, ctx_.fx, ctx_.rnd(sample, FxClass::Z, layer, row),
                                  ctx_.rnd(sample, FxClass::A, layer, row));
        if (h.acc_wrapped) { fc.saturated(FxClass::Accumulator, layer); ++c_.saturations; }
        count(h.z, FxClass::Z);
        count(h.a, FxClass::A);
        max_change_ = std::max({max_change_, h.z.value > z ? h.z.value - z : z - h.z.value,
                                h.a.value > a ? h.a.value - a : a - h.a.value});
        Z(g.n0 + i, s) = h.z.value;
        A(g.n0 + i, s) = h.a.value;
      }
    c_.adds += elems * bwd_.messages().size();
    c_.register_writes += 2 * elems;
    busy(ceil_div(elems * (bwd_.messages().size() + 2), static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kUpdate);
    return;
  }
  // The identity output: g_out = z - y in training (the target is pinned here), 0 in inference.
  const bool train = ctx_.Y != nullptr;
  const int fs = ctx_.fx.stalk.frac_bits;
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      const std::int64_t z = Z(g.n0 + i, s);
      const fx::wide g_out = train ? fx::wide{z} - (*ctx_.Y)(g.n0 + i, s) : fx::wide{0};
      const edge::Write w =
          vertex::output_update(z, u_[static_cast<size_t>(s * n + i)], g_out, train ? fs : ctx_.fx.residual.frac_bits,
                                ctx_.s_raw, ctx_.fx,
                                ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Z, layer, static_cast<std::uint64_t>(g.n0 + i)));
      count(w, FxClass::Z);
      max_change_ = std::max(max_change_, w.value > z ? w.value - z : z - w.value);
      Z(g.n0 + i, s) = w.value;
    }
  c_.register_writes += elems;
  busy(ceil_div(elems * 2, static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kUpdate);
}

}  // namespace sheafsim::mesh
