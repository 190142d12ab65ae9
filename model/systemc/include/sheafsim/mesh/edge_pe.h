#pragma once
// An edge processing element: holds one or more tiles of synapses (weights,
// biases and Hebbian accumulators in its SRAM) and, per step and chunk of
// samples, computes a tile's forward partial sums W a (+ b) and its backward
// partial sums W^T u; on joint steps, after the last chunk, its Hebbian sums
// u a^T over the batch, and writes the new weights. Under in-network reduction it also
// adds its partial sums to those passing along its band (docs/architecture.md,
// "Schedules" and "Reduction").
//
// It runs whatever is ready, in this order: passing sums first (another PE
// waits for them), then the backward products of the oldest chunk whose
// residuals have arrived, then the forward products of the next chunk whose
// activations have arrived; after the last chunk's residuals, the Hebbian
// sums over the batch and the write-back. Temporally decoupled: each
// chunk of work is computed at once and the thread advances by its
// annotated latency.
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
  // The input buffers of one of this PE's tiles: activations of its columns,
  // residuals of its rows, and the sums passing along its row (forward) and
  // column (backward) bands.
  Mailbox& activations(int tile) { return *in_[local(tile)].acts; }
  Mailbox& residuals(int tile) { return *in_[local(tile)].resid; }
  Mailbox& forward_chain(int tile) { return *in_[local(tile)].fchain; }
  Mailbox& backward_chain(int tile) { return *in_[local(tile)].bchain; }
  // A tile's partial sums of this step (valid once its last chunk is sent).
  const PartialSums& forward_sums(int tile) const { return fsums_[local(tile)]; }
  const PartialSums& backward_sums(int tile) const { return bsums_[local(tile)]; }
  // Sets every input buffer's expectations for the step (before it starts).
  void expect_step();
  // When the last write-back of one of its tiles finished (0: none yet).
  std::uint64_t written_at(int tile) const { return weights_at_[local(tile)]; }

 private:
  struct Inputs {
    std::unique_ptr<Mailbox> acts, resid, fchain, bchain;
  };
  // A tile's progress through the step: chunks computed and sent.
  struct Progress {
    int f = 0, fs = 0;  // forward sums computed, sent
    int bh = 0, bs = 0; // backward and Hebbian work done, backward sums sent
    bool hebbian = false, updated = false;
  };
  void run();
  // Runs one ready piece of work; returns false (and the cycle the next may be
  // ready, or Mailbox::kNever) when none is, true with done set when the step is finished.
  bool run_ready(bool& done, std::uint64_t& next);
  void forward(int tile, int k);
  void backward(int tile, int k);
  void hebbian(int tile);
  void update(int tile);
  void merge(int tile, int k, bool forward);
  void run_chunk(std::uint64_t phase, int tile, int k, const PePhaseCost& cost);
  void send_sums(int tile, int k, bool forward);
  size_t local(int tile) const { return static_cast<size_t>(local_[static_cast<size_t>(tile)]); }

  int pe_;
  std::vector<int> tiles_;
  std::vector<int> local_;  // per tile of the mesh: its index in tiles_ (-1 elsewhere)
  std::vector<Inputs> in_;
  std::vector<Progress> prog_;
  std::vector<std::uint64_t> weights_at_;    // per tile: when its last write-back finished
  std::vector<long> fsum_bits_, bsum_bits_;  // per tile: bits of a value of its passing sums (sum_value_bits)
  std::vector<TileOperand> a_in_;            // per tile: the activations of its columns, [s * cols + j]
  std::vector<TileOperand> u_in_;            // per tile: the residuals of its rows, [s * rows + i]
  std::unique_ptr<PeDatapath> dp_;          // the arithmetic (C++ or the RTL edge unit)
  // Per tile: this step's forward and backward partial sums. The messages to
  // the vertex units are views of them (mailbox.h), so they live until the
  // same phase of the next step.
  std::vector<PartialSums> fsums_, bsums_;
  TileWrites writes_;                       // the current update's writes (reused)
};

}  // namespace sheafsim::mesh
