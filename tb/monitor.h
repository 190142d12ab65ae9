#pragma once
// The monitor and handshake model: samples the unit's result port, and a
// cycle model of the documented pipeline (LATENCY stages, each loads when it
// is empty or its content moves on) predicts in_ready and out_valid every
// cycle, so latency, throughput, bubble squeezing and "nothing lost or
// duplicated" are checked exactly. The outputs must hold while stalled
// (out_valid && !out_ready). The input handshake is in_valid && in_ready, the
// output handshake out_valid && out_ready.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "edge_txn.h"

namespace tb {

inline Result sample(const ps::Model& m) {
  Result r;
  r.op = static_cast<int>(m.out_op);
  r.tag = static_cast<std::uint32_t>(m.out_tag);
  r.acc = sext(static_cast<std::uint64_t>(m.out_acc), ps::kAccW);
  r.reg = sext(static_cast<std::uint64_t>(m.out_reg), ps::kRegW);
  r.wrapped = m.out_acc_wrapped != 0;
  r.saturated = m.out_saturated != 0;
  r.lost = m.out_lost != 0;
  return r;
}

class Monitor {
 public:
  static constexpr int kLatency = ps::kLatency;
  explicit Monitor(const ps::Model& dut) : dut_(dut) {}

  // With the inputs of this cycle settled: in_ready and out_valid as the
  // pipeline model predicts them. False, with *detail, if the unit differs.
  bool check_handshake(bool out_ready, std::size_t in_flight, std::string* detail) {
    en_[kLatency - 1] = !slot_[kLatency - 1] || out_ready;
    for (int k = kLatency - 2; k >= 0; --k) en_[k] = !slot_[static_cast<size_t>(k)] || en_[k + 1];
    const bool exp_in_ready = en_[0], exp_out_valid = slot_[kLatency - 1];
    if ((dut_.in_ready != 0) == exp_in_ready && (dut_.out_valid != 0) == exp_out_valid) return true;
    char buf[200];
    std::snprintf(buf, sizeof buf, "in_ready %d (expected %d), out_valid %d (expected %d), in_valid %d, out_ready %d, %zu in flight",
                  dut_.in_ready, exp_in_ready, dut_.out_valid, exp_out_valid, dut_.in_valid != 0, out_ready, in_flight);
    *detail = buf;
    return false;
  }
  // The result port of this cycle; false, with *detail, if it changed while stalled.
  bool sample_output(Result* out, std::string* detail) const {
    *out = sample(dut_);
    if (!prev_stalled_ || *out == prev_out_) return true;
    *detail = "now:  " + describe(*out) + "\nwas:  " + describe(prev_out_);
    return false;
  }
  bool input_handshake() const { return dut_.in_valid && dut_.in_ready; }
  bool output_handshake(bool out_ready) const { return dut_.out_valid && out_ready; }

  // Ends the cycle: remembers the outputs and moves the pipeline model on;
  // `in_stoch`: the request on the input is a stochastic update.
  void end_cycle(bool out_ready, const Result& out, bool in_stoch) {
    prev_stalled_ = dut_.out_valid && !out_ready;
    prev_out_ = out;
    for (int k = kLatency - 1; k >= 1; --k)
      if (en_[k]) {
        slot_[static_cast<size_t>(k)] = slot_[static_cast<size_t>(k - 1)];
        stoch_[static_cast<size_t>(k)] = stoch_[static_cast<size_t>(k - 1)];
      }
    if (en_[0]) {
      slot_[0] = dut_.in_valid != 0;
      stoch_[0] = slot_[0] && in_stoch;
    }
  }

  // The model's state in this cycle (after check_handshake), for coverage:
  // stage k (0-based) is full, holds a stochastic update, may load (its
  // content moves on or it is empty).
  int occupancy() const {
    int n = 0;
    for (bool v : slot_) n += v;
    return n;
  }
  bool full(int k) const { return slot_[static_cast<size_t>(k)]; }
  bool stoch(int k) const { return stoch_[static_cast<size_t>(k)]; }
  bool enabled(int k) const { return en_[k]; }

 private:
  const ps::Model& dut_;
  std::array<bool, kLatency> slot_{};   // cycle model of the pipeline occupancy
  std::array<bool, kLatency> stoch_{};  // ... and which stages hold a stochastic update
  bool en_[kLatency] = {};
  bool prev_stalled_ = false;
  Result prev_out_;
};

}  // namespace tb
