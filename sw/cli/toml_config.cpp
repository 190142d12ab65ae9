#include "toml_config.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "option_rules.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"

namespace sheafsim::cli {

namespace {

std::string scalar_text(const toml::node& node, const std::string& origin, const std::string& key) {
  if (auto v = node.as_string()) return v->get();
  if (auto v = node.as_integer()) return std::to_string(v->get());
  if (auto v = node.as_floating_point()) return fmt::format("{:.17g}", v->get());
  if (auto v = node.as_boolean()) return v->get() ? "true" : "false";
  throw InputError(fmt::format("{}: key '{}' must be a string, number or boolean", origin, key));
}

// The command line wins over the config for every setting, the network and
// the data source included: a typed --net replaces the config's --layers (and
// the --output and --weight-seed that go with it), a typed --data its --task
// (with --n-train, --n-test, --data-seed, --digits-file), and the other way round.
bool yields_to_command_line(const CLI::App& sub, const CLI::Option* opt) {
  struct Rule {
    const char* typed;
    std::vector<const char*> replaces;
  };
  static const Rule rules[] = {
      {"--net", {"--layers", "--output", "--weight-seed"}},
      {"--layers", {"--net"}},
      {"--data", {"--task", "--n-train", "--n-test", "--data-seed", "--digits-file"}},
      {"--task", {"--data", "--test"}},
  };
  for (const Rule& r : rules) {
    if (!typed(sub, r.typed)) continue;
    for (const char* name : r.replaces)
      if (sub.get_option_no_throw(name) == opt) return true;
  }
  return false;
}

// train, simulate and compare run the same experiment, so a config file may
// hold settings of all three: a key that names an option of a sibling but not
// of `sub` is skipped (a setting `sub` implies must have its value:
// `method = "sgd"` is an error for simulate).
bool sibling_setting(const CLI::App& sub, const std::string& key, const std::string& value, const std::string& origin) {
  static const char* const family[] = {"train", "simulate", "compare"};
  const auto in_family = [](const std::string& name) {
    return std::find(std::begin(family), std::end(family), name) != std::end(family);
  };
  const CLI::App* parent = sub.get_parent();
  if (parent == nullptr || !in_family(sub.get_name())) return false;
  for (const CLI::App* s : parent->get_subcommands({})) {
    if (s == &sub || !in_family(s->get_name()) || s->get_option_no_throw("--" + key) == nullptr) continue;
    std::string error;
    if (implied_option(sub.get_name(), "--" + key, value, &error) && !error.empty())
      throw InputError(fmt::format("{}: {}", origin, error));
    return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> config_arguments(const CLI::App& sub, const std::string& text, const std::string& origin,
                                          std::vector<std::string>* skipped) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw InputError(fmt::format("{}: invalid TOML at line {}: {}", origin, e.source().begin.line, e.description()));
  }
  std::vector<std::string> injected;
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    const CLI::Option* opt = key == "config" ? nullptr : sub.get_option_no_throw("--" + key);
    if (opt == nullptr && key != "config" && !node.is_table() && !node.is_array() &&
        sibling_setting(sub, key, scalar_text(node, origin, key), origin)) {
      std::string unused;
      if (skipped != nullptr && !implied_option(sub.get_name(), "--" + key, scalar_text(node, origin, key), &unused))
        skipped->push_back(key);
      continue;
    }
    if (opt != nullptr && yields_to_command_line(sub, opt)) continue;
    if (opt == nullptr) {
      // The closest of the subcommand's option names, as for a typed option.
      std::string best;
      size_t best_d = 1000;
      for (const CLI::Option* o : sub.get_options())
        for (const std::string& l : o->get_lnames())
          if (const size_t d = edit_distance(key, l); d < best_d) best_d = d, best = l;
      const bool close = !best.empty() && best_d <= std::max<size_t>(1, std::min<size_t>(3, key.size() / 3));
      throw InputError(fmt::format("{}: key '{}' is not an option of 'sheafsim {}'{}", origin, key, sub.get_name(),
                                   close ? fmt::format("; did you mean '{}'?", best) : std::string()));
    }
    if (node.is_table()) throw InputError(fmt::format("{}: key '{}' is a table; expected a value", origin, key));
    if (const auto* arr = node.as_array()) {
      injected.push_back("--" + key);
      for (const auto& el : *arr) injected.push_back(scalar_text(el, origin, key));
    } else {
      injected.push_back("--" + key + "=" + scalar_text(node, origin, key));
    }
  }
  return injected;
}

void add_config_option(CLI::App& sub) {
  static std::string unused;  // the value is consumed by expand_config before parsing
  sub.add_option("--config", unused, "Read settings from a TOML file (keys are long option names; the command line wins)");
}

std::vector<std::string> expand_config(const CLI::App& app, const std::vector<std::string>& args) {
  size_t sub_at = args.size();
  const CLI::App* sub = find_subcommand(app, args, &sub_at);
  // explore's --config is its own file (tables [run], [axes], ...), read by the command.
  if (sub == nullptr || sub->get_name() == "explore") return args;
  std::string path;
  for (size_t i = sub_at + 1; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) path = args[i + 1];
    if (args[i].rfind("--config=", 0) == 0) path = args[i].substr(9);
  }
  if (path.empty()) return args;

  std::vector<std::string> skipped;
  const std::vector<std::string> injected = config_arguments(*sub, read_text_file(path), path, &skipped);
  set_config_origin(path);
  if (!skipped.empty())
    deferred_warning(fmt::format("{}: {} not used by `sheafsim {}` (settings of its siblings among train, simulate "
                                 "and compare); ignored",
                                 path, fmt::join(skipped, ", "), sub->get_name()));
  std::vector<std::string> out(args.begin(), args.begin() + static_cast<long>(sub_at) + 1);
  out.insert(out.end(), injected.begin(), injected.end());
  out.insert(out.end(), args.begin() + static_cast<long>(sub_at) + 1, args.end());
  return out;
}

}  // namespace sheafsim::cli
