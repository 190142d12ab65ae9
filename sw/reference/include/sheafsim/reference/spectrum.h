#pragma once
// The restricted sheaf Laplacian L_free = delta_Omega^T delta_Omega of one
// sample (sheaf-math.md §4), in the free-coordinate order z_1, a_1, z_2, a_2,
// ..., a_{L-1}, z_L, and the quantities that govern diffusion speed.
#include <vector>

#include "sheafsim/reference/network.h"

namespace sheafsim {

// delta_Omega for the activation pattern `masks` (masks[k] = m_{k+1}, one per
// hidden layer, entries 0 or 1). Input-only pinning gives a square unitriangular
// matrix; `two_sided` appends the training output edge's rows (phi = id).
Matrix free_coboundary(const Network& net, const std::vector<Vector>& masks, bool two_sided);
Matrix free_laplacian(const Network& net, const std::vector<Vector>& masks, bool two_sided);

// The activation pattern of the forward pass at input x (m = 1[z >= 0]).
std::vector<Vector> forward_masks(const Network& net, const Vector& x);

struct SpectrumResult {
  double lambda_min = 0, lambda_max = 0, kappa = 0, det = 0;
  double contraction = 0;    // max(|1 - s lambda_min|, |1 - s lambda_max|) per step
  long predicted_steps = 0;  // steps to shrink the error by the factor tol; -1 if it never does
};

// Eigen-analysis of L_free at the forward-pass pattern of x, for the stalk step s = alpha * dt.
SpectrumResult analyse_spectrum(const Network& net, const Vector& x, double s, double tol, bool two_sided);

// ceil(ln(tol) / ln(rho)) with rho = max(|1 - s lmin|, |1 - s lmax|); -1 if rho >= 1.
long predicted_steps(double lambda_min, double lambda_max, double s, double tol);

// A mask-independent certificate lambda_max(L_free) <= (1 + max(1, max_{l>=2} |W_l|_2))^2,
// plus 1 with the training output edge (sheaf-math.md §4.3).
double lambda_max_bound(const Network& net, bool two_sided);

// The median of the values (the mean of the middle two for an even count); v non-empty.
double median(std::vector<double> v);

}  // namespace sheafsim
