#include "sheafsim/mesh/vertex_unit.h"

#include <algorithm>

#include "sheafsim/mesh/edge_pe.h"

namespace sheafsim::mesh {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
constexpr std::uint64_t kResidual = 5, kUpdate = 6;
std::int64_t absdiff(std::int64_t a, std::int64_t b) { return a > b ? a - b : b - a; }
}  // namespace

VertexUnit::VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx)
    : MeshUnit(name, ctx, static_cast<std::uint64_t>(group + ctx.map->pes())), group_(group), fwd_("fwd"), bwd_("bwd") {
  SC_THREAD(run);
}

void VertexUnit::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    max_change_ = 0;
    send_activations();
    if (group().layer == 0) continue;  // the input only sends
    residuals();
    update();
  }
}

void VertexUnit::send_activations() {
  // The output layer has no readers: its activation is its z (identity).
  const std::vector<int>& readers = ctx_.map->reader_tiles(group_);
  if (readers.empty()) return;
  const VertexGroup& g = group();
  const IMatrix& src = g.layer == 0 ? *ctx_.X : ctx_.st->a[static_cast<size_t>(g.layer - 1)];
  const auto B = static_cast<int>(ctx_.batch);
  for (int ti : readers) {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
    Message m = make_message(std::max(t.c0, g.n0), std::min(t.c1, g.n1), B,
                             [&](int s, int j) { return fx::wide{src(j, s)}; });
    send(g.pe, t.pe, ctx_.tile_owner[static_cast<size_t>(ti)]->activations(ti), std::move(m), ctx_.fx.stalk.width(),
         fx::mix64((ctx_.step << 32) ^ (static_cast<std::uint64_t>(ti) << 12) ^ static_cast<std::uint64_t>(group_)));
  }
}

void VertexUnit::residuals() {
  const VertexGroup& g = group();
  gather(fwd_);
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const IMatrix& Z = ctx_.st->z[static_cast<size_t>(layer - 1)];
  // acc = (z << fw) - sum of the partial sums (b << sb) + sum_j W a, exact; then wrapped and rounded once.
  std::vector<fx::wide> acc(static_cast<size_t>(n) * static_cast<size_t>(B));
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) acc[static_cast<size_t>(s * n + i)] = fx::shl(Z(g.n0 + i, s), ctx_.fx.weight.frac_bits);
  for (const Message& m : fwd_.messages()) for_each_value(m, g.n0, n, B, [&](size_t i, fx::wide v) { acc[i] -= v; });
  u_.resize(acc.size());
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      const edge::Write r =
          vertex::residual(acc_fit(acc[static_cast<size_t>(s * n + i)], layer), ctx_.fx,
                           ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Residual, layer, static_cast<std::uint64_t>(g.n0 + i)));
      count(r, FxClass::Residual, layer);
      u_[static_cast<size_t>(s * n + i)] = r.value;
    }
  const auto elems = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(B);
  c_.adds += elems * fwd_.messages().size();
  c_.register_writes += elems;
  busy(ceil_div(elems * (fwd_.messages().size() + 1), static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kResidual);
  if (!ctx_.needs_residuals(layer)) return;
  for (int ti : ctx_.map->row_tiles(group_)) {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
    Message m = make_message(std::max(t.r0, g.n0), std::min(t.r1, g.n1), B,
                             [&](int s, int i) { return fx::wide{u_[static_cast<size_t>(s * n + i - g.n0)]}; });
    send(g.pe, t.pe, ctx_.tile_owner[static_cast<size_t>(ti)]->residuals(ti), std::move(m), ctx_.fx.residual.width(),
         fx::mix64((~ctx_.step << 32) ^ (static_cast<std::uint64_t>(ti) << 12) ^ static_cast<std::uint64_t>(group_)));
  }
}

void VertexUnit::update() {
  const VertexGroup& g = group();
  const int n = g.n1 - g.n0, layer = g.layer;
  const auto B = static_cast<int>(ctx_.batch);
  const size_t li = static_cast<size_t>(layer - 1);
  IMatrix& Z = ctx_.st->z[li];
  const auto elems = static_cast<std::uint64_t>(n) * static_cast<std::uint64_t>(B);
  if (layer < ctx_.L) {
    gather(bwd_);
    // p = sum of the next layer's backward partial sums, exact.
    std::vector<fx::wide> p(static_cast<size_t>(n) * static_cast<size_t>(B), 0);
    for (const Message& m : bwd_.messages()) for_each_value(m, g.n0, n, B, [&](size_t i, fx::wide v) { p[i] += v; });
    IMatrix& A = ctx_.st->a[li];
    for (int s = 0; s < B; ++s)
      for (int i = 0; i < n; ++i) {
        const std::int64_t z = Z(g.n0 + i, s), a = A(g.n0 + i, s);
        const auto row = static_cast<std::uint64_t>(g.n0 + i), sample = static_cast<std::uint64_t>(s);
        const vertex::HiddenStep h =
            vertex::hidden_update(z, a, u_[static_cast<size_t>(s * n + i)], p[static_cast<size_t>(s * n + i)],
                                  ctx_.s_raw, ctx_.fx, ctx_.rnd(sample, FxClass::Z, layer, row),
                                  ctx_.rnd(sample, FxClass::A, layer, row));
        if (h.acc_wrapped) count_acc_overflow(layer);
        count(h.z, FxClass::Z, layer);
        count(h.a, FxClass::A, layer);
        max_change_ = std::max({max_change_, absdiff(h.z.value, z), absdiff(h.a.value, a)});
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
  const int g_out_frac = train ? ctx_.fx.stalk.frac_bits : ctx_.fx.residual.frac_bits;
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < n; ++i) {
      const std::int64_t z = Z(g.n0 + i, s);
      const fx::wide g_out = train ? fx::wide{z} - (*ctx_.Y)(g.n0 + i, s) : fx::wide{0};
      const edge::Write w = vertex::output_update(
          z, u_[static_cast<size_t>(s * n + i)], g_out, g_out_frac, ctx_.s_raw, ctx_.fx,
          ctx_.rnd(static_cast<std::uint64_t>(s), FxClass::Z, layer, static_cast<std::uint64_t>(g.n0 + i)));
      count(w, FxClass::Z, layer);
      max_change_ = std::max(max_change_, absdiff(w.value, z));
      Z(g.n0 + i, s) = w.value;
    }
  c_.register_writes += elems;
  busy(ceil_div(elems * 2, static_cast<std::uint64_t>(ctx_.mesh.vertex_lanes)), kUpdate);
}

}  // namespace sheafsim::mesh
