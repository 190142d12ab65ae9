#pragma once
// The mesh options of `sheafsim simulate` (keys of its TOML config too).
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "sheafsim/mesh/mesh_config.h"
#include "sheafsim/mesh/mesh_trace.h"

namespace sheafsim::cli {

struct MeshOptions {
  std::string shape = "4x4", placement = "near", order = "snake", mode = "train", counters;
  mesh::MeshConfig cfg;
  std::string trace, trace_window;  // --trace FILE, --trace-window START:END
  mesh::MeshConfig resolve() const;  // validated; throws InputError naming the setting
  mesh::MeshTraceOptions trace_options() const;  // validated likewise
};

void add_mesh_options(CLI::App& sub, MeshOptions& o);

}  // namespace sheafsim::cli
