#pragma once
// A vertex unit: holds the per-sample stalks (z, a) of a group of neurons of
// one layer (the pinned input for layer 0, plus the targets for the output
// layer). Per step it multicasts its activations to the PEs that need them,
// reduces the forward partial sums into residuals (the weight edge's
// discord), multicasts those back, reduces the backward partial sums, and
// applies the ReLU or output edge and the Euler update to its stalks.
#include <vector>

#include "sheafsim/mesh/mesh_unit.h"

namespace sheafsim::mesh {

class VertexUnit : public MeshUnit {
 public:
  SC_HAS_PROCESS(VertexUnit);
  VertexUnit(sc_core::sc_module_name name, int group, MeshContext& ctx);
  Mailbox& forward_sums() { return fwd_; }
  Mailbox& backward_sums() { return bwd_; }
  int pe() const { return group().pe; }
  std::int64_t max_change() const;  // raw stalk LSBs, this step (call right after the step)

 private:
  const VertexGroup& group() const { return ctx_.map->groups()[static_cast<size_t>(group_)]; }
  void run();
  void send_activations();
  void residuals();
  void update();

  // Each phase has three paths computing the same bits: vectorised in exact
  // doubles (vertex_simd.h; deterministic rounding modes), 64-bit integers
  // (fast64.h), and the exact __int128 functions of vertex_datapath.h. A
  // path is taken only where this step's bounds prove it exact.
  bool residuals_double();
  template <typename QT, typename OT>
  void residuals64(QT, OT);
  void residuals_wide();
  bool hidden_double();
  template <typename QT, typename OT>
  void hidden64(QT, OT);
  void hidden_wide();
  bool output_double();
  template <typename QT, typename OT>
  void output64(QT, OT);
  void output_wide();
  const double* reduce_double(const Mailbox& box);
  // After an int64 or __int128 residual phase: u as doubles (when exact) and max |u|.
  void finish_residuals();
  // u as 64-bit integers (after a residual phase in doubles).
  void ensure_u64();
  // Adds `sat` saturations and `lost` lost updates of class cls and `wraps`
  // accumulator overflows (this group's layer).
  void count_flags(FxClass cls, std::uint64_t sat, std::uint64_t lost, std::uint64_t wraps);

  int group_;
  Mailbox fwd_, bwd_;
  // This step's registers, stored [s * ld + i] with ld = padded(n) (vertex_simd.h),
  // kept across steps (no allocation per step). As doubles when exact (|v| < 2^50):
  // z and a as read at the start of the step (a: or x), u, and the targets.
  std::vector<double> z_d_, a_d_, u_d_, y_d_;
  bool z_exact_ = false, a_exact_ = false, u_exact_ = false;
  // As 64-bit integers: a when it is not exact as doubles; u when the residual
  // phase ran in integers (u_int_) or was converted (ensure_u64).
  std::vector<std::int64_t> a_, u_;
  bool u_int_ = false;
  fx::uwide zmax_ = 0, amax_ = 0, umax_ = 0;  // bounds on max |z|, |a|, |u|
  std::int64_t max_change_ = 0;
  // The vectorised updates leave the largest change of z (a) to be measured
  // from z_d_ (a_d_) and the new state by max_change(), when asked.
  bool change_z_pending_ = false, change_a_pending_ = false;
  // Scratch of the reductions.
  std::vector<double> sum_d_;
  std::vector<const double*> whole_;
  std::vector<std::int64_t> sum64_;
  std::vector<fx::wide> sumw_;
};

}  // namespace sheafsim::mesh
