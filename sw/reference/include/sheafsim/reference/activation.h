#pragma once
// Output nonlinearities, their Jacobians and the losses used for reporting and
// for the backprop baseline.
#include "sheafsim/reference/network.h"

namespace sheafsim {

// phi(Z), columnwise for softmax.
Matrix apply_output(OutputKind kind, const Matrix& Z);
// J_phi(z)^T v for every column, given P = phi(Z) (both Jacobians are symmetric).
Matrix output_jacobian_t_times(OutputKind kind, const Matrix& P, const Matrix& V);

// Loss of the logits Z_L against targets Y, as the training reports it:
// identity: mean squared error over all entries; sigmoid: binary cross-entropy
// averaged over all entries; softmax: categorical cross-entropy averaged over samples.
double loss_from_logits(OutputKind kind, const Matrix& ZL, const Matrix& Y);
// d(loss)/d(Z_L) for the loss above.
Matrix loss_gradient_logits(OutputKind kind, const Matrix& ZL, const Matrix& Y);
// Sum over samples of the per-sample output cross-entropy (the output edge's energy
// in classification training). Only for sigmoid and softmax.
double cross_entropy_sum(OutputKind kind, const Matrix& ZL, const Matrix& Y);
// Fraction of correctly classified samples (sigmoid: per output, threshold 0.5;
// softmax: argmax). Only for sigmoid and softmax.
double accuracy_from_logits(OutputKind kind, const Matrix& ZL, const Matrix& Y);

}  // namespace sheafsim
