#pragma once
// `--config file.toml`: CLI11 reads the file through toml++, so a config file
// is real TOML; its keys are the long option names without dashes
// (`steps = 100000`, `stalk-init = "random"`), options given on the command
// line win, and an unknown key is an error.
#include <memory>

#include <CLI/CLI.hpp>

namespace sheafsim::cli {

class TomlConfig : public CLI::Config {
 public:
  std::string to_config(const CLI::App* app, bool default_also, bool write_description,
                        std::string prefix) const override;
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;
};

// Adds --config to `sub`, read with TomlConfig.
void add_config_option(CLI::App& sub);

}  // namespace sheafsim::cli
