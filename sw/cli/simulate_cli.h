#pragma once
// `sheafsim simulate`: what the mesh adds to a run's report and statistics
// block (cmd_simulate.cpp), shared by its training mode (cmd_train.cpp) and
// its inference mode.
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "console.h"
#include "mesh_options.h"
#include "sheafsim/mesh/mesh_engine.h"

namespace sheafsim::cli {

// Closes the --trace file and adds the mesh's fields to the report `j` (mesh,
// total_cycles, cycles_per_step, trace, rtl_pe). Returns what the trace holds
// (nothing without --trace) and warns when the trace window starts after the run.
std::optional<mesh::TraceSummary> add_mesh_report(const MeshOptions& o, mesh::MeshEngine& engine, nlohmann::json& j);

// The mesh's statistics (none without an engine) and the --rtl-pe figures.
void add_mesh_rows(const MeshOptions& o, const mesh::MeshEngine* engine, std::vector<StatRow>& rows);

// The trace file, its cycles and value changes (nothing without a trace).
void add_trace_rows(const std::optional<mesh::TraceSummary>& trace, std::vector<StatRow>& rows);

}  // namespace sheafsim::cli
