#pragma once
// What the command line means beyond CLI11's parsing (docs/cli.md "Options"):
//  - which options the user typed (a --config file's settings yield to them,
//    and only typed options are refused for not applying to the run);
//  - an unknown option: the subcommand it belongs to, or "did you mean";
//  - deprecated aliases (accepted, one warning line);
//  - options a subcommand implies (`simulate --arith fixed`): a warning, dropped;
//  - integer options written as 100000 or 1e5 (exact integers only), --steps >= 1.
#include <CLI/CLI.hpp>
#include <initializer_list>
#include <string>
#include <vector>

namespace sheafsim::cli {

// The subcommand named by the first argument that names one (nullptr: none);
// *at receives its index.
const CLI::App* find_subcommand(const CLI::App& app, const std::vector<std::string>& args, size_t* at);

// Before parsing (args exclude the program name): checks every option typed
// after the subcommand, records it, warns for deprecated aliases and implied
// options, and returns the arguments without the implied ones. Throws
// InputError for an option the subcommand does not have.
std::vector<std::string> check_typed_options(const CLI::App& app, const std::vector<std::string>& args);

// For an option that subcommand `sub` implies (`simulate --method sheaf`):
// true, and *error receives the message when `value` is not the implied one.
bool implied_option(const std::string& sub, const std::string& name, const std::string& value, std::string* error);

// Warnings about how the command was written (deprecated aliases, implied or
// unused options): kept, and printed by main only when the command succeeds,
// so that bad input stays one line on stderr.
void deferred_warning(const std::string& message);
void print_deferred_warnings();

// Whether `name` (any of the option's names) was typed on the command line
// (not only read from --config).
bool typed(const CLI::App& sub, const std::string& name);

// The first of `names` typed on the command line, or "".
std::string first_typed(const CLI::App& sub, std::initializer_list<const char*> names);

// The --config file of this command (named in the warnings about its settings).
void set_config_origin(const std::string& path);

// Throws InputError("<name> <why>") for the first of `names` typed on the
// command line; those of `names` set only by the --config file are ignored by
// the run, which says so in one warning line.
void refuse_typed(const CLI::App& sub, std::initializer_list<const char*> names, const std::string& why);

// Every integer option of every subcommand: 100000, 1e5 and 1.5e3 are read as
// integers (1e-3 and 2.5 are errors), unsigned ones refuse negatives and
// --steps is at least 1 ("--steps = -5 must be >= 1").
void add_integer_parsing(CLI::App& app);

// CLI11's "Could not convert: --dt = abc" in the words of the option's type:
// "--dt = abc is not a number", "--time-multiplex = maybe must be true or
// false", "--inner = 1000000000000 is out of range for an integer option".
std::string conversion_message(const CLI::App& app, const std::string& what);

// Optimal-string-alignment edit distance (insertions, deletions,
// substitutions, adjacent transpositions).
size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace sheafsim::cli
