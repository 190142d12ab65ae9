#pragma once
// The float golden reference of sheaf diffusion: FloatArith, the double
// arithmetic policy of SheafEngine (sheaf_engine.h), and the energy and
// residual helpers used by diagnostics and tests.
#include <vector>

#include "sheafsim/reference/network.h"
#include "sheafsim/reference/sheaf_engine.h"
#include "sheafsim/reference/sheaf_state.h"
#include "sheafsim/reference/step_params.h"

namespace sheafsim {

// Weight-edge discords u_l = z_l - W_l a_{l-1} - b_l of the state (a_0 = X),
// into U[k] for k = 0..L-1.
void compute_residuals(const Network& net, const SheafState& state, const Matrix& X, std::vector<Matrix>& U);

// Dirichlet energy of the batch (§3): 1/2 sum |u|^2 + 1/2 sum |q|^2 plus the
// output term: 1/2 |z_L - y|^2 (training, identity), the summed cross-entropy
// (training, sigmoid/softmax), 1/2 |a_out - phi(z_L)|^2 (inference, phi != id).
double energy(const Network& net, const SheafState& state, const Matrix& X, const Matrix* Y, Phase phase);

// Double-precision kernels: every value is a double, every operation IEEE.
struct FloatArith {
  using Net = Network;
  using State = SheafState;
  using Mat = Matrix;
  struct Workspace {
    std::vector<Matrix> U;    // weight-edge discords
    std::vector<Matrix> WtU;  // W_{l+1}^T u_{l+1}, the backward pull on a_l
    Matrix g_out;             // output-edge force on z_L
    Matrix input_pull;        // W_1^T u_1 on the free input coordinates (free pins only)
  };
  void prepare(Workspace& ws, const Network& net, Eigen::Index batch) const;
  void residual(Workspace& ws, int k, const Network& net, const SheafState& st, const Matrix& X) const;
  void backward(Workspace& ws, int k, const Network& net) const;
  double output_force(Workspace& ws, const Network& net, SheafState& st, const Matrix* Y, const StepParams& p) const;
  void hebbian(Workspace& ws, int k, Network& net, const SheafState& st, const Matrix& X, const StepParams& p) const;
  double update_hidden(Workspace& ws, int k, SheafState& st, const StepParams& p) const;
  double update_output(Workspace& ws, SheafState& st, const StepParams& p) const;
  void end_step() const {}
  // Partial clamping (pins.h): the soft forces are added inside the updates.
  void set_pins(const PinSet* pins) { pins_ = pins; }
  void input_pull(Workspace& ws, const Network& net) const;
  double update_input(Workspace& ws, SheafState& st, const StepParams& p) const;
  void apply_hard_pins(SheafState& st) const;

 private:
  const PinSet* pins_ = nullptr;
};

using SheafDynamics = SheafEngine<FloatArith>;

}  // namespace sheafsim
