#pragma once
// The value range a quantity (z, a, W, b of one layer) takes over a run,
// against the representable range of its fixed-point format: a format that
// clips (values beyond its range, or saturations) or wastes integer bits
// (every value fits in a format with fewer integer bits) is named.
#include <cstdint>
#include <limits>
#include <string>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/network.h"

namespace sheafsim {

// The quantities a compare run traces per layer (sheaf-math.md §2).
enum class Quantity { Z, A, W, B };
constexpr int kQuantities = 4;
const char* to_string(Quantity q);  // "z", "a", "W", "b"
// The format that holds q, and the counter class its saturations go to.
const fx::FixedFormat& format_of(Quantity q, const FixedConfig& cfg);
FxClass counter_class(Quantity q);

struct ValueRange {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  bool empty() const { return min > max; }
  double max_abs() const;
  void add(const Matrix& m);   // non-finite entries are ignored (a diverged run is reported separately)
  void add(const ValueRange& r);
};

struct RangeVerdict {
  bool clips = false;        // a value beyond the format's range, or a saturation counted
  int needed_int_bits = 1;   // the fewest integer bits (sign included) that hold [min, max] at the same f
  int unused_int_bits = 0;   // int_bits - needed_int_bits, when positive
  std::string label() const; // "clips", "wastes N integer bits" or "ok"
};

// `saturations`: the fixed run's count for this quantity and layer.
RangeVerdict assess_range(const ValueRange& r, const fx::FixedFormat& f, std::uint64_t saturations);

}  // namespace sheafsim
