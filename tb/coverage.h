#pragma once
// Functional coverage of a run: checked results per op, per rounding and
// overflow mode (updates), the flags seen (acc_wrapped, saturated, lost) and
// rounding ties, and the back-pressure seen (output-stall and input-wait
// cycles, regime changes, the most operations in flight; the stalls of the
// directed set's back-pressure pass). Printed in the statistics block (ops:,
// update_quant_modes:, update_overflow_modes:, flags:, backpressure:,
// directed_backpressure:). The bins with targets are in functional_coverage.h.
#include <algorithm>
#include <cstdint>
#include <string>

#include "edge_txn.h"
#include "sim_control.h"

namespace tb {

// An update whose exact sum has remainder exactly half an LSB (a rounding tie).
inline bool is_tie(const Txn& t) { return t.is_update() && dropped_bits(t.op) > 0 && rem_class(t) == kRemTie; }

class Coverage {
 public:
  // A result that passed the scoreboard.
  void result(const Txn& t, const Result& out) {
    ++per_op_[t.op & 7];
    if (t.is_update()) {
      ++per_quant_[t.quant];
      ++per_ovf_[t.ovf];
    }
    n_wrapped_ += out.wrapped;
    n_saturated_ += out.saturated;
    n_lost_ += out.lost;
    n_ties_ += is_tie(t);
  }
  // The handshake state of a cycle; `directed_stalls`: in the directed set's
  // back-pressure pass.
  void cycle(bool out_valid, bool out_ready, bool in_valid, bool in_ready, bool directed_stalls) {
    const bool stall = out_valid && !out_ready, wait = in_valid && !in_ready;
    stall_cycles_ += stall;
    wait_cycles_ += wait;
    if (directed_stalls) {
      dir_stall_cycles_ += stall;
      dir_wait_cycles_ += wait;
    }
  }
  void regime_change() { ++regimes_; }
  void in_flight(std::uint64_t n) { max_in_flight_ = std::max(max_in_flight_, n); }

  void report(SimControl& sim) const {
    std::string ops;
    for (int op = 0; op < 6; ++op) {
      const std::uint64_t n = op < 5 ? per_op_[op] : per_op_[5] + per_op_[6] + per_op_[7];
      ops += std::string(op ? " " : "") + (op < 5 ? op_name(op) : "NOP") + "=" + std::to_string(n);
    }
    sim.stat("ops", ops);
    std::string modes;
    for (int q = 0; q < kQuantModes; ++q)
      modes += (q ? " " : "") + fx::to_string(static_cast<fx::Quant>(q)) + "=" + std::to_string(per_quant_[q]);
    sim.stat("update_quant_modes", modes);
    sim.stat("update_overflow_modes", "sat=" + std::to_string(per_ovf_[0]) + " wrap=" + std::to_string(per_ovf_[1]));
    sim.stat("flags", "acc_wrapped=" + std::to_string(n_wrapped_) + " saturated=" + std::to_string(n_saturated_) +
                          " lost=" + std::to_string(n_lost_) + " rounding_ties=" + std::to_string(n_ties_));
    sim.stat("backpressure", "output_stall_cycles=" + std::to_string(stall_cycles_) +
                                 " input_wait_cycles=" + std::to_string(wait_cycles_) +
                                 " regimes=" + std::to_string(regimes_) +
                                 " max_in_flight=" + std::to_string(max_in_flight_));
    sim.stat("directed_backpressure", "output_stall_cycles=" + std::to_string(dir_stall_cycles_) +
                                          " input_wait_cycles=" + std::to_string(dir_wait_cycles_));
  }

 private:
  std::uint64_t per_op_[kOps] = {}, per_quant_[kQuantModes] = {}, per_ovf_[kOvfModes] = {};
  std::uint64_t n_wrapped_ = 0, n_saturated_ = 0, n_lost_ = 0, n_ties_ = 0, stall_cycles_ = 0, wait_cycles_ = 0;
  std::uint64_t regimes_ = 0, max_in_flight_ = 0, dir_stall_cycles_ = 0, dir_wait_cycles_ = 0;
};

}  // namespace tb
