#pragma once
// The points of a design space that `sheafsim explore` runs: the whole grid,
// a uniform random sample of it, or a discrete Latin hypercube. Every random
// choice goes through Rng::below, so a seed gives the same points everywhere.
#include <string>
#include <utility>
#include <vector>

#include "sheafsim/explore/design_space.h"

namespace sheafsim::explore {

// (key, value) for every axis, in axis order.
using DesignPoint = std::vector<std::pair<std::string, std::string>>;

struct Sample {
  std::vector<DesignPoint> points;
  size_t duplicates_removed = 0;  // lhs: identical points dropped (the first kept)
};

// Grid: the cartesian product, the last axis varying fastest (as sweep_grid).
// Random: `sample_points` distinct grid points without replacement, in draw
//   order (a partial Fisher-Yates over grid indices with Rng(sample_seed)); the
//   whole grid in grid order when the sample is at least the grid.
// Lhs: per axis (in order) a Fisher-Yates permutation pi of 0..P-1; point p
//   takes value index pi(p) * len / P, so every value appears floor or ceil of
//   P / len times; identical points are then removed.
Sample sample_design(const DesignSpace& space);

}  // namespace sheafsim::explore
