#include <fmt/format.h>

#include "commands.h"
#include "console.h"
#include "fixed_options.h"
#include "sheafsim/analysis/compare.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/discord.h"
#include "sheafsim/base/error.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/base/resource_limits.h"
#include "resource_options.h"
#include "sheafsim/reference/settings.h"
#include "toml_config.h"

namespace sheafsim::cli {

namespace {

struct InferOpts {
  std::string net, input, out, stalk_init = "zeros", output_mode = "exact";
  double alpha = 1.0, dt = 0.01, tol = 1e-9;
  long steps = -1, max_steps = 200000;
  std::uint64_t seed = 42;
  FixedOptions fx;
};

void run_infer(const InferOpts& o) {
  const Network net = read_network(o.net);
  const Dataset data = read_csv(o.input);
  check_compatible(net, data, false, o.input);
  {  // the stalks, plus every stalk of every sample in the report (about 96 bytes a number as JSON and text)
    const RunSize rs{net.layers, data.size(), 0, o.fx.fixed(), o.fx.compare_float, 0};
    check_index_range(rs);
    double neurons = 0;
    for (int n : net.layers) neurons += n;
    check_memory(run_bytes(rs) + 96.0 * neurons * static_cast<double>(data.size()),
                 fmt::format("inference of [{}] on {} samples", fmt::join(net.layers, ","), data.size()));
  }
  InferenceOptions opt;
  opt.alpha = o.alpha;
  opt.dt = o.dt;
  if (auto w = check_step_size(net, o.alpha, o.dt, false)) warn(*w);
  if (o.steps >= 0) require_count(o.steps, "--steps", 0, 1000000000);
  require_positive(o.tol, "--tol");
  require_count(o.max_steps, "--max-steps", 1, 1000000000);
  opt.fixed_steps = o.steps;
  opt.tol = o.tol;
  opt.max_steps = o.max_steps;
  opt.init = parse_stalk_init(o.stalk_init);
  opt.seed = o.seed;
  opt.output_mode = parse_output_mode(o.output_mode);

  const bool fixed = o.fx.fixed();
  ProgressLine progress("infer", o.steps >= 0 ? o.steps : o.max_steps);
  const InferenceProgress on_step = [&](long done, double d) {
    progress.update(done, fmt::format("max|change| {:.3g}", d));
  };
  nlohmann::json fixed_json;
  std::vector<StatRow> fixed_rows;
  InferenceResult r;
  if (!fixed) {
    r = run_inference(net, data.X, opt, on_step);
  } else {
    const FixedConfig cfg = o.fx.resolve();
    if (auto w = accumulator_warning(cfg, net.layers, static_cast<long>(data.size()))) warn(*w);
    quantize_constant(o.alpha * o.dt, cfg, "alpha*dt");
    FixedRunInfo info;
    r = run_inference_fixed(net, data.X, opt, cfg, &info, on_step);
    fixed_json = info.to_json();
    fixed_rows = fixed_statistics(info, false);
    if (o.fx.compare_float) {
      const InferenceResult rf = run_inference(net, data.X, opt);
      const Difference d = stalk_difference(r.state, rf.state);
      fixed_json["compare_float"] = {{"float_steps", rf.steps}, {"stalks", to_json(d)}};
      fixed_rows.push_back({"stalks_max_abs_diff_vs_float", num(d.max_abs)});
      fixed_rows.push_back({"stalks_rms_diff_vs_float", num(d.rms)});
    }
  }
  progress.finish();

  const ForwardPass fp = forward(net, data.X);
  const Matrix& out = net.output == OutputKind::Identity ? r.state.z.back() : r.state.a_out;
  nlohmann::json samples = nlohmann::json::array();
  for (Eigen::Index c = 0; c < data.size(); ++c) {
    nlohmann::json z = nlohmann::json::array(), a = nlohmann::json::array();
    for (const auto& m : r.state.z) z.push_back(matrix_columns_to_json(m, c));
    for (const auto& m : r.state.a) a.push_back(matrix_columns_to_json(m, c));
    samples.push_back({{"output", matrix_columns_to_json(out, c)},
                       {"forward_output", matrix_columns_to_json(fp.output, c)},
                       {"z", std::move(z)},
                       {"a", std::move(a)}});
  }
  const double max_err = (out - fp.output).cwiseAbs().maxCoeff();
  nlohmann::json j = {
      {"command", "infer"},
      {"network", {{"file", o.net}, {"layers", net.layers}, {"output", to_string(net.output)}}},
      {"settings",
       {{"alpha", o.alpha}, {"dt", o.dt}, {"steps", o.steps}, {"tol", o.tol}, {"max_steps", o.max_steps},
        {"stalk_init", o.stalk_init}, {"seed", o.seed}, {"output_mode", o.output_mode}}},
      {"arith", fixed ? "fixed" : "float"},
      {"steps", r.steps},
      {"converged", r.converged},
      {"last_max_change", r.last_delta},
      {"max_abs_error_vs_forward", max_err},
      {"wall_time_s", r.wall_s},
      {"us_per_step", r.steps > 0 ? 1e6 * r.wall_s / static_cast<double>(r.steps) : 0.0},
      {"discord", to_json(discord(net, r.state, data.X, nullptr, Phase::Inference))},
      {"samples", std::move(samples)}};
  if (fixed) j["fixed"] = fixed_json;
  write_json(o.out, j);
  std::vector<StatRow> rows = {{"samples", fmt::format("{}", data.size())},
                    {"steps", fmt::format("{}", r.steps)},
                    {"converged", r.converged ? "yes" : "no"},
                    {"last_max_change", num(r.last_delta)},
                    {"max_abs_error_vs_forward", num(max_err)},
                    {"wall_time_s", num(r.wall_s)},
                    {"us_per_step", num(r.steps > 0 ? 1e6 * r.wall_s / static_cast<double>(r.steps) : 0.0)},
                    {"arith", fixed ? "fixed" : "float"}};
  rows.insert(rows.end(), fixed_rows.begin(), fixed_rows.end());
  rows.push_back({"report", o.out});
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
  sub->add_option("--seed", o->seed, "Stalk seed (random init)")->capture_default_str();
  sub->add_option("--output-mode", o->output_mode, "Output vertex pull for sigmoid/softmax: exact or jacobian-free")
      ->capture_default_str();
  sub->add_option("--out", o->out, "Result JSON file")->required();
  add_fixed_options(*sub, o->fx);
  sub->callback([o] { run_infer(*o); });
}

}  // namespace sheafsim::cli
