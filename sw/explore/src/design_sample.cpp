#include "sheafsim/explore/design_sample.h"

#include <cstdint>
#include <numeric>
#include <set>
#include <unordered_map>

#include "sheafsim/base/rng.h"

namespace sheafsim::explore {

namespace {

// The point of a value index per axis.
DesignPoint point_of(const DesignSpace& space, const std::vector<size_t>& index) {
  DesignPoint p;
  p.reserve(space.axes.size());
  for (size_t a = 0; a < space.axes.size(); ++a) p.emplace_back(space.axes[a].key, space.axes[a].values[index[a]]);
  return p;
}

// Grid index -> value index per axis, mixed radix with the last axis fastest.
std::vector<size_t> decode(const DesignSpace& space, std::uint64_t grid_index) {
  std::vector<size_t> index(space.axes.size());
  for (size_t a = space.axes.size(); a-- > 0;) {
    const std::uint64_t len = space.axes[a].values.size();
    index[a] = static_cast<size_t>(grid_index % len);
    grid_index /= len;
  }
  return index;
}

std::vector<DesignPoint> whole_grid(const DesignSpace& space) {
  std::vector<DesignPoint> points;
  const size_t n = space.grid_size();
  points.reserve(n);
  for (size_t i = 0; i < n; ++i) points.push_back(point_of(space, decode(space, i)));
  return points;
}

// The first k draws of a Fisher-Yates shuffle of 0..n-1; the swapped entries
// live in a map so a huge grid costs only O(k) memory.
std::vector<DesignPoint> random_points(const DesignSpace& space) {
  const std::uint64_t n = space.grid_size(), k = space.sample_points;
  Rng rng(space.sample_seed);
  std::unordered_map<std::uint64_t, std::uint64_t> moved;  // position -> value, where it differs from the position
  auto at = [&](std::uint64_t i) {
    const auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  std::vector<DesignPoint> points;
  points.reserve(static_cast<size_t>(k));
  for (std::uint64_t i = 0; i < k; ++i) {
    const std::uint64_t j = i + rng.below(n - i);
    const std::uint64_t drawn = at(j);
    moved[j] = at(i);
    points.push_back(point_of(space, decode(space, drawn)));
  }
  return points;
}

Sample latin_hypercube(const DesignSpace& space) {
  const size_t P = space.sample_points;
  Rng rng(space.sample_seed);
  std::vector<std::vector<size_t>> index(P, std::vector<size_t>(space.axes.size()));
  for (size_t a = 0; a < space.axes.size(); ++a) {
    std::vector<size_t> pi(P);
    std::iota(pi.begin(), pi.end(), size_t{0});
    for (size_t i = P; i-- > 1;) std::swap(pi[i], pi[static_cast<size_t>(rng.below(i + 1))]);
    const std::uint64_t len = space.axes[a].values.size();
    // P and len are at most kMaxDesignPoints, so the product fits in 64 bits.
    for (size_t p = 0; p < P; ++p) index[p][a] = static_cast<size_t>(pi[p] * len / P);
  }
  Sample s;
  std::set<std::vector<size_t>> seen;
  for (const auto& idx : index) {
    if (seen.insert(idx).second) s.points.push_back(point_of(space, idx));
    else ++s.duplicates_removed;
  }
  return s;
}

}  // namespace

Sample sample_design(const DesignSpace& space) {
  Sample s;
  switch (space.method) {
    case SampleMethod::Grid:
      s.points = whole_grid(space);
      break;
    case SampleMethod::Random:
      s.points = space.sample_points >= space.grid_size() ? whole_grid(space) : random_points(space);
      break;
    case SampleMethod::LatinHypercube:
      s = latin_hypercube(space);
      break;
  }
  return s;
}

}  // namespace sheafsim::explore
