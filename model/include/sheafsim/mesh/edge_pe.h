#pragma once
// An edge processing element: holds one or more tiles of synapses (weights,
// biases and Hebbian accumulators in its SRAM) and, per step, computes the
// tile's forward partial sums W a (+ b), its backward partial sums W^T u and,
// on joint steps, its Hebbian sums u a^T, then writes the new weights.
// Temporally decoupled: each chunk of work is computed at once and the
// thread advances by its annotated latency.
#include <memory>
#include <vector>

#include <systemc>

#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/mesh/mesh_context.h"

namespace sheafsim::mesh {

class EdgePe : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(EdgePe);
  EdgePe(sc_core::sc_module_name name, int pe, MeshContext& ctx);
  int pe() const { return pe_; }
  // The input buffers of one of this PE's tiles.
  Mailbox& activations(int tile) { return *acts_.at(local(tile)); }
  Mailbox& residuals(int tile) { return *resid_.at(local(tile)); }
  const UnitCounters& counters() const { return c_; }

 private:
  void run();
  void step();
  void forward(int tile);
  void backward_and_hebbian(int tile);
  void busy(std::uint64_t cycles, std::uint64_t phase);
  void gather(Mailbox& box);  // waits for a mailbox, counting the stall
  size_t local(int tile) const;

  int pe_;
  MeshContext& ctx_;
  std::vector<int> tiles_;
  std::vector<std::unique_ptr<Mailbox>> acts_, resid_;
  std::vector<std::vector<fx::wide>> a_in_;  // per tile: the activations of its columns, [s * cols + j]
  UnitCounters c_;
};

}  // namespace sheafsim::mesh
