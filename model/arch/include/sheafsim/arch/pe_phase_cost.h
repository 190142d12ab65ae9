#pragma once
// What a phase of a unit costs (docs/architecture.md, "Timing"): the cycles
// of the chunk and the operations and SRAM bits it counts. Written once:
// EdgePe and VertexUnit annotate these costs in the SystemC model, and the
// analytic counts (mesh_op_counts.cpp) add them up without a kernel, so this
// header does not include SystemC.
#include <algorithm>
#include <cstdint>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/arch/mesh_counters.h"
#include "sheafsim/arch/mesh_mapping.h"

namespace sheafsim::mesh {

inline std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) { return (a + b - 1) / b; }

// The shape of one chunk of a PE's work as the RTL PE runs it (rtl/pe_core.sv):
// `outputs` chains of `terms` terms each, dealt to the lanes in rounds of
// `lanes` chains, one term per lane and cycle; the operands come from the
// SRAM (read latency) or from the PE's buffers (none); then the lane's
// pipeline drains (the MAC lanes', or the write lanes' for the update).
struct PeChunkShape {
  std::uint64_t outputs = 0, terms = 0;
  bool sram = true;
  bool update = false;  // through the write lanes (update_pipeline), not the MAC lanes
};

// A phase of a PE over one tile for a chunk of n samples (the whole batch
// under the barrier schedule).
struct PePhaseCost {
  std::uint64_t macs = 0;             // multiply-accumulates
  std::uint64_t adds = 0;             // bias adds (forward), bias sums (Hebbian), passing sums (merge)
  std::uint64_t register_writes = 0;  // weights and biases written (update)
  std::uint64_t sram_read_bits = 0, sram_write_bits = 0;
  PeChunkShape shape;
  std::uint64_t cycles = 0;           // pe_chunk_cycles(shape)
};

// The cycles of a chunk: exactly what rtl/pe_core.sv takes, from the cycle
// after it accepts the chunk to the cycle its last result is out, both included.
inline std::uint64_t pe_chunk_cycles(const MeshConfig& m, const PeChunkShape& c) {
  return (c.sram ? static_cast<std::uint64_t>(m.sram_latency) : 0) +
         ceil_div(c.outputs, static_cast<std::uint64_t>(m.lanes)) * c.terms +
         static_cast<std::uint64_t>(c.update ? m.update_pipeline : m.mac_pipeline);
}

// Forward partial sums (b << sb) + W a: the tile's weights (and biases) read once per chunk.
inline PePhaseCost pe_forward_cost(const Tile& t, std::uint64_t n, const MeshConfig& m, const FixedConfig& fx) {
  PePhaseCost c;
  const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), syn = static_cast<std::uint64_t>(t.synapses());
  c.macs = syn * n;
  c.adds = t.has_bias() ? rows * n : 0;
  c.sram_read_bits = syn * static_cast<std::uint64_t>(fx.weight.width()) +
                     (t.has_bias() ? rows * static_cast<std::uint64_t>(fx.bias.width()) : 0);
  // Chains (s, i) over the columns; a bias tile's chains start at b(i) << sb (no extra cycle).
  c.shape = {rows * n, static_cast<std::uint64_t>(t.c1 - t.c0), true, false};
  c.cycles = pe_chunk_cycles(m, c.shape);
  return c;
}

// Backward partial sums W^T u: the weights read again.
inline PePhaseCost pe_backward_cost(const Tile& t, std::uint64_t n, const MeshConfig& m, const FixedConfig& fx) {
  PePhaseCost c;
  const auto syn = static_cast<std::uint64_t>(t.synapses());
  c.macs = syn * n;
  c.sram_read_bits = syn * static_cast<std::uint64_t>(fx.weight.width());
  c.shape = {static_cast<std::uint64_t>(t.c1 - t.c0) * n, static_cast<std::uint64_t>(t.r1 - t.r0), true, false};  // chains (s, j) over the rows
  c.cycles = pe_chunk_cycles(m, c.shape);
  return c;
}

// Hebbian sums over the batch, once its last chunk's residuals are in: each
// sum accumulates in a lane register over the batch's samples (operands from
// the PE's activation and residual buffers), so no accumulator goes to SRAM
// and back per chunk; the update (below) then writes each parameter.
inline PePhaseCost pe_hebbian_cost(const Tile& t, std::uint64_t B, const MeshConfig& m) {
  PePhaseCost c;
  const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), syn = static_cast<std::uint64_t>(t.synapses());
  c.macs = syn * B;
  c.adds = t.has_bias() ? rows * B : 0;
  c.shape = {syn, B, false, false};
  c.cycles = pe_chunk_cycles(m, c.shape);
  return c;
}

// The update after the Hebbian sums: each sum spilled to its SRAM slot
// (MeshMapping reserves one per synapse and bias), read back with its
// parameter, and the parameter written back (one write per weight and bias).
inline PePhaseCost pe_update_cost(const Tile& t, const MeshConfig& m, const FixedConfig& fx) {
  PePhaseCost c;
  const auto rows = static_cast<std::uint64_t>(t.r1 - t.r0), syn = static_cast<std::uint64_t>(t.synapses());
  const auto ww = static_cast<std::uint64_t>(fx.weight.width()), acc = static_cast<std::uint64_t>(fx.acc_bits);
  const auto wb = static_cast<std::uint64_t>(fx.bias.width());
  c.register_writes = syn + (t.has_bias() ? rows : 0);
  c.sram_read_bits = syn * (acc + ww) + (t.has_bias() ? rows * (acc + wb) : 0);
  c.sram_write_bits = syn * (acc + ww) + (t.has_bias() ? rows * (acc + wb) : 0);
  c.shape = {c.register_writes, 1, true, true};
  c.cycles = pe_chunk_cycles(m, c.shape);
  return c;
}

// In-network reduction: `values` sums of a chunk (rows or columns x samples),
// each the PE's own partial sum plus `inputs` (1 or 2) passing sums, on the
// lanes (chains starting at the own sum), operands from the PE's buffers.
inline PePhaseCost pe_merge_cost(std::uint64_t values, std::uint64_t inputs, const MeshConfig& m) {
  PePhaseCost c;
  c.adds = values * inputs;
  c.shape = {values, inputs, false, false};
  c.cycles = pe_chunk_cycles(m, c.shape);
  return c;
}

// The bits of one value of a partial sum on the wire (docs/architecture.md,
// "Reduction"): the exact width of a sum of `terms` products of a weight and
// an operand of `operand_width` bits (plus, with `bias`, the aligned bias
// b << (fw + fs - fb)) at these formats, never more than the accumulator.
// A sum of that magnitude sent in its low bits is recovered exactly by sign
// extension, whatever the accumulator did to its high bits.
inline int sum_value_bits(const FixedConfig& fx, std::uint64_t terms, int operand_width, bool bias) {
  const int shift = fx.weight.frac_bits + fx.stalk.frac_bits - fx.bias.frac_bits;
  // |sum| <= terms 2^(ww-1) 2^(wo-1) + 2^(wb-1+shift) <= 2^e: e + 2 bits hold [-2^e, 2^e].
  const int product = fx.weight.width() - 1 + operand_width - 1;
  int e = product;
  while ((std::uint64_t{1} << (e - product)) < terms) ++e;  // terms 2^product <= 2^e
  if (bias) e = std::max(e, fx.bias.width() - 1 + shift) + 1;  // the sum of two terms below 2^e each
  return std::min(fx.acc_bits, e + 2);
}
inline int forward_sum_bits(const MeshMapping& map, const FixedConfig& fx, int tile) {
  return sum_value_bits(fx, static_cast<std::uint64_t>(map.fwd_prefix(tile)), fx.stalk.width(), map.fwd_prefix_bias(tile));
}
inline int backward_sum_bits(const MeshMapping& map, const FixedConfig& fx, int tile) {
  return sum_value_bits(fx, static_cast<std::uint64_t>(map.bwd_prefix(tile)), fx.residual.width(), false);
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

// A vertex unit's chunk: `elements` registers (neurons x samples of the chunk), each taking `ops` operations
// (one add per message reduced, plus its writes), on vertex_lanes lanes.
inline std::uint64_t vertex_chunk_cycles(const MeshConfig& m, std::uint64_t elements, std::uint64_t ops) {
  return ceil_div(elements * ops, static_cast<std::uint64_t>(m.vertex_lanes));
}

}  // namespace sheafsim::mesh
