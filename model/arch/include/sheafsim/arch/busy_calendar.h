#pragma once
// When a resource (a unit of the mesh, a link) is busy: disjoint intervals of
// cycles. A request takes the earliest free interval that fits at or after
// the cycle it is ready, so that work of a younger step fills the gaps an
// older step left (the dataflow schedule, docs/architecture.md); with
// requests in time order it is first come, first served.
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
  // The free parts of [a, b), in order.
  std::vector<std::pair<std::uint64_t, std::uint64_t>> gaps(std::uint64_t a, std::uint64_t b) const;
  // Drops the intervals that end at or before t (no request will be ready before t).
  void forget_before(std::uint64_t t);
  // The end of the last interval (0: none).
  std::uint64_t end() const { return iv_.empty() ? 0 : iv_.back().second; }

 private:
  std::vector<std::pair<std::uint64_t, std::uint64_t>> iv_;  // [start, end), sorted, disjoint, not adjacent
};

}  // namespace sheafsim::mesh
