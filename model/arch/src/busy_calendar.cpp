#include "sheafsim/arch/busy_calendar.h"

#include <algorithm>

namespace sheafsim::mesh {

std::uint64_t BusyCalendar::reserve(std::uint64_t t, std::uint64_t len) {
  if (len == 0) return t;
  // The first interval that ends after t: the candidate start moves past every interval it overlaps.
  auto it = iv_.begin() + static_cast<std::ptrdiff_t>(first_ending_after(t));
  std::uint64_t start = t;
  while (it != iv_.end() && it->first < start + len) {
    start = std::max(start, it->second);
    ++it;
  }
  // [start, start + len) fits before *it: insert, joining touching neighbours.
  const std::uint64_t end = start + len;
  auto pos = iv_.insert(it, {start, end});
  if (pos + 1 != iv_.end() && (pos + 1)->first == end) {
    pos->second = (pos + 1)->second;
    iv_.erase(pos + 1);
  }
  if (pos != iv_.begin() && (pos - 1)->second == start) {
    (pos - 1)->second = pos->second;
    iv_.erase(pos);
  }
  return start;
}

std::uint64_t BusyCalendar::free_cycles(std::uint64_t a, std::uint64_t b) const {
  std::uint64_t n = 0;
  for_each_gap(a, b, [&](std::uint64_t x, std::uint64_t y) { n += y - x; });
  return n;
}

void BusyCalendar::forget_before(std::uint64_t t) {
  iv_.erase(iv_.begin(), iv_.begin() + static_cast<std::ptrdiff_t>(first_ending_after(t)));
}

}  // namespace sheafsim::mesh
