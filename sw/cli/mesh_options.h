#pragma once
// The mesh options of `sheafsim simulate` (keys of its TOML config too).
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "sheafsim/mesh/mesh_config.h"

namespace sheafsim::cli {

struct MeshOptions {
  std::string shape = "4x4", placement = "near", order = "snake", mode = "train", counters;
  mesh::MeshConfig cfg;
  mesh::MeshConfig resolve() const;  // validated; throws InputError naming the setting
};

void add_mesh_options(CLI::App& sub, MeshOptions& o);

}  // namespace sheafsim::cli
