#pragma once
// What every unit of the mesh shares during a step: the configuration, the
// mapping and the network of links, the step's settings and constants, the
// arithmetic counters, and the functional state each unit reads and writes
// only in its own part (a PE its tiles' weights and biases, a vertex unit its
// neurons' stalks).
#include <cstdint>
#include <vector>

#include <systemc>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/arch/mesh_noc.h"
#include "sheafsim/mesh/pe_datapath.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim::mesh {

class EdgePe;
class VertexUnit;
class MeshTrace;

struct MeshContext {
  MeshConfig mesh;
  FixedConfig fx;
  const MeshMapping* map = nullptr;
  MeshNoc* noc = nullptr;
  sc_core::sc_time period;
  std::vector<EdgePe*> tile_owner;     // per tile: the PE module
  std::vector<VertexUnit*> group_unit; // per vertex group: its unit
  PeDatapathFactory datapath;          // the PEs' arithmetic (empty: the C++ datapath)
  MeshTrace* trace = nullptr;          // the VCD recorder (--trace), or null: no trace
  int L = 0;
  Eigen::Index batch = 0;
  // What a step computes: a sheaf Euler step or an SGD step (the vertex units'
  // role; the PEs run an SGD step as a joint step with the errors as residuals).
  MeshMethod method = MeshMethod::Sheaf;

  // The step being simulated.
  sc_core::sc_event start;
  FixedNetwork* net = nullptr;
  FixedState* st = nullptr;  // the stalks (sheaf; null in an SGD step)
  const IMatrix* X = nullptr;
  const IMatrix* Y = nullptr;  // targets (training, SGD) or null (inference)
  bool joint = false;          // Hebbian products and parameter writes this step
  OutputMode output_mode = OutputMode::Exact;  // inference: the output vertex's force (J^T D or D)
  std::uint64_t step = 0;      // steps done before this one (the stochastic-rounding counter)
  std::int64_t s_raw = 0, eta_raw = 0;
  const FixedPinPlan* pins = nullptr;  // partial clamping (fixed_pins.h): the vertex units hold their groups' pins
  // The pins free input coordinates (inference): the layer-1 tiles send W_1^T u_1
  // back to the input groups, which move the free coordinates of x (st->x).
  bool free_input = false;
  FixedCounters counters;

  // Per unit (PEs, then vertex groups): the cycle it finished this step (MeshUnit).
  std::vector<std::uint64_t> finish;
  // Per vertex group: when its first chunk's stalks of the next step are ready
  // (the next step's kernel run starts at the earliest, mesh_engine.cpp).
  std::vector<std::uint64_t> release;
  // Mesh cycles are the kernel's clock plus `offset`: every step's kernel run
  // starts at the mesh cycle where its earliest unit can start, which can be
  // before the previous run's end (mesh_engine.cpp).
  std::int64_t offset = 0;

  // The kernel's clock in mesh cycles (a unit's own clock may be ahead: MeshUnit::now()).
  std::uint64_t now() const {
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(sc_core::sc_time_stamp() / period) + offset);
  }
  // Chunks of this step and the samples of chunk k.
  int chunks() const { return n_chunks; }
  std::uint64_t chunk_size(int k) const {
    return k + 1 < n_chunks ? chunk_samples : static_cast<std::uint64_t>(batch) - chunk_samples * static_cast<std::uint64_t>(k);
  }
  int n_chunks = 0;                  // set with the batch (MeshEngine)
  std::uint64_t chunk_samples = 0;
  std::uint64_t rnd(std::uint64_t sample, FxClass cls, int layer, std::uint64_t row) const {
    return fx.quant == fx::Quant::Stoch ? fx::stoch_bits(fx.seed, step, sample, edge::site(cls, layer, row)) : 0;
  }
  // Does the weight edge of `layer` need the residuals back this step
  // (backward products from layer 2 on, Hebbian products on joint steps)?
  // (With free input pins the layer-1 tiles need them for W_1^T u_1 too.)
  bool needs_residuals(int layer) const { return layer >= 2 || joint || (layer == 1 && free_input); }
  // Does the weight edge of `layer` send backward sums W^T u to the layer below
  // (the hidden groups; the input groups when the pins free input coordinates)?
  bool backward_sums(int layer) const { return layer >= 2 || (layer == 1 && free_input); }
};

}  // namespace sheafsim::mesh
