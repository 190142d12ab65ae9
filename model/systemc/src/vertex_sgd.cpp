// The vertex unit's role in an SGD step (vertex_unit.h; docs/architecture.md,
// "Backprop SGD on the mesh"). The costs are the sheaf step's: a reduction of
// `msgs` messages writing `w` registers per element takes
// vertex_chunk_cycles(elements, msgs + w), the output error the output unit's
// output_unit_cost, and the values of a phase are computed on its last chunk
// (every sample's arithmetic reads only that sample's inputs).
#include <algorithm>

#include "sheafsim/arch/output_unit_cost.h"
#include "sheafsim/arch/pe_phase_cost.h"
#include "sheafsim/mesh/vertex_unit.h"

namespace sheafsim::mesh {

namespace {
std::uint64_t phase_key(std::uint64_t phase, int k) { return phase + (static_cast<std::uint64_t>(k) << 40); }
}  // namespace

void VertexUnit::sgd_step() {
  const VertexGroup& g = group();
  const int C = ctx_.chunks();
  if (g.layer == 0) {  // the input: every chunk of X at once (its readers wait for their weights)
    acts_ = sgd_->input();
    for (int k = 0; k < C; ++k) cast_chunk(k, false);
    return;
  }
  const bool hidden = g.layer < ctx_.L;
  int f = 0, b = 0;  // chunks through the forward, the backward reduction
  while (f < C || (hidden && b < C)) {
    const std::uint64_t t = now();
    // The oldest chunk's errors first (the backward wave ends the step), then the next forward chunk.
    if (hidden && b < f && bwd_.ready_at(b) <= t) {
      sgd_backward(b++);
    } else if (f < C && fwd_.ready_at(f) <= t) {
      sgd_forward(f++);
    } else {
      std::uint64_t next = f < C ? fwd_.ready_at(f) : Mailbox::kNever;
      if (hidden && b < f) next = std::min(next, bwd_.ready_at(b));
      wait_until(next);
    }
  }
}

// Chunk k's forward sums: a hidden group writes z and a and casts a to the
// next layer's tiles; the output group writes z, then its output unit the error d_L, cast to layer L's tiles.
void VertexUnit::sgd_forward(int k) {
  const VertexGroup& g = group();
  const bool hidden = g.layer < ctx_.L;
  if (k == ctx_.chunks() - 1) (hidden ? acts_ : u_) = sgd_->forward(fwd_);
  const auto elems = static_cast<std::uint64_t>(g.n1 - g.n0) * ctx_.chunk_size(k);
  const auto msgs = static_cast<std::uint64_t>(fwd_.expected());
  const std::uint64_t writes = hidden ? 2 : 1;
  c_.adds += elems * msgs;
  c_.register_writes += writes * elems;
  busy(vertex_chunk_cycles(ctx_.mesh, elems, msgs + writes), phase_key(kPhaseResidual, k));
  if (hidden) {
    cast_chunk(k, false);
    return;
  }
  const OutputUnitCost oc = output_unit_cost(ctx_.mesh, ctx_.fx, ctx_.net->output, elems, g.n1 - g.n0);
  count_output_unit(c_, oc);
  busy(oc.cycles, phase_key(kPhaseStalk, k));
  cast_chunk(k, true);
}

// Chunk k's backward sums W_{l+1}^T d_{l+1} into the errors d_l, cast to layer l's tiles.
void VertexUnit::sgd_backward(int k) {
  const VertexGroup& g = group();
  if (k == ctx_.chunks() - 1) u_ = sgd_->backward(bwd_);
  const auto elems = static_cast<std::uint64_t>(g.n1 - g.n0) * ctx_.chunk_size(k);
  const auto msgs = static_cast<std::uint64_t>(bwd_.expected());
  c_.adds += elems * msgs;
  c_.register_writes += elems;
  busy(vertex_chunk_cycles(ctx_.mesh, elems, msgs + 1), phase_key(kPhaseStalk, k));
  cast_chunk(k, true);
}

}  // namespace sheafsim::mesh
