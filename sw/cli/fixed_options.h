#pragma once
// The fixed-point options shared by `infer` and `train` (and later `simulate`):
// --arith, --fixed-config FILE and the per-setting flags, which override the file.
#include <initializer_list>
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

// `with_arith`: --arith (train, infer; simulate and compare are fixed point);
// `with_compare_float`: --compare-float (not on compare, which always compares).
void add_fixed_options(CLI::App& sub, FixedOptions& o, bool with_arith = true, bool with_compare_float = true);

// The options of the fixed-point model (without --arith and --compare-float).
extern const std::initializer_list<const char*> kFixedOptionNames;

// Refuses the fixed-point options typed on the command line of a float run
// ("--round applies to the fixed-point model: add --arith fixed ...").
void refuse_fixed_options_when_float(const FixedOptions& o, const CLI::App& sub);

// Applies the settings of a --fixed-config file's TOML `text` to `c` (not
// validated); `origin` names the file in messages. Throws InputError only.
void apply_fixed_config_toml(FixedConfig& c, const std::string& text, const std::string& origin);

// The statistics-block rows of a fixed-point run (formats, modes, constants, counters).
// `update_writes`: the run's stalk, weight and bias register writes (update_register_writes,
// report_json.h), the denominator of lost_updates_fraction.
// `sgd`: the run is fixed-point SGD (no stalk constant; eta is -lr * gradient scale).
std::vector<StatRow> fixed_statistics(const FixedRunInfo& info, bool training, std::uint64_t update_writes,
                                      bool sgd = false);

}  // namespace sheafsim::cli
