#pragma once
// The report of `sheafsim ops` (docs/ops.md): for a validated request
// (OpsSpec), the analytic operation counts of sheaf training, backprop SGD and
// SID per step, layer and epoch; with a mesh, the mesh-dependent counts from
// the mapping (SRAM bits, flit hops) without running the simulation; the
// edge-unit area from the synthesis report; with input samples, the operations
// of a converged inference. Energy comes from the request's table.
//
// Cost code: it uses the mesh mapping and its analytic counts
// (sheafsim/arch/mesh_mapping.h, mesh_op_counts.h) and no SystemC header.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/reference/dataset.h"
#include "sheafsim/cost/energy_table.h"
#include "sheafsim/cost/silicon_figures.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/arch/mesh_counters.h"
#include "sheafsim/arch/output_unit_cost.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/cost/op_counts.h"

namespace sheafsim::ops {

// What to count. The command line fills and checks it (files read, options
// validated, the energy table loaded); check_count_range is the last check.
struct OpsSpec {
  Network net;             // its layers; its weights for the converged inference
  std::string net_file;    // --net FILE, or empty with
  std::string layers_arg;  // --layers n0,...,nL as given
  Dataset inputs;          // --input: the samples of the converged inference
  bool has_inputs = false;
  std::uint64_t batch = 1;
  bool sheaf = true, sgd = false, sid = false;  // the methods counted
  int inner = 1;
  long epoch_steps = 1000;
  int sid_modules = 4, sid_hidden = 0;
  double alpha = 1.0, dt = 0.01, tol = 1e-9;  // the converged inference (checked by run_ops)
  FixedConfig formats;
  std::optional<mesh::MeshConfig> mesh;  // --mesh: the mesh-dependent counts
  EnergyTable table;
  std::string table_path;
  std::string synth_report;             // the synthesis report for the area
  bool synth_report_given = false;      // named by the user (a missing one is then a warning)
  std::optional<PinSet> pins;           // --pins (sheaf training): the soft pins' work in every step
  std::string pins_file;
};

// Which methods --method names: "sheaf", "sgd", "sid" or "all"; throws InputError otherwise.
void set_methods(OpsSpec& spec, const std::string& method);

// Every count is a 64-bit integer, linear in the batch and in the steps:
// throws InputError for a request whose counts could pass 2^63.
void check_count_range(const OpsSpec& spec);

// One layer's counts (per_diffusion_step only for sheaf; part only for SID).
struct LayerOps {
  int layer = 0, n_in = 0, n_out = 0;
  std::uint64_t weights = 0;
  std::string part;
  OpCounts per_diffusion_step, per_training_step;
};

struct SheafOps {
  std::uint64_t parameters = 0, joint_steps_per_epoch = 0;
  int inner = 1;
  long epoch_steps = 0;
  std::uint64_t macs_per_sample_diffusion = 0, macs_per_sample_joint = 0;
  OpCounts per_diffusion_step, per_joint_step, per_training_step, per_epoch;
  std::vector<LayerOps> per_layer;
  double energy_pJ_per_training_step = 0;
};

struct SgdOps {
  std::uint64_t parameters = 0, macs_per_sample = 0;
  OpCounts per_training_step;  // also one epoch
  std::vector<LayerOps> per_layer;
  double energy_pJ_per_training_step = 0;
};

struct SidOps {
  SidCounts counts;
  std::uint64_t macs_per_sample = 0;
  OpCounts per_training_step;  // also one epoch
  std::vector<LayerOps> per_layer;
  double energy_pJ_per_training_step = 0;
};

// The mesh counts of one phase (a diffusion step, a joint step, ...) and their energy.
struct MeshPhaseOps {
  mesh::UnitCounters pe_totals, vertex_totals;
  std::uint64_t link_flits = 0, sram_read_bits = 0, sram_write_bits = 0, flit_hops = 0, flit_hop_bits = 0,
                messages = 0, partial_sum_adds_extra = 0, busy_cycles_max_unit = 0;
  // The output unit of a sigmoid or softmax output (output_unit_cost.h; zero for identity):
  // its table reads, adds, multiplies, divides and force-register writes, and their energy.
  std::uint64_t output_lookups = 0, output_adds = 0, output_multiplies = 0, output_divides = 0,
                output_register_writes = 0;
  double sram_read_pJ = 0, sram_write_pJ = 0, links_pJ = 0, partial_sum_adds_pJ = 0, memory_and_links_total_pJ = 0,
         output_unit_pJ = 0, arithmetic_pJ = 0, total_pJ = 0;
};

// The mesh counts of one backprop SGD step (mesh_sgd_step_counts) and the
// SRAM it needs (the stored activations included, mesh_buffers.h).
struct MeshSgdOps {
  MeshPhaseOps per_training_step;
  long pe_sram_bits_needed_max = 0, vertex_sram_bits_needed_max = 0;
};

struct MeshOps {
  mesh::MeshConfig config;
  bool sheaf = true;  // the sheaf phases below are counted (--method sheaf or all)
  int tile_rows = 0, tile_cols = 0, pes = 0, links = 0;
  std::size_t tiles = 0, vertex_groups = 0;
  long sram_bits_used_max = 0, sram_bits_per_pe = 0;
  // The output unit (output_unit_cost.h): its kind and table; the chunk counts are per step.
  OutputKind output = OutputKind::Identity;
  mesh::OutputUnitCost output_unit;
  MeshPhaseOps per_diffusion_step, per_joint_step, per_training_step, per_epoch;
  std::optional<MeshSgdOps> sgd;  // --method sgd or all
  // The RTL PE's 45 nm clock and logic area at these formats and modes (silicon_figures.h).
  PeSilicon silicon;
};

// The edge unit's area from the synthesis report (energy_table.h, edge_unit_area).
struct EdgeUnitArea {
  bool available = false;
  std::string reason;  // why not available
  std::string file, tool, parameter_set, quant, overflow;
  long area_cells = 0, flip_flops = 0, transistors = 0;
  bool transistors_exclude_flip_flops = false;
  int latency_cycles = 0;
  // With a mesh: every edge unit (PEs x lanes).
  std::optional<long> edge_units;
  long area_cells_all = 0, flip_flops_all = 0, transistors_all = 0;
};

// The operations of a converged inference, from the predicted diffusion steps (spectrum.h).
struct ConvergedOps {
  double alpha = 0, dt = 0, tol = 0;
  long samples = 0;
  double lambda_min_median = 0;
  std::uint64_t forward_pass_macs_per_sample = 0;
  OpCounts per_inference_step_per_sample;
  bool diverges = false;  // s lambda_max >= 2 for some input: no step counts below
  std::uint64_t predicted_steps_median = 0;
  long predicted_steps_max = 0;
  OpCounts per_sample, all_inputs;
  double energy_pJ_per_sample = 0;
};

struct OpsReport {
  std::vector<int> layers;
  std::string pins_file;             // --pins, or empty
  OpCounts soft_pins_per_step;       // its work in every sheaf step (empty without pins)
  std::string net_file, layers_arg;
  std::uint64_t weights = 0, batch = 0;
  FixedConfig formats;
  OpWidths widths;
  EnergyTable table;
  std::string table_path;
  std::optional<SheafOps> sheaf;
  std::optional<SgdOps> sgd;
  std::optional<SidOps> sid;
  std::optional<MeshOps> mesh;
  EdgeUnitArea area;
  std::optional<ConvergedOps> converged;
};

// Receives the warnings of a run (one line each, in order).
using WarningSink = std::function<void(const std::string&)>;

// Counts everything `spec` asks for. Throws InputError when the mapping does
// not fit the mesh, the synthesis report is malformed, or (with inputs) alpha,
// dt or tol is not a finite number > 0; a named synthesis report that gives no
// area is a warning.
OpsReport run_ops(const OpsSpec& spec, const WarningSink& warn);

// The mesh's 45 nm clock and area (the "silicon" object of the mesh report).
nlohmann::json silicon_json(const MeshOps& m);

// The JSON report (docs/file-formats.md, "ops report").
nlohmann::json to_json(const OpsReport& report);

}  // namespace sheafsim::ops
