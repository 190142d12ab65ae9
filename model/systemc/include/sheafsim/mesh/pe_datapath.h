#pragma once
// The arithmetic of an edge processing element over one of its tiles: the
// forward and backward partial sums and the Hebbian sums with the end-of-step
// weight and bias writes. EdgePe does the timing, the traffic and the
// counting and asks a PeDatapath for the numbers, so the same PE model runs
// either the C++ datapath (edge_datapath.h, the default) or the verilated
// RTL edge unit (rtl_pe_datapath.h, co-simulation). Both must give the same
// bits: sums are defined modulo 2^acc_bits, writes by edge::update_weight and
// edge::update_bias.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/pe_phase_cost.h"

namespace sheafsim::mesh {

struct MeshContext;

// The writes of one tile's end-of-step update, in the order W(r0.., c0..)
// row-major, then b(r0..). `acc_wrapped`: the Hebbian accumulator that fed
// the write wrapped (counted as an accumulator saturation).
struct TileWrites {
  std::vector<edge::Write> w, b;
  std::vector<unsigned char> w_acc_wrapped, b_acc_wrapped;
};

// The partial sums of one phase of a tile, [s * n + k], in one of three
// representations: integers held exactly in doubles ([s * ld + k], ld =
// xd::padded(n) of exact_kernels.h, the padding lanes 0), 64-bit integers, or
// __int128. Every |value| <= `bound`, which the vertex units use to prove that
// their reductions are exact in doubles or 64-bit integers.
struct PartialSums {
  enum class Kind { Double, Narrow, Wide };
  Kind kind = Kind::Wide;
  std::vector<double> dbl;  // [s * ld + k]
  std::vector<std::int64_t> narrow;
  std::vector<fx::wide> wide;
  size_t ld = 0;            // the leading dimension of dbl (narrow and wide: n)
  fx::uwide bound = ~fx::uwide{0};

  // Selects a representation and sizes its buffer (capacity is kept).
  // Double: ld >= n, with kSlack zeros after the last row (a reader may load
  // whole vectors from any row's start, exact_kernels.h).
  static constexpr size_t kSlack = 8;
  double* use_double(size_t ld_, int batch) {
    kind = Kind::Double;
    ld = ld_;
    const size_t n = ld_ * static_cast<size_t>(batch);
    dbl.resize(n + kSlack);
    std::fill(dbl.begin() + static_cast<std::ptrdiff_t>(n), dbl.end(), 0.0);
    return dbl.data();
  }
  std::int64_t* use_narrow(size_t n) {
    kind = Kind::Narrow;
    narrow.resize(n);
    return narrow.data();
  }
  fx::wide* use_wide(size_t n) {
    kind = Kind::Wide;
    wide.resize(n);
    return wide.data();
  }
  // Sets bound to the largest |value| (exact).
  void measure_bound();
  // The message of entries [n0, n1) of a block [base, base + n): a view (mailbox.h).
  Message view(int n0, int n1, int base, int n) const;
};

// A tile's input in one step: the activations of its columns [s * cols + j]
// or the residuals of its rows [s * rows + i], as the messages of its mailbox
// (views, valid for the step). Assembled into a block on first use.
class TileOperand {
 public:
  void set(const Mailbox& box, int base, int n, int batch);
  int n() const { return n_; }
  // The values as 64-bit integers.
  const std::vector<std::int64_t>& raw();
  // The values as doubles, [s * ld + k] (ld >= n), or p = null when some
  // message does not carry them. Whole vectors (exact_kernels.h) may be read
  // from any row's start (padding and slack, mailbox.h).
  struct Doubles {
    const double* p = nullptr;
    size_t ld = 0;
  };
  Doubles dbl();
  // >= max |value|.
  fx::uwide bound() const { return bound_; }

 private:
  const std::vector<Message>* msgs_ = nullptr;
  int base_ = 0, n_ = 0, batch_ = 0;
  bool have_raw_ = false, have_dbl_ = false, all_dbl_ = false;
  fx::uwide bound_ = 0;
  std::vector<std::int64_t> raw_;
  std::vector<double> dbl_;
};

// A chunk of a PE's work as EdgePe times it: phase (kPhase* of mesh_trace.h),
// tile, chunk k (0 for the Hebbian sums and the update) and its shape.
struct PeChunk {
  int phase = 0;
  int tile = 0;
  int k = 0;
  PeChunkShape shape;
};

class PeDatapath {
 public:
  virtual ~PeDatapath() = default;
  // The cycles the PE spends on a chunk whose annotation (pe_phase_cost.h) is
  // `annotated`: the annotation, unless the datapath times its own work (the
  // RTL PE with --rtl-timing). Called after the phase's values are computed.
  virtual std::uint64_t chunk_cycles(const PeChunk& c, std::uint64_t annotated) {
    (void)c;
    return annotated;
  }
  // psum[s * rows + i] = (b(r0+i) << sb, bias tiles only) + sum_j W(r0+i, c0+j) a[s * cols + j],
  // where sb = fw + fs - fb; a value congruent to it modulo 2^acc_bits (the vertex
  // unit wraps the reduced sum).
  virtual void forward(const Tile& t, int batch, const IMatrix& W, const IVector& b, TileOperand& a,
                       PartialSums& psum) = 0;
  // bsum[s * cols + j] = sum_i W(r0+i, c0+j) u[s * rows + i], modulo 2^acc_bits.
  virtual void backward(const Tile& t, int batch, const IMatrix& W, TileOperand& u, PartialSums& bsum) = 0;
  // H(i, j) = sum_s u[s * rows + i] a[s * cols + j] and h(i) = sum_s u[s * rows + i] (bias tiles),
  // wrapped to acc_bits, then the new W(r0+i, c0+j) and b(r0+i) (old values from W, b).
  virtual void hebbian_update(const Tile& t, int batch, TileOperand& u, TileOperand& a, const IMatrix& W,
                              const IVector& b, TileWrites& out) = 0;
};

// Builds the datapath of PE `pe`; called while the mesh is elaborated (a
// datapath may be a SystemC module). The context outlives the datapath.
using PeDatapathFactory = std::function<std::unique_ptr<PeDatapath>(int pe, const MeshContext& ctx)>;

// The C++ datapath: exact sums (in doubles, 64-bit integers or __int128, as
// this step's bounds allow), the writes of edge_datapath.h.
std::unique_ptr<PeDatapath> make_model_datapath(const MeshContext& ctx);

}  // namespace sheafsim::mesh
