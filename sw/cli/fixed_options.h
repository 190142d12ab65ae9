#pragma once
// The fixed-point options shared by `infer` and `train` (and later `simulate`):
// --arith, --fixed-config FILE and the per-setting flags, which override the file.
#include <string>

#include <CLI/CLI.hpp>

#include "console.h"
#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/fixed/fixed_config.h"

namespace sheafsim::cli {

struct FixedOptions {
  std::string arith = "float";
  std::string fixed_config;
  std::string stalk, weight, bias, residual, constant, round, overflow;
  int acc_bits = -1;
  long long stoch_seed = -1;
  bool compare_float = false;

  bool fixed() const;  // throws InputError for an unknown --arith
  // Defaults, then the --fixed-config file, then the flags; validated.
  FixedConfig resolve() const;
};

void add_fixed_options(CLI::App& sub, FixedOptions& o);

// Applies the settings of a --fixed-config file's TOML `text` to `c` (not
// validated); `origin` names the file in messages. Throws InputError only.
void apply_fixed_config_toml(FixedConfig& c, const std::string& text, const std::string& origin);

// The statistics-block rows of a fixed-point run (formats, modes, constants, counters).
// `update_writes`: the run's stalk, weight and bias register writes (update_register_writes,
// report_json.h), the denominator of lost_updates_fraction.
std::vector<StatRow> fixed_statistics(const FixedRunInfo& info, bool training, std::uint64_t update_writes);

}  // namespace sheafsim::cli
