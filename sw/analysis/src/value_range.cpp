#include "sheafsim/analysis/value_range.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace sheafsim {

const char* to_string(Quantity q) {
  switch (q) {
    case Quantity::Z: return "z";
    case Quantity::A: return "a";
    case Quantity::W: return "W";
    case Quantity::B: return "b";
  }
  return "?";
}

const fx::FixedFormat& format_of(Quantity q, const FixedConfig& cfg) {
  switch (q) {
    case Quantity::W: return cfg.weight;
    case Quantity::B: return cfg.bias;
    default: return cfg.stalk;
  }
}

FxClass counter_class(Quantity q) {
  switch (q) {
    case Quantity::Z: return FxClass::Z;
    case Quantity::A: return FxClass::A;
    case Quantity::W: return FxClass::Weight;
    case Quantity::B: return FxClass::Bias;
  }
  return FxClass::Z;
}

double ValueRange::max_abs() const { return empty() ? 0.0 : std::max(std::abs(min), std::abs(max)); }

void ValueRange::add(const Matrix& m) {
  for (Eigen::Index i = 0; i < m.size(); ++i) {
    const double v = m.data()[i];
    if (!std::isfinite(v)) continue;
    min = std::min(min, v);
    max = std::max(max, v);
  }
}

void ValueRange::add(const ValueRange& r) {
  min = std::min(min, r.min);
  max = std::max(max, r.max);
}

std::string RangeVerdict::label() const {
  if (clips) return "clips";
  if (unused_int_bits > 0) return fmt::format("wastes {} integer bit{}", unused_int_bits, unused_int_bits == 1 ? "" : "s");
  return "ok";
}

RangeVerdict assess_range(const ValueRange& r, const fx::FixedFormat& f, std::uint64_t saturations) {
  RangeVerdict v;
  v.clips = saturations > 0 || (!r.empty() && (r.max > f.max_value() || r.min < f.min_value()));
  if (r.empty()) {
    v.unused_int_bits = f.int_bits - 1;
    return v;
  }
  // Q<i>.<f> holds [-2^(i-1), 2^(i-1) - 2^-f].
  const double lsb = std::ldexp(1.0, -f.frac_bits);
  int i = 1;
  while (i < 64 && !(r.min >= -std::ldexp(1.0, i - 1) && r.max <= std::ldexp(1.0, i - 1) - lsb)) ++i;
  v.needed_int_bits = i;
  v.unused_int_bits = std::max(0, f.int_bits - i);
  return v;
}

}  // namespace sheafsim
