#include "sheafsim/fixed/fixed_config.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim {

namespace {
constexpr int kExactBits = 127;  // a signed __int128 holds 127 magnitude bits
}

void FixedConfig::validate() const {
  const int ws = stalk.width(), ww = weight.width(), wr = residual.width(), wc = constant.width();
  const int fs = stalk.frac_bits, fw = weight.frac_bits, fb = bias.frac_bits, fr = residual.frac_bits,
            fc = constant.frac_bits;
  if (wc > 32) throw InputError(fmt::format("--constant-format {}: at most 32 bits", constant.str()));
  if (acc_bits < 2 || acc_bits > 96) throw InputError(fmt::format("--acc-bits {} is outside 2..96", acc_bits));
  const int widest_product = std::max({ww + ws, ww + wr, wr + ws});
  if (acc_bits < widest_product)
    throw InputError(fmt::format("--acc-bits {} is narrower than a product (weight {} x stalk {} x residual {}: "
                                 "needs at least {} bits)",
                                 acc_bits, weight.str(), stalk.str(), residual.str(), widest_product));
  // The exact sums align every addend to the product's fractional bits.
  if (fb > fw + fs)
    throw InputError(fmt::format("--bias-format {} has more fractional bits than weight x stalk ({})", bias.str(), fw + fs));
  if (fs > fw + fr)
    throw InputError(fmt::format("--stalk-format {} has more fractional bits than weight x residual ({})", stalk.str(), fw + fr));
  if (fw > fc + fr + fs || fb > fc + fr)
    throw InputError(fmt::format("--weight-format {} / --bias-format {} have more fractional bits than the update "
                                 "eta x residual x stalk",
                                 weight.str(), bias.str()));
  // Widest exact intermediates: s * g_a with g_a an accumulator value, and the
  // stalk aligned to it; eta * H with H an accumulator value.
  const int f2 = fw + fr;
  const int need = std::max({wc + acc_bits, ws + fc + f2 - fs, ww + fc + fr + fs - fw}) + 1;
  if (need > kExactBits)
    throw InputError(fmt::format("formats need {}-bit intermediates, more than the {} the exact model carries; "
                                 "narrow --acc-bits or the fractional bits",
                                 need, kExactBits));
}

std::optional<std::string> accumulator_warning(const FixedConfig& cfg, const std::vector<int>& layers, long batch) {
  long fan = batch;  // the Hebbian sums run over the batch
  for (int n : layers) fan = std::max<long>(fan, n);
  const int widest_product = std::max({cfg.weight.width() + cfg.stalk.width(), cfg.weight.width() + cfg.residual.width(),
                                       cfg.residual.width() + cfg.stalk.width()});
  const int need = widest_product + static_cast<int>(std::ceil(std::log2(static_cast<double>(fan) + 2.0)));
  if (cfg.acc_bits >= need) return std::nullopt;
  return fmt::format("--acc-bits {} leaves {} guard bits over the {}-bit products; sums of up to {} terms need {} "
                     "bits: overflows will wrap (counted as accumulator saturations)",
                     cfg.acc_bits, cfg.acc_bits - widest_product, widest_product, fan, need);
}

nlohmann::json FixedConfig::to_json() const {
  return {{"stalk_format", stalk.str()},   {"weight_format", weight.str()},
          {"bias_format", bias.str()},     {"residual_format", residual.str()},
          {"constant_format", constant.str()}, {"acc_bits", acc_bits},
          {"round", fx::to_string(quant)}, {"overflow", fx::to_string(overflow)},
          {"stoch_seed", seed}};
}

std::int64_t quantize_constant(double value, const FixedConfig& cfg, const std::string& name) {
  if (!std::isfinite(value) || value < 0) throw InputError(fmt::format("{} = {} must be finite and >= 0", name, value));
  bool ovf = false;
  const std::int64_t raw = fx::from_double(value, cfg.constant, fx::Quant::RndConv, fx::Overflow::Sat, &ovf);
  if (ovf)
    throw InputError(fmt::format("{} = {} overflows --constant-format {} (max {})", name, value, cfg.constant.str(),
                                 cfg.constant.max_value()));
  if (raw == 0 && value > 0) {
    // Rounds to >= 1 LSB once LSB/2 <= value, i.e. f >= -log2(value) - 1 (with margin for ties).
    const int f = static_cast<int>(std::ceil(-std::log2(value))) ;
    throw InputError(fmt::format("{} = {:.6g} quantises to zero in --constant-format {}; the smallest format that "
                                 "represents it is Q{}.{}",
                                 name, value, cfg.constant.str(), cfg.constant.int_bits, std::max(f, 0)));
  }
  return raw;
}

const char* to_string(FxClass c) {
  switch (c) {
    case FxClass::Z: return "z";
    case FxClass::A: return "a";
    case FxClass::Residual: return "residual";
    case FxClass::Weight: return "weight";
    case FxClass::Bias: return "bias";
    case FxClass::Output: return "output";
    case FxClass::Accumulator: return "accumulator";
    case FxClass::Input: return "input";
    case FxClass::Count: break;
  }
  return "?";
}

void FixedCounters::resize(int layers) {
  for (auto& v : saturations) v.assign(static_cast<size_t>(layers), 0);
  for (auto& v : lost_updates) v.assign(static_cast<size_t>(layers), 0);
}

std::uint64_t FixedCounters::total_saturations() const {
  std::uint64_t t = 0;
  for (const auto& v : saturations)
    for (auto x : v) t += x;
  return t;
}

std::uint64_t FixedCounters::total_lost_updates() const {
  std::uint64_t t = 0;
  for (const auto& v : lost_updates)
    for (auto x : v) t += x;
  return t;
}

nlohmann::json FixedCounters::to_json() const {
  nlohmann::json sat = nlohmann::json::object(), lost = nlohmann::json::object();
  for (size_t c = 0; c < kFxClasses; ++c) {
    sat[to_string(static_cast<FxClass>(c))] = saturations[c];
    lost[to_string(static_cast<FxClass>(c))] = lost_updates[c];
  }
  return {{"saturations_per_layer", sat},
          {"lost_updates_per_layer", lost},
          {"saturations_total", total_saturations()},
          {"lost_updates_total", total_lost_updates()}};
}

}  // namespace sheafsim
