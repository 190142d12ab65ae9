#pragma once
// The fixed-point configuration of a run (docs/fixed-point.md): one format
// per quantity class, the accumulator width, the rounding and overflow modes,
// and the counters every saturation and lost update goes to.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim {

struct FixedConfig {
  fx::FixedFormat stalk{4, 12};     // z, a (and the pinned x, y)
  fx::FixedFormat weight{4, 12};    // W
  fx::FixedFormat bias{4, 12};      // b
  fx::FixedFormat residual{4, 12};  // u (the weight-edge discord every edge reports)
  fx::FixedFormat constant{1, 31};  // s = alpha dt and eta = beta dt
  int acc_bits = 48;                // accumulator width (two's complement, wraps)
  fx::Quant quant = fx::Quant::RndConv;
  fx::Overflow overflow = fx::Overflow::Sat;
  std::uint64_t seed = 1;           // stochastic-rounding seed

  // Throws InputError naming the setting when formats are inconsistent, an
  // accumulator is narrower than a product, or an intermediate would exceed
  // the 127 bits the exact model carries.
  void validate() const;
  nlohmann::json to_json() const;
};

// A warning when the accumulator has fewer guard bits than the widest sum of
// this network and batch needs (a sum of n products needs ceil(log2 n) bits
// over the product width, plus the aligned stalk and bias terms): its
// overflows would wrap and be counted as accumulator saturations.
std::optional<std::string> accumulator_warning(const FixedConfig& cfg, const std::vector<int>& layers, long batch);

// A step constant (alpha dt or beta dt) in the constant format, rounded to
// nearest (ties to even). Throws InputError if it quantises to zero or
// overflows, naming the setting and the smallest format that would work.
std::int64_t quantize_constant(double value, const FixedConfig& cfg, const std::string& name);

// Quantity classes that count saturations and lost updates.
enum class FxClass { Z, A, Residual, Weight, Bias, Output, Accumulator, Input, Count };
const char* to_string(FxClass c);
constexpr size_t kFxClasses = static_cast<size_t>(FxClass::Count);

struct FixedCounters {
  // [class][layer - 1]
  std::array<std::vector<std::uint64_t>, kFxClasses> saturations, lost_updates;

  void resize(int layers);
  void saturated(FxClass c, int layer) { ++saturations[static_cast<size_t>(c)][static_cast<size_t>(layer - 1)]; }
  void lost(FxClass c, int layer) { ++lost_updates[static_cast<size_t>(c)][static_cast<size_t>(layer - 1)]; }
  // Adds the counts of a chunk of writes.
  void add(FxClass c, int layer, std::uint64_t saturations_, std::uint64_t lost_ = 0) {
    saturations[static_cast<size_t>(c)][static_cast<size_t>(layer - 1)] += saturations_;
    lost_updates[static_cast<size_t>(c)][static_cast<size_t>(layer - 1)] += lost_;
  }
  std::uint64_t total_saturations() const;
  std::uint64_t total_lost_updates() const;
  nlohmann::json to_json() const;
};

}  // namespace sheafsim
