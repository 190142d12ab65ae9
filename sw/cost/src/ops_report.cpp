#include "sheafsim/cost/ops_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/mesh_buffers.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/reference/spectrum.h"

namespace sheafsim::ops {

namespace {

using json = nlohmann::json;

std::uint64_t u(long v) { return static_cast<std::uint64_t>(v); }

// The layers' widths and weights; the counts are filled by the caller.
std::vector<LayerOps> mlp_layers(const std::vector<int>& layers) {
  std::vector<LayerOps> out;
  for (size_t l = 1; l < layers.size(); ++l) {
    LayerOps x;
    x.layer = static_cast<int>(l);
    x.n_in = layers[l - 1];
    x.n_out = layers[l];
    x.weights = u(x.n_in) * u(x.n_out);
    out.push_back(x);
  }
  return out;
}

SheafOps sheaf_ops(const OpsSpec& s, const OpWidths& w, std::uint64_t params) {
  const std::vector<int>& layers = s.net.layers;
  SheafOps r;
  r.parameters = params;
  r.inner = s.inner;
  r.epoch_steps = s.epoch_steps;
  r.joint_steps_per_epoch = u(s.epoch_steps / s.inner);
  r.macs_per_sample_diffusion = synapse_macs_per_sample(layers, false);
  r.macs_per_sample_joint = synapse_macs_per_sample(layers, true);
  r.per_diffusion_step = sheaf_step(layers, s.batch, w, SheafStep::Diffusion);
  r.per_joint_step = sheaf_step(layers, s.batch, w, SheafStep::Joint);
  r.per_training_step = sheaf_training_step(layers, s.batch, w, s.inner);
  if (s.pins) {  // the soft pins work in every step, diffusion and joint alike
    const OpCounts pin = soft_pin_step(*s.pins, s.batch, w);
    r.per_diffusion_step += pin;
    r.per_joint_step += pin;
    r.per_training_step += pin.scaled(u(s.inner));
  }
  r.per_epoch = r.per_diffusion_step.scaled(u(s.epoch_steps) - r.joint_steps_per_epoch);
  r.per_epoch += r.per_joint_step.scaled(r.joint_steps_per_epoch);
  r.per_layer = mlp_layers(layers);
  for (LayerOps& x : r.per_layer) {
    x.per_diffusion_step = r.per_diffusion_step.layer(x.layer);
    x.per_training_step = r.per_training_step.layer(x.layer);
  }
  r.energy_pJ_per_training_step = energy_total_pJ(r.per_training_step, s.table);
  return r;
}

SgdOps sgd_ops(const OpsSpec& s, const OpWidths& w, std::uint64_t params) {
  SgdOps r;
  r.parameters = params;
  r.macs_per_sample = synapse_macs_per_sample(s.net.layers, true);
  r.per_training_step = sgd_step(s.net.layers, s.batch, w);
  r.per_layer = mlp_layers(s.net.layers);
  for (LayerOps& x : r.per_layer) x.per_training_step = r.per_training_step.layer(x.layer);
  r.energy_pJ_per_training_step = energy_total_pJ(r.per_training_step, s.table);
  return r;
}

SidOps sid_ops(const OpsSpec& s, const OpWidths& w) {
  SidOps r;
  r.counts = sid_step(s.net.layers, s.batch, w, s.sid_modules, s.sid_hidden);
  r.per_training_step = r.counts.total();
  r.macs_per_sample = r.per_training_step.synapse_macs() / s.batch;
  const int E = s.net.depth() - 1;  // the extractor's layers, then one per module
  for (int l = 1; l <= E + r.counts.modules; ++l) {
    LayerOps x;
    x.layer = l;
    x.part = l <= E ? "extractor" : fmt::format("module {}", l - E);
    x.per_training_step = r.per_training_step.layer(l);
    r.per_layer.push_back(x);
  }
  r.energy_pJ_per_training_step = energy_total_pJ(r.per_training_step, s.table);
  return r;
}

// The output unit's energy (docs/ops.md, "Output unit"): a table read priced as an SRAM
// read of one entry, its adds and multiplies at the entry width, a divide as one add per
// quotient bit, and a force-register write (residual width) per element.
double output_unit_pJ(const MeshPhaseOps& p, const mesh::OutputUnitCost& oc, const FixedConfig& cfg,
                      const EnergyTable& t) {
  if (oc.entry_bits == 0) return 0.0;
  const auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  return t.sram_read_pJ(p.output_lookups * u(oc.entry_bits)) + d(p.output_adds) * t.add_pJ(oc.entry_bits) +
         d(p.output_multiplies) * t.multiply_pJ(oc.entry_bits) +
         d(p.output_divides) * oc.entry_bits * t.add_pJ(oc.entry_bits) +
         d(p.output_register_writes) * cfg.residual.width() * t.entry("register_write_bit").value;
}

// The mesh counts of one phase (`steps` steps) and their energy; `oc`: the output unit's cost of one step.
MeshPhaseOps mesh_phase(const mesh::MeshStepCounts& m, const mesh::MeshConfig& mc, std::uint64_t single_tile_adds,
                        double arithmetic_pJ, const EnergyTable& table, int acc_bits, const mesh::OutputUnitCost& oc,
                        std::uint64_t steps, const FixedConfig& cfg) {
  MeshPhaseOps p;
  p.output_lookups = oc.lookups * steps;
  p.output_adds = oc.adds * steps;
  p.output_multiplies = oc.multiplies * steps;
  p.output_divides = oc.divides * steps;
  p.output_register_writes = oc.lookups * steps;  // the force register g_out (z's write is in the arithmetic)
  p.output_unit_pJ = output_unit_pJ(p, oc, cfg, table);
  p.pe_totals = m.pe_totals();
  p.vertex_totals = m.vertex_totals();
  p.link_flits = m.link_flits_total();
  p.sram_read_bits = p.pe_totals.sram_read_bits;
  p.sram_write_bits = p.pe_totals.sram_write_bits;
  p.flit_hops = p.pe_totals.flit_hops + p.vertex_totals.flit_hops;
  p.flit_hop_bits = p.flit_hops * u(mc.link_width);
  p.messages = p.pe_totals.messages_sent + p.vertex_totals.messages_sent;
  // The vertex adds beyond one partial sum per value; the output unit's own adds are priced with it.
  const std::uint64_t sum_adds = p.vertex_totals.adds - p.output_adds;
  // Plus the adds of in-network reduction, in the PEs: every partial sum added to a passing one.
  p.partial_sum_adds_extra = (sum_adds > single_tile_adds ? sum_adds - single_tile_adds : 0) + m.merge_adds;
  p.busy_cycles_max_unit = m.busy_cycles_max_unit();
  p.sram_read_pJ = table.sram_read_pJ(p.sram_read_bits);
  p.sram_write_pJ = table.sram_write_pJ(p.sram_write_bits);
  p.links_pJ = table.link_pJ(p.flit_hops, mc.link_width);
  p.partial_sum_adds_pJ = static_cast<double>(p.partial_sum_adds_extra) * table.add_pJ(acc_bits);
  p.memory_and_links_total_pJ = p.sram_read_pJ + p.sram_write_pJ + p.links_pJ + p.partial_sum_adds_pJ;
  p.arithmetic_pJ = arithmetic_pJ;
  p.total_pJ = p.memory_and_links_total_pJ + p.output_unit_pJ + arithmetic_pJ;
  return p;
}

// Mesh-dependent counts from the mapping (no simulation): the sheaf's phases
// (sheaf_train non-null) and an SGD step's (sgd_train non-null).
MeshOps mesh_ops(const OpsSpec& s, const mesh::MeshConfig& mc, const OpWidths& w, const OpCounts* sheaf_train,
                 const OpCounts* sgd_train) {
  const std::vector<int>& layers = s.net.layers;
  const FixedConfig& cfg = s.formats;
  const int L = s.net.depth(), K = s.inner;
  const std::uint64_t B = s.batch, joint_per_epoch = u(s.epoch_steps / K),
                      diff_per_epoch = u(s.epoch_steps) - joint_per_epoch;
  // A sigmoid or softmax output: the output layer is one vertex group with its output unit (as MeshEngine maps it).
  const OutputKind out = s.net.output;
  const mesh::MeshMapping map(mc, layers, cfg, out != OutputKind::Identity);
  // The mapping must fit its buffers, as the simulator demands (mesh_buffers.h).
  if (sheaf_train != nullptr) mesh::check_buffers(mesh::mesh_buffers(map, mc, cfg, B, L), map, mc);
  const mesh::MeshBuffers sgd_buffers = mesh::mesh_buffers(map, mc, cfg, B, L, mesh::MeshMethod::Sgd);
  if (sgd_train != nullptr) mesh::check_buffers(sgd_buffers, map, mc, mesh::MeshMethod::Sgd);
  const mesh::MeshStepCounts diff = mesh::mesh_step_counts(map, mc, cfg, B, L, false, out);
  const mesh::MeshStepCounts joint = mesh::mesh_step_counts(map, mc, cfg, B, L, true, out);
  const int n_out = layers.back();
  const mesh::OutputUnitCost oc = mesh::output_unit_cost(mc, cfg, out, u(n_out) * B, n_out);
  mesh::MeshStepCounts train = diff.scaled(u(K - 1));
  train += joint;
  mesh::MeshStepCounts epoch = diff.scaled(diff_per_epoch);
  epoch += joint.scaled(joint_per_epoch);
  // Vertex adds without tiling: one partial sum per residual and per backward sum.
  std::uint64_t neurons = 0, hidden = 0;
  for (int l = 1; l <= L; ++l) {
    neurons += u(layers[static_cast<size_t>(l)]);
    if (l < L) hidden += u(layers[static_cast<size_t>(l)]);
  }
  const std::uint64_t single = B * (neurons + hidden);
  OpCounts d_ops = sheaf_step(layers, B, w, SheafStep::Diffusion);
  OpCounts j_ops = sheaf_step(layers, B, w, SheafStep::Joint);
  if (s.pins) {
    d_ops += soft_pin_step(*s.pins, B, w);
    j_ops += soft_pin_step(*s.pins, B, w);
  }
  OpCounts e_ops = d_ops.scaled(diff_per_epoch);
  e_ops += j_ops.scaled(joint_per_epoch);
  MeshOps r;
  r.config = mc;
  r.silicon = pe_silicon(s.formats, mc.lanes);
  r.tile_rows = map.tile_rows();
  r.tile_cols = map.tile_cols();
  r.tiles = map.tiles().size();
  r.vertex_groups = map.groups().size();
  r.pes = map.pes();
  r.links = map.existing_links();
  for (int p = 0; p < map.pes(); ++p) r.sram_bits_used_max = std::max(r.sram_bits_used_max, map.sram_bits_used(p));
  r.sram_bits_per_pe = map.sram_bits();
  const EnergyTable& t = s.table;
  const int acc = cfg.acc_bits;
  r.output = out;
  r.output_unit = oc;
  if (sgd_train != nullptr) {
    // An SGD step reduces one partial sum per forward value (every neuron) and backward value (hidden), as the sheaf.
    MeshSgdOps g;
    g.per_training_step = mesh_phase(mesh::mesh_sgd_step_counts(map, mc, cfg, B, L, out), mc, single,
                                     energy_total_pJ(*sgd_train, t), t, acc, oc, 1, cfg);
    g.pe_sram_bits_needed_max = sgd_buffers.pe_max();
    g.vertex_sram_bits_needed_max = sgd_buffers.vertex_max();
    r.sgd = g;
  }
  r.sheaf = sheaf_train != nullptr;
  if (!r.sheaf) return r;
  r.per_diffusion_step = mesh_phase(diff, mc, single, energy_total_pJ(d_ops, t), t, acc, oc, 1, cfg);
  r.per_joint_step = mesh_phase(joint, mc, single, energy_total_pJ(j_ops, t), t, acc, oc, 1, cfg);
  r.per_training_step =
      mesh_phase(train, mc, single * u(K), energy_total_pJ(*sheaf_train, t), t, acc, oc, u(K), cfg);
  r.per_epoch = mesh_phase(epoch, mc, single * u(s.epoch_steps), energy_total_pJ(e_ops, t), t, acc, oc,
                           u(s.epoch_steps), cfg);
  return r;
}

// Area of the edge unit from the synthesis report of the matching parameter set.
EdgeUnitArea area_of(const OpsSpec& s, const WarningSink& warn) {
  const json a = edge_unit_area(s.synth_report, s.formats);
  EdgeUnitArea r;
  r.available = a["available"].get<bool>();
  if (!r.available) {
    r.reason = a["reason"].get<std::string>();
    if (s.synth_report_given) warn(r.reason);
    return r;
  }
  r.file = a["file"].get<std::string>();
  r.tool = a["tool"].get<std::string>();
  r.parameter_set = a["parameter_set"].get<std::string>();
  r.quant = a["quant"].get<std::string>();
  r.overflow = a["overflow"].get<std::string>();
  r.area_cells = a["area_cells"].get<long>();
  r.flip_flops = a["flip_flops"].get<long>();
  r.transistors = a["transistors"].get<long>();
  r.transistors_exclude_flip_flops = a["transistors_exclude_flip_flops"].get<bool>();
  r.latency_cycles = a["latency_cycles"].get<int>();
  if (s.mesh) {
    const long units = static_cast<long>(s.mesh->pes()) * s.mesh->lanes;
    r.edge_units = units;
    r.area_cells_all = r.area_cells * units;
    r.flip_flops_all = r.flip_flops * units;
    r.transistors_all = r.transistors * units;
  }
  return r;
}

// Operations per converged inference, from the predicted diffusion steps (spectrum.h).
ConvergedOps converged_ops(const OpsSpec& s, const OpWidths& w) {
  require_positive(s.alpha, "--alpha");
  require_positive(s.dt, "--dt");
  require_positive(s.tol, "--tol");
  const std::vector<int>& layers = s.net.layers;
  const double step = s.alpha * s.dt;
  std::vector<double> lmin, steps;
  ConvergedOps r;
  for (Eigen::Index c = 0; c < s.inputs.size(); ++c) {
    const SpectrumResult sr = analyse_spectrum(s.net, s.inputs.X.col(c), step, s.tol, false);
    lmin.push_back(sr.lambda_min);
    steps.push_back(static_cast<double>(sr.predicted_steps));
    if (sr.predicted_steps < 0) r.diverges = true;
    r.predicted_steps_max = std::max(r.predicted_steps_max, sr.predicted_steps);
  }
  r.alpha = s.alpha;
  r.dt = s.dt;
  r.tol = s.tol;
  r.samples = static_cast<long>(s.inputs.size());
  r.lambda_min_median = median(lmin);
  r.forward_pass_macs_per_sample = num_weights(layers);
  r.per_inference_step_per_sample = sheaf_step(layers, 1, w, SheafStep::Inference);
  if (r.diverges) return r;
  r.predicted_steps_median = static_cast<std::uint64_t>(std::ceil(median(steps)));
  r.per_sample = r.per_inference_step_per_sample.scaled(r.predicted_steps_median);
  r.all_inputs = sheaf_step(layers, u(r.samples), w, SheafStep::Inference).scaled(u(r.predicted_steps_max));
  r.energy_pJ_per_sample = energy_total_pJ(r.per_sample, s.table);
  return r;
}

json counts_json(const OpCounts& c, const EnergyTable& table) {
  json j = c.to_json();
  j["energy_pJ"] = energy_json(c, table);
  return j;
}

json phase_json(const MeshPhaseOps& p) {
  const json energy = {{"sram_read_pJ", p.sram_read_pJ}, {"sram_write_pJ", p.sram_write_pJ},
                       {"links_pJ", p.links_pJ},         {"partial_sum_adds_pJ", p.partial_sum_adds_pJ},
                       {"memory_and_links_total_pJ", p.memory_and_links_total_pJ},
                       {"output_unit_pJ", p.output_unit_pJ},
                       {"arithmetic_pJ", p.arithmetic_pJ}, {"total_pJ", p.total_pJ}};
  // The simulator's names (MeshEngine::report()): flits sent by all senders, flit_hops their
  // link traversals (= the flits the links carry, summed over links).
  return {{"pe_totals", mesh::counters_json(p.pe_totals)}, {"vertex_totals", mesh::counters_json(p.vertex_totals)},
          {"flits", p.pe_totals.flits_sent + p.vertex_totals.flits_sent}, {"sram_read_bits", p.sram_read_bits},
          {"sram_write_bits", p.sram_write_bits}, {"flit_hops", p.flit_hops},
          {"flit_hop_bits", p.flit_hop_bits}, {"messages", p.messages},
          {"partial_sum_adds_extra", p.partial_sum_adds_extra}, {"busy_cycles_max_unit", p.busy_cycles_max_unit},
          {"output_unit", {{"lookups", p.output_lookups}, {"adds", p.output_adds},
                           {"multiplies", p.output_multiplies}, {"divides", p.output_divides},
                           {"register_writes", p.output_register_writes}}},
          {"energy_pJ", energy}};
}

json layers_json(const std::vector<LayerOps>& layers, bool diffusion, const EnergyTable& t) {
  json a = json::array();
  for (const LayerOps& x : layers) {
    json j = {{"layer", x.layer}, {"per_training_step", counts_json(x.per_training_step, t)}};
    if (!x.part.empty()) {
      j["part"] = x.part;
    } else {
      j["n_in"] = x.n_in;
      j["n_out"] = x.n_out;
      j["weights"] = x.weights;
    }
    if (diffusion) j["per_diffusion_step"] = counts_json(x.per_diffusion_step, t);
    a.push_back(std::move(j));
  }
  return a;
}

json methods_json(const OpsReport& r) {
  const EnergyTable& t = r.table;
  json methods = json::object();
  if (r.sheaf) {
    const SheafOps& s = *r.sheaf;
    const json macs = {{"diffusion_step", s.macs_per_sample_diffusion}, {"joint_step", s.macs_per_sample_joint}};
    methods["sheaf"] = {{"parameters", s.parameters}, {"inner", s.inner}, {"epoch_steps", s.epoch_steps},
                        {"joint_steps_per_epoch", s.joint_steps_per_epoch}, {"synapse_macs_per_sample", macs},
                        {"per_diffusion_step", counts_json(s.per_diffusion_step, t)},
                        {"per_joint_step", counts_json(s.per_joint_step, t)},
                        {"per_training_step", counts_json(s.per_training_step, t)},
                        {"per_epoch", counts_json(s.per_epoch, t)}, {"per_layer", layers_json(s.per_layer, true, t)}};
  }
  if (r.sgd) {
    const SgdOps& s = *r.sgd;
    methods["sgd"] = {{"parameters", s.parameters}, {"steps_per_epoch", 1},
                      {"synapse_macs_per_sample", {{"training_step", s.macs_per_sample}}},
                      {"per_training_step", counts_json(s.per_training_step, t)},
                      {"per_epoch", counts_json(s.per_training_step, t)},
                      {"per_layer", layers_json(s.per_layer, false, t)}};
  }
  if (r.sid) {
    const SidOps& s = *r.sid;
    const SidCounts& c = s.counts;
    methods["sid"] = {
        {"architecture",
         {{"extractor_layers", c.extractor}, {"features", c.features}, {"classes", c.classes},
          {"modules", c.modules}, {"hidden", c.hidden}, {"parameters", c.parameters},
          {"reading", "phi = layers n0..n_{L-1} (last layer affine), C = n_L, modules Linear(d+C -> hidden)-ReLU-"
                      "Linear(hidden -> C); docs/ops.md §2"}}},
        {"steps_per_epoch", 1},
        {"synapse_macs_per_sample", {{"training_step", s.macs_per_sample}}},
        {"softmax_evaluations_per_training_step", c.softmax_evaluations},
        {"per_training_step", counts_json(s.per_training_step, t)},
        {"per_epoch", counts_json(s.per_training_step, t)},
        {"per_phase",
         {{"extractor_forward", counts_json(c.extractor_forward, t)},
          {"phase1_teacher_beliefs", counts_json(c.phase1, t)}, {"phase2_local_updates", counts_json(c.phase2, t)},
          {"extractor_backward", counts_json(c.extractor_backward, t)}, {"update", counts_json(c.update, t)}}},
        {"per_layer", layers_json(s.per_layer, false, t)}};
  }
  return methods;
}

// The mesh's clock and area at 45 nm: the PEs' logic (the RTL PE) and SRAM,
// the vertex units' SRAM (their logic and the links are not synthesised).
json mesh_silicon_json(const MeshOps& m) {
  const PeSilicon& p = m.silicon;
  if (!p.available) return {{"available", false}, {"reason", p.reason}};
  const double bit = kSramBitCellUm2 * kSramArrayOverhead;
  const double pe_sram = static_cast<double>(m.config.sram_kib) * 8192.0 * bit;
  const double vertex_sram = static_cast<double>(m.config.vertex_sram_kib) * 8192.0 * bit;
  const double total = mesh_area_um2(p.logic_area_um2, m.pes, m.config.sram_kib, static_cast<long>(m.vertex_groups),
                                     m.config.vertex_sram_kib);
  // The bound of the first method counted (sheaf, else SGD; the SGD object has its own).
  const double per_step = static_cast<double>(
      m.sheaf || !m.sgd ? m.per_training_step.busy_cycles_max_unit : m.sgd->per_training_step.busy_cycles_max_unit);
  return {{"available", true},
          {"set", p.set}, {"quant", p.quant}, {"overflow", p.overflow},
          {"pe_clock_mhz", p.clock_mhz},
          {"basis", p.basis},
          {"pe_logic_area_um2", p.logic_area_um2},
          {"pe_sram_area_um2", pe_sram},
          {"vertex_unit_sram_area_um2", vertex_sram},
          {"sram_area_um2_per_bit", bit},
          {"mesh_area_mm2", total * 1e-6},
          {"bound_us_per_training_step", per_step / p.clock_mhz},
          {"scope", "PEs (logic and SRAM) and vertex-unit SRAM; vertex-unit logic, output unit and links excluded"}};
}

json mesh_json(const MeshOps& m) {
  const json mapping = {{"tile_rows", m.tile_rows}, {"tile_cols", m.tile_cols}, {"tiles", m.tiles},
                        {"vertex_groups", m.vertex_groups}, {"pes", m.pes}, {"links", m.links},
                        {"sram_bits_used_max", m.sram_bits_used_max}, {"sram_bits_per_pe", m.sram_bits_per_pe}};
  const mesh::OutputUnitCost& o = m.output_unit;
  const json unit = {{"output", to_string(m.output)},
                     {"lanes", o.lanes},
                     {"latency_cycles", o.latency_cycles},
                     {"divider_latency_cycles", o.divider_latency_cycles},
                     {"table_entries", o.table_entries},
                     {"entry_bits", o.entry_bits},
                     {"table_bits", o.table_bits()},
                     {"busy_cycles_per_step", o.cycles}};
  // The sheaf's phases (null without --method sheaf or all) and an SGD step's (null without sgd or all).
  auto sheaf_phase = [&m](const MeshPhaseOps& p) { return m.sheaf ? phase_json(p) : json(nullptr); };
  json sgd = nullptr;
  if (m.sgd) {
    sgd = {{"per_training_step", phase_json(m.sgd->per_training_step)},
           {"pe_sram_bits_needed_max", m.sgd->pe_sram_bits_needed_max},
           {"vertex_sram_bits_needed_max", m.sgd->vertex_sram_bits_needed_max},
           {"bound_us_per_training_step",
            m.silicon.available
                ? json(static_cast<double>(m.sgd->per_training_step.busy_cycles_max_unit) / m.silicon.clock_mhz)
                : json(nullptr)}};
  }
  return {{"mesh", m.config.to_json()}, {"mapping", mapping}, {"output_unit", unit}, {"silicon", mesh_silicon_json(m)},
          {"per_diffusion_step", sheaf_phase(m.per_diffusion_step)}, {"per_joint_step", sheaf_phase(m.per_joint_step)},
          {"per_training_step", sheaf_phase(m.per_training_step)}, {"per_epoch", sheaf_phase(m.per_epoch)},
          {"sgd", sgd}};
}

json area_json(const EdgeUnitArea& a) {
  json j = {{"available", a.available}};
  if (!a.available) {
    j["reason"] = a.reason;
  } else {
    j.update({{"file", a.file}, {"tool", a.tool}, {"parameter_set", a.parameter_set}, {"quant", a.quant},
              {"overflow", a.overflow}, {"area_cells", a.area_cells}, {"flip_flops", a.flip_flops},
              {"transistors", a.transistors}, {"transistors_exclude_flip_flops", a.transistors_exclude_flip_flops},
              {"latency_cycles", a.latency_cycles}});
    if (a.edge_units) {
      j["edge_units"] = *a.edge_units;
      j["area_cells_all_edge_units"] = a.area_cells_all;
      j["flip_flops_all_edge_units"] = a.flip_flops_all;
      j["transistors_all_edge_units"] = a.transistors_all;
    }
  }
  j["scope"] = "one edge unit (one MAC lane of a PE, rtl/edge_unit.sv); SRAM, vertex units and links excluded";
  return j;
}

json converged_json(const ConvergedOps& c, const EnergyTable& t) {
  json j = {{"alpha", c.alpha}, {"dt", c.dt}, {"tol", c.tol}, {"samples", c.samples},
            {"lambda_min_median", c.lambda_min_median},
            {"forward_pass_macs_per_sample", c.forward_pass_macs_per_sample},
            {"per_inference_step_per_sample", counts_json(c.per_inference_step_per_sample, t)}};
  if (c.diverges) {
    j["predicted_steps_median"] = nullptr;
    j["predicted_steps_max"] = nullptr;
    j["note"] = "s lambda_max >= 2 for some input: diffusion does not converge at this dt";
    return j;
  }
  j["predicted_steps_median"] = c.predicted_steps_median;
  j["predicted_steps_max"] = c.predicted_steps_max;
  j["per_converged_inference_per_sample"] = counts_json(c.per_sample, t);
  j["per_converged_inference_all_inputs"] = counts_json(c.all_inputs, t);
  return j;
}

}  // namespace

json silicon_json(const MeshOps& m) { return mesh_silicon_json(m); }

void set_methods(OpsSpec& spec, const std::string& method) {
  if (method != "sheaf" && method != "sgd" && method != "sid" && method != "all")
    throw InputError(fmt::format("unknown --method '{}' (expected sheaf, sgd, sid or all)", method));
  spec.sheaf = method == "sheaf" || method == "all";
  spec.sgd = method == "sgd" || method == "all";
  spec.sid = method == "sid" || method == "all";
}

// A generous bound: synapses and module weights, times the batch, the steps of
// an epoch or a training step, three products per synapse and the widest value
// in bits, times the longest route with a mesh.
void check_count_range(const OpsSpec& s) {
  const std::vector<int>& layers = s.net.layers;
  const FixedConfig& cfg = s.formats;
  double per_sample = 0;
  for (size_t l = 1; l < layers.size(); ++l)
    per_sample += static_cast<double>(layers[l]) * (static_cast<double>(layers[l - 1]) + 1.0);
  if (s.sid && layers.size() >= 2) {
    const double d = layers[layers.size() - 2], c = layers.back();
    const double h = s.sid_hidden > 0 ? s.sid_hidden : 2 * d;
    per_sample += s.sid_modules * ((d + c + 1) * h + 2 * (h + 1) * c + h * d);
  }
  const double steps = std::max(static_cast<double>(s.epoch_steps), static_cast<double>(s.inner));
  const int widest = std::max({cfg.stalk.width(), cfg.weight.width(), cfg.bias.width(), cfg.residual.width()});
  double bound = per_sample * static_cast<double>(s.batch) * steps * 3.0 * (cfg.acc_bits + widest);
  if (s.mesh) bound *= s.mesh->rows + s.mesh->cols;
  if (bound > 9.0e18)
    throw InputError(fmt::format("the counts of this request could pass 2^63 (about {:.3g} at most for --layers {}, "
                                 "--batch {}, {} steps): they are 64-bit integers; reduce --batch, --epoch-steps, "
                                 "--inner or the widths",
                                 bound, fmt::join(layers, ","), s.batch, static_cast<long>(steps)));
}

OpsReport run_ops(const OpsSpec& s, const WarningSink& warn) {
  const std::vector<int>& layers = s.net.layers;
  OpsReport r;
  r.layers = layers;
  r.net_file = s.net_file;
  r.layers_arg = s.layers_arg;
  r.weights = num_weights(layers);
  r.batch = s.batch;
  r.formats = s.formats;
  r.widths = OpWidths::of(s.formats);
  r.table = s.table;
  r.table_path = s.table_path;
  r.pins_file = s.pins_file;
  if (s.pins) r.soft_pins_per_step = soft_pin_step(*s.pins, s.batch, r.widths);
  std::uint64_t params = r.weights;  // weights and biases of the MLP (sheaf, sgd)
  for (size_t l = 1; l < layers.size(); ++l) params += u(layers[l]);
  if (s.sheaf) r.sheaf = sheaf_ops(s, r.widths, params);
  if (s.sgd) r.sgd = sgd_ops(s, r.widths, params);
  if (s.sid) r.sid = sid_ops(s, r.widths);
  if (s.mesh)
    r.mesh = mesh_ops(s, *s.mesh, r.widths, r.sheaf ? &r.sheaf->per_training_step : nullptr,
                      r.sgd ? &r.sgd->per_training_step : nullptr);
  r.area = area_of(s, warn);
  if (s.has_inputs) r.converged = converged_ops(s, r.widths);
  return r;
}

json to_json(const OpsReport& r) {
  const json source = r.net_file.empty() ? json{{"layers", r.layers_arg}} : json{{"file", r.net_file}};
  return {{"command", "ops"},
          {"network", {{"source", source}, {"layers", r.layers}, {"weights", r.weights}}},
          {"batch", r.batch}, {"formats", r.formats.to_json()}, {"operand_bits", r.widths.to_json()},
          {"energy_table", r.table.to_json()}, {"methods", methods_json(r)},
          {"mesh", r.mesh ? mesh_json(*r.mesh) : json(nullptr)},
          {"area", area_json(r.area)},
          {"converged_inference", r.converged ? converged_json(*r.converged, r.table) : json(nullptr)},
          // --pins: the soft pins' work in every sheaf step (included in the sheaf counts above).
          {"soft_pins", r.pins_file.empty() ? json(nullptr)
                                            : json{{"file", r.pins_file},
                                                   {"multiply_adds_per_step", r.soft_pins_per_step.total(Op::ConstantMultiply)},
                                                   {"per_step", counts_json(r.soft_pins_per_step, r.table)}}}};
}

}  // namespace sheafsim::ops
