// Partial clamping in the bit-accurate model (docs/fixed-point.md §4.3): the
// pins' plan, the free input coordinates' step and the hard pins. The soft
// pulls enter the stalk writes of update_hidden, update_output and the output
// force (arith_fixed.cpp, output_force.cpp).
#include <algorithm>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/fixed_modes.h"
#include "sheafsim/fixed/vertex_datapath.h"

namespace sheafsim {

void FixedArith::set_pins(const PinSet* pins) {
  if (pins == nullptr || pins->empty()) {
    pinned_ = false;
    pin_source_ = nullptr;
    pins_ = FixedPinPlan();
    return;
  }
  if (pins == pin_source_) return;  // quantised once per run (training re-applies the same pins)
  pins_ = plan_pins(*pins, cfg_, counters_);
  pin_source_ = pins;
  pinned_ = true;
}

void FixedArith::input_pull(Workspace& ws, const FixedNetwork& net) {
  // p = W_1^T u_1 on the free coordinates, exact at frac fw + fr.
  const IMatrix& W = net.W[0];
  const IMatrix& U = ws.U[0];
  const auto& rows = pins_.free_inputs;
  ws.input_pull.assign(rows.size() * static_cast<size_t>(U.cols()), 0);
  for (Eigen::Index c = 0; c < U.cols(); ++c)
    for (size_t r = 0; r < rows.size(); ++r) {
      fx::wide sum = 0;
      for (Eigen::Index i = 0; i < W.rows(); ++i) sum += fx::wide{W(i, rows[r])} * U(i, c);
      ws.input_pull[static_cast<size_t>(c) * rows.size() + r] = sum;
    }
}

double FixedArith::update_input(Workspace& ws, FixedState& st, const StepParams& p) {
  // x -= s g_x, g_x = -p (vertex::input_update): stochastic site (A, layer 0,
  // row); saturations under FxClass::Input (layer 1), accumulator wraps under layer 1.
  load_constants(p);
  const dpint::Shifts sh(cfg_);
  const auto& rows = pins_.free_inputs;
  std::int64_t max_change = 0;
  fx::with_modes(cfg_.quant, cfg_.overflow, [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    for (Eigen::Index c = 0; c < st.x.cols(); ++c)
      for (size_t r = 0; r < rows.size(); ++r) {
        std::int64_t& x = st.x(rows[r], c);
        const std::uint64_t bits = rnd(static_cast<std::uint64_t>(c), FxClass::A, 0, static_cast<std::uint64_t>(rows[r]));
        const vertex::InputStep w = dpint::input_update<fx::wide, Q, O>(
            x, ws.input_pull[static_cast<size_t>(c) * rows.size() + r], s_raw_, sh, bits);
        if (w.x.saturated) counters_.saturated(FxClass::Input, 1);
        if (w.acc_wrapped) counters_.saturated(FxClass::Accumulator, 1);
        max_change = std::max(max_change, w.x.value > x ? w.x.value - x : x - w.x.value);
        x = w.x.value;
      }
  });
  return p.track_change ? static_cast<double>(max_change) * cfg_.stalk.lsb() : 0.0;
}

void FixedArith::apply_hard_pins(FixedState& st) {
  if (pinned_) sheafsim::apply_hard_pins(pins_, st);
}

}  // namespace sheafsim
