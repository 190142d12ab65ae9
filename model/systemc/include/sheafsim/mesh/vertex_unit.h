#pragma once
// A vertex unit: holds the per-sample stalks (z, a) of a group of neurons of
// one layer (the pinned input for layer 0, plus the targets for the output
// layer). Per step it multicasts its activations, chunk by chunk, to the PEs
// that need them; reduces each chunk's forward partial sums into residuals
// (the weight edge's discord) and multicasts them back; reduces each chunk's
// backward partial sums and applies the ReLU or output edge and the Euler
// update to its stalks. Timing, traffic and operation counts are here; the
// numbers come from a VertexDatapath (vertex_datapath.h).
//
// In an SGD step (vertex_sgd.cpp) the same unit has another role: the input
// group casts X; a hidden group reduces each chunk's forward sums into z and
// a = relu(z), casts a to the next layer's tiles, and later reduces the
// chunk's backward sums into the error d, cast back to its own layer's tiles;
// the output group reduces the forward sums into z and its output error d_L.
#include <memory>
#include <vector>

#include "sheafsim/mesh/mesh_unit.h"
#include "sheafsim/mesh/sgd_vertex_datapath.h"
#include "sheafsim/mesh/vertex_datapath.h"

namespace sheafsim::mesh {

class VertexUnit : public MeshUnit {
 public:
  SC_HAS_PROCESS(VertexUnit);
  VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx);
  Mailbox& forward_sums() { return fwd_; }
  Mailbox& backward_sums() { return bwd_; }
  int pe() const { return group().pe; }
  std::int64_t max_change() const;  // raw stalk LSBs, this step (call right after the step)
  // Sets the input buffers' expectations for the step (before it starts).
  void expect_step();

 private:
  const VertexGroup& group() const { return ctx_.map->groups()[static_cast<size_t>(group_)]; }
  void run();
  void residuals(int k);
  void update(int k);
  // The SGD role (vertex_sgd.cpp): the step, a chunk of the forward and of the backward reduction.
  void sgd_step();
  void sgd_forward(int k);
  void sgd_backward(int k);
  // Chunk k of this group's activations (residuals: its residuals) along every
  // multicast of its bands, with the payload views on the last chunk.
  void cast_chunk(int k, bool residuals);

  int group_;
  std::vector<int> cast_pes_;
  std::vector<Mailbox*> cast_boxes_;
  Mailbox fwd_, bwd_;
  std::vector<std::uint64_t> next_ready_;  // per chunk: when its latest stalk update finished (0: none yet)
  std::vector<std::uint64_t> ready_;       // per chunk: when this step's stalks of it are ready
  Message acts_;                           // this step's activations (a view of the datapath's copy)
  Message u_;  // this step's residuals (after the last chunk's residual phase)
  std::unique_ptr<VertexDatapath> dp_;  // the arithmetic
  std::unique_ptr<SgdVertexDatapath> sgd_;  // the SGD arithmetic (SGD runs only)
};

}  // namespace sheafsim::mesh
