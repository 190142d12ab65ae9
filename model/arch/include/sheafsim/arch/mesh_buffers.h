#pragma once
// The SRAM a mapping needs for one batch (docs/architecture.md, "Buffers"):
// a PE holds its tiles' weights and Hebbian accumulators (MeshMapping), the
// activations of its tiles' columns and the residuals of its rows for the
// whole batch (the Hebbian sums read them after the last chunk) and, per
// chunk in flight, its partial sums; a
// vertex unit holds the per-sample stalks of its neurons for the whole batch,
// their residuals, and per chunk in flight its incoming partial sums. The
// dataflow schedule double-buffers every per-chunk buffer (a chunk arrives
// while the previous one is worked on); the barrier schedule has one chunk,
// the batch, single-buffered.
//
// An SGD step (MeshMethod::Sgd) stores what its backward wave and gradient
// read: a PE keeps the batch's activations a_{l-1} of its columns and errors
// d_l of its rows (as the sheaf keeps its stalks and residuals); a hidden
// vertex unit keeps z_l of every chunk of the batch until the backward wave
// reaches it (the ReLU mask and nothing else), the output unit the targets;
// the a_l, d_l and z_L it computes and sends are chunk buffers.
#include <cstdint>
#include <vector>

#include "sheafsim/arch/mesh_mapping.h"

namespace sheafsim::mesh {

struct MeshBuffers {
  std::vector<long> pe_bits;      // per PE: weights and accumulators plus buffers
  std::vector<long> vertex_bits;  // per vertex group
  long pe_capacity_bits = 0, vertex_capacity_bits = 0;
  long pe_max() const;
  long vertex_max() const;
};

MeshBuffers mesh_buffers(const MeshMapping& map, const MeshConfig& mesh, const FixedConfig& fx, std::uint64_t batch,
                         int depth, MeshMethod method = MeshMethod::Sheaf, bool free_input = false);

// Throws InputError naming the unit, the bits it needs and the fix (a larger
// SRAM, smaller chunks or tiles, a larger mesh) when a unit's buffers do not fit.
void check_buffers(const MeshBuffers& b, const MeshMapping& map, const MeshConfig& mesh,
                   MeshMethod method = MeshMethod::Sheaf);

}  // namespace sheafsim::mesh
