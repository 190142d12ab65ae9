// `sheafsim infer`: the options become a request (InferSpec, infer_run.h),
// the library runs the diffusion, and this writes the report and prints the
// statistics block.
#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "option_rules.h"
#include "pins_options.h"
#include "resource_options.h"
#include "toml_config.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/base/error.h"
#include "sheafsim/run/infer_run.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/reference/settings.h"

namespace sheafsim::cli {

namespace {

struct InferOpts {
  std::string net, input, out, stalk_init = "zeros", output_mode = "exact", pins;
  double alpha = 1.0, dt = 0.01, tol = 1e-9;
  long steps = -1, max_steps = 200000;
  std::uint64_t seed = 42;
  FixedOptions fx;
};

// The request: files read and checked, options validated (a warning for a step size beyond the bound).
InferSpec infer_spec(const InferOpts& o) {
  InferSpec s;
  s.net = read_network(o.net);
  s.net_file = o.net;
  s.data = read_csv(o.input);
  check_compatible(s.net, s.data, false, o.input);
  check_inference_size(s.net, s.data.size(), o.fx.fixed(), o.fx.compare_float);
  InferenceOptions& opt = s.opt;
  opt.alpha = o.alpha;
  opt.dt = o.dt;
  opt.pins = load_pins(o.pins, s.net, PinUse::Inference);
  if (auto w = check_step_size(s.net, o.alpha, o.dt, false, soft_pull(opt.pins))) warn(*w);
  if (o.steps >= 0) require_count(o.steps, "--steps", 0, 1000000000);
  require_positive(o.tol, "--tol");
  require_count(o.max_steps, "--max-steps", 1, 1000000000);
  opt.fixed_steps = o.steps;
  opt.tol = o.tol;
  opt.max_steps = o.max_steps;
  opt.init = parse_stalk_init(o.stalk_init);
  opt.seed = o.seed;
  opt.output_mode = parse_output_mode(o.output_mode);
  s.settings = {{"alpha", o.alpha}, {"dt", o.dt},   {"steps", o.steps},           {"tol", o.tol},
                {"max_steps", o.max_steps}, {"stalk_init", o.stalk_init}, {"seed", o.seed},
                {"output_mode", o.output_mode}, {"pins", pins_setting(o.pins, opt.pins)}};
  s.fixed = o.fx.fixed();
  if (!s.fixed) return s;
  s.formats = o.fx.resolve();
  s.compare_float = o.fx.compare_float;
  check_fixed_inference(s.formats, opt, s.net, s.data.size(), warn);
  if (opt.pins) check_pins(*opt.pins, s.formats, opt.alpha * opt.dt);  // refused before the run
  return s;
}

void run_infer_command(const InferOpts& o) {
  const InferSpec spec = infer_spec(o);
  ProgressLine progress(spec.fixed ? "infer (fixed)" : "infer (float)", o.steps >= 0 ? o.steps : o.max_steps, "steps",
                        o.steps < 0);  // stopping at --tol: --max-steps is only a bound
  const InferRun run = run_infer(spec, [&](long done, double d) {
    progress.update(done, fmt::format("max|change| {:.3g}", d));
  });
  progress.finish();
  if (!o.out.empty()) write_json(o.out, to_json(spec, run));
  const InferenceResult& r = run.result;
  if (run.diverged)
    warn(fmt::format("inference diverged: the stalks are not finite after {} steps (the figures read n/a); reduce --dt "
                     "(sheafsim spectrum gives the stable range)",
                     r.steps));
  std::vector<StatRow> rows = {{"samples", fmt::format("{}", spec.data.size())},
                               {"steps", fmt::format("{}", r.steps)},
                               {"converged", run.diverged ? "no (diverged: the stalks are not finite)"
                                                          : r.converged ? "yes" : "no"},
                               {"last_max_change", run.diverged ? "n/a" : num(r.last_delta)},
                               {"max_abs_error_vs_forward", num(run.max_abs_error_vs_forward)},
                               {"wall_time_s", num(r.wall_s)},
                               {"us_per_step", r.steps > 0 ? num(1e6 * r.wall_s / static_cast<double>(r.steps)) : "n/a"},
                               {"arith", spec.fixed ? "fixed" : "float"},
                               {"pins", o.pins.empty() ? "none" : pins_summary(o.pins, *spec.opt.pins)}};
  if (run.fixed) {
    const std::uint64_t writes =
        update_register_writes(spec.net.layers, spec.net.output != OutputKind::Identity,
                               static_cast<std::uint64_t>(spec.data.size()), static_cast<std::uint64_t>(r.steps), 0);
    for (const auto& row : fixed_statistics(*run.fixed, false, writes)) rows.push_back(row);
    if (run.float_steps) {
      rows.push_back({"stalks_max_abs_diff_vs_float", num(run.vs_float.max_abs)});
      rows.push_back({"stalks_rms_diff_vs_float", num(run.vs_float.rms)});
    }
  }
  rows.push_back({"report", o.out.empty() ? "not written (no --out FILE)" : o.out});
  print_statistics("sheafsim infer", rows);
}

}  // namespace

void register_infer(CLI::App& app) {
  auto o = std::make_shared<InferOpts>();
  CLI::App* sub = app.add_subcommand("infer", "Relax the stalks by sheaf diffusion with the input pinned");
  add_config_option(*sub);
  add_resource_options(*sub);
  sub->add_option("--net", o->net, "Network JSON file")->required();
  sub->add_option("--input", o->input, "Input CSV (x0.. columns; y columns ignored)")->required();
  sub->add_option("--alpha", o->alpha, "Stalk rate alpha")->capture_default_str();
  sub->add_option("--dt", o->dt, "Euler step dt")->capture_default_str();
  auto* steps = sub->add_option("--steps", o->steps, "Run exactly N steps (no tolerance stop)");
  sub->add_option("--tol", o->tol, "Stop when max |change| of any stalk in a step < tol")
      ->capture_default_str()
      ->excludes(steps);
  sub->add_option("--max-steps", o->max_steps, "Step cap for the tolerance stop")->capture_default_str()->excludes(steps);
  sub->add_option("--stalk-init", o->stalk_init, "zeros, forward or random")->capture_default_str();
  sub->add_option("--stalk-seed,--seed", o->seed, "Stalk seed of --stalk-init random (--seed: deprecated alias)")
      ->capture_default_str();
  sub->add_option("--output-mode", o->output_mode, "Output vertex pull for sigmoid/softmax: exact or jacobian-free")
      ->capture_default_str();
  sub->add_option("--out", o->out, "Result JSON file (without it: the statistics block only)");
  sub->add_option("--pins", o->pins, "Pins file (JSON): hard, soft and free pins on stalk coordinates (docs/file-formats.md)");
  add_fixed_options(*sub, o->fx);
  sub->callback([o, sub] {
    refuse_fixed_options_when_float(o->fx, *sub);
    if (typed(*sub, "--stalk-seed") && o->stalk_init != "random")
      deferred_warning(fmt::format("--stalk-seed seeds --stalk-init random; this run starts from {} stalks (ignored)",
                                   o->stalk_init));
    run_infer_command(*o);
  });
}

}  // namespace sheafsim::cli
