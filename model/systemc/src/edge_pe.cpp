#include "sheafsim/mesh/edge_pe.h"

#include <algorithm>

#include "sheafsim/arch/pe_phase_cost.h"
#include "sheafsim/mesh/vertex_unit.h"

namespace sheafsim::mesh {

namespace {
// Phase tags of the stall keys.
constexpr std::uint64_t kForward = 1, kBackward = 2, kHebbian = 3, kUpdate = 4;
}  // namespace

EdgePe::EdgePe(sc_core::sc_module_name name, int pe, MeshContext& ctx)
    : MeshUnit(name, ctx, static_cast<std::uint64_t>(pe)), pe_(pe), tiles_(ctx.map->tiles_of_pe(pe)) {
  local_.assign(ctx.map->tiles().size(), -1);
  for (size_t k = 0; k < tiles_.size(); ++k) {
    local_[static_cast<size_t>(tiles_[k])] = static_cast<int>(k);
    acts_.push_back(std::make_unique<Mailbox>(sc_core::sc_gen_unique_name("acts")));
    resid_.push_back(std::make_unique<Mailbox>(sc_core::sc_gen_unique_name("resid")));
  }
  a_in_.resize(tiles_.size());
  fsums_.resize(tiles_.size());
  bsums_.resize(tiles_.size());
  dp_ = ctx.datapath ? ctx.datapath(pe, ctx) : make_model_datapath(ctx);
  SC_THREAD(run);
}

void EdgePe::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    // Every tile's forward products first: a time-multiplexed PE must deliver
    // all of its partial sums before any residual can come back.
    for (int t : tiles_) forward(t);
    for (int t : tiles_) backward_and_hebbian(t);
  }
}

void EdgePe::forward(int ti) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  const size_t k = local(ti);
  gather(*acts_[k]);
  const int cols = t.c1 - t.c0;
  const auto B = static_cast<int>(ctx_.batch);
  // The activations of the tile's columns, assembled from the vertex groups' messages.
  TileOperand& a = a_in_[k];
  a.set(*acts_[k], t.c0, cols, B);
  // Partial sums (b << sb) + sum_j W a of the tile's rows.
  PartialSums& psum = fsums_[k];
  dp_->forward(t, B, ctx_.net->W[static_cast<size_t>(t.layer - 1)], ctx_.net->b[static_cast<size_t>(t.layer - 1)], a, psum);
  const PePhaseCost cost = pe_forward_cost(t, static_cast<std::uint64_t>(B), ctx_.mesh, ctx_.fx);
  count_phase(c_, cost, &UnitCounters::macs_forward);
  busy(cost.cycles, kForward + (static_cast<std::uint64_t>(ti) << 8));
  send_sums(ti, ctx_.map->row_groups(ti), t.r0, t.r1, psum, true);  // to the vertex groups that own the rows
}

// The partial sums of neurons [lo, hi) to the vertex groups that own them
// (forward: their forward sums; else their backward sums).
void EdgePe::send_sums(int ti, const std::vector<int>& groups, int lo, int hi, const PartialSums& sums, bool forward) {
  const std::uint64_t key = (forward ? ctx_.step : ~ctx_.step) ^ (static_cast<std::uint64_t>(ti) << 24);
  for (int g : groups) {
    const VertexGroup& grp = ctx_.map->groups()[static_cast<size_t>(g)];
    VertexUnit& vu = *ctx_.group_unit[static_cast<size_t>(g)];
    send(pe_, grp.pe, forward ? vu.forward_sums() : vu.backward_sums(),
         sums.view(std::max(lo, grp.n0), std::min(hi, grp.n1), lo, hi - lo), ctx_.fx.acc_bits,
         fx::mix64(key ^ static_cast<std::uint64_t>(g)));
  }
}

void EdgePe::backward_and_hebbian(int ti) {
  const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
  if (!ctx_.needs_residuals(t.layer)) return;
  const size_t k = local(ti);
  gather(*resid_[k]);
  const int rows = t.r1 - t.r0, cols = t.c1 - t.c0;
  const auto B = static_cast<int>(ctx_.batch);
  TileOperand& u = u_in_;
  u.set(*resid_[k], t.r0, rows, B);
  const size_t li = static_cast<size_t>(t.layer - 1);
  IMatrix& W = ctx_.net->W[li];
  IVector& b = ctx_.net->b[li];
  const auto uB = static_cast<std::uint64_t>(B);

  if (t.layer >= 2) {  // W^T u for the previous layer's vertex groups (old weights)
    PartialSums& bsum = bsums_[k];
    dp_->backward(t, B, W, u, bsum);
    const PePhaseCost cost = pe_backward_cost(t, uB, ctx_.mesh, ctx_.fx);
    count_phase(c_, cost, &UnitCounters::macs_backward);
    busy(cost.cycles, kBackward + (static_cast<std::uint64_t>(ti) << 8));
    send_sums(ti, ctx_.map->col_groups(ti), t.c0, t.c1, bsum, false);
  }
  if (!ctx_.joint) return;

  // Hebbian sums over the batch, then one write per weight and bias (old stalks).
  TileWrites& wr = writes_;
  dp_->hebbian_update(t, B, u, a_in_[k], W, b, wr);
  const int layer = t.layer;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const auto e = static_cast<size_t>(i * cols + j);
      if (wr.w_acc_wrapped[e]) count_acc_overflow(layer);
      count(wr.w[e], FxClass::Weight, layer);
      W(t.r0 + i, t.c0 + j) = wr.w[e].value;
    }
  if (t.has_bias()) {
    for (int i = 0; i < rows; ++i) {
      const auto e = static_cast<size_t>(i);
      if (wr.b_acc_wrapped[e]) count_acc_overflow(layer);
      count(wr.b[e], FxClass::Bias, layer);
      b(t.r0 + i) = wr.b[e].value;
    }
  }
  const PePhaseCost cost = pe_hebbian_cost(t, uB, ctx_.mesh, ctx_.fx);
  count_phase(c_, cost, &UnitCounters::macs_hebbian);
  busy(cost.cycles, kHebbian + (static_cast<std::uint64_t>(ti) << 8));
  busy(cost.update_cycles, kUpdate + (static_cast<std::uint64_t>(ti) << 8));
}

}  // namespace sheafsim::mesh
