#pragma once
// One Jacobi / explicit-Euler step of sheaf diffusion, with or without the
// local (Hebbian) parameter update: sheaf-math.md §6.4, the float golden
// reference. Everything is computed from the old state, then every stalk and
// parameter is written at once.
#include <vector>

#include "sheafsim/network.h"
#include "sheafsim/sheaf_state.h"

namespace sheafsim {

enum class Phase {
  Inference,  // input pinned; phi != id adds a free output vertex a_out
  Training,   // input pinned and output tied to the target y (two-sided)
};

// How the output vertex pulls z_L in inference with phi != id (§6.3).
enum class OutputMode { Exact, JacobianFree };
OutputMode parse_output_mode(const std::string& name);  // throws InputError

struct StepParams {
  double s = 0.01;    // alpha * dt: stalk step
  double eta = 0.0;   // beta * dt: parameter step
  Phase phase = Phase::Inference;
  OutputMode output_mode = OutputMode::Exact;
  bool track_change = true;  // compute max |change| (the tolerance stop needs it; training does not)
};

// Weight-edge discords u_l = z_l - W_l a_{l-1} - b_l of the state (a_0 = X),
// into U[k] for k = 0..L-1.
void compute_residuals(const Network& net, const SheafState& state, const Matrix& X, std::vector<Matrix>& U);

// Dirichlet energy of the batch (§3): 1/2 sum |u|^2 + 1/2 sum |q|^2 plus the
// output term: 1/2 |z_L - y|^2 (training, identity), the summed cross-entropy
// (training, sigmoid/softmax), 1/2 |a_out - phi(z_L)|^2 (inference, phi != id).
double energy(const Network& net, const SheafState& state, const Matrix& X, const Matrix* Y, Phase phase);

// Scratch buffers for the step, sized once per batch so a step allocates nothing.
class SheafDynamics {
 public:
  SheafDynamics(const Network& net, Eigen::Index batch);

  // Advances `state` by one step; with update_params also moves W and b by
  // W_l += eta * sum_s u_l a_{l-1}^T, b_l += eta * sum_s u_l. Y is required in
  // training. Returns max |change| over all free stalk coordinates (0 unless
  // p.track_change).
  double step(Network& net, SheafState& state, const Matrix& X, const Matrix* Y, const StepParams& p,
              bool update_params);

 private:
  std::vector<Matrix> U_;    // weight-edge discords
  std::vector<Matrix> WtU_;  // W_{l+1}^T u_{l+1}, the backward pull on a_l
  Matrix g_out_;             // output-edge force on z_L
};

}  // namespace sheafsim
