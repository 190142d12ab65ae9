#pragma once
// When a resource (a unit of the mesh, a link) is busy: disjoint intervals of
// cycles. A request takes the earliest free interval that fits at or after
// the cycle it is ready, so that work of a younger step fills the gaps an
// older step left (the dataflow schedule, docs/architecture.md); with
// requests in time order it is first come, first served.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace sheafsim::mesh {

class BusyCalendar {
 public:
  // Reserves `len` cycles at the earliest start >= t that is free; returns the start.
  std::uint64_t reserve(std::uint64_t t, std::uint64_t len);
  // The cycles of [a, b) no interval covers.
  std::uint64_t free_cycles(std::uint64_t a, std::uint64_t b) const;
  // Calls f(start, end) for every free part of [a, b), in order.
  template <typename F>
  void for_each_gap(std::uint64_t a, std::uint64_t b, F&& f) const {
    auto it = iv_.begin() + static_cast<std::ptrdiff_t>(first_ending_after(a));
    std::uint64_t at = a;
    for (; it != iv_.end() && it->first < b && at < b; ++it) {
      if (it->first > at) f(at, it->first);
      at = it->second > at ? it->second : at;
    }
    if (at < b) f(at, b);
  }
  // Drops the intervals that end at or before t (no request will be ready before t).
  void forget_before(std::uint64_t t);
  // The end of the last interval (0: none).
  std::uint64_t end() const { return iv_.empty() ? 0 : iv_.back().second; }

 private:
  using Intervals = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
  // The index of the first interval that ends after t (iv_.size(): none).
  size_t first_ending_after(std::uint64_t t) const {
    return static_cast<size_t>(std::upper_bound(iv_.begin(), iv_.end(), t,
                                                [](std::uint64_t v, const auto& x) { return v < x.second; }) -
                               iv_.begin());
  }
  Intervals iv_;  // [start, end), sorted, disjoint, not adjacent
};

}  // namespace sheafsim::mesh
