#pragma once
// An edge processing element: holds one or more tiles of synapses (weights,
// biases and Hebbian accumulators in its SRAM) and, per step, computes the
// tile's forward partial sums W a (+ b), its backward partial sums W^T u and,
// on joint steps, its Hebbian sums u a^T, then writes the new weights.
// Temporally decoupled: each chunk of work is computed at once and the
// thread advances by its annotated latency.
#include <memory>
#include <vector>

#include "sheafsim/mesh/mesh_unit.h"
#include "sheafsim/mesh/pe_datapath.h"

namespace sheafsim::mesh {

class EdgePe : public MeshUnit {
 public:
  SC_HAS_PROCESS(EdgePe);
  EdgePe(sc_core::sc_module_name name, int pe, MeshContext& ctx);
  int pe() const { return pe_; }
  // The input buffers of one of this PE's tiles.
  Mailbox& activations(int tile) { return *acts_[local(tile)]; }
  Mailbox& residuals(int tile) { return *resid_[local(tile)]; }

 private:
  void run();
  void forward(int tile);
  void backward_and_hebbian(int tile);
  void send_sums(int tile, const std::vector<int>& groups, int lo, int hi, const PartialSums& sums, bool forward);
  size_t local(int tile) const { return static_cast<size_t>(local_[static_cast<size_t>(tile)]); }

  int pe_;
  std::vector<int> tiles_;
  std::vector<int> local_;  // per tile of the mesh: its index in tiles_ (-1 elsewhere)
  std::vector<std::unique_ptr<Mailbox>> acts_, resid_;
  std::vector<TileOperand> a_in_;            // per tile: the activations of its columns, [s * cols + j]
  TileOperand u_in_;                        // the current tile's residuals, [s * rows + i]
  std::unique_ptr<PeDatapath> dp_;          // the arithmetic (C++ or the RTL edge unit)
  // Per tile: this step's forward and backward partial sums. The messages to
  // the vertex units are views of them (mailbox.h), so they live until the
  // same phase of the next step.
  std::vector<PartialSums> fsums_, bsums_;
  TileWrites writes_;                       // the current update's writes (reused)
};

}  // namespace sheafsim::mesh
