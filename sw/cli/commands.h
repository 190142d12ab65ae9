#pragma once
// Each subcommand registers its options and its run callback on the app.
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace sheafsim::cli {

void register_init(CLI::App& app);
void register_data(CLI::App& app);
void register_infer(CLI::App& app);
void register_train(CLI::App& app);
void register_spectrum(CLI::App& app);
void register_simulate(CLI::App& app);
void register_ops(CLI::App& app);
void register_compare(CLI::App& app);
void register_race(CLI::App& app);
void register_explore(CLI::App& app);

// Writes a JSON report atomically (pretty-printed, full double precision).
void write_json(const std::string& path, const nlohmann::json& j);

}  // namespace sheafsim::cli
