#pragma once
// `--config file.toml` on a subcommand: the file is real TOML (read with
// toml++), its keys are the subcommand's long option names without dashes
// (`steps = 100000`, `stalk-init = "random"`), and options on the command line
// win. The file's settings are spliced into the argument list ahead of the
// user's own arguments, and every option takes its last value, so CLI11's
// validation and required checks apply to config values as to typed ones.
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sheafsim::cli {

// Adds the --config option to `sub` (for --help and parsing).
void add_config_option(CLI::App& sub);

// args excludes the program name. Returns the arguments with the config file's
// settings inserted after the subcommand name; throws InputError for a bad
// file, a bad value or a key that names no option of the subcommand.
std::vector<std::string> expand_config(const CLI::App& app, const std::vector<std::string>& args);

// The arguments a config file's TOML `text` stands for on subcommand `sub`
// (`--key=value`, or `--key v1 v2 ...` for an array); `origin` names the file
// in messages. Throws InputError only. (expand_config's parser; fuzz/fuzz_toml_config.cpp.)
// Keys of train's siblings that `sub` does not take are skipped (listed in
// *skipped when given), as are keys the typed command line replaces.
std::vector<std::string> config_arguments(const CLI::App& sub, const std::string& text, const std::string& origin,
                                          std::vector<std::string>* skipped = nullptr);

}  // namespace sheafsim::cli
