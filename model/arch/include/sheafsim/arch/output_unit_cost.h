#pragma once
// The output unit of the output vertex group (docs/architecture.md, "Output
// unit"): the lookup-table unit that turns the output stalks z_L of a sample
// into the force of a sigmoid or softmax output edge, g_out = phi(z) - y in
// training (sheaf-math.md §6.3, the cross-entropy force) and
// phi(z) - a_out with the output vertex in inference, rounded once into the
// residual format (the values: sheafsim/bitacc/output_force.h), followed by
// the z update of the output neurons. Its cost here is what the SystemC vertex
// unit annotates and what the analytic counts (mesh_op_counts.h) and `sheafsim
// ops --mesh` (the energy) add up: a pure function of the chunk's size.
#include <cstdint>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/arch/mesh_counters.h"

namespace sheafsim::mesh {

struct OutputUnitCost {
  // The unit (independent of the chunk). Identity: no table (all 0).
  int lanes = 0;                   // lookups per cycle (one table read port per lane: vertex_lanes)
  int latency_cycles = 0;          // pipeline depth of a lookup (address, table read, round)
  int divider_latency_cycles = 0;  // softmax: the per-sample normaliser (one quotient bit per cycle)
  std::uint64_t table_entries = 0; // entries of one lane's table
  int entry_bits = 0;              // bits per entry
  std::uint64_t table_bits() const { return table_entries * static_cast<std::uint64_t>(entry_bits); }
  // The chunk: `elements` = output neurons x samples (whole samples).
  std::uint64_t lookups = 0;          // table reads: phi (sigmoid) or exp (softmax) per element
  std::uint64_t adds = 0;             // adds, subtracts and compares (max, z - max, sum, phi - y, symmetry)
  std::uint64_t multiplies = 0;       // softmax: e * (1 / sum) per element
  std::uint64_t divides = 0;          // softmax: one reciprocal 1 / sum per sample
  std::uint64_t register_writes = 0;  // the force register g_out and the stalk z_L, per element
  std::uint64_t cycles = 0;           // the chunk's busy cycles (the force, then the z update)
};

// The cost of the output update of a chunk of `elements` = n_outputs x samples
// registers for an output of `kind` (the identity output: the z update only,
// 2 operations per register on vertex_lanes lanes, one register write each).
OutputUnitCost output_unit_cost(const MeshConfig& mesh, const FixedConfig& fx, OutputKind kind,
                                std::uint64_t elements, int n_outputs);

// Adds a chunk's operations (adds, multiplies, divides, lookups, register writes) to a unit's counters.
void count_output_unit(UnitCounters& c, const OutputUnitCost& cost);

}  // namespace sheafsim::mesh
