#include "sheafsim/run/infer_run.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/train/report_json.h"
#include "sheafsim/base/resource_limits.h"
#include "sheafsim/reference/settings.h"

namespace sheafsim {

void check_inference_size(const Network& net, Eigen::Index samples, bool fixed, bool compare_float) {
  // The stalks, plus every stalk of every sample in the report (about 96 bytes a number as JSON and text).
  const RunSize rs{net.layers, samples, 0, fixed, compare_float, 0};
  check_index_range(rs);
  double neurons = 0;
  for (int n : net.layers) neurons += n;
  check_memory(run_bytes(rs) + 96.0 * neurons * static_cast<double>(samples),
               fmt::format("inference of [{}] on {} samples", fmt::join(net.layers, ","), samples));
}

void check_fixed_inference(const FixedConfig& cfg, const InferenceOptions& opt, const Network& net,
                           Eigen::Index samples, const std::function<void(const std::string&)>& warn) {
  if (auto w = accumulator_warning(cfg, net.layers, static_cast<long>(samples))) warn(*w);
  quantize_constant(opt.alpha * opt.dt, cfg, "alpha*dt");
}

InferRun run_infer(const InferSpec& s, const InferenceProgress& progress) {
  InferRun run;
  const Matrix& X = s.data.X;
  if (!s.fixed) {
    run.result = run_inference(s.net, X, s.opt, progress, s.progress_every);
  } else {
    FixedRunInfo info;
    run.result = run_inference_fixed(s.net, X, s.opt, s.formats, &info, progress, s.progress_every, s.stepper);
    run.fixed = info;
    if (s.compare_float) {
      const InferenceResult rf = run_inference(s.net, X, s.opt);
      run.float_steps = rf.steps;
      run.vs_float = stalk_difference(run.result.state, rf.state);
    }
  }
  run.forward_output = forward(s.net, X).output;
  run.output = s.net.output == OutputKind::Identity ? run.result.state.z.back() : run.result.state.a_out;
  run.max_abs_error_vs_forward = (run.output - run.forward_output).cwiseAbs().maxCoeff();
  // With free input coordinates the pinned input is the relaxed one (state.x).
  const Matrix& x_used = run.result.state.x.size() > 0 ? run.result.state.x : X;
  run.discord = discord(s.net, run.result.state, x_used, nullptr, Phase::Inference);
  run.diverged = run.diverged || !x_used.allFinite();
  for (const auto& m : run.result.state.z) run.diverged = run.diverged || !m.allFinite();
  for (const auto& m : run.result.state.a) run.diverged = run.diverged || !m.allFinite();
  run.diverged = run.diverged || !run.output.allFinite();
  return run;
}

nlohmann::json to_json(const InferSpec& s, const InferRun& run) {
  const InferenceResult& r = run.result;
  nlohmann::json samples = nlohmann::json::array();
  for (Eigen::Index c = 0; c < s.data.size(); ++c) {
    nlohmann::json z = nlohmann::json::array(), a = nlohmann::json::array();
    for (const auto& m : r.state.z) z.push_back(matrix_columns_to_json(m, c));
    for (const auto& m : r.state.a) a.push_back(matrix_columns_to_json(m, c));
    samples.push_back({{"output", matrix_columns_to_json(run.output, c)},
                       {"forward_output", matrix_columns_to_json(run.forward_output, c)},
                       {"z", std::move(z)},
                       {"a", std::move(a)}});
    // Free input coordinates (pins): the input the diffusion settled on; else null.
    samples.back()["input"] = r.state.x.size() > 0 ? matrix_columns_to_json(r.state.x, c) : nlohmann::json(nullptr);
  }
  // The stop that does not apply is null: `steps` for the tolerance stop (-1 in the
  // request), `tol` and `max_steps` for a fixed number of steps.
  nlohmann::json settings = s.settings;
  if (settings.contains("steps") && settings["steps"].is_number_integer()) {
    if (settings["steps"].get<long>() < 0) {
      settings["steps"] = nullptr;
    } else {
      if (settings.contains("tol")) settings["tol"] = nullptr;
      if (settings.contains("max_steps")) settings["max_steps"] = nullptr;
    }
  }
  nlohmann::json j = {
      {"command", "infer"},
      {"network", {{"file", s.net_file}, {"layers", s.net.layers}, {"output", to_string(s.net.output)}}},
      {"settings", settings},
      {"arith", s.fixed ? "fixed" : "float"},
      {"steps", r.steps},
      {"converged", r.converged && !run.diverged},
      {"diverged", run.diverged},
      {"last_max_change", run.diverged ? nlohmann::json(nullptr) : nlohmann::json(r.last_delta)},
      {"max_abs_error_vs_forward", std::isfinite(run.max_abs_error_vs_forward)
                                       ? nlohmann::json(run.max_abs_error_vs_forward) : nlohmann::json(nullptr)},
      {"wall_time_s", r.wall_s},
      {"us_per_step", r.steps > 0 ? nlohmann::json(1e6 * r.wall_s / static_cast<double>(r.steps)) : nlohmann::json(nullptr)},
      {"discord", to_json(run.discord)},
      {"samples", std::move(samples)}};
  if (run.fixed) {
    j["fixed"] = fixed_json(*run.fixed, update_register_writes(s.net.layers, s.net.output != OutputKind::Identity,
                                                               static_cast<std::uint64_t>(s.data.size()),
                                                               static_cast<std::uint64_t>(r.steps), 0));
    if (run.float_steps)
      j["fixed"]["compare_float"] = {{"float_steps", *run.float_steps}, {"stalks", to_json(run.vs_float)}};
  }
  return j;
}

}  // namespace sheafsim
