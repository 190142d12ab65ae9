#pragma once
// Pareto fronts of `sheafsim explore`: the design points no other point beats
// on every objective at once.
#include <cstddef>
#include <vector>

namespace sheafsim::explore {

// Objectives are minimised (negate one to maximise). Returns the indices of the
// non-dominated vectors, ascending: v is dominated when some u is <= v in every
// objective and < in at least one. A vector with a non-finite entry is never on
// the front and dominates nothing; identical vectors are all kept. The direct
// O(n^2 d) comparison: n is at most kMaxDesignPoints and typically hundreds.
std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& objectives);

}  // namespace sheafsim::explore
