// sheafsim: command-line front end. Every subcommand is a thin layer over the
// library layers (sw/*/, model/*/; docs/architecture.md); errors become one line on stderr and a non-zero exit:
//   0 success, 2 bad input (options, files, settings), 3 internal error.
#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "farm_run.h"
#include "option_rules.h"
#include "toml_config.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/base/run_control.h"

namespace sheafsim::cli {

void write_json(const std::string& path, const nlohmann::json& j) {
  if (deterministic_reports()) {  // SHEAFSIM_DETERMINISTIC=1: wall-clock fields as null
    nlohmann::json copy = j;
    scrub_timing(copy);
    write_text_file(path, copy.dump(1) + "\n");
    return;
  }
  write_text_file(path, j.dump(1) + "\n");
}

}  // namespace sheafsim::cli

namespace {

int run(int argc, char** argv) {
  CLI::App app{"sheafsim: sheaf-diffusion training of ReLU networks, float reference and hardware models", "sheafsim"};
  app.require_subcommand(1, 1);
  // A later occurrence of an option wins: config-file values come first (see toml_config.h).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.set_version_flag("--version", "sheafsim 0.1.0");
  sheafsim::cli::register_init(app);
  sheafsim::cli::register_data(app);
  sheafsim::cli::register_infer(app);
  sheafsim::cli::register_train(app);
  sheafsim::cli::register_spectrum(app);
  sheafsim::cli::register_simulate(app);
  sheafsim::cli::register_ops(app);
  sheafsim::cli::register_compare(app);
  sheafsim::cli::register_race(app);
  sheafsim::cli::register_explore(app);
  sheafsim::cli::add_integer_parsing(app);  // counts as 100000 or 1e5; --steps >= 1
  // Ctrl-C / SIGTERM: training stops at the next step boundary and writes a
  // partial report ("interrupted": true); exit code 128 + signal.
  sheafsim::install_interrupt_handlers();
  // Under mpirun every rank runs the command; rank 0 alone reports (a worker's errors still reach stderr).
  if (sheafsim::cli::launched_as_worker_rank()) sheafsim::cli::silence_console();
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    const auto subs = app.get_subcommands({});
    const bool known = !args.empty() && std::any_of(subs.begin(), subs.end(),
                                                    [&](const CLI::App* s) { return s->get_name() == args[0]; });
    if (!args.empty() && !args[0].empty() && args[0][0] != '-' && !known)
      throw sheafsim::InputError(
          fmt::format("unknown subcommand '{}' (expected init, data, infer, train, spectrum, simulate, ops, compare, race or explore)", args[0]));
    // Unknown options (with a suggestion), deprecated aliases, implied options;
    // then the --config file's settings, except those the command line replaces.
    args = sheafsim::cli::check_typed_options(app, args);
    args = sheafsim::cli::expand_config(app, args);
    // Several ranks share out the points of `explore` and `compare --sweep`; any
    // other command would run N times over the same files.
    if (sheafsim::cli::launched_as_several_ranks() && !args.empty() && args[0] != "explore" &&
        !(args[0] == "compare" && std::any_of(args.begin(), args.end(), [](const std::string& a) {
          return a == "--sweep" || a.rfind("--sweep=", 0) == 0;
        }))) {
      if (sheafsim::cli::launched_as_worker_rank()) return 2;  // rank 0 says why
      throw sheafsim::InputError(fmt::format(
          "`sheafsim {}` runs in one process: under mpirun only `explore` and `compare --sweep` share out their points "
          "(run it without mpirun, or with -n 1)", args[0]));
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments reversed
    app.parse(args);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ConversionError& e) {
    fmt::print(stderr, "sheafsim: error: {}\n", sheafsim::cli::conversion_message(app, e.what()));
    return 2;
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "sheafsim: error: {}\n", e.what());
    return 2;
  } catch (const sheafsim::InputError& e) {
    fmt::print(stderr, "sheafsim: error: {}\n", e.what());
    return 2;
  } catch (const sheafsim::farm::Interrupted& e) {
    fmt::print(stderr, "sheafsim: error: {}\n", e.what());
    return 128 + sheafsim::interrupt_signal();
  } catch (const std::exception& e) {
    fmt::print(stderr, "sheafsim: internal error: {}\n", e.what());
    return 3;
  }
  sheafsim::cli::print_deferred_warnings();  // deprecated aliases, unneeded options
  if (sheafsim::interrupt_requested()) {
    fmt::print(stderr, "sheafsim: warning: interrupted by {}; the outputs written hold the steps done so far\n",
               sheafsim::interrupt_signal_name());
    return 128 + sheafsim::interrupt_signal();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const int rc = run(argc, argv);
  sheafsim::cli::end_cluster();  // after any message (farm_run.h)
  return rc;
}
