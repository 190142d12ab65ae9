// `sheafsim ops`: analytic operation counts, energy and area (docs/ops.md).
// The options become a request (ops::OpsSpec), the library counts it
// (sheafsim/cost/ops_report.h), and this prints the statistics block and writes
// the JSON report.
#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "mesh_options.h"
#include "option_rules.h"
#include "pins_options.h"
#include "toml_config.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/cost/energy_table.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/base/error.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/cost/ops_report.h"
#include "sheafsim/reference/settings.h"

#ifndef SHEAFSIM_DEFAULT_ENERGY_TABLE
#define SHEAFSIM_DEFAULT_ENERGY_TABLE "configs/energy-45nm-horowitz.toml"
#endif
#ifndef SHEAFSIM_DEFAULT_SYNTH_REPORT
#define SHEAFSIM_DEFAULT_SYNTH_REPORT "build/synth/edge_unit_synth.json"
#endif

namespace sheafsim::cli {

namespace {

struct OpsOpts {
  std::string net, layers, input, method = "sheaf", energy_table, synth_report, out, pins;
  long batch = -1, epoch_steps = 1000;
  int inner = 1, sid_modules = 4, sid_hidden = 0;
  double alpha = 1.0, dt = 0.01, tol = 1e-9;
  FixedOptions fx;
  MeshOptions mesh;
};

// The request: files read, options checked, formats, mesh and energy table resolved.
ops::OpsSpec ops_spec(const OpsOpts& o, const CLI::App& sub) {
  ops::OpsSpec s;
  // The network: a file or a shape.
  if (!o.net.empty() == !o.layers.empty()) throw InputError("give exactly one of --net FILE or --layers n0,...,nL");
  if (!o.net.empty()) {
    s.net = read_network(o.net);
    s.net_file = o.net;
  } else {
    s.net.layers = parse_layers(o.layers);
    s.layers_arg = o.layers;
  }
  if (!o.input.empty() && o.net.empty()) throw InputError("--input needs --net FILE (the spectrum needs the weights)");
  s.has_inputs = !o.input.empty();
  if (s.has_inputs) {
    s.inputs = read_csv(o.input);
    check_compatible(s.net, s.inputs, false, o.input);
  }
  long batch = o.batch;
  if (batch < 0) {
    if (!s.has_inputs) throw InputError("--batch is required (or --input FILE: its samples are the batch)");
    batch = static_cast<long>(s.inputs.size());
  }
  require_count(batch, "--batch", 1, 1L << 30);
  require_count(o.inner, "--inner", 1, 1000000);
  require_count(o.epoch_steps, "--epoch-steps", 1, 1000000000);
  s.batch = static_cast<std::uint64_t>(batch);
  s.inner = o.inner;
  s.epoch_steps = o.epoch_steps;
  ops::set_methods(s, o.method);
  require_count(o.sid_modules, "--sid-modules", 1, 100000);
  require_count(o.sid_hidden, "--sid-hidden", 0, 1 << 24);
  s.sid_modules = o.sid_modules;
  s.sid_hidden = o.sid_hidden;
  const bool with_mesh = sub.get_option("--mesh")->count() > 0;
  // The output unit (sigmoid, softmax) is counted and priced on the mesh (docs/ops.md, "Output unit").
  if (!o.net.empty() && s.net.output != OutputKind::Identity && !with_mesh)
    warn(fmt::format("{} has a {} output: its lookup unit is counted with --mesh only (the network counts are "
                     "identity-output counts)",
                     o.net, to_string(s.net.output)));
  // Options typed for a count this request does not make.
  if (!with_mesh)
    refuse_typed(sub, kMeshShapeOptionNames, "applies with --mesh RxC (the mesh-dependent counts)");
  if (!s.has_inputs)
    refuse_typed(sub, {"--alpha", "--dt", "--tol"},
                 "applies with --net FILE --input FILE (the operations of a converged inference)");
  if (o.method != "sid" && o.method != "all")
    refuse_typed(sub, {"--sid-modules", "--sid-hidden"}, "applies to --method sid or all");
  if (o.method != "sheaf" && o.method != "all")
    refuse_typed(sub, {"--inner", "--epoch-steps"}, "applies to --method sheaf or all");
  if (with_mesh && !s.sheaf && !s.sgd) throw InputError("--mesh counts sheaf or SGD steps on the mesh: use --method sheaf, sgd or all");
  s.formats = o.fx.resolve();
  if (with_mesh) s.mesh = o.mesh.resolve();
  ops::check_count_range(s);
  s.table_path = o.energy_table.empty() ? SHEAFSIM_DEFAULT_ENERGY_TABLE : o.energy_table;
  s.table = ops::EnergyTable::load(s.table_path);
  if (!with_mesh) o.mesh.resolve();  // the mesh settings are checked even when unused
  s.synth_report_given = !o.synth_report.empty();
  s.synth_report = s.synth_report_given ? o.synth_report : SHEAFSIM_DEFAULT_SYNTH_REPORT;
  s.alpha = o.alpha;
  s.dt = o.dt;
  s.tol = o.tol;
  if (!o.pins.empty()) {  // the soft pins' work in every sheaf training step
    if (!s.sheaf) throw InputError("--pins applies to --method sheaf or all (pins clamp the sheaf's stalks)");
    s.pins = *load_pins(o.pins, s.net, PinUse::Training);
    s.pins_file = o.pins;
  }
  return s;
}

std::string count(std::uint64_t v) { return fmt::format("{}", v); }

// The statistics block: the per-training-step figures of each method, the mesh, the area, the converged inference.
std::vector<StatRow> ops_rows(const ops::OpsReport& r) {
  const FixedConfig& cfg = r.formats;
  std::vector<StatRow> rows = {{"layers", fmt::format("{}", fmt::join(r.layers, ","))},
                               {"batch", count(r.batch)},
                               {"weights", count(r.weights)},
                               {"formats", fmt::format("stalk {} weight {} bias {} residual {} constant {} acc {} bits",
                                                       cfg.stalk.str(), cfg.weight.str(), cfg.bias.str(),
                                                       cfg.residual.str(), cfg.constant.str(), cfg.acc_bits)},
                               {"energy_table", fmt::format("{} ({}, {})", r.table.name(), r.table.technology(),
                                                            r.table_path)}};
  // name_synapse_macs_per_training_step, name_energy_pJ_per_training_step, name_pJ_per_synapse_mac
  auto method_rows = [&rows](const std::string& name, const ops::OpCounts& step, double e) {
    rows.push_back({name + "_synapse_macs_per_training_step", count(step.synapse_macs())});
    rows.push_back({name + "_energy_pJ_per_training_step", num(e)});
    rows.push_back({name + "_pJ_per_synapse_mac", num(e / static_cast<double>(step.synapse_macs()))});
  };
  if (r.sheaf) {
    rows.push_back({"sheaf_inner", fmt::format("{}", r.sheaf->inner)});
    method_rows("sheaf", r.sheaf->per_training_step, r.sheaf->energy_pJ_per_training_step);
  }
  if (!r.pins_file.empty())
    rows.push_back({"soft_pin_multiply_adds_per_step",
                    fmt::format("{} ({}; in the sheaf counts)", count(r.soft_pins_per_step.total(ops::Op::ConstantMultiply)),
                                r.pins_file)});
  if (r.sgd) method_rows("sgd", r.sgd->per_training_step, r.sgd->energy_pJ_per_training_step);
  if (r.sid) {
    const ops::SidCounts& c = r.sid->counts;
    rows.push_back({"sid_architecture",
                    fmt::format("phi {} + {} modules ({}+{} -> {} -> {}), {} parameters", fmt::join(c.extractor, ","),
                                c.modules, c.features, c.classes, c.hidden, c.classes, c.parameters)});
    method_rows("sid", r.sid->per_training_step, r.sid->energy_pJ_per_training_step);
  }
  if (r.mesh) {
    const ops::MeshOps& m = *r.mesh;
    rows.push_back({"mesh", fmt::format("{}x{} PEs, {} lanes, {} tiles of {}x{}", m.config.rows, m.config.cols,
                                        m.config.lanes, m.tiles, m.tile_rows, m.tile_cols)});
    // prefix_sram_read_bits_per_training_step, ...: the sheaf's (mesh_) and an SGD step's (mesh_sgd_).
    auto phase_rows = [&rows](const std::string& prefix, const ops::MeshPhaseOps& t) {
      rows.push_back({prefix + "_sram_read_bits_per_training_step", count(t.sram_read_bits)});
      rows.push_back({prefix + "_sram_write_bits_per_training_step", count(t.sram_write_bits)});
      rows.push_back({prefix + "_flits_per_training_step", count(t.pe_totals.flits_sent + t.vertex_totals.flits_sent)});
      rows.push_back({prefix + "_flit_hops_per_training_step", count(t.flit_hops)});
      rows.push_back({prefix + "_busy_cycles_max_unit_per_training_step", count(t.busy_cycles_max_unit)});
      rows.push_back({prefix + "_energy_pJ_per_training_step", num(t.total_pJ)});
    };
    if (m.sheaf) phase_rows("mesh", m.per_training_step);
    if (m.sgd) {
      phase_rows("mesh_sgd", m.sgd->per_training_step);
      rows.push_back({"mesh_sgd_pe_sram_bits_needed_max", count(static_cast<std::uint64_t>(m.sgd->pe_sram_bits_needed_max))});
    }
    if (m.silicon.available) {
      const nlohmann::json si = ops::silicon_json(m);
      rows.push_back({"pe_clock_mhz", fmt::format("{} (45 nm, {})", num(m.silicon.clock_mhz), m.silicon.basis)});
      rows.push_back({"mesh_area_mm2", fmt::format("{} (PEs' logic and SRAM, vertex-unit SRAM)", num(si["mesh_area_mm2"].get<double>()))});
    } else {
      rows.push_back({"mesh_area_mm2", "n/a (" + m.silicon.reason + ")"});
    }
  }
  const ops::EdgeUnitArea& a = r.area;
  if (a.available) {
    rows.push_back({"edge_unit_area_cells",
                    fmt::format("{} ({} {}/{})", a.area_cells, a.parameter_set, a.quant, a.overflow)});
    rows.push_back({"edge_unit_transistors",
                    fmt::format("{}{}", a.transistors, a.transistors_exclude_flip_flops ? " (excl. flip-flops)" : "")});
    if (a.edge_units) rows.push_back({"mesh_edge_units_area_cells", fmt::format("{}", a.area_cells_all)});
  } else {
    rows.push_back({"edge_unit_area_cells", "not available: " + a.reason});
  }
  if (r.converged) {
    const ops::ConvergedOps& c = *r.converged;
    if (c.diverges) {
      rows.push_back({"predicted_steps_median", "n/a (does not converge at this dt)"});
    } else {
      rows.push_back({"predicted_steps_median", count(c.predicted_steps_median)});
      rows.push_back({"synapse_macs_per_converged_inference", count(c.per_sample.synapse_macs())});
      rows.push_back({"energy_pJ_per_converged_inference", num(c.energy_pJ_per_sample)});
    }
  }
  return rows;
}

void run_ops(const OpsOpts& o, const CLI::App& sub) {
  const ops::OpsReport r = ops::run_ops(ops_spec(o, sub), warn);
  std::vector<StatRow> rows = ops_rows(r);
  if (!o.out.empty()) {
    write_json(o.out, ops::to_json(r));
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
  sub->add_option("--pins", o->pins, "Pins file (JSON): count and price the soft pins' work in every sheaf step");
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
  add_mesh_options(*sub, o->mesh, false, false);
  sub->callback([o, sub] { run_ops(*o, *sub); });
}

}  // namespace sheafsim::cli
