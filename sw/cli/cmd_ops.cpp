// `sheafsim ops`: analytic operation counts, energy and area (docs/ops.md).
// Counts per action type for one diffusion step, one training step and one
// epoch of sheaf training, of full-batch backprop SGD and of SID (an MLP
// reading of its module cascade); with --mesh the mesh-dependent counts (SRAM
// bits, flits x hops) from the mapping, without running the simulation; with
// --net and --input the operations of a converged inference from the
// predicted number of diffusion steps.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "mesh_options.h"
#include "toml_config.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/cost/energy_table.h"
#include "sheafsim/base/error.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/cost/op_counts.h"
#include "sheafsim/reference/settings.h"
#include "sheafsim/reference/spectrum.h"

#ifndef SHEAFSIM_DEFAULT_ENERGY_TABLE
#define SHEAFSIM_DEFAULT_ENERGY_TABLE "configs/energy-45nm-horowitz.toml"
#endif
#ifndef SHEAFSIM_DEFAULT_SYNTH_REPORT
#define SHEAFSIM_DEFAULT_SYNTH_REPORT "build/synth/edge_unit_synth.json"
#endif

namespace sheafsim::cli {

namespace {

using ops::OpCounts;
using json = nlohmann::json;

struct OpsOpts {
  std::string net, layers, input, method = "sheaf", energy_table, synth_report, out;
  long batch = -1, epoch_steps = 1000;
  int inner = 1, sid_modules = 4, sid_hidden = 0;
  double alpha = 1.0, dt = 0.01, tol = 1e-9;
  FixedOptions fx;
  MeshOptions mesh;
};

std::uint64_t u(long v) { return static_cast<std::uint64_t>(v); }

json counts_json(const OpCounts& c, const ops::EnergyTable& table) {
  json j = c.to_json();
  j["energy_pJ"] = ops::energy_json(c, table);
  return j;
}

// The mesh counts of one phase and their energy.
json mesh_phase_json(const mesh::MeshStepCounts& m, const mesh::MeshConfig& mc, std::uint64_t single_tile_adds,
                     double arithmetic_pJ, const ops::EnergyTable& table, int acc_bits) {
  const mesh::UnitCounters pe = m.pe_totals(), vu = m.vertex_totals();
  const std::uint64_t rd = pe.sram_read_bits, wr = pe.sram_write_bits;
  const std::uint64_t hops = pe.flit_hops + vu.flit_hops;
  const std::uint64_t extra_adds = vu.adds > single_tile_adds ? vu.adds - single_tile_adds : 0;
  std::uint64_t busy_max = 0;
  for (const auto& c : m.pes) busy_max = std::max(busy_max, c.busy_cycles);
  for (const auto& c : m.groups) busy_max = std::max(busy_max, c.busy_cycles);
  const double e_rd = table.sram_read_pJ(rd), e_wr = table.sram_write_pJ(wr), e_link = table.link_pJ(hops, mc.link_width),
               e_adds = static_cast<double>(extra_adds) * table.add_pJ(acc_bits);
  const double mem = e_rd + e_wr + e_link + e_adds;
  return {{"pe_totals", mesh::counters_json(pe)},
          {"vertex_totals", mesh::counters_json(vu)},
          {"link_flits", m.link_flits_total()},
          {"sram_read_bits", rd},
          {"sram_write_bits", wr},
          {"flit_hops", hops},
          {"flit_hop_bits", hops * u(mc.link_width)},
          {"messages", pe.messages_sent + vu.messages_sent},
          {"partial_sum_adds_extra", extra_adds},
          {"busy_cycles_max_unit", busy_max},
          {"energy_pJ",
           {{"sram_read_pJ", e_rd},
            {"sram_write_pJ", e_wr},
            {"links_pJ", e_link},
            {"partial_sum_adds_pJ", e_adds},
            {"memory_and_links_total_pJ", mem},
            {"arithmetic_pJ", arithmetic_pJ},
            {"total_pJ", mem + arithmetic_pJ}}}};
}

// Every count is a 64-bit integer, linear in the batch and in the steps.
// Refuse a request whose counts could pass 2^63 rather than print wrapped
// numbers: a generous bound (synapses and module weights, times the batch,
// the steps of an epoch or a training step, three products per synapse and
// the widest value in bits, times the longest route with a mesh).
void check_count_range(const OpsOpts& o, const std::vector<int>& layers, long batch, const FixedConfig& cfg,
                       bool with_mesh, bool with_sid) {
  double per_sample = 0;
  for (size_t l = 1; l < layers.size(); ++l)
    per_sample += static_cast<double>(layers[l]) * (static_cast<double>(layers[l - 1]) + 1.0);
  if (with_sid && layers.size() >= 2) {
    const double d = layers[layers.size() - 2], c = layers.back();
    const double h = o.sid_hidden > 0 ? o.sid_hidden : 2 * d;
    per_sample += o.sid_modules * ((d + c + 1) * h + 2 * (h + 1) * c + h * d);
  }
  const double steps = std::max(static_cast<double>(o.epoch_steps), static_cast<double>(o.inner));
  const int widest = std::max({cfg.stalk.width(), cfg.weight.width(), cfg.bias.width(), cfg.residual.width()});
  double bound = per_sample * static_cast<double>(batch) * steps * 3.0 * (cfg.acc_bits + widest);
  if (with_mesh) {
    const mesh::MeshConfig mc = o.mesh.resolve();
    bound *= mc.rows + mc.cols;
  }
  if (bound > 9.0e18)
    throw InputError(fmt::format("the counts of this request could pass 2^63 (about {:.3g} at most for --layers {}, "
                                 "--batch {}, {} steps): they are 64-bit integers; reduce --batch, --epoch-steps, "
                                 "--inner or the widths",
                                 bound, fmt::join(layers, ","), batch, static_cast<long>(steps)));
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

void run_ops(const OpsOpts& o, const CLI::App& sub) {
  // The network: a file or a shape.
  if (!o.net.empty() == !o.layers.empty()) throw InputError("give exactly one of --net FILE or --layers n0,...,nL");
  Network net;
  json net_source;
  if (!o.net.empty()) {
    net = read_network(o.net);
    net_source = {{"file", o.net}};
    if (net.output != OutputKind::Identity)
      warn(fmt::format("{} has a {} output: its lookup unit is not counted (identity-output counts)", o.net,
                       to_string(net.output)));
  } else {
    net.layers = parse_layers(o.layers);
    net_source = {{"layers", o.layers}};
  }
  const std::vector<int>& layers = net.layers;
  const int L = static_cast<int>(layers.size()) - 1;
  std::uint64_t params = ops::num_weights(layers);  // weights and biases of the MLP (sheaf, sgd)
  for (int l = 1; l <= L; ++l) params += u(layers[static_cast<size_t>(l)]);
  if (!o.input.empty() && o.net.empty()) throw InputError("--input needs --net FILE (the spectrum needs the weights)");
  Dataset inputs;
  if (!o.input.empty()) {
    inputs = read_csv(o.input);
    check_compatible(net, inputs, false, o.input);
  }
  long batch = o.batch;
  if (batch < 0) {
    if (o.input.empty()) throw InputError("--batch is required (or --input FILE: its samples are the batch)");
    batch = static_cast<long>(inputs.size());
  }
  require_count(batch, "--batch", 1, 1L << 30);
  require_count(o.inner, "--inner", 1, 1000000);
  require_count(o.epoch_steps, "--epoch-steps", 1, 1000000000);
  const std::string method = o.method;
  if (method != "sheaf" && method != "sgd" && method != "sid" && method != "all")
    throw InputError(fmt::format("unknown --method '{}' (expected sheaf, sgd, sid or all)", method));
  const bool do_sheaf = method == "sheaf" || method == "all", do_sgd = method == "sgd" || method == "all",
             do_sid = method == "sid" || method == "all";
  require_count(o.sid_modules, "--sid-modules", 1, 100000);
  require_count(o.sid_hidden, "--sid-hidden", 0, 1 << 24);
  const bool with_mesh = sub.get_option("--mesh")->count() > 0;
  if (!o.mesh.counters.empty() || !o.mesh.trace.empty() || !o.mesh.trace_window.empty() || o.mesh.rtl_pe)
    throw InputError("ops computes the mesh counts analytically; --counters, --trace, --trace-window and --rtl-pe "
                     "belong to `sheafsim simulate`");
  if (o.mesh.mode != "train")
    throw InputError(fmt::format("--mode '{}': ops reports training and inference steps together; --mode is for "
                                 "`sheafsim simulate`",
                                 o.mesh.mode));
  if (with_mesh && !do_sheaf) throw InputError("--mesh counts the sheaf mesh: use --method sheaf or all");

  const FixedConfig cfg = o.fx.resolve();
  check_count_range(o, layers, batch, cfg, with_mesh, do_sid);
  const ops::OpWidths w = ops::OpWidths::of(cfg);
  const std::string table_path = o.energy_table.empty() ? SHEAFSIM_DEFAULT_ENERGY_TABLE : o.energy_table;
  const ops::EnergyTable table = ops::EnergyTable::load(table_path);
  const std::uint64_t B = u(batch);
  const int K = o.inner;
  const std::uint64_t joint_per_epoch = u(o.epoch_steps / K), diff_per_epoch = u(o.epoch_steps) - joint_per_epoch;

  json methods = json::object();
  std::vector<StatRow> rows = {{"layers", fmt::format("{}", fmt::join(layers, ","))},
                               {"batch", fmt::format("{}", B)},
                               {"weights", fmt::format("{}", ops::num_weights(layers))},
                               {"formats", fmt::format("stalk {} weight {} bias {} residual {} constant {} acc {} bits",
                                                       cfg.stalk.str(), cfg.weight.str(), cfg.bias.str(),
                                                       cfg.residual.str(), cfg.constant.str(), cfg.acc_bits)},
                               {"energy_table", fmt::format("{} ({}, {})", table.name(), table.technology(), table_path)}};

  OpCounts sheaf_train;  // kept for the mesh section
  if (do_sheaf) {
    const OpCounts diff = ops::sheaf_step(layers, B, w, ops::SheafStep::Diffusion);
    const OpCounts joint = ops::sheaf_step(layers, B, w, ops::SheafStep::Joint);
    sheaf_train = ops::sheaf_training_step(layers, B, w, K);
    OpCounts epoch = diff.scaled(diff_per_epoch);
    epoch += joint.scaled(joint_per_epoch);
    json per_layer = json::array();
    for (int l = 1; l <= L; ++l)
      per_layer.push_back({{"layer", l},
                           {"n_in", layers[static_cast<size_t>(l - 1)]},
                           {"n_out", layers[static_cast<size_t>(l)]},
                           {"weights", u(layers[static_cast<size_t>(l - 1)]) * u(layers[static_cast<size_t>(l)])},
                           {"per_diffusion_step", counts_json(diff.layer(l), table)},
                           {"per_training_step", counts_json(sheaf_train.layer(l), table)}});
    methods["sheaf"] = {
        {"parameters", params},
        {"inner", K},
        {"epoch_steps", o.epoch_steps},
        {"joint_steps_per_epoch", joint_per_epoch},
        {"synapse_macs_per_sample",
         {{"diffusion_step", ops::synapse_macs_per_sample(layers, false)},
          {"joint_step", ops::synapse_macs_per_sample(layers, true)}}},
        {"per_diffusion_step", counts_json(diff, table)},
        {"per_joint_step", counts_json(joint, table)},
        {"per_training_step", counts_json(sheaf_train, table)},
        {"per_epoch", counts_json(epoch, table)},
        {"per_layer", per_layer}};
    const double e = ops::energy_total_pJ(sheaf_train, table);
    rows.push_back({"sheaf_inner", fmt::format("{}", K)});
    rows.push_back({"sheaf_synapse_macs_per_training_step", fmt::format("{}", sheaf_train.synapse_macs())});
    rows.push_back({"sheaf_energy_pJ_per_training_step", num(e)});
    rows.push_back({"sheaf_pJ_per_synapse_mac", num(e / static_cast<double>(sheaf_train.synapse_macs()))});
  }
  if (do_sgd) {
    const OpCounts step = ops::sgd_step(layers, B, w);
    json per_layer = json::array();
    for (int l = 1; l <= L; ++l)
      per_layer.push_back({{"layer", l},
                           {"n_in", layers[static_cast<size_t>(l - 1)]},
                           {"n_out", layers[static_cast<size_t>(l)]},
                           {"weights", u(layers[static_cast<size_t>(l - 1)]) * u(layers[static_cast<size_t>(l)])},
                           {"per_training_step", counts_json(step.layer(l), table)}});
    methods["sgd"] = {{"parameters", params},
                      {"steps_per_epoch", 1},
                      {"synapse_macs_per_sample", {{"training_step", ops::synapse_macs_per_sample(layers, true)}}},
                      {"per_training_step", counts_json(step, table)},
                      {"per_epoch", counts_json(step, table)},
                      {"per_layer", per_layer}};
    const double e = ops::energy_total_pJ(step, table);
    rows.push_back({"sgd_synapse_macs_per_training_step", fmt::format("{}", step.synapse_macs())});
    rows.push_back({"sgd_energy_pJ_per_training_step", num(e)});
    rows.push_back({"sgd_pJ_per_synapse_mac", num(e / static_cast<double>(step.synapse_macs()))});
  }
  if (do_sid) {
    const ops::SidCounts sid = ops::sid_step(layers, B, w, o.sid_modules, o.sid_hidden);
    const OpCounts step = sid.total();
    const int E = L - 1;
    json per_layer = json::array();
    for (int l = 1; l <= E + sid.modules; ++l)
      per_layer.push_back({{"layer", l},
                           {"part", l <= E ? "extractor" : fmt::format("module {}", l - E)},
                           {"per_training_step", counts_json(step.layer(l), table)}});
    methods["sid"] = {
        {"architecture",
         {{"extractor_layers", sid.extractor},
          {"features", sid.features},
          {"classes", sid.classes},
          {"modules", sid.modules},
          {"hidden", sid.hidden},
          {"parameters", sid.parameters},
          {"reading", "phi = layers n0..n_{L-1} (last layer affine), C = n_L, modules Linear(d+C -> hidden)-ReLU-"
                      "Linear(hidden -> C); docs/ops.md §2"}}},
        {"steps_per_epoch", 1},
        {"synapse_macs_per_sample", {{"training_step", step.synapse_macs() / B}}},
        {"softmax_evaluations_per_training_step", sid.softmax_evaluations},
        {"per_training_step", counts_json(step, table)},
        {"per_epoch", counts_json(step, table)},
        {"per_phase",
         {{"extractor_forward", counts_json(sid.extractor_forward, table)},
          {"phase1_teacher_beliefs", counts_json(sid.phase1, table)},
          {"phase2_local_updates", counts_json(sid.phase2, table)},
          {"extractor_backward", counts_json(sid.extractor_backward, table)},
          {"update", counts_json(sid.update, table)}}},
        {"per_layer", per_layer}};
    const double e = ops::energy_total_pJ(step, table);
    rows.push_back({"sid_architecture", fmt::format("phi {} + {} modules ({}+{} -> {} -> {}), {} parameters",
                                                    fmt::join(sid.extractor, ","), sid.modules, sid.features,
                                                    sid.classes, sid.hidden, sid.classes, sid.parameters)});
    rows.push_back({"sid_synapse_macs_per_training_step", fmt::format("{}", step.synapse_macs())});
    rows.push_back({"sid_energy_pJ_per_training_step", num(e)});
    rows.push_back({"sid_pJ_per_synapse_mac", num(e / static_cast<double>(step.synapse_macs()))});
  }

  // Mesh-dependent counts from the mapping (no simulation).
  json mesh_json = nullptr;
  const mesh::MeshConfig mc = o.mesh.resolve();
  if (with_mesh) {
    const mesh::MeshMapping map(mc, layers, cfg);
    const mesh::MeshStepCounts diff = mesh::mesh_step_counts(map, mc, cfg, B, L, false);
    const mesh::MeshStepCounts joint = mesh::mesh_step_counts(map, mc, cfg, B, L, true);
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
    const OpCounts d_ops = ops::sheaf_step(layers, B, w, ops::SheafStep::Diffusion);
    const OpCounts j_ops = ops::sheaf_step(layers, B, w, ops::SheafStep::Joint);
    OpCounts e_ops = d_ops.scaled(diff_per_epoch);
    e_ops += j_ops.scaled(joint_per_epoch);
    long sram_max = 0;
    for (int p = 0; p < map.pes(); ++p) sram_max = std::max(sram_max, map.sram_bits_used(p));
    const std::uint64_t steps_single = single;
    mesh_json = {
        {"mesh", mc.to_json()},
        {"mapping",
         {{"tile_rows", map.tile_rows()},
          {"tile_cols", map.tile_cols()},
          {"tiles", map.tiles().size()},
          {"vertex_groups", map.groups().size()},
          {"pes", map.pes()},
          {"links", map.existing_links()},
          {"sram_bits_used_max", sram_max},
          {"sram_bits_per_pe", map.sram_bits()}}},
        {"per_diffusion_step",
         mesh_phase_json(diff, mc, steps_single, ops::energy_total_pJ(d_ops, table), table, cfg.acc_bits)},
        {"per_joint_step", mesh_phase_json(joint, mc, steps_single, ops::energy_total_pJ(j_ops, table), table, cfg.acc_bits)},
        {"per_training_step",
         mesh_phase_json(train, mc, steps_single * u(K), ops::energy_total_pJ(sheaf_train, table), table, cfg.acc_bits)},
        {"per_epoch", mesh_phase_json(epoch, mc, steps_single * u(o.epoch_steps), ops::energy_total_pJ(e_ops, table),
                                      table, cfg.acc_bits)}};
    const json& t = mesh_json["per_training_step"];
    rows.push_back({"mesh", fmt::format("{}x{} PEs, {} lanes, {} tiles of {}x{}", mc.rows, mc.cols, mc.lanes,
                                        map.tiles().size(), map.tile_rows(), map.tile_cols())});
    rows.push_back({"mesh_sram_read_bits_per_training_step", fmt::format("{}", t["sram_read_bits"].get<std::uint64_t>())});
    rows.push_back({"mesh_sram_write_bits_per_training_step", fmt::format("{}", t["sram_write_bits"].get<std::uint64_t>())});
    rows.push_back({"mesh_flit_hops_per_training_step", fmt::format("{}", t["flit_hops"].get<std::uint64_t>())});
    rows.push_back({"mesh_busy_cycles_max_unit_per_training_step",
                    fmt::format("{}", t["busy_cycles_max_unit"].get<std::uint64_t>())});
    rows.push_back({"mesh_energy_pJ_per_training_step", num(t["energy_pJ"]["total_pJ"].get<double>())});
  }

  // Area of the edge unit from the synthesis report of the matching parameter set.
  const bool explicit_report = !o.synth_report.empty();
  const std::string report_path = explicit_report ? o.synth_report : SHEAFSIM_DEFAULT_SYNTH_REPORT;
  json area = ops::edge_unit_area(report_path, cfg);
  area["scope"] = "one edge unit (one MAC lane of a PE, rtl/edge_unit.sv); SRAM, vertex units and links excluded";
  if (area["available"].get<bool>()) {
    rows.push_back({"edge_unit_area_cells", fmt::format("{} ({} {}/{})", area["area_cells"].get<long>(),
                                                        area["parameter_set"].get<std::string>(),
                                                        area["quant"].get<std::string>(),
                                                        area["overflow"].get<std::string>())});
    rows.push_back({"edge_unit_transistors", fmt::format("{}{}", area["transistors"].get<long>(),
                                                         area["transistors_exclude_flip_flops"].get<bool>() ? " (excl. flip-flops)" : "")});
    if (with_mesh) {
      const long units = static_cast<long>(mc.pes()) * mc.lanes;
      area["edge_units"] = units;
      area["area_cells_all_edge_units"] = area["area_cells"].get<long>() * units;
      area["flip_flops_all_edge_units"] = area["flip_flops"].get<long>() * units;
      area["transistors_all_edge_units"] = area["transistors"].get<long>() * units;
      rows.push_back({"mesh_edge_units_area_cells", fmt::format("{}", area["area_cells_all_edge_units"].get<long>())});
    }
  } else {
    if (explicit_report) warn(area["reason"].get<std::string>());
    rows.push_back({"edge_unit_area_cells", "not available: " + area["reason"].get<std::string>()});
  }

  // Operations per converged inference, from the predicted diffusion steps (spectrum.h).
  json conv = nullptr;
  if (!o.input.empty()) {
    require_positive(o.alpha, "--alpha");
    require_positive(o.dt, "--dt");
    require_positive(o.tol, "--tol");
    const double s = o.alpha * o.dt;
    std::vector<double> lmin, steps;
    long worst = 0;
    bool diverges = false;
    for (Eigen::Index c = 0; c < inputs.size(); ++c) {
      const SpectrumResult r = analyse_spectrum(net, inputs.X.col(c), s, o.tol, false);
      lmin.push_back(r.lambda_min);
      steps.push_back(static_cast<double>(r.predicted_steps));
      if (r.predicted_steps < 0) diverges = true;
      worst = std::max(worst, r.predicted_steps);
    }
    const OpCounts per_step = ops::sheaf_step(layers, 1, w, ops::SheafStep::Inference);
    conv = {{"alpha", o.alpha},
            {"dt", o.dt},
            {"tol", o.tol},
            {"samples", inputs.size()},
            {"lambda_min_median", median(lmin)},
            {"forward_pass_macs_per_sample", ops::num_weights(layers)},
            {"per_inference_step_per_sample", counts_json(per_step, table)}};
    if (diverges) {
      conv["predicted_steps_median"] = nullptr;
      conv["predicted_steps_max"] = nullptr;
      conv["note"] = "s lambda_max >= 2 for some input: diffusion does not converge at this dt";
      rows.push_back({"predicted_steps_median", "n/a (does not converge at this dt)"});
    } else {
      const auto med = static_cast<std::uint64_t>(std::ceil(median(steps)));
      const OpCounts per_sample = per_step.scaled(med);
      const OpCounts per_batch =
          ops::sheaf_step(layers, u(static_cast<long>(inputs.size())), w, ops::SheafStep::Inference).scaled(u(worst));
      conv["predicted_steps_median"] = med;
      conv["predicted_steps_max"] = worst;
      conv["per_converged_inference_per_sample"] = counts_json(per_sample, table);
      conv["per_converged_inference_all_inputs"] = counts_json(per_batch, table);
      rows.push_back({"predicted_steps_median", fmt::format("{}", med)});
      rows.push_back({"synapse_macs_per_converged_inference", fmt::format("{}", per_sample.synapse_macs())});
      rows.push_back({"energy_pJ_per_converged_inference", num(ops::energy_total_pJ(per_sample, table))});
    }
  }

  json j = {{"command", "ops"},
            {"network", {{"source", net_source}, {"layers", layers}, {"weights", ops::num_weights(layers)}}},
            {"batch", B},
            {"formats", cfg.to_json()},
            {"operand_bits", w.to_json()},
            {"energy_table", table.to_json()},
            {"methods", methods},
            {"mesh", mesh_json},
            {"area", area},
            {"converged_inference", conv}};
  if (!o.out.empty()) {
    write_json(o.out, j);
    rows.push_back({"report", o.out});
  }
  print_statistics("sheafsim ops", rows);
}

}  // namespace

void register_ops(CLI::App& app) {
  auto o = std::make_shared<OpsOpts>();
  o->fx.arith = "fixed";
  CLI::App* sub = app.add_subcommand(
      "ops", "Operation counts per action (sheaf, sgd, sid), energy from a per-action table, edge-unit area; --mesh adds "
             "SRAM and link traffic from the mapping");
  add_config_option(*sub);
  sub->add_option("--net", o->net, "Network JSON file (or --layers)");
  sub->add_option("--layers", o->layers, "Widths n0,...,nL instead of --net");
  sub->add_option("--batch", o->batch, "Samples per step (default: the rows of --input)");
  sub->add_option("--method", o->method, "sheaf, sgd, sid or all")->capture_default_str();
  sub->add_option("--inner", o->inner, "K: K-1 stalk-only steps before every joint step (sheaf)")->capture_default_str();
  sub->add_option("--epoch-steps", o->epoch_steps, "Euler steps per sheaf epoch (sgd: one full-batch step)")
      ->capture_default_str();
  sub->add_option("--sid-modules", o->sid_modules, "SID: modules in the cascade")->capture_default_str();
  sub->add_option("--sid-hidden", o->sid_hidden, "SID: hidden width of a module (0: twice the features)")
      ->capture_default_str();
  sub->add_option("--input", o->input, "Input CSV: with --net, the predicted steps and operations of a converged inference");
  sub->add_option("--alpha", o->alpha, "Stalk rate alpha (converged inference)")->capture_default_str();
  sub->add_option("--dt", o->dt, "Euler step dt (converged inference)")->capture_default_str();
  sub->add_option("--tol", o->tol, "Error reduction factor of a converged inference")->capture_default_str();
  sub->add_option("--energy-table", o->energy_table, "Energy per action, TOML (default " SHEAFSIM_DEFAULT_ENERGY_TABLE ")");
  sub->add_option("--synth-report", o->synth_report,
                  "Yosys synthesis report for the area (default " SHEAFSIM_DEFAULT_SYNTH_REPORT ")");
  sub->add_option("--out", o->out, "Write the JSON report here");
  // The operand formats (the fixed-point options of train, without --arith).
  FixedOptions& f = o->fx;
  sub->add_option("--fixed-config,--formats", f.fixed_config, "TOML file with the formats (as train --fixed-config)");
  sub->add_option("--stalk-format", f.stalk, "Q<i>.<f> of z, a (default Q4.12)");
  sub->add_option("--weight-format", f.weight, "Q<i>.<f> of W (default Q4.12)");
  sub->add_option("--bias-format", f.bias, "Q<i>.<f> of b (default Q4.12)");
  sub->add_option("--residual-format", f.residual, "Q<i>.<f> of u (default Q4.12)");
  sub->add_option("--constant-format", f.constant, "Q<i>.<f> of alpha dt, beta dt (default Q1.31)");
  sub->add_option("--acc-bits", f.acc_bits, "Accumulator width (default 48)");
  sub->add_option("--round", f.round, "Rounding mode (selects the synthesised unit for the area; default rnd_conv)");
  sub->add_option("--overflow", f.overflow, "Overflow mode (selects the synthesised unit; default sat)");
  add_mesh_options(*sub, o->mesh);
  sub->callback([o, sub] { run_ops(*o, *sub); });
}

}  // namespace sheafsim::cli
