#include "sheafsim/mesh/vertex_unit.h"

#include <algorithm>

#include "sheafsim/mesh/edge_pe.h"
#include "sheafsim/arch/output_unit_cost.h"
#include "sheafsim/arch/pe_phase_cost.h"

namespace sheafsim::mesh {

namespace {
// Phase tags of the stall keys (and of the trace's phase signal), chunk k folded in (chunk 0: the barrier's).
std::uint64_t phase_key(std::uint64_t phase, int k) { return phase + (static_cast<std::uint64_t>(k) << 40); }
}  // namespace

VertexUnit::VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx)
    : MeshUnit(name, ctx, static_cast<std::uint64_t>(group + ctx.map->pes())),
      group_(group),
      fwd_("fwd", &wake_),
      bwd_("bwd", &wake_) {
  dp_ = make_model_vertex_datapath(group, ctx, c_);
  if (ctx.method == MeshMethod::Sgd) sgd_ = std::make_unique<SgdVertexDatapath>(group, ctx, c_);
  next_ready_.assign(static_cast<size_t>(ctx.chunks()), 0);
  SC_THREAD(run);
  set_stack_size(kUnitStackBytes);  // as EdgePe: Eigen's stack buffers
}

void VertexUnit::expect_step() {
  const int C = ctx_.chunks();
  // The chains that end here: one message per chunk each (one per tile under vertex reduction).
  fwd_.expect(static_cast<int>(ctx_.map->fwd_senders(group_).size()), C);
  // Layer 0 has readers but no backward sums: only hidden groups receive W^T u
  // (and the input groups W_1^T u_1 when the pins free input coordinates).
  const bool receives = group().layer >= 1 || ctx_.free_input;
  bwd_.expect(receives ? static_cast<int>(ctx_.map->bwd_senders(group_).size()) : 0, C);
}

void VertexUnit::run() {
  for (;;) {
    sc_core::wait(ctx_.start);
    begin_step();
    if (ctx_.method == MeshMethod::Sgd) {
      sgd_step();
      end_step();
      ctx_.release[static_cast<size_t>(group_)] = now();
      continue;
    }
    const VertexGroup& g = group();
    const int C = ctx_.chunks();
    // When chunk k of the stalks is ready: when the previous step's update of
    // it finished (dataflow), or now (barrier; the first step; the pinned input).
    // An input group with free coordinates updates its x chunk by chunk (no residual phase).
    const bool input_free = g.layer == 0 && ctx_.free_input;
    const bool paced = ctx_.mesh.schedule == Schedule::Dataflow && (g.layer > 0 || input_free);
    ready_.resize(static_cast<size_t>(C));
    for (size_t k = 0; k < ready_.size(); ++k) ready_[k] = paced ? std::max(now(), next_ready_[k]) : now();
    const int sends = g.layer < ctx_.L ? C : 0;  // the output layer has no readers
    const int work = g.layer > 0 || input_free ? C : 0;  // the input only sends (unless it has free coordinates)
    const bool hidden = g.layer < ctx_.L;
    if (sends > 0) acts_ = dp_->activations();  // this step's stalks (the previous step is complete)
    int sent = 0, r = input_free ? C : 0, s = 0;  // chunks sent, through the residual phase, through the stalk update
    while (sent < sends || s < work) {
      const std::uint64_t t = now();
      // A chunk's activations leave as soon as its stalks are ready; then the
      // stalk update of the oldest chunk, then the next chunk's residuals.
      if (sent < sends && ready_[static_cast<size_t>(sent)] <= t) {
        cast_chunk(sent++, false);
      } else if (s < r && (!hidden || bwd_.ready_at(s) <= t)) {
        update(s++);
      } else if (r < work && fwd_.ready_at(r) <= t && ready_[static_cast<size_t>(r)] <= t) {
        residuals(r++);
      } else {
        std::uint64_t next = sent < sends ? ready_[static_cast<size_t>(sent)] : Mailbox::kNever;
        if (r < work) next = std::min(next, std::max(fwd_.ready_at(r), ready_[static_cast<size_t>(r)]));
        if (s < r && hidden) next = std::min(next, bwd_.ready_at(s));
        wait_until(next);
      }
    }
    end_step();
    // The next step may start with this unit's first updated chunk.
    ctx_.release[static_cast<size_t>(group_)] = work > 0 ? next_ready_.front() : now();
  }
}

std::int64_t VertexUnit::max_change() const { return dp_->max_change(); }

void VertexUnit::cast_chunk(int k, bool residuals) {
  const VertexGroup& g = group();
  const bool last = k == ctx_.chunks() - 1;
  // Views, rewritten only in the next step: the copy of the stalks taken at
  // the step's start (activations), or u of the last residual phase.
  const Message& values = residuals ? u_ : acts_;
  const long width = residuals ? ctx_.fx.residual.width() : ctx_.fx.stalk.width();
  const std::uint64_t step_key = residuals ? ~ctx_.step : ctx_.step;
  for (const std::vector<int>& cast :
       residuals ? ctx_.map->residual_casts(group_) : ctx_.map->activation_casts(group_)) {
    // The same rows (residuals) or columns (activations) along the band.
    const Tile& t = ctx_.map->tiles()[static_cast<size_t>(cast.front())];
    const int a = std::max(residuals ? t.r0 : t.c0, g.n0), b = std::min(residuals ? t.r1 : t.c1, g.n1);
    cast_pes_.clear();
    cast_boxes_.clear();
    for (int ti : cast) {
      EdgePe& pe = *ctx_.tile_owner[static_cast<size_t>(ti)];
      Mailbox& box = residuals ? pe.residuals(ti) : pe.activations(ti);
      if (last) box.attach(values.part(a, b));
      cast_pes_.push_back(pe.pe());
      cast_boxes_.push_back(&box);
    }
    multicast(g.pe, cast_pes_, cast_boxes_, k, static_cast<long>(b - a) * static_cast<long>(ctx_.chunk_size(k)) * width,
              fx::mix64((step_key << 32) ^ (static_cast<std::uint64_t>(cast.front()) << 12) ^
                        static_cast<std::uint64_t>(group_) ^ (static_cast<std::uint64_t>(k) << 48)));
  }
}

void VertexUnit::residuals(int k) {
  const VertexGroup& g = group();
  const int C = ctx_.chunks();
  if (k == C - 1) u_ = dp_->residuals(fwd_);  // the batch's values, now that every chunk has arrived
  const auto elems = static_cast<std::uint64_t>(g.n1 - g.n0) * ctx_.chunk_size(k);
  const auto msgs = static_cast<std::uint64_t>(fwd_.expected());
  c_.adds += elems * msgs;
  c_.register_writes += elems;
  busy(vertex_chunk_cycles(ctx_.mesh, elems, msgs + 1), phase_key(kPhaseResidual, k));
  if (ctx_.needs_residuals(g.layer)) cast_chunk(k, true);
}

void VertexUnit::update(int k) {
  const VertexGroup& g = group();
  const auto elems = static_cast<std::uint64_t>(g.n1 - g.n0) * ctx_.chunk_size(k);
  // The batch's values on the last chunk: a hidden group reduces the backward
  // sums and writes z and a; the output group its output unit's force, then z.
  if (g.layer == 0) {  // the free input coordinates: reduce W_1^T u_1, write x
    if (k == ctx_.chunks() - 1) dp_->input_update(bwd_);
    const auto msgs = static_cast<std::uint64_t>(bwd_.expected());
    c_.adds += elems * msgs;
    c_.register_writes += elems;
    busy(vertex_chunk_cycles(ctx_.mesh, elems, msgs + 1), phase_key(kPhaseStalk, k));
    next_ready_[static_cast<size_t>(k)] = now();
    return;
  }
  if (k == ctx_.chunks() - 1) dp_->update(bwd_);
  if (g.layer < ctx_.L) {
    const auto msgs = static_cast<std::uint64_t>(bwd_.expected());
    c_.adds += elems * msgs;
    c_.register_writes += 2 * elems;
    busy(vertex_chunk_cycles(ctx_.mesh, elems, msgs + 2), phase_key(kPhaseStalk, k));
  } else {
    const OutputUnitCost oc = output_unit_cost(ctx_.mesh, ctx_.fx, ctx_.net->output, elems, g.n1 - g.n0);
    count_output_unit(c_, oc);
    busy(oc.cycles, phase_key(kPhaseStalk, k));
  }
  next_ready_[static_cast<size_t>(k)] = now();
}

}  // namespace sheafsim::mesh
