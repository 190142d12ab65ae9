#pragma once
// What every unit of the mesh (EdgePe, VertexUnit) does the same way: spend
// annotated compute cycles (plus random stalls), wait for a mailbox, and send
// a message over the network of links, counting all of it.
#include <cstdint>

#include <systemc>

#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/arch/mesh_trace.h"

namespace sheafsim::mesh {

class MeshUnit : public sc_core::sc_module {
 public:
  const UnitCounters& counters() const { return c_; }
  // Records a wait that no chunk followed (the engine calls it after every step).
  void flush_trace() {
    if (wait_pending_ && ctx_.trace != nullptr) ctx_.trace->unit_wait(id_, wait_t0_, wait_t1_, 0);
    wait_pending_ = false;
  }

 protected:
  // `id` keys this unit's random stalls (PEs 0..P-1, vertex units from P on).
  MeshUnit(sc_core::sc_module_name name, MeshContext& ctx, std::uint64_t id) : sc_module(name), ctx_(ctx), id_(id) {}

  // Computes for `cycles` (plus a random stall, keyed by step, unit and phase).
  void busy(std::uint64_t cycles, std::uint64_t phase) {
    const std::uint64_t stall = random_stall(ctx_.mesh, fx::mix64((ctx_.step << 20) ^ (id_ << 4) ^ phase));
    c_.busy_cycles += cycles;
    c_.stall_cycles += stall;
    if (ctx_.trace != nullptr) trace_busy(cycles, stall, phase);
    if (cycles + stall > 0) sc_core::wait(static_cast<double>(cycles + stall) * ctx_.period);
  }
  // Waits until every message of the mailbox has arrived, counting the wait as stall.
  void gather(Mailbox& box) {
    const std::uint64_t t0 = ctx_.now();
    box.wait_all(t0, ctx_.period);
    c_.stall_cycles += ctx_.now() - t0;
    if (ctx_.trace != nullptr) trace_wait(t0);
  }
  // Sends m (value_bits per value) from PE `from` to the mailbox `box` at PE `to`, now.
  // m carries (n1 - n0) x batch values (a view of the sender's registers, mailbox.h).
  void send(int from, int to, Mailbox& box, const Message& m, int value_bits, std::uint64_t stall_key) {
    const std::uint64_t now = ctx_.now();
    const long bits = static_cast<long>(m.n1 - m.n0) * static_cast<long>(ctx_.batch) * value_bits;
    const std::uint64_t arrival = ctx_.noc->transfer(from, to, bits, now, stall_key, c_);
    box.deliver(m, arrival, now, ctx_.period);
  }

  // Counts a register write's flags under its class and layer.
  void count(const edge::Write& w, FxClass cls, int layer) {
    if (w.saturated) {
      ctx_.counters.saturated(cls, layer);
      ++c_.saturations;
    }
    if (w.lost) {
      ctx_.counters.lost(cls, layer);
      ++c_.lost_updates;
    }
  }
  // The accumulator register: v wrapped to acc_bits, an overflow counted.
  fx::wide acc_fit(fx::wide v, int layer) {
    bool wrapped = false;
    const fx::wide out = vertex::acc_fit(v, ctx_.fx.acc_bits, &wrapped);
    if (wrapped) count_acc_overflow(layer);
    return out;
  }
  void count_acc_overflow(int layer) {
    ctx_.counters.saturated(FxClass::Accumulator, layer);
    ++c_.saturations;
  }

  MeshContext& ctx_;
  UnitCounters c_;

 private:
  std::uint64_t id_;

  // --trace: a wait is recorded with the phase of the chunk it waited for
  // (the next busy()), which is where the unit's inputs go.
  void trace_busy(std::uint64_t cycles, std::uint64_t stall, std::uint64_t phase) {
    if (wait_pending_) ctx_.trace->unit_wait(id_, wait_t0_, wait_t1_, phase);
    wait_pending_ = false;
    ctx_.trace->unit_busy(id_, ctx_.now(), cycles, stall, phase);
  }
  void trace_wait(std::uint64_t t0) {
    flush_trace();
    wait_t0_ = t0;
    wait_t1_ = ctx_.now();
    wait_pending_ = wait_t1_ > wait_t0_;
  }
  std::uint64_t wait_t0_ = 0, wait_t1_ = 0;
  bool wait_pending_ = false;
};

}  // namespace sheafsim::mesh
