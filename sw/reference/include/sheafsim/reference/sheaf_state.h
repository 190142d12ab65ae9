#pragma once
// The free stalks of a batch of cochains (sheaf-math.md §2.2), one column per
// sample. The input x and the constant-1 blocks are pinned boundary data and
// are not stored here.
#include <cstdint>
#include <string>
#include <vector>

#include "sheafsim/reference/network.h"
#include "sheafsim/base/rng.h"

namespace sheafsim {

// M is the matrix type of the arithmetic: double for the float reference,
// int64 raw values for the fixed-point model.
template <typename M>
struct BasicSheafState {
  std::vector<M> z;  // z[k] = z_{k+1}, n_{k+1} x B, k = 0..L-1
  std::vector<M> a;  // a[k] = a_{k+1}, n_{k+1} x B, k = 0..L-2
  M a_out;           // n_L x B: the output vertex (phi != id, inference only); else empty
  M x;               // n_0 x B: the input, when pins free some of its coordinates (pins.h); else empty

  Eigen::Index batch() const { return z.empty() ? 0 : z.front().cols(); }
  bool has_output_vertex() const { return a_out.size() > 0; }
};
using SheafState = BasicSheafState<Matrix>;

enum class StalkInit { Zeros, Forward, Random };
StalkInit parse_stalk_init(const std::string& name);  // throws InputError
std::string to_string(StalkInit init);

// A state for inputs X. Random draws N(0, 1) per coordinate from `rng`, in the
// order z_1, a_1, z_2, ..., z_L, a_out, each column-major.
SheafState make_state(const Network& net, const Matrix& X, StalkInit init, Rng& rng, bool with_output_vertex);

// Overwrites the stalks with the forward pass of X (zero discord).
void set_to_forward(const Network& net, const Matrix& X, SheafState& state);

}  // namespace sheafsim
