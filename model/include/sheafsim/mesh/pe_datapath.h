#pragma once
// The arithmetic of an edge processing element over one of its tiles: the
// forward and backward partial sums and the Hebbian sums with the end-of-step
// weight and bias writes. EdgePe does the timing, the traffic and the
// counting and asks a PeDatapath for the numbers, so the same PE model runs
// either the C++ datapath (edge_datapath.h, the default) or the verilated
// RTL edge unit (rtl_pe_datapath.h, co-simulation). Both must give the same
// bits: sums are defined modulo 2^acc_bits, writes by edge::update_weight and
// edge::update_bias.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sheafsim/arith_fixed.h"
#include "sheafsim/edge_datapath.h"
#include "sheafsim/mesh/mesh_mapping.h"

namespace sheafsim::mesh {

struct MeshContext;

// The writes of one tile's end-of-step update, in the order W(r0.., c0..)
// row-major, then b(r0..). `acc_wrapped`: the Hebbian accumulator that fed
// the write wrapped (counted as an accumulator saturation).
struct TileWrites {
  std::vector<edge::Write> w, b;
  std::vector<unsigned char> w_acc_wrapped, b_acc_wrapped;
};

class PeDatapath {
 public:
  virtual ~PeDatapath() = default;
  // psum[s * rows + i] = (b(r0+i) << sb, bias tiles only) + sum_j W(r0+i, c0+j) a[s * cols + j],
  // where sb = fw + fs - fb; a value congruent to it modulo 2^acc_bits (the vertex
  // unit wraps the reduced sum).
  virtual void forward(const Tile& t, int batch, const IMatrix& W, const IVector& b,
                       const std::vector<std::int64_t>& a, std::vector<fx::wide>& psum) = 0;
  // bsum[s * cols + j] = sum_i W(r0+i, c0+j) u[s * rows + i], modulo 2^acc_bits.
  virtual void backward(const Tile& t, int batch, const IMatrix& W, const std::vector<std::int64_t>& u,
                        std::vector<fx::wide>& bsum) = 0;
  // H(i, j) = sum_s u[s * rows + i] a[s * cols + j] and h(i) = sum_s u[s * rows + i] (bias tiles),
  // wrapped to acc_bits, then the new W(r0+i, c0+j) and b(r0+i) (old values from W, b).
  virtual void hebbian_update(const Tile& t, int batch, const std::vector<std::int64_t>& u,
                              const std::vector<std::int64_t>& a, const IMatrix& W, const IVector& b,
                              TileWrites& out) = 0;
};

// Builds the datapath of PE `pe`; called while the mesh is elaborated (a
// datapath may be a SystemC module). The context outlives the datapath.
using PeDatapathFactory = std::function<std::unique_ptr<PeDatapath>(int pe, const MeshContext& ctx)>;

// The C++ datapath: exact sums in wide integers, the writes of edge_datapath.h.
std::unique_ptr<PeDatapath> make_model_datapath(const MeshContext& ctx);

}  // namespace sheafsim::mesh
