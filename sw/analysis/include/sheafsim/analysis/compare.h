#pragma once
// Differences between two runs of the same problem (fixed against float).
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/reference/network.h"
#include "sheafsim/reference/sheaf_state.h"

namespace sheafsim {

struct Difference {
  double max_abs = 0.0;  // max |x - y| over all entries
  double rms = 0.0;      // sqrt(mean (x - y)^2) over all entries
};

Difference difference(const std::vector<Matrix>& x, const std::vector<Matrix>& y);
Difference weight_difference(const Network& x, const Network& y);  // W and b together
Difference stalk_difference(const SheafState& x, const SheafState& y);  // z, a (and a_out)
nlohmann::json to_json(const Difference& d);

}  // namespace sheafsim
