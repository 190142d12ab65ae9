#include "mesh_costing.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "sheafsim/cost/ops_report.h"
#include "sheafsim/mesh/mesh_engine.h"

namespace sheafsim::cli {

using json = nlohmann::json;

void set_train_steps(TrainSpec& spec, long steps, long log_every) {
  spec.steps = spec.sheaf.steps = spec.sgd.steps = spec.sid.steps = steps;
  spec.log_every = spec.sheaf.log_every = spec.sgd.log_every = spec.sid.log_every = log_every;
  if (spec.settings.is_object() && spec.settings.contains("steps")) spec.settings["steps"] = steps;
}

MeshPricing price_on_mesh(const TrainSpec& spec, const mesh::MeshConfig& mc, const FixedConfig& fx,
                          const ops::EnergyTable& table, const std::string& table_path) {
  ops::OpsSpec os;
  os.net = spec.data.net;
  os.batch = static_cast<std::uint64_t>(spec.data.train.size());
  os.sheaf = spec.method == "sheaf";
  os.sgd = spec.method == "sgd";
  os.inner = std::max(1, spec.sheaf.inner);
  os.epoch_steps = os.inner;
  os.formats = fx;
  os.mesh = mc;
  os.table = table;
  os.table_path = table_path;
  const ops::OpsReport r = ops::run_ops(os, [](const std::string&) {});
  MeshPricing out;
  out.silicon = r.mesh->silicon;
  out.pes = r.mesh->pes;
  out.vertex_groups = static_cast<long>(r.mesh->vertex_groups);
  auto split = [&out](const ops::MeshPhaseOps& p, double w) {
    out.arithmetic_pJ += w * (p.arithmetic_pJ + p.output_unit_pJ + p.partial_sum_adds_pJ);
    out.sram_pJ += w * (p.sram_read_pJ + p.sram_write_pJ);
    out.links_pJ += w * p.links_pJ;
  };
  if (spec.method == "sheaf") {
    const double K = static_cast<double>(os.inner);
    split(r.mesh->per_diffusion_step, (K - 1) / K);
    split(r.mesh->per_joint_step, 1 / K);
    out.macs_diffusion = r.mesh->per_diffusion_step.pe_totals.macs();
    out.macs_joint = r.mesh->per_joint_step.pe_totals.macs();
  } else {
    split(r.mesh->sgd->per_training_step, 1);
    out.macs_joint = r.mesh->sgd->per_training_step.pe_totals.macs();
  }
  return out;
}

race::StepCost mesh_cost(TrainSpec spec, const mesh::MeshConfig& mc, long sim_steps, const MeshPricing& price,
                         const ops::EnergyTable& table) {
  if (!spec.fixed || (spec.method != "sheaf" && spec.method != "sgd"))
    throw std::logic_error("mesh_cost: the mesh runs fixed-point sheaf or sgd");
  set_train_steps(spec, sim_steps, std::max(1L, sim_steps / 2));
  spec.compare_float = false;
  spec.sheaf.stop = spec.sgd.stop = spec.sid.stop = {};
  std::shared_ptr<mesh::MeshEngine> engine;
  if (spec.method == "sheaf")
    spec.stepper = mesh::mesh_stepper(mc, &engine);
  else
    spec.sgd_stepper = mesh::mesh_sgd_stepper(mc, &engine);
  std::uint64_t half_cycles = 0;
  run_train(spec, [&](const TrainPoint& p, long) {
    if (p.step == sim_steps / 2 && engine) half_cycles = engine->timing().total_cycles;
  });
  if (!engine) throw std::logic_error(fmt::format("mesh_cost: the mesh did not run --method {}", spec.method));
  race::StepCost c;
  c.on_mesh = true;
  c.mesh_report = engine->report();
  const json& rep = c.mesh_report;
  c.simulated_steps = sim_steps;
  const auto total = rep.at("total_cycles").get<std::uint64_t>();
  c.cycles_per_step = static_cast<double>(total - half_cycles) / static_cast<double>(sim_steps - sim_steps / 2);
  // null in the report when undefined (a mesh without links has no link utilisation)
  auto ratio = [&rep](const char* key) { return rep.contains(key) && rep[key].is_number() ? rep[key].get<double>() : kNaN; };
  c.mac_utilisation = ratio("mac_utilisation");
  c.link_utilisation = ratio("link_utilisation");
  const json& m = rep.at("mapping");
  c.peak_sram_bits_per_pe = m.at("pe_sram_bits_needed_max").get<long>();
  const auto pes = c.pes = m.at("pes").get<std::uint64_t>();
  const auto links = c.links = m.at("links").get<std::uint64_t>();
  const std::uint64_t sram_bits = c.sram_bits =
      pes * m.at("sram_bits_per_pe").get<std::uint64_t>() +
      m.at("vertex_groups").get<std::uint64_t>() * m.at("vertex_sram_bits_per_unit").get<std::uint64_t>();
  c.static_uW = table.static_power_uW(pes, sram_bits, links);
  c.arithmetic_pJ = price.arithmetic_pJ;
  c.sram_pJ = price.sram_pJ;
  c.links_pJ = price.links_pJ;
  // The priced counts are the simulator's: the simulated MACs must be the analytic ones.
  const auto steps = rep.at("steps").get<std::uint64_t>(), joint = rep.at("joint_steps").get<std::uint64_t>();
  const std::uint64_t analytic = price.macs_diffusion * (steps - joint) + price.macs_joint * joint;
  if (analytic != rep.at("macs").get<std::uint64_t>())
    throw std::logic_error(fmt::format("the simulated {} MACs ({}) differ from the analytic count ({})", spec.method,
                                       rep.at("macs").get<std::uint64_t>(), analytic));
  c.basis = fmt::format("cycles: the last {} of {} simulated steps on the SystemC mesh; energy: the analytic mesh counts (equal to the "
                        "simulator's) priced by {}; static: {} PEs, {} SRAM bits, {} links",
                        sim_steps - sim_steps / 2, sim_steps, table.name(), pes, sram_bits, links);
  return c;
}

}  // namespace sheafsim::cli
