#pragma once
// The sheaf diffusion step (sheaf-math.md §6.4), written once over an
// arithmetic policy. The engine fixes what is computed from what and in which
// order; the policy (FloatArith: the double golden reference; FixedArith: the
// bit-accurate fixed-point model) supplies the arithmetic of each kernel.
//
// A policy provides the types Net, State, Mat and Workspace and the kernels
//   prepare(ws, net, batch)
//   residual(ws, k, net, st, X)        u_k = z_k - W_k a_{k-1} - b_k       (old state)
//   backward(ws, k, net)               W_{k+1}^T u_{k+1}                   (old W)
//   output_force(ws, net, st, Y, p)    force on z_L (may move a_out); returns its max change
//   hebbian(ws, k, net, st, X, p)      W_k += eta sum_s u a^T, b_k += eta sum_s u  (old stalks)
//   update_hidden(ws, k, st, p)        z_k, a_k -= s g                     (returns max change)
//   update_output(ws, st, p)           z_L -= s g
//   end_step()
// and for partial clamping (pins.h):
//   set_pins(pins)                     the pins every kernel applies (soft forces inside the updates)
//   input_pull(ws, net)                W_1^T u_1 on the free input coordinates (old state)
//   update_input(ws, st, p)            free coordinates of x -= s g_x, g_x = -W_1^T u_1
//   apply_hard_pins(st)                hard-pinned coordinates set to their values
#include <algorithm>

#include "sheafsim/base/error.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/reference/step_params.h"

namespace sheafsim {

template <typename Arith>
class SheafEngine {
 public:
  using Net = typename Arith::Net;
  using State = typename Arith::State;
  using Mat = typename Arith::Mat;

  SheafEngine(const Net& net, Eigen::Index batch, Arith arith = Arith()) : arith_(std::move(arith)) {
    arith_.prepare(ws_, net, batch);
  }

  // Partial clamping: `pins` (null or empty: none; it must outlive the engine)
  // apply from now on. Sets the hard-pinned coordinates of the initial state
  // and, when pins free input coordinates, gives the state its own copy of
  // the input X, which the steps then move (st.x).
  void set_pins(const PinSet* pins, State& st, const Mat& X) {
    pins_ = pins != nullptr && !pins->empty() ? pins : nullptr;
    arith_.set_pins(pins_);
    if (pins_ == nullptr) return;
    if (pins_->has_free_inputs()) st.x = X;
    arith_.apply_hard_pins(st);
  }

  // Advances `state` by one Jacobi/Euler step from the old state; with
  // update_params also moves the parameters by the local rule. Y is required
  // in training. Returns max |change| over the free stalks (0 unless
  // p.track_change).
  double step(Net& net, State& st, const Mat& X, const Mat* Y, const StepParams& p, bool update_params) {
    if (p.phase == Phase::Training && Y == nullptr) throw InputError("a training step needs targets");
    const int L = net.depth();
    // 1. Discords and forces, all from the old state and the old parameters.
    for (int k = 0; k < L; ++k) arith_.residual(ws_, k, net, st, X);
    for (int k = 0; k + 1 < L; ++k) arith_.backward(ws_, k, net);
    const bool free_input = pins_ != nullptr && pins_->has_free_inputs();
    if (free_input) arith_.input_pull(ws_, net);
    double max_change = arith_.output_force(ws_, net, st, Y, p);
    // 2. Local parameter update: old stalks; W is not read again in this step.
    if (update_params)
      for (int k = 0; k < L; ++k) arith_.hebbian(ws_, k, net, st, X, p);
    // 3. Every stalk written at once from the old values.
    for (int k = 0; k + 1 < L; ++k) max_change = std::max(max_change, arith_.update_hidden(ws_, k, st, p));
    max_change = std::max(max_change, arith_.update_output(ws_, st, p));
    if (free_input) max_change = std::max(max_change, arith_.update_input(ws_, st, p));
    // 4. Re-impose the hard pins (sheaf-math §6.1 rule 4): forces on them were computed, then overwritten.
    if (pins_ != nullptr) arith_.apply_hard_pins(st);
    arith_.end_step();
    return max_change;
  }

  Arith& arith() { return arith_; }
  const Arith& arith() const { return arith_; }

 private:
  Arith arith_;
  typename Arith::Workspace ws_;
  const PinSet* pins_ = nullptr;
};

}  // namespace sheafsim
