#pragma once
// The arithmetic of a vertex unit over its group of neurons: the residuals
// of the weight edge from the forward partial sums, and the Euler update of
// the stalks (the ReLU edge of a hidden neuron, or the identity output edge
// with its target) from the backward partial sums. VertexUnit does the
// timing, the traffic and the counting of operations and asks a
// VertexDatapath for the numbers, as EdgePe asks a PeDatapath
// (pe_datapath.h). The values are those of the per-register functions of
// vertex_datapath.h in sw/ (sums modulo 2^acc_bits, one rounding per write).
#include <cstdint>
#include <memory>

#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/arch/mesh_counters.h"

namespace sheafsim::mesh {

struct MeshContext;

class VertexDatapath {
 public:
  virtual ~VertexDatapath() = default;
  // This step's activations of the group (a_l of its neurons, or the input x
  // for layer 0), as the message of the whole group [n0, n1): a view, valid
  // until the next step's call.
  virtual Message activations() = 0;
  // Reduces the forward partial sums into the residuals
  // u = round((z << fw) - sum) (wrapped to the accumulator first) and returns
  // them as the message of the whole group (valid until the next step's call).
  virtual Message residuals(const Mailbox& fwd) = 0;
  // After residuals(): a hidden group reduces the backward partial sums `bwd`
  // and writes z and a; the output group writes z (with the context's target
  // in training; `bwd` has no messages).
  virtual void update(const Mailbox& bwd) = 0;
  // An input group (layer 0) when the pins free input coordinates: reduces the
  // backward partial sums W_1^T u_1 and moves the free coordinates of its x
  // (vertex::input_update, as FixedArith::update_input); the others stay the data's.
  virtual void input_update(const Mailbox& bwd) = 0;
  // The largest change of a stalk register this step, in raw LSBs (after update()).
  virtual std::int64_t max_change() const = 0;
};

// The C++ datapath of vertex group `group`: exact-double vector kernels,
// 64-bit or __int128 integers, whichever this step's bounds prove exact.
// Saturations, lost updates and accumulator wraps go to the context's
// counters and to `unit` (the vertex unit's counters). The context outlives it.
std::unique_ptr<VertexDatapath> make_model_vertex_datapath(int group, MeshContext& ctx, UnitCounters& unit);

}  // namespace sheafsim::mesh
