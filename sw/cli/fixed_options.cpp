#include "fixed_options.h"

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "option_rules.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim::cli {

bool FixedOptions::fixed() const {
  if (arith != "float" && arith != "fixed")
    throw InputError(fmt::format("unknown --arith '{}' (expected float or fixed)", arith));
  return arith == "fixed";
}

namespace {

// Applies one setting by its option name (without dashes).
void apply(FixedConfig& c, const std::string& key, const std::string& value, const std::string& origin) {
  const std::string setting = origin.empty() ? "--" + key : origin + ": " + key;
  if (key == "stalk-format") c.stalk = fx::parse_format(value, setting);
  else if (key == "weight-format") c.weight = fx::parse_format(value, setting);
  else if (key == "bias-format") c.bias = fx::parse_format(value, setting);
  else if (key == "residual-format") c.residual = fx::parse_format(value, setting);
  else if (key == "constant-format") c.constant = fx::parse_format(value, setting);
  else if (key == "round") c.quant = fx::parse_quant(value);
  else if (key == "overflow") c.overflow = fx::parse_overflow(value);
  else if (key == "acc-bits") {
    char* end = nullptr;
    errno = 0;
    const long v = std::strtol(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno == ERANGE)
      throw InputError(fmt::format("{} '{}' is not an integer", setting, value));
    c.acc_bits = static_cast<int>(std::max(-1L, std::min(v, 1000L)));
  } else if (key == "stoch-seed") {
    // Digits only, at most 2^64 - 1 (std::stoull threw std::invalid_argument /
    // std::out_of_range, an internal error, and wrapped "-1"; found by fuzz_toml_config).
    char* end = nullptr;
    errno = 0;
    const bool digits = !value.empty() && value.find_first_not_of("0123456789") == std::string::npos;
    const unsigned long long v = digits ? std::strtoull(value.c_str(), &end, 10) : 0;
    if (!digits || errno == ERANGE)
      throw InputError(fmt::format("{} '{}' is not an integer 0..18446744073709551615", setting, value));
    c.seed = static_cast<std::uint64_t>(v);
  } else {
    throw InputError(fmt::format("{}: unknown key '{}' (expected stalk-format, weight-format, bias-format, "
                                 "residual-format, constant-format, acc-bits, round, overflow, stoch-seed)",
                                 origin, key));
  }
}

}  // namespace

void apply_fixed_config_toml(FixedConfig& c, const std::string& text, const std::string& origin) {
  toml::table t;
  try {
    t = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}: invalid TOML at line {}: {}", origin, e.source().begin.line, e.description()));
  }
  for (const auto& [k, node] : t) {
    std::string value;
    if (auto s = node.as_string()) value = s->get();
    else if (auto i = node.as_integer()) value = std::to_string(i->get());
    else throw InputError(fmt::format("{}: key '{}' must be a string or an integer", origin, std::string(k.str())));
    apply(c, std::string(k.str()), value, origin);
  }
}

FixedConfig FixedOptions::resolve() const {
  FixedConfig c;
  if (!fixed_config.empty()) apply_fixed_config_toml(c, read_text_file(fixed_config), fixed_config);
  const std::pair<const char*, const std::string*> flags[] = {
      {"stalk-format", &stalk}, {"weight-format", &weight}, {"bias-format", &bias}, {"residual-format", &residual},
      {"constant-format", &constant}, {"round", &round}, {"overflow", &overflow}};
  for (const auto& [key, value] : flags)
    if (!value->empty()) apply(c, key, *value, "");
  if (acc_bits >= 0) c.acc_bits = acc_bits;
  if (stoch_seed >= 0) c.seed = static_cast<std::uint64_t>(stoch_seed);
  c.validate();
  return c;
}

std::vector<StatRow> fixed_statistics(const FixedRunInfo& info, bool training, std::uint64_t update_writes, bool sgd) {
  const FixedConfig& c = info.config;
  // The step constants as the hardware holds them: enough digits to show the rounding.
  std::vector<StatRow> rows = {
      {"formats", fmt::format("stalk {} weight {} bias {} residual {} constant {} acc {} bits", c.stalk.str(),
                              c.weight.str(), c.bias.str(), c.residual.str(), c.constant.str(), c.acc_bits)},
      {"rounding", fmt::format("{} / {}", fx::to_string(c.quant), fx::to_string(c.overflow))}};
  if (sgd)
    rows.push_back({"eta_used", fmt::format("{:.10g} (-lr*gradient scale rounded to {}: the signed parameter step "
                                            "constant used)", info.eta_used, c.constant.str())});
  else
    rows.push_back({"s_used", fmt::format("{:.10g} (alpha*dt rounded to {}: the stalk step size used)", info.s_used,
                                          c.constant.str())});
  if (training && !sgd)
    rows.push_back({"eta_used", fmt::format("{:.10g} (beta*dt rounded to {}: the parameter step size used)", info.eta_used,
                                            c.constant.str())});
  const std::uint64_t lost = info.counters.total_lost_updates();
  rows.push_back({"saturations", fmt::format("{}", info.counters.total_saturations())});
  rows.push_back({"lost_updates", fmt::format("{}", lost)});
  rows.push_back({"update_register_writes", fmt::format("{}", update_writes)});
  rows.push_back({"lost_updates_fraction",
                  update_writes > 0
                      ? fmt::format("{} (of update_register_writes)",
                                    num(static_cast<double>(lost) / static_cast<double>(update_writes)))
                      : std::string("n/a")});
  return rows;
}

const std::initializer_list<const char*> kFixedOptionNames = {
    "--fixed-config", "--stalk-format", "--weight-format", "--bias-format", "--residual-format",
    "--constant-format", "--acc-bits", "--round", "--overflow", "--stoch-seed"};

void refuse_fixed_options_when_float(const FixedOptions& o, const CLI::App& sub) {
  if (o.fixed()) return;
  refuse_typed(sub, kFixedOptionNames,
               "applies to the fixed-point model: add --arith fixed (this run is float, the golden reference)");
  refuse_typed(sub, {"--compare-float"},
               "compares a fixed-point run with its float reference: add --arith fixed (this run is float)");
}

void add_fixed_options(CLI::App& sub, FixedOptions& o, bool with_arith, bool with_compare_float) {
  const std::string group =
      with_arith ? "Fixed point (with --arith fixed; docs/fixed-point.md)" : "Fixed point (docs/fixed-point.md)";
  if (with_arith)
    sub.add_option("--arith", o.arith, "float (the golden reference) or fixed (the bit-accurate model)")
        ->capture_default_str()->group(group);
  sub.add_option("--fixed-config", o.fixed_config, "TOML file with the fixed-point settings below")->group(group);
  sub.add_option("--stalk-format", o.stalk, "Format of z, a, x, y (default Q4.12)")->group(group);
  sub.add_option("--weight-format", o.weight, "Format of W (default Q4.12)")->group(group);
  sub.add_option("--bias-format", o.bias, "Format of b (default Q4.12)")->group(group);
  sub.add_option("--residual-format", o.residual, "Format of the residuals u (default Q4.12)")->group(group);
  sub.add_option("--constant-format", o.constant, "Format of alpha*dt and beta*dt (default Q1.31)")->group(group);
  sub.add_option("--acc-bits", o.acc_bits, "Accumulator width in bits (default 48)")->group(group);
  sub.add_option("--round", o.round, "trn, trn_zero, rnd, rnd_zero, rnd_conv (default) or stoch")->group(group);
  sub.add_option("--overflow", o.overflow, "sat (default) or wrap")->group(group);
  sub.add_option("--stoch-seed", o.stoch_seed, "Seed of the stochastic-rounding hash (default 1)")->group(group);
  if (with_compare_float)
    sub.add_flag("--compare-float", o.compare_float, "Also run the float reference and report the differences")
        ->group(group);
}

}  // namespace sheafsim::cli
