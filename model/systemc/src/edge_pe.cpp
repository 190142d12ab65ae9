#include "sheafsim/mesh/edge_pe.h"

#include <algorithm>

#include "sheafsim/arch/pe_phase_cost.h"
#include "sheafsim/mesh/vertex_unit.h"

namespace sheafsim::mesh {

namespace {
// Phase tags of the stall keys (and of the trace's phase signal).
constexpr std::uint64_t kForward = kPhaseForward, kBackward = kPhaseBackward, kHebbian = kPhaseHebbian,
                        kUpdate = kPhaseUpdate, kMerge = kPhaseMerge;
// The stall key of a tile's phase on chunk k (chunk 0: the key of the barrier schedule's one chunk).
std::uint64_t phase_key(std::uint64_t phase, int tile, int k) {
  return phase + (static_cast<std::uint64_t>(tile) << 8) + (static_cast<std::uint64_t>(k) << 40);
}
}  // namespace

EdgePe::EdgePe(sc_core::sc_module_name name, int pe, MeshContext& ctx)
    : MeshUnit(name, ctx, static_cast<std::uint64_t>(pe)), pe_(pe), tiles_(ctx.map->tiles_of_pe(pe)) {
  local_.assign(ctx.map->tiles().size(), -1);
  for (size_t k = 0; k < tiles_.size(); ++k) {
    local_[static_cast<size_t>(tiles_[k])] = static_cast<int>(k);
    Inputs in;
    in.acts = std::make_unique<Mailbox>("acts", &wake_);
    in.resid = std::make_unique<Mailbox>("resid", &wake_);
    in.fchain = std::make_unique<Mailbox>("fchain", &wake_);
    in.bchain = std::make_unique<Mailbox>("bchain", &wake_);
    in_.push_back(std::move(in));
  }
  prog_.resize(tiles_.size());
  for (int ti : tiles_) {  // the width of a passing sum depends on the mapping only
    fsum_bits_.push_back(forward_sum_bits(*ctx.map, ctx.fx, ti));
    bsum_bits_.push_back(backward_sum_bits(*ctx.map, ctx.fx, ti));
  }
  weights_at_.assign(tiles_.size(), 0);
  a_in_.resize(tiles_.size());
  u_in_.resize(tiles_.size());
  fsums_.resize(tiles_.size());
  bsums_.resize(tiles_.size());
  dp_ = ctx.datapath ? ctx.datapath(pe, ctx) : make_model_datapath(ctx);
  SC_THREAD(run);
  // Eigen's GEMM puts its blocking buffers on the stack (up to EIGEN_STACK_ALLOCATION_LIMIT,
  // 128 KiB): large tiles (e.g. [64,128,128,10] on 4x4) overflowed SystemC's default
  // coroutine stack (64 KiB). The stack is reserved, not touched: no cost for small tiles.
  set_stack_size(kUnitStackBytes);
}

// A chunk of `phase` on tile ti: its cycles as the datapath times them (the
// annotation, or the RTL's with --rtl-timing), reserved under its stall key.
void EdgePe::run_chunk(std::uint64_t phase, int ti, int k, const PePhaseCost& cost) {
  busy(dp_->chunk_cycles({static_cast<int>(phase), ti, k, cost.shape}, cost.cycles), phase_key(phase, ti, k));
}

void EdgePe::expect_step() {
  const MeshMapping& map = *ctx_.map;
  const int C = ctx_.chunks();
  for (size_t k = 0; k < tiles_.size(); ++k) {
    const int ti = tiles_[k];
    const Tile& t = map.tiles()[static_cast<size_t>(ti)];
    const bool resid = ctx_.needs_residuals(t.layer);
    in_[k].acts->expect(static_cast<int>(map.col_groups(ti).size()), C);
    in_[k].resid->expect(resid ? static_cast<int>(map.row_groups(ti).size()) : 0, C);
    in_[k].fchain->expect(map.fwd_inputs(ti), C);
    in_[k].bchain->expect(resid && ctx_.backward_sums(t.layer) ? map.bwd_inputs(ti) : 0, C);
    prog_[k] = Progress{};
  }
}

void EdgePe::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    begin_step();
    for (;;) {
      bool done = false;
      std::uint64_t next = Mailbox::kNever;
      if (run_ready(done, next)) continue;
      if (done) break;
      wait_until(next);
    }
    end_step();
  }
}

bool EdgePe::run_ready(bool& done, std::uint64_t& next) {
  const std::uint64_t t_now = now();
  const int C = ctx_.chunks();
  auto ready = [&](const Mailbox& box, int k) {
    const std::uint64_t at = box.ready_at(k);
    if (at <= t_now) return true;
    next = std::min(next, at);
    return false;
  };
  // Passing sums first: the PEs down the band and the vertex units wait for them.
  for (size_t i = 0; i < tiles_.size(); ++i) {
    Progress& p = prog_[i];
    if (p.fs < p.f && in_[i].fchain->expected() > 0 && ready(*in_[i].fchain, p.fs)) {
      merge(tiles_[i], p.fs, true);
      return true;
    }
    if (p.bs < p.bh && in_[i].bchain->expected() > 0 && ready(*in_[i].bchain, p.bs)) {
      merge(tiles_[i], p.bs, false);
      return true;
    }
  }
  // Then the oldest chunk's backward products, then the next chunk's forward products.
  for (size_t i = 0; i < tiles_.size(); ++i) {
    const Progress& p = prog_[i];
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(tiles_[i])];
    if (ctx_.needs_residuals(t.layer) && p.bh < p.f && ready(*in_[i].resid, p.bh)) {
      backward(tiles_[i], p.bh);
      return true;
    }
  }
  // (A chunk's forward products read the weights: after the previous step's write-back.)
  for (size_t i = 0; i < tiles_.size(); ++i)
    if (prog_[i].f < C && ready(*in_[i].acts, prog_[i].f)) {
      if (weights_at_[i] > t_now) {
        next = std::min(next, weights_at_[i]);
        continue;
      }
      forward(tiles_[i], prog_[i].f);
      return true;
    }
  done = true;
  for (size_t i = 0; i < tiles_.size(); ++i) {
    Progress& p = prog_[i];
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(tiles_[i])];
    const bool resid = ctx_.needs_residuals(t.layer);
    if (resid && ctx_.joint && p.bh == C && !p.hebbian) {
      hebbian(tiles_[i]);
      return true;
    }
    if (resid && ctx_.joint && p.hebbian && !p.updated) {
      update(tiles_[i]);
      return true;
    }
    if (p.f < C || p.fs < C || (resid && (p.bh < C || (ctx_.backward_sums(t.layer) && p.bs < C) || (ctx_.joint && !p.updated))))
      done = false;
  }
  return false;
}

void EdgePe::forward(int ti, int k) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  const size_t i = local(ti);
  const std::uint64_t n = ctx_.chunk_size(k);
  if (k == ctx_.chunks() - 1) {  // the batch's values, now that every chunk has arrived
    const auto B = static_cast<int>(ctx_.batch);
    TileOperand& a = a_in_[i];  // the activations of the tile's columns, from the vertex groups' messages
    a.set(*in_[i].acts, t.c0, t.c1 - t.c0, B);
    // Partial sums (b << sb) + sum_j W a of the tile's rows.
    dp_->forward(t, B, ctx_.net->W[static_cast<size_t>(t.layer - 1)], ctx_.net->b[static_cast<size_t>(t.layer - 1)], a,
                 fsums_[i]);
  }
  const PePhaseCost cost = pe_forward_cost(t, n, ctx_.mesh, ctx_.fx);
  count_phase(c_, cost, &UnitCounters::macs_forward);
  run_chunk(kForward, ti, k, cost);
  ++prog_[i].f;
  if (in_[i].fchain->expected() == 0) send_sums(ti, k, true);  // the first of its chain: nothing to add
}

// In-network reduction: the incoming sums of chunk k (one or two) plus this tile's, passed on.
void EdgePe::merge(int ti, int k, bool forward) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  const auto width = static_cast<std::uint64_t>(forward ? t.r1 - t.r0 : t.c1 - t.c0);
  const auto inputs = static_cast<std::uint64_t>(forward ? in_[local(ti)].fchain->expected() : in_[local(ti)].bchain->expected());
  const PePhaseCost cost = pe_merge_cost(width * ctx_.chunk_size(k), inputs, ctx_.mesh);
  c_.adds += cost.adds;
  run_chunk(kMerge, ti, k, cost);
  send_sums(ti, k, forward);
}

// Chunk k of the tile's partial sums (with those of the chain before it) to
// the next tile of its chain, or, from the chain's last tile, to the vertex
// groups that own its rows (forward) or columns (backward).
void EdgePe::send_sums(int ti, int k, bool forward) {
  const MeshMapping& map = *ctx_.map;
  const Tile& t = map.tiles()[static_cast<size_t>(ti)];
  const size_t i = local(ti);
  (forward ? prog_[i].fs : prog_[i].bs)++;
  const std::uint64_t n = ctx_.chunk_size(k);
  const long bits = forward ? fsum_bits_[i] : bsum_bits_[i];
  const std::uint64_t key = (forward ? ctx_.step : ~ctx_.step) ^ (static_cast<std::uint64_t>(ti) << 24) ^
                            (static_cast<std::uint64_t>(k) << 48);
  const int lo = forward ? t.r0 : t.c0, hi = forward ? t.r1 : t.c1;
  const int next = forward ? map.fwd_next(ti) : map.bwd_next(ti);
  if (next >= 0) {
    EdgePe& to = *ctx_.tile_owner[static_cast<size_t>(next)];
    send(pe_, to.pe(), forward ? to.forward_chain(next) : to.backward_chain(next), k,
         static_cast<long>(hi - lo) * static_cast<long>(n) * bits, fx::mix64(key ^ 0x5a5a5a5aULL));
    return;
  }
  const bool last = k == ctx_.chunks() - 1;
  for (int g : forward ? map.row_groups(ti) : map.col_groups(ti)) {
    const VertexGroup& grp = map.groups()[static_cast<size_t>(g)];
    VertexUnit& vu = *ctx_.group_unit[static_cast<size_t>(g)];
    Mailbox& box = forward ? vu.forward_sums() : vu.backward_sums();
    const int a = std::max(lo, grp.n0), b = std::min(hi, grp.n1);
    if (last)  // the values: the partial sums of every tile of the chain (the vertex unit adds them in order)
      for (int c : forward ? map.fwd_chain(ti) : map.bwd_chain(ti)) {
        const EdgePe& owner = *ctx_.tile_owner[static_cast<size_t>(c)];
        box.attach((forward ? owner.forward_sums(c) : owner.backward_sums(c)).view(a, b, lo, hi - lo));
      }
    send(pe_, grp.pe, box, k, static_cast<long>(b - a) * static_cast<long>(n) * bits,
         fx::mix64(key ^ static_cast<std::uint64_t>(g)));
  }
}

void EdgePe::backward(int ti, int k) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  const size_t i = local(ti);
  const bool last = k == ctx_.chunks() - 1;
  ++prog_[i].bh;
  // The first weight edge's residuals serve only its Hebbian sums, unless the
  // pins free input coordinates (W_1^T u_1 for the input groups).
  if (!ctx_.backward_sums(t.layer)) return;
  // W^T u for the previous layer's vertex groups (old weights).
  if (last) {
    u_in_[i].set(*in_[i].resid, t.r0, t.r1 - t.r0, static_cast<int>(ctx_.batch));
    dp_->backward(t, static_cast<int>(ctx_.batch), ctx_.net->W[static_cast<size_t>(t.layer - 1)], u_in_[i], bsums_[i]);
  }
  const PePhaseCost cost = pe_backward_cost(t, ctx_.chunk_size(k), ctx_.mesh, ctx_.fx);
  count_phase(c_, cost, &UnitCounters::macs_backward);
  run_chunk(kBackward, ti, k, cost);
  if (in_[i].bchain->expected() == 0) send_sums(ti, k, false);
}

// Hebbian sums over the batch (old stalks), once every chunk's residuals are
// in, then one write per weight and bias (the values now; the write-back's
// time in update()).
void EdgePe::hebbian(int ti) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  const size_t i = local(ti);
  prog_[i].hebbian = true;
  const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
  const size_t li = static_cast<size_t>(t.layer - 1);
  IMatrix& W = ctx_.net->W[li];
  IVector& b = ctx_.net->b[li];
  const auto B = static_cast<int>(ctx_.batch);
  if (!ctx_.backward_sums(t.layer)) u_in_[i].set(*in_[i].resid, t.r0, rows, B);  // (else set by backward())
  TileWrites& wr = writes_;
  dp_->hebbian_update(t, B, u_in_[i], a_in_[i], W, b, wr);
  const int layer = t.layer;
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < cols; ++j) {
      const auto e = static_cast<size_t>(r * cols + j);
      if (wr.w_acc_wrapped[e]) count_acc_overflow(layer);
      count(wr.w[e], FxClass::Weight, layer);
      W(t.r0 + r, t.c0 + j) = wr.w[e].value;
    }
  if (t.has_bias()) {
    for (int r = 0; r < rows; ++r) {
      const auto e = static_cast<size_t>(r);
      if (wr.b_acc_wrapped[e]) count_acc_overflow(layer);
      count(wr.b[e], FxClass::Bias, layer);
      b(t.r0 + r) = wr.b[e].value;
    }
  }
  const PePhaseCost cost = pe_hebbian_cost(t, static_cast<std::uint64_t>(B), ctx_.mesh);
  count_phase(c_, cost, &UnitCounters::macs_hebbian);
  run_chunk(kHebbian, ti, 0, cost);
}

// The write-back after the last chunk's Hebbian sums (the values were written with them).
void EdgePe::update(int ti) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  prog_[local(ti)].updated = true;
  const PePhaseCost cost = pe_update_cost(t, ctx_.mesh, ctx_.fx);
  count_phase(c_, cost, &UnitCounters::macs_hebbian);
  run_chunk(kUpdate, ti, 0, cost);
  weights_at_[local(ti)] = now();
}

}  // namespace sheafsim::mesh
