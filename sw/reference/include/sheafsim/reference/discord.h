#pragma once
// Per-edge discord diagnostics (sheaf-math.md §10.1):
// d_e = (1/B) sum_s |(delta x)_e|^2, grouped by layer and by edge type.
// The output edge in classification training reports (1/B) sum_s CE_s.
#include <string>
#include <vector>

#include "sheafsim/reference/sheaf_dynamics.h"

namespace sheafsim {

struct EdgeDiscord {
  std::string edge;  // "W1", "R1", ..., "out"
  std::string type;  // "weight", "activation", "output"
  int layer = 0;     // 1..L
  double value = 0.0;
};

struct DiscordReport {
  std::vector<EdgeDiscord> edges;
  std::vector<double> by_layer;  // index 0 is layer 1
  double weight = 0.0, activation = 0.0, output = 0.0;
  double total = 0.0;  // sum over edges; equals 2 E_batch / B when every edge is quadratic
};

DiscordReport discord(const Network& net, const SheafState& state, const Matrix& X, const Matrix* Y, Phase phase);

}  // namespace sheafsim
