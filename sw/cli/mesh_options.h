#pragma once
// The mesh options of `sheafsim simulate` (keys of its TOML config too).
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/arch/mesh_trace.h"
#include "sheafsim/cosim/rtl_pe_datapath.h"

namespace sheafsim::cli {

struct MeshOptions {
  std::string shape = "4x4", placement = "near", order = "auto", mode = "train", counters;
  std::string schedule = "dataflow", reduction = "in-network";
  mesh::MeshConfig cfg;
  std::string trace, trace_window;  // --trace FILE, --trace-window START:END
  bool rtl_pe = false;               // --rtl-pe: the verilated RTL PE computes every PE's values
  bool rtl_timing = false;           // --rtl-timing: ... and times every PE chunk
  std::string rtl_chunks;            // --rtl-chunks FILE: per PE chunk, the model's and the RTL's cycles (CSV)
  // What the RTL units did (with --rtl-pe); shared so the factory of a const run can fill it.
  std::shared_ptr<mesh::RtlPeStats> rtl_stats = std::make_shared<mesh::RtlPeStats>();
  mesh::MeshConfig resolve() const;  // validated; throws InputError naming the setting
  mesh::MeshTraceOptions trace_options() const;  // validated likewise
  mesh::PeDatapathFactory datapath() const;  // empty (the C++ datapath) unless --rtl-pe
};

// The --rtl-pe figures for the report (null without --rtl-pe) and the statistics block;
// write_rtl_chunks writes the --rtl-chunks CSV (nothing without the option).
nlohmann::json rtl_pe_json(const MeshOptions& o);
void write_rtl_chunks(const MeshOptions& o);
void add_rtl_pe_rows(const MeshOptions& o, std::vector<std::pair<std::string, std::string>>& rows);

// The mesh options; `with_mode`: --mode (simulate); `with_outputs`: --counters,
// --trace, --trace-window, --rtl-pe (simulate, compare: they run the mesh).
void add_mesh_options(CLI::App& sub, MeshOptions& o, bool with_mode, bool with_outputs);

// The options that describe the mesh (--mesh and its hardware parameters).
extern const std::initializer_list<const char*> kMeshShapeOptionNames;

}  // namespace sheafsim::cli
