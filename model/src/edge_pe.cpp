#include "sheafsim/mesh/edge_pe.h"

#include <algorithm>

#include "sheafsim/mesh/vertex_unit.h"

namespace sheafsim::mesh {

namespace {
std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }
// Phase tags of the stall keys.
constexpr std::uint64_t kForward = 1, kBackward = 2, kHebbian = 3, kUpdate = 4;
}  // namespace

EdgePe::EdgePe(sc_core::sc_module_name name, int pe, MeshContext& ctx)
    : sc_module(name), pe_(pe), ctx_(ctx), tiles_(ctx.map->tiles_of_pe(pe)) {
  for (size_t k = 0; k < tiles_.size(); ++k) {
    acts_.push_back(std::make_unique<Mailbox>(sc_core::sc_gen_unique_name("acts")));
    resid_.push_back(std::make_unique<Mailbox>(sc_core::sc_gen_unique_name("resid")));
  }
  a_in_.resize(tiles_.size());
  SC_THREAD(run);
}

size_t EdgePe::local(int tile) const {
  return static_cast<size_t>(std::find(tiles_.begin(), tiles_.end(), tile) - tiles_.begin());
}

void EdgePe::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    step();
  }
}

void EdgePe::step() {
  // Every tile's forward products first: a time-multiplexed PE must deliver all
  // of its partial sums before any residual can come back.
  for (int t : tiles_) forward(t);
  for (int t : tiles_) backward_and_hebbian(t);
}

void EdgePe::busy(std::uint64_t cycles, std::uint64_t phase) {
  const std::uint64_t stall =
      random_stall(ctx_.mesh, fx::mix64((ctx_.step << 20) ^ (static_cast<std::uint64_t>(pe_) << 4) ^ phase));
  c_.busy_cycles += cycles;
  c_.stall_cycles += stall;
  if (cycles + stall > 0) sc_core::wait(static_cast<double>(cycles + stall) * ctx_.period);
}

void EdgePe::gather(Mailbox& box) {
  const std::uint64_t t0 = ctx_.now();
  box.wait_all(t0, ctx_.period);
  c_.stall_cycles += ctx_.now() - t0;
}

void EdgePe::forward(int ti) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  const size_t k = local(ti);
  gather(*acts_[k]);
  const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
  const auto B = static_cast<int>(ctx_.batch);
  // The activations of the tile's columns, assembled from the vertex groups' messages.
  std::vector<fx::wide>& a = a_in_[k];
  a.assign(static_cast<size_t>(cols) * static_cast<size_t>(B), 0);
  for (const Message& m : acts_[k]->messages()) {
    const int w = m.n1 - m.n0;
    for (int s = 0; s < B; ++s)
      for (int j = m.n0; j < m.n1; ++j)
        a[static_cast<size_t>(s * cols + j - t.c0)] = m.data[static_cast<size_t>(s * w + j - m.n0)];
  }
  const IMatrix& W = ctx_.net->W[static_cast<size_t>(t.layer - 1)];
  const IVector& b = ctx_.net->b[static_cast<size_t>(t.layer - 1)];
  const int sb = ctx_.fx.weight.frac_bits + ctx_.fx.stalk.frac_bits - ctx_.fx.bias.frac_bits;
  // Partial sums (b << sb) + sum_j W a of the tile's rows, exact.
  std::vector<fx::wide> psum(static_cast<size_t>(rows) * static_cast<size_t>(B));
  for (int s = 0; s < B; ++s)
    for (int i = 0; i < rows; ++i) {
      fx::wide acc = t.has_bias() ? fx::shl(b(t.r0 + i), sb) : fx::wide{0};
      for (int j = 0; j < cols; ++j) acc += fx::wide{W(t.r0 + i, t.c0 + j)} * a[static_cast<size_t>(s * cols + j)];
      psum[static_cast<size_t>(s * rows + i)] = acc;
    }
  const auto macs = static_cast<std::uint64_t>(t.synapses()) * static_cast<std::uint64_t>(B);
  c_.macs_forward += macs;
  if (t.has_bias()) c_.adds += static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(B);
  c_.sram_read_bits += static_cast<std::uint64_t>(t.synapses()) * static_cast<std::uint64_t>(ctx_.fx.weight.width()) +
                       (t.has_bias() ? static_cast<std::uint64_t>(rows * ctx_.fx.bias.width()) : 0);
  busy(static_cast<std::uint64_t>(ctx_.mesh.sram_latency) + ceil_div(macs, static_cast<std::uint64_t>(ctx_.mesh.lanes)) +
           static_cast<std::uint64_t>(ctx_.mesh.mac_pipeline),
       kForward + (static_cast<std::uint64_t>(ti) << 8));
  // To the vertex groups that own the rows.
  for (int g : ctx_.map->groups_overlapping(t.layer, t.r0, t.r1)) {
    const VertexGroup& grp = ctx_.map->groups()[static_cast<size_t>(g)];
    Message m;
    m.n0 = std::max(t.r0, grp.n0);
    m.n1 = std::min(t.r1, grp.n1);
    const int w = m.n1 - m.n0;
    m.data.resize(static_cast<size_t>(w) * static_cast<size_t>(B));
    for (int s = 0; s < B; ++s)
      for (int i = m.n0; i < m.n1; ++i)
        m.data[static_cast<size_t>(s * w + i - m.n0)] = psum[static_cast<size_t>(s * rows + i - t.r0)];
    const std::uint64_t now = ctx_.now();
    const long bits = static_cast<long>(w) * B * ctx_.fx.acc_bits;
    const std::uint64_t arr = ctx_.noc->transfer(pe_, grp.pe, bits, now, fx::mix64(ctx_.step ^ (static_cast<std::uint64_t>(ti) << 24) ^ static_cast<std::uint64_t>(g)), c_);
    ctx_.group_unit[static_cast<size_t>(g)]->forward_sums().deliver(std::move(m), arr, now, ctx_.period);
  }
}

void EdgePe::backward_and_hebbian(int ti) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  if (!ctx_.needs_residuals(t.layer)) return;
  const size_t k = local(ti);
  gather(*resid_[k]);
  const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
  const auto B = static_cast<int>(ctx_.batch);
  std::vector<std::int64_t> u(static_cast<size_t>(rows) * static_cast<size_t>(B));
  for (const Message& m : resid_[k]->messages()) {
    const int w = m.n1 - m.n0;
    for (int s = 0; s < B; ++s)
      for (int i = m.n0; i < m.n1; ++i)
        u[static_cast<size_t>(s * rows + i - t.r0)] = static_cast<std::int64_t>(m.data[static_cast<size_t>(s * w + i - m.n0)]);
  }
  const size_t li = static_cast<size_t>(t.layer - 1);
  IMatrix& W = ctx_.net->W[li];
  IVector& b = ctx_.net->b[li];
  const auto macs = static_cast<std::uint64_t>(t.synapses()) * static_cast<std::uint64_t>(B);
  const auto lanes = static_cast<std::uint64_t>(ctx_.mesh.lanes);
  const auto pipe = static_cast<std::uint64_t>(ctx_.mesh.mac_pipeline);
  const auto sram = static_cast<std::uint64_t>(ctx_.mesh.sram_latency);
  const auto ww = static_cast<std::uint64_t>(ctx_.fx.weight.width()), acc = static_cast<std::uint64_t>(ctx_.fx.acc_bits);
  const auto syn = static_cast<std::uint64_t>(t.synapses());

  if (t.layer >= 2) {  // W^T u for the previous layer's vertex groups (old weights)
    std::vector<fx::wide> bsum(static_cast<size_t>(cols) * static_cast<size_t>(B), 0);
    for (int s = 0; s < B; ++s)
      for (int j = 0; j < cols; ++j) {
        fx::wide sum = 0;
        for (int i = 0; i < rows; ++i) sum += fx::wide{W(t.r0 + i, t.c0 + j)} * u[static_cast<size_t>(s * rows + i)];
        bsum[static_cast<size_t>(s * cols + j)] = sum;
      }
    c_.macs_backward += macs;
    c_.sram_read_bits += syn * ww;
    busy(sram + ceil_div(macs, lanes) + pipe, kBackward + (static_cast<std::uint64_t>(ti) << 8));
    for (int g : ctx_.map->groups_overlapping(t.layer - 1, t.c0, t.c1)) {
      const VertexGroup& grp = ctx_.map->groups()[static_cast<size_t>(g)];
      Message m;
      m.n0 = std::max(t.c0, grp.n0);
      m.n1 = std::min(t.c1, grp.n1);
      const int w = m.n1 - m.n0;
      m.data.resize(static_cast<size_t>(w) * static_cast<size_t>(B));
      for (int s = 0; s < B; ++s)
        for (int j = m.n0; j < m.n1; ++j)
          m.data[static_cast<size_t>(s * w + j - m.n0)] = bsum[static_cast<size_t>(s * cols + j - t.c0)];
      const std::uint64_t now = ctx_.now();
      const long bits = static_cast<long>(w) * B * ctx_.fx.acc_bits;
      const std::uint64_t arr = ctx_.noc->transfer(pe_, grp.pe, bits, now, fx::mix64(~ctx_.step ^ (static_cast<std::uint64_t>(ti) << 24) ^ static_cast<std::uint64_t>(g)), c_);
      ctx_.group_unit[static_cast<size_t>(g)]->backward_sums().deliver(std::move(m), arr, now, ctx_.period);
    }
  }
  if (!ctx_.joint) return;

  // Hebbian sums over the batch, then one write per weight and bias (old stalks).
  const std::vector<fx::wide>& a = a_in_[k];
  const int layer = t.layer;
  FixedCounters& fc = ctx_.counters;
  auto count = [&](const edge::Write& w, FxClass cls) {
    if (w.saturated) { fc.saturated(cls, layer); ++c_.saturations; }
    if (w.lost) { fc.lost(cls, layer); ++c_.lost_updates; }
  };
  auto fit = [&](fx::wide v) {
    bool wrapped = false;
    const fx::wide out = vertex::acc_fit(v, ctx_.fx.acc_bits, &wrapped);
    if (wrapped) { fc.saturated(FxClass::Accumulator, layer); ++c_.saturations; }
    return out;
  };
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) {
      fx::wide h = 0;
      for (int s = 0; s < B; ++s) h += fx::wide{u[static_cast<size_t>(s * rows + i)]} * a[static_cast<size_t>(s * cols + j)];
      const int gi = t.r0 + i, gj = t.c0 + j;
      const edge::Write w = edge::update_weight(W(gi, gj), fit(h), ctx_.eta_raw, ctx_.fx,
                                                ctx_.rnd(static_cast<std::uint64_t>(gj), FxClass::Weight, layer,
                                                         static_cast<std::uint64_t>(gi)));
      count(w, FxClass::Weight);
      W(gi, gj) = w.value;
    }
  std::uint64_t writes = syn;
  if (t.has_bias()) {
    for (int i = 0; i < rows; ++i) {
      fx::wide h = 0;
      for (int s = 0; s < B; ++s) h += u[static_cast<size_t>(s * rows + i)];
      const edge::Write w = edge::update_bias(b(t.r0 + i), fit(h), ctx_.eta_raw, ctx_.fx,
                                              ctx_.rnd(0, FxClass::Bias, layer, static_cast<std::uint64_t>(t.r0 + i)));
      count(w, FxClass::Bias);
      b(t.r0 + i) = w.value;
    }
    c_.adds += static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(B);
    writes += static_cast<std::uint64_t>(rows);
  }
  c_.macs_hebbian += macs;
  c_.register_writes += writes;
  // The accumulators stay in registers over the batch, then go through the
  // update unit: read H and W, write W.
  c_.sram_read_bits += syn * (acc + ww);
  c_.sram_write_bits += syn * ww;
  busy(ceil_div(macs, lanes) + pipe, kHebbian + (static_cast<std::uint64_t>(ti) << 8));
  busy(sram + ceil_div(writes, lanes) + pipe, kUpdate + (static_cast<std::uint64_t>(ti) << 8));
}

}  // namespace sheafsim::mesh
