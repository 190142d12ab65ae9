#include "sheafsim/train/report_json.h"

#include <cmath>

#include <fmt/format.h>

namespace sheafsim {

using nlohmann::json;

namespace {
json maybe(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
}  // namespace

json to_json(const TrainPoint& p) {
  return {{"step", p.step},
          {"train_loss", maybe(p.train.loss)},
          {"test_loss", maybe(p.test.loss)},
          {"train_accuracy", maybe(p.train.accuracy)},
          {"test_accuracy", maybe(p.test.accuracy)},
          {"discord_total", maybe(p.discord_total)}};
}

json to_json(const TrainResult& r) {
  json history = json::array();
  for (const auto& p : r.history) history.push_back(to_json(p));
  return {{"steps", r.steps},
          {"param_updates", r.param_updates},
          {"wall_time_s", r.wall_s},
          {"us_per_step", r.steps > 0 ? json(1e6 * r.wall_s / static_cast<double>(r.steps)) : json(nullptr)},
          {"interrupted", r.interrupted},
          {"interrupted_at_step", r.interrupted ? json(r.steps) : json(nullptr)},
          {"history", std::move(history)},
          {"final", r.history.empty() ? json(nullptr) : to_json(r.history.back())}};
}

json to_json(const DiscordReport& d) {
  json edges = json::array();
  for (const auto& e : d.edges) edges.push_back({{"edge", e.edge}, {"type", e.type}, {"layer", e.layer}, {"value", e.value}});
  return {{"definition", "d_e = (1/B) sum_s |(delta x)_e|^2; total = sum of d_e (= 2 E_batch / B for quadratic edges)"},
          {"edges", std::move(edges)},
          {"by_layer", d.by_layer},
          {"by_type", {{"weight", d.weight}, {"activation", d.activation}, {"output", d.output}}},
          {"total", d.total}};
}

json to_json(const SpectrumResult& s) {
  return {{"lambda_min", s.lambda_min},     {"lambda_max", s.lambda_max},
          {"kappa", s.kappa},               {"det", s.det},
          {"contraction_per_step", s.contraction},
          // null: the Euler iteration does not contract (rho >= 1), no number of steps reaches tol
          {"predicted_steps", s.predicted_steps < 0 ? json(nullptr) : json(s.predicted_steps)}};
}

json matrix_columns_to_json(const Matrix& m, Eigen::Index column) {
  return std::vector<double>(m.col(column).data(), m.col(column).data() + m.rows());
}

std::string short_number(double v) {
  if (std::isnan(v)) return "n/a";
  // Whole numbers (counts, cycles, steps) as integers, never in exponent form.
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9.0e15)
    return fmt::format("{}", static_cast<std::int64_t>(v));
  // Large values in fixed notation (no exponent), 10 significant digits.
  if (std::isfinite(v) && std::fabs(v) >= 1e10) return fmt::format("{:.1f}", v);
  if (std::isfinite(v) && std::fabs(v) >= 1e4) return fmt::format("{:.10g}", v);
  return fmt::format("{:.6g}", v);
}

std::uint64_t update_register_writes(const std::vector<int>& layers, bool output_vertex, std::uint64_t batch,
                                     std::uint64_t diffusion_steps, std::uint64_t joint_steps) {
  const size_t L = layers.size() - 1;
  std::uint64_t stalks = 0, params = 0;
  for (size_t l = 1; l <= L; ++l) {
    const auto n = static_cast<std::uint64_t>(layers[l]), m = static_cast<std::uint64_t>(layers[l - 1]);
    stalks += l < L ? 2 * n : n;  // z and a for hidden layers, z for the output layer
    params += n * m + n;          // W_l and b_l
  }
  if (output_vertex) stalks += static_cast<std::uint64_t>(layers[L]);
  return stalks * batch * (diffusion_steps + joint_steps) + params * joint_steps;
}

std::uint64_t update_register_writes(const std::vector<int>& layers, std::uint64_t batch, const TrainResult& r) {
  const auto joint = static_cast<std::uint64_t>(r.param_updates);
  return update_register_writes(layers, false, batch, static_cast<std::uint64_t>(r.steps) - joint, joint);
}

json fixed_json(const FixedRunInfo& info, std::uint64_t update_writes) {
  json j = info.to_json();
  if (info.eta_raw == 0) {  // inference: no parameter step (a training eta never rounds to 0: an error)
    j["eta_used"] = nullptr;
    j["eta_raw"] = nullptr;
  }
  j["counters"]["update_register_writes"] = update_writes;
  j["counters"]["lost_updates_fraction"] =
      update_writes > 0 ? json(static_cast<double>(info.counters.total_lost_updates()) / static_cast<double>(update_writes))
                        : json(nullptr);
  return j;
}

namespace {
struct PinCounts {
  int hard = 0, soft = 0;
};
PinCounts count_pins(const PinSet& p) {
  PinCounts c;
  auto add = [&c](const StalkPins& sp) {
    for (size_t i = 0; i < sp.hard.size(); ++i) {
      c.hard += std::isnan(sp.hard[i]) ? 0 : 1;
      c.soft += std::isnan(sp.hard[i]) && sp.gamma[i] > 0 ? 1 : 0;
    }
  };
  for (const StalkPins& sp : p.z) add(sp);
  for (const StalkPins& sp : p.a) add(sp);
  add(p.a_out);
  return c;
}
}  // namespace

json pins_json(const std::string& file, const PinSet& pins) {
  const PinCounts c = count_pins(pins);
  return {{"file", file},
          {"pins", pins.pins.size()},
          {"hard_coordinates", c.hard},
          {"soft_coordinates", c.soft},
          {"free_input_coordinates", pins.free_inputs.size()}};
}

std::string pins_summary(const std::string& file, const PinSet& pins) {
  const PinCounts c = count_pins(pins);
  return fmt::format("{}: {} pin(s): {} hard, {} soft coordinate(s), {} free input coordinate(s)", file,
                     pins.pins.size(), c.hard, c.soft, pins.free_inputs.size());
}

}  // namespace sheafsim

