// libFuzzer target: every function that turns TOML text into settings.
//  1. `--config file.toml` (sw/cli/toml_config.h, config_arguments): the TOML
//     becomes arguments, which CLI11 then parses into the real fixed-point
//     options (add_fixed_options, FixedOptions::resolve) and the mesh options
//     (mesh_config.h: parse_mesh_shape, parse_placement, parse_tile_order,
//     MeshConfig::validate), as `sheafsim simulate --config` does.
//  2. `--fixed-config file.toml` (apply_fixed_config_toml, FixedConfig::validate).
//  3. `--energy-table file.toml` (EnergyTable::parse).
// Accepted outcomes: a value, sheafsim::InputError, or CLI11's parse error
// (which main.cpp reports as one line and exit code 2).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "fixed_options.h"
#include "fuzz_common.h"
#include "sheafsim/cost/energy_table.h"
#include "sheafsim/arch/mesh_config.h"
#include "toml_config.h"

namespace {

struct Options {
  sheafsim::cli::FixedOptions fixed;
  std::string layers = "2,4,1", mesh = "4x4", placement = "near", order = "snake", stalk_init = "auto";
  long long steps = 1;
  double dt = 0.005, alpha = 1.0;
  sheafsim::mesh::MeshConfig cfg;
};

void config_file(const std::string& text) {
  CLI::App app{"fuzz"};
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  Options o;
  CLI::App* sub = app.add_subcommand("simulate", "");
  sub->add_option("--layers", o.layers);
  sub->add_option("--steps", o.steps)->check(CLI::PositiveNumber);
  sub->add_option("--dt", o.dt);
  sub->add_option("--alpha", o.alpha);
  sub->add_option("--stalk-init", o.stalk_init);
  sub->add_option("--mesh", o.mesh);
  sub->add_option("--lanes", o.cfg.lanes);
  sub->add_option("--sram-kib", o.cfg.sram_kib);
  sub->add_option("--vertex-placement", o.placement);
  sub->add_option("--tile-order", o.order);
  sub->add_option("--time-multiplex", o.cfg.time_multiplex);
  sub->add_option("--clock-mhz", o.cfg.clock_mhz);
  sub->add_option("--random-stalls", o.cfg.random_stalls);
  sub->add_option("--max-stall", o.cfg.max_stall);
  sheafsim::cli::add_fixed_options(*sub, o.fixed);
  sheafsim::cli::add_config_option(*sub);

  std::vector<std::string> args = {"simulate"};
  const auto injected = sheafsim::cli::config_arguments(*sub, text, "fuzz.toml");
  args.insert(args.end(), injected.begin(), injected.end());
  std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
  try {
    app.parse(args);
  } catch (const CLI::Error&) {
    return;  // documented: "sheafsim: error: ..." and exit code 2
  }
  (void)o.fixed.fixed();
  (void)o.fixed.resolve();
  sheafsim::mesh::parse_mesh_shape(o.mesh, o.cfg.rows, o.cfg.cols);
  o.cfg.placement = sheafsim::mesh::parse_placement(o.placement);
  o.cfg.order = sheafsim::mesh::parse_tile_order(o.order);
  o.cfg.validate();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  sheafsim_fuzz::expect_value_or_input_error([&] { config_file(text); });
  sheafsim_fuzz::expect_value_or_input_error([&] {
    sheafsim::FixedConfig c;
    sheafsim::cli::apply_fixed_config_toml(c, text, "fuzz-fixed.toml");
    c.validate();
  });
  sheafsim_fuzz::expect_value_or_input_error([&] { (void)sheafsim::ops::EnergyTable::parse(text, "fuzz-energy.toml"); });
  return 0;
}
