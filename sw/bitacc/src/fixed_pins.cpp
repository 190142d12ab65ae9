#include "sheafsim/bitacc/fixed_pins.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim {

namespace {

FixedStalkPins plan_stalk(const StalkPins& sp, const FixedConfig& cfg, FixedCounters& counters) {
  FixedStalkPins out;
  if (!sp.any_hard() && !sp.any_soft()) return out;
  const size_t n = sp.hard.size();
  out.is_hard.assign(n, 0);
  out.hard.assign(n, 0);
  out.gamma = sp.gamma;
  out.soft.assign(n, vertex::SoftPin{});
  auto load = [&](double v) {
    bool ovf = false;
    const std::int64_t raw = fx::from_double(v, cfg.stalk, fx::Quant::RndConv, cfg.overflow, &ovf);
    if (ovf) counters.saturated(FxClass::Input, 1);
    return raw;
  };
  for (size_t i = 0; i < n; ++i) {
    if (!std::isnan(sp.hard[i])) {
      out.is_hard[i] = 1;
      out.hard[i] = load(sp.hard[i]);
      out.any_hard = true;
    }
    if (sp.gamma[i] > 0) {
      out.soft[i].target = load(sp.target[i]);
      out.any_soft = true;
    }
  }
  return out;
}

std::string stalk_name(const char* v, size_t l) { return fmt::format("{}_{}", v, l); }

}  // namespace

std::int64_t pin_constant(double s, double gamma, const FixedConfig& cfg, const std::string& where) {
  const double kp = s * gamma;
  // v' - t = (1 - s gamma)(v - t) on a coordinate the pin alone moves: s gamma >= 2 diverges.
  if (!(kp < 2))
    throw InputError(fmt::format("soft pin on {}: alpha*dt*gamma = {:.6g} >= 2 (the pinned coordinate alone would "
                                 "diverge); lower gamma or alpha*dt",
                                 where, kp));
  const fx::FixedFormat f{cfg.constant.int_bits + 2, cfg.constant.frac_bits};
  bool ovf = false;
  const std::int64_t raw = fx::from_double(kp, f, fx::Quant::RndConv, fx::Overflow::Sat, &ovf);
  if (raw == 0 && kp > 0)
    throw InputError(fmt::format("soft pin on {}: alpha*dt*gamma = {:.6g} quantises to zero with {} fractional bits "
                                 "(--constant-format {}); it needs at least {}",
                                 where, kp, cfg.constant.frac_bits, cfg.constant.str(),
                                 std::max(static_cast<int>(std::ceil(-std::log2(kp))), 0)));
  return raw;
}

bool FixedPinPlan::any_soft() const {
  for (const auto& p : z)
    if (p.any_soft) return true;
  for (const auto& p : a)
    if (p.any_soft) return true;
  return a_out.any_soft;
}

void FixedPinPlan::set_step(double s, const FixedConfig& cfg) {
  if (s == s_seen) return;
  auto set = [&](FixedStalkPins& sp, const std::string& name) {
    if (!sp.any_soft) return;
    for (size_t i = 0; i < sp.soft.size(); ++i)
      if (sp.gamma[i] > 0) sp.soft[i].kp = pin_constant(s, sp.gamma[i], cfg, fmt::format("{}[{}]", name, i));
  };
  for (size_t k = 0; k < z.size(); ++k) set(z[k], stalk_name("z", k + 1));
  for (size_t k = 0; k < a.size(); ++k) set(a[k], stalk_name("a", k + 1));
  set(a_out, "a_out");
  s_seen = s;
}

FixedPinPlan plan_pins(const PinSet& pins, const FixedConfig& cfg, FixedCounters& counters) {
  if (pins.a_out.any_soft() && cfg.residual.frac_bits < cfg.stalk.frac_bits)
    throw InputError(fmt::format("a soft pin on a_out needs --residual-format {} to have at least the stalk's {} "
                                 "fractional bits (the a_out write is at the residual's)",
                                 cfg.residual.str(), cfg.stalk.frac_bits));
  // The widest pull, kp ((v - t) << (fw + fr - fs)) (kp: wc + 2 bits, v - t: ws + 1), added to the
  // write's other terms, must stay inside the exact model's 127 bits (FixedConfig::validate).
  const int pull_bits = cfg.constant.width() + 2 + cfg.stalk.width() + 1 + cfg.weight.frac_bits + cfg.residual.frac_bits -
                        cfg.stalk.frac_bits + 2;
  if (pull_bits > 127 && pins.soft_coordinates() > 0)
    throw InputError(fmt::format("soft pins need {}-bit intermediates with these formats, more than the 127 the exact "
                                 "model carries; narrow the constant or stalk format",
                                 pull_bits));
  FixedPinPlan plan;
  for (const StalkPins& sp : pins.z) plan.z.push_back(plan_stalk(sp, cfg, counters));
  for (const StalkPins& sp : pins.a) plan.a.push_back(plan_stalk(sp, cfg, counters));
  plan.a_out = plan_stalk(pins.a_out, cfg, counters);
  plan.free_inputs = pins.free_inputs;
  return plan;
}

void apply_hard(const FixedStalkPins& sp, IMatrixRef m, Eigen::Index r0, Eigen::Index r1) {
  if (!sp.any_hard) return;
  if (r1 < 0) r1 = m.rows();
  for (Eigen::Index r = r0; r < r1; ++r)
    if (sp.hard_row(r)) m.row(r).setConstant(sp.hard[static_cast<size_t>(r)]);
}

void apply_hard_pins(const FixedPinPlan& plan, BasicSheafState<Eigen::Matrix<std::int64_t, Eigen::Dynamic, Eigen::Dynamic>>& st) {
  for (size_t k = 0; k < st.z.size(); ++k) apply_hard(plan.z[k], st.z[k]);
  for (size_t k = 0; k < st.a.size(); ++k) apply_hard(plan.a[k], st.a[k]);
  if (st.has_output_vertex()) apply_hard(plan.a_out, st.a_out);
}

void check_pins(const PinSet& pins, const FixedConfig& cfg, double s) {
  FixedCounters scratch;
  scratch.resize(std::max<int>(1, static_cast<int>(pins.z.size())));
  plan_pins(pins, cfg, scratch).set_step(s, cfg);
}

}  // namespace sheafsim
