#pragma once
// A vertex unit: holds the per-sample stalks (z, a) of a group of neurons of
// one layer (the pinned input for layer 0, plus the targets for the output
// layer). Per step it multicasts its activations to the PEs that need them,
// reduces the forward partial sums into residuals (the weight edge's
// discord), multicasts those back, reduces the backward partial sums, and
// applies the ReLU or output edge and the Euler update to its stalks.
// Timing, traffic and operation counts are here; the numbers come from a
// VertexDatapath (vertex_datapath.h).
#include <memory>

#include "sheafsim/mesh/mesh_unit.h"
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

 private:
  const VertexGroup& group() const { return ctx_.map->groups()[static_cast<size_t>(group_)]; }
  void run();
  void send_activations();
  void residuals();
  void update();

  int group_;
  Mailbox fwd_, bwd_;
  std::unique_ptr<VertexDatapath> dp_;  // the arithmetic
};

}  // namespace sheafsim::mesh
