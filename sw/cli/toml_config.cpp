#include "toml_config.h"

#include <iterator>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace sheafsim::cli {

namespace {

std::string scalar_text(const toml::node& node, const std::string& key) {
  if (auto v = node.as_string()) return v->get();
  if (auto v = node.as_integer()) return std::to_string(v->get());
  if (auto v = node.as_floating_point()) return fmt::format("{:.17g}", v->get());
  if (auto v = node.as_boolean()) return v->get() ? "true" : "false";
  throw CLI::ConversionError(fmt::format("config key '{}' has an unsupported TOML type", key));
}

void flatten(const toml::table& table, std::vector<std::string>& parents, std::vector<CLI::ConfigItem>& out) {
  for (const auto& [k, node] : table) {
    const std::string key(k.str());
    if (const auto* sub = node.as_table()) {
      parents.push_back(key);
      flatten(*sub, parents, out);
      parents.pop_back();
      continue;
    }
    CLI::ConfigItem item;
    item.parents = parents;
    item.name = key;
    if (const auto* arr = node.as_array()) {
      for (const auto& el : *arr) item.inputs.push_back(scalar_text(el, key));
    } else {
      item.inputs.push_back(scalar_text(node, key));
    }
    out.push_back(std::move(item));
  }
}

}  // namespace

std::string TomlConfig::to_config(const CLI::App* app, bool default_also, bool, std::string) const {
  std::string out;
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_lnames().empty() || opt->get_lnames()[0] == "config" || opt->get_lnames()[0] == "help") continue;
    std::string value = opt->count() > 0 ? opt->as<std::string>() : (default_also ? opt->get_default_str() : "");
    if (value.empty()) continue;
    out += fmt::format("{} = \"{}\"\n", opt->get_lnames()[0], value);
  }
  return out;
}

std::vector<CLI::ConfigItem> TomlConfig::from_config(std::istream& input) const {
  const std::string text((std::istreambuf_iterator<char>(input)), std::istreambuf_iterator<char>());
  toml::table table;
  try {
    table = toml::parse(text);
  } catch (const toml::parse_error& e) {
    throw CLI::ParseError(fmt::format("config file: invalid TOML at line {}: {}", e.source().begin.line,
                                      e.description()),
                          CLI::ExitCodes::ConversionError);
  }
  std::vector<CLI::ConfigItem> result;
  std::vector<std::string> parents;
  flatten(table, parents, result);
  return result;
}

void add_config_option(CLI::App& sub) {
  sub.config_formatter(std::make_shared<TomlConfig>());
  sub.set_config("--config", "", "Read settings from a TOML file (keys are long option names)");
  sub.allow_config_extras(CLI::config_extras_mode::error);
}

}  // namespace sheafsim::cli
