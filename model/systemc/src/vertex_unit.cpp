#include "sheafsim/mesh/vertex_unit.h"

#include <algorithm>

#include "sheafsim/mesh/edge_pe.h"
#include "sheafsim/arch/output_unit_cost.h"
#include "sheafsim/arch/pe_phase_cost.h"

namespace sheafsim::mesh {

namespace {
// Phase tags of the stall keys.
constexpr std::uint64_t kResidual = 5, kUpdate = 6;
}  // namespace

VertexUnit::VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx)
    : MeshUnit(name, ctx, static_cast<std::uint64_t>(group + ctx.map->pes())), group_(group), fwd_("fwd"), bwd_("bwd") {
  dp_ = make_model_vertex_datapath(group, ctx, c_);
  SC_THREAD(run);
}

void VertexUnit::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    send_activations();
    if (group().layer == 0) continue;  // the input only sends
    residuals();
    update();
  }
}

std::int64_t VertexUnit::max_change() const { return dp_->max_change(); }

void VertexUnit::send_activations() {
  // The output layer has no readers (its activation is its z, identity) and no a.
  const VertexGroup& g = group();
  if (g.layer == ctx_.L) return;
  const Message all = dp_->activations();
  for (int ti : ctx_.map->reader_tiles(group_)) {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
    // A view of the copy of rows [n0, n1), taken now and rewritten at the next step's send.
    send(g.pe, t.pe, ctx_.tile_owner[static_cast<size_t>(ti)]->activations(ti),
         all.part(std::max(t.c0, g.n0), std::min(t.c1, g.n1)), ctx_.fx.stalk.width(),
         fx::mix64((ctx_.step << 32) ^ (static_cast<std::uint64_t>(ti) << 12) ^ static_cast<std::uint64_t>(group_)));
  }
}

void VertexUnit::residuals() {
  const VertexGroup& g = group();
  gather(fwd_);
  const Message u = dp_->residuals(fwd_);
  const auto elems = static_cast<std::uint64_t>(g.n1 - g.n0) * static_cast<std::uint64_t>(ctx_.batch);
  c_.adds += elems * fwd_.messages().size();
  c_.register_writes += elems;
  busy(vertex_chunk_cycles(ctx_.mesh, elems, fwd_.messages().size() + 1), kResidual);
  if (!ctx_.needs_residuals(g.layer)) return;
  for (int ti : ctx_.map->row_tiles(group_)) {
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(ti)];
    // A view of u (as doubles and / or 64-bit integers), rewritten in the next step's residual phase.
    send(g.pe, t.pe, ctx_.tile_owner[static_cast<size_t>(ti)]->residuals(ti),
         u.part(std::max(t.r0, g.n0), std::min(t.r1, g.n1)), ctx_.fx.residual.width(),
         fx::mix64((~ctx_.step << 32) ^ (static_cast<std::uint64_t>(ti) << 12) ^ static_cast<std::uint64_t>(group_)));
  }
}

void VertexUnit::update() {
  const VertexGroup& g = group();
  const auto elems = static_cast<std::uint64_t>(g.n1 - g.n0) * static_cast<std::uint64_t>(ctx_.batch);
  if (g.layer < ctx_.L) {  // reduce the backward sums; write z and a
    gather(bwd_);
    dp_->update(bwd_);
    c_.adds += elems * bwd_.messages().size();
    c_.register_writes += 2 * elems;
    busy(vertex_chunk_cycles(ctx_.mesh, elems, bwd_.messages().size() + 2), kUpdate);
    return;
  }
  dp_->update(bwd_);  // the output: the output unit's force (sigmoid, softmax), then write z
  const OutputUnitCost oc = output_unit_cost(ctx_.mesh, ctx_.fx, ctx_.net->output, elems, g.n1 - g.n0);
  count_output_unit(c_, oc);
  busy(oc.cycles, kUpdate);
}

}  // namespace sheafsim::mesh
