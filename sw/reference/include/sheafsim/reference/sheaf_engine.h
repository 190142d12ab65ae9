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
#include <algorithm>

#include "sheafsim/base/error.h"
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
    double max_change = arith_.output_force(ws_, net, st, Y, p);
    // 2. Local parameter update: old stalks; W is not read again in this step.
    if (update_params)
      for (int k = 0; k < L; ++k) arith_.hebbian(ws_, k, net, st, X, p);
    // 3. Every stalk written at once from the old values.
    for (int k = 0; k + 1 < L; ++k) max_change = std::max(max_change, arith_.update_hidden(ws_, k, st, p));
    max_change = std::max(max_change, arith_.update_output(ws_, st, p));
    arith_.end_step();
    return max_change;
  }

  Arith& arith() { return arith_; }
  const Arith& arith() const { return arith_; }

 private:
  Arith arith_;
  typename Arith::Workspace ws_;
};

}  // namespace sheafsim
