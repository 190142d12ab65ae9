#pragma once
// What a phase of a unit costs (docs/architecture.md, "Timing"): the cycles
// of the chunk and the operations and SRAM bits it counts. Written once:
// EdgePe and VertexUnit annotate these costs in the SystemC model, and the
// analytic counts (mesh_op_counts.cpp) add them up without a kernel, so this
// header does not include SystemC.
#include <cstdint>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/arch/mesh_counters.h"
#include "sheafsim/arch/mesh_mapping.h"

namespace sheafsim::mesh {

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// A phase of a PE over one tile for a batch of B samples.
struct PePhaseCost {
  std::uint64_t macs = 0;             // multiply-accumulates
  std::uint64_t adds = 0;             // bias adds (forward) and bias sums (Hebbian)
  std::uint64_t register_writes = 0;  // weights and biases written (Hebbian)
  std::uint64_t sram_read_bits = 0, sram_write_bits = 0;
  std::uint64_t cycles = 0;         // the chunk: sram_latency + ceil(macs / lanes) + mac_pipeline
                                    // (Hebbian: the sums stay in the lanes' registers, no SRAM access)
  std::uint64_t update_cycles = 0;  // Hebbian: the write-back, sram_latency + ceil(writes / lanes) + mac_pipeline
};

// The cycles of a chunk of `ops` operations on the PE's lanes, with (sram) or without an SRAM access.
inline std::uint64_t pe_chunk_cycles(const MeshConfig& m, std::uint64_t ops, bool sram = true) {
  return (sram ? static_cast<std::uint64_t>(m.sram_latency) : 0) + ceil_div(ops, static_cast<std::uint64_t>(m.lanes)) +
         static_cast<std::uint64_t>(m.mac_pipeline);
}

// Forward partial sums (b << sb) + W a: the tile's weights (and biases) read once for the batch.
inline PePhaseCost pe_forward_cost(const Tile& t, std::uint64_t B, const MeshConfig& m, const FixedConfig& fx) {
  PePhaseCost c;
  const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), syn = static_cast<std::uint64_t>(t.synapses());
  c.macs = syn * B;
  c.adds = t.has_bias() ? rows * B : 0;
  c.sram_read_bits = syn * static_cast<std::uint64_t>(fx.weight.width()) +
                     (t.has_bias() ? rows * static_cast<std::uint64_t>(fx.bias.width()) : 0);
  c.cycles = pe_chunk_cycles(m, c.macs);
  return c;
}

// Backward partial sums W^T u: the weights read again.
inline PePhaseCost pe_backward_cost(const Tile& t, std::uint64_t B, const MeshConfig& m, const FixedConfig& fx) {
  PePhaseCost c;
  const auto syn = static_cast<std::uint64_t>(t.synapses());
  c.macs = syn * B;
  c.sram_read_bits = syn * static_cast<std::uint64_t>(fx.weight.width());
  c.cycles = pe_chunk_cycles(m, c.macs);
  return c;
}

// Hebbian sums over the batch, then one write per weight and bias: a sum
// accumulates in a lane register over the batch and is spilled to its SRAM
// slot (MeshMapping reserves one per synapse and bias); the update unit then
// reads it with the parameter and writes the parameter back.
inline PePhaseCost pe_hebbian_cost(const Tile& t, std::uint64_t B, const MeshConfig& m, const FixedConfig& fx) {
  PePhaseCost c;
  const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), syn = static_cast<std::uint64_t>(t.synapses());
  const auto ww = static_cast<std::uint64_t>(fx.weight.width()), acc = static_cast<std::uint64_t>(fx.acc_bits);
  c.macs = syn * B;
  c.register_writes = syn;
  std::uint64_t bias_bits = 0;
  if (t.has_bias()) {
    c.adds = rows * B;
    c.register_writes += rows;
    bias_bits = rows * (acc + static_cast<std::uint64_t>(fx.bias.width()));
  }
  c.sram_read_bits = syn * (acc + ww) + bias_bits;
  c.sram_write_bits = syn * (acc + ww) + bias_bits;
  c.cycles = pe_chunk_cycles(m, c.macs, false);
  c.update_cycles = pe_chunk_cycles(m, c.register_writes);
  return c;
}

// Adds a phase's operations and SRAM bits (not its cycles) to a PE's counters;
// the MACs go to the counter of the phase.
inline void count_phase(UnitCounters& c, const PePhaseCost& p, std::uint64_t UnitCounters::*macs) {
  c.*macs += p.macs;
  c.adds += p.adds;
  c.register_writes += p.register_writes;
  c.sram_read_bits += p.sram_read_bits;
  c.sram_write_bits += p.sram_write_bits;
}

// A vertex unit's chunk: `elements` registers, each taking `ops` operations
// (one add per message reduced, plus its writes), on vertex_lanes lanes.
inline std::uint64_t vertex_chunk_cycles(const MeshConfig& m, std::uint64_t elements, std::uint64_t ops) {
  return ceil_div(elements * ops, static_cast<std::uint64_t>(m.vertex_lanes));
}

}  // namespace sheafsim::mesh
