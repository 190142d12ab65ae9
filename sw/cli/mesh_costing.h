#pragma once
// What a training step costs on the mesh, shared by `race` and `explore`: the
// dynamic energy of a step from the analytic mesh counts (equal to the
// simulator's), and the cycles, utilisations, SRAM and static power of a short
// simulation of the same run on the SystemC mesh.
#include <cstdint>
#include <string>

#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/cost/energy_table.h"
#include "sheafsim/cost/silicon_figures.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/race/race_report.h"
#include "sheafsim/run/train_run.h"

namespace sheafsim::cli {

// The dynamic energy of one training step of spec.method (sheaf: K - 1
// diffusion steps and a joint step, averaged; sgd: one backprop step), split.
struct MeshPricing {
  double arithmetic_pJ = 0, sram_pJ = 0, links_pJ = 0;
  std::uint64_t macs_diffusion = 0, macs_joint = 0;  // per step (sgd: joint only)
  ops::PeSilicon silicon;   // the RTL PE's clock and logic area at these formats, when synthesised
  long pes = 0, vertex_groups = 0;
};

// Throws InputError when the mapping does not fit the mesh (with its fix):
// run it before anything long.
MeshPricing price_on_mesh(const TrainSpec& spec, const mesh::MeshConfig& mc, const FixedConfig& fx,
                          const ops::EnergyTable& table, const std::string& table_path);

// Runs `spec` (fixed point, sheaf or sgd) on the mesh `mc` for `sim_steps`
// steps from its initial state: the steady-state cycles per step are those of
// the second half (the first half absorbs the pipeline's fill, and under the
// dataflow schedule consecutive steps overlap). Checks that the simulated MACs
// equal the priced ones.
race::StepCost mesh_cost(TrainSpec spec, const mesh::MeshConfig& mc, long sim_steps, const MeshPricing& price,
                         const ops::EnergyTable& table);

// The same run for `steps` steps with a history point every `log_every`.
void set_train_steps(TrainSpec& spec, long steps, long log_every);

}  // namespace sheafsim::cli
