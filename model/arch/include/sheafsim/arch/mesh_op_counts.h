#pragma once
// The mesh-dependent operation counts of one step, computed analytically
// from the mapping (tiles, vertex groups, X-then-Y routes) without running
// the simulation: per PE, per vertex unit and per link, the same counters the
// SystemC model increments (mesh_counters.h; docs/file-formats.md "Mesh
// report and counters"): MACs, adds, register writes, SRAM read/write bits,
// flits, flit-hops, messages and busy cycles (the compute cycles a unit
// annotates; stalls and waits depend on contention and are not counted here).
//
// Exact agreement with the simulator is tested (tests/unit/test_ops.cpp).
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/arch/mesh_counters.h"
#include "sheafsim/arch/mesh_mapping.h"

namespace sheafsim::mesh {

struct MeshStepCounts {
  std::vector<UnitCounters> pes;     // per PE (index row * cols + col)
  std::vector<UnitCounters> groups;  // per vertex group (MeshMapping::groups() order)
  std::vector<std::uint64_t> link_flits;  // per directed link (MeshMapping::links() index)
  // Of the PEs' adds: in-network reduction's, a partial sum added to a passing one.
  std::uint64_t merge_adds = 0;

  UnitCounters pe_totals() const;
  UnitCounters vertex_totals() const;
  std::uint64_t link_flits_total() const;
  // Lower bounds of a step's cycles: the busiest unit's busy cycles, the busiest link's flits.
  std::uint64_t busy_cycles_max_unit() const;
  std::uint64_t link_flits_max() const;
  MeshStepCounts& operator+=(const MeshStepCounts& o);
  MeshStepCounts scaled(std::uint64_t k) const;
};

// One step on `map` for a batch of `batch` samples: a diffusion step (training
// or inference: the counters are the same) or, with `joint`, a joint step.
// A sigmoid or softmax `output` adds the output unit (output_unit_cost.h);
// its map is then built with whole_output_group, as MeshEngine builds it.
MeshStepCounts mesh_step_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx,
                                std::uint64_t batch, int depth, bool joint, OutputKind output = OutputKind::Identity,
                                bool free_input = false);

// One full-batch backprop SGD step (MeshMethod::Sgd): the PEs' work is a
// joint step's (forward and backward partial sums, gradient = Hebbian sums
// with the errors, write-back); the vertex units reduce the forward sums into
// z (and a = relu(z), or the output error), the backward sums into errors.
// `steps` such steps: mesh_sgd_step_counts(...).scaled(steps).
MeshStepCounts mesh_sgd_step_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx,
                                    std::uint64_t batch, int depth, OutputKind output = OutputKind::Identity);

// `steps` Euler steps with inner K: the step i (0-based) is joint when (i + 1) % K == 0.
MeshStepCounts mesh_run_counts(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx,
                               std::uint64_t batch, int depth, long steps, int inner,
                               OutputKind output = OutputKind::Identity);

// The counters of a unit as JSON (the names of MeshEngine::report()'s totals, no cycles but busy_cycles).
nlohmann::json counters_json(const UnitCounters& c);

}  // namespace sheafsim::mesh
