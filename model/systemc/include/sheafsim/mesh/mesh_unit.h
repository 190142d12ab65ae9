#pragma once
// What every unit of the mesh (EdgePe, VertexUnit) does the same way: spend
// annotated compute cycles (plus random stalls), start a step when it is
// released, wait for the next chunk that can run, and send a message over the
// network of links, counting all of it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <systemc>

#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/arch/mesh_trace.h"

namespace sheafsim::mesh {

class MeshUnit : public sc_core::sc_module {
 public:
  const UnitCounters& counters() const { return c_; }
  // Steps this unit has finished (the engine checks that every unit finished each step).
  std::uint64_t steps_done() const { return steps_done_; }
  // Records a wait that no chunk followed (the engine calls it after every step).
  void flush_trace() {
    if (wait_pending_ && ctx_.trace != nullptr) ctx_.trace->unit_wait(id_, wait_t0_, wait_t1_, 0);
    wait_pending_ = false;
  }

 protected:
  // Coroutine stack of a unit's thread (set_stack_size after SC_THREAD): room for
  // Eigen's stack-allocated GEMM blocks (EIGEN_STACK_ALLOCATION_LIMIT = 128 KiB) and more.
  static constexpr std::size_t kUnitStackBytes = std::size_t{1} << 20;

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
  // The start of a step: the unit begins when it has finished its own part of
  // the previous step (dataflow) or with every other unit (barrier).
  void begin_step() {
    const std::uint64_t at = ctx_.release[id_];
    if (at > ctx_.now()) sc_core::wait(static_cast<double>(at - ctx_.now()) * ctx_.period);
  }
  // The end of this unit's part of the step: it may start the next step now, or earlier (VertexUnit).
  void end_step() {
    ctx_.release[id_] = ctx_.finish[id_] = ctx_.now();
    ++steps_done_;
  }
  // Waits until cycle t (Mailbox::kNever: until a mailbox wakes the unit),
  // or less when a chunk completes first, counting the wait as stall.
  void wait_until(std::uint64_t t) {
    const std::uint64_t t0 = ctx_.now();
    if (t == Mailbox::kNever)
      sc_core::wait(wake_);
    else if (t > t0)
      sc_core::wait(static_cast<double>(t - t0) * ctx_.period, wake_);
    c_.stall_cycles += ctx_.now() - t0;
    if (ctx_.trace != nullptr) trace_wait(t0);
  }
  // Sends `bits` for chunk k from PE `from` to the mailbox `box` at PE `to`, now.
  void send(int from, int to, Mailbox& box, int k, long bits, std::uint64_t stall_key) {
    const std::uint64_t now = ctx_.now();
    const std::uint64_t arrival = ctx_.noc->transfer(from, to, bits, now, stall_key, c_);
    box.deliver(k, arrival, now, ctx_.period);
  }

  // Sends `bits` for chunk k from PE `from` along the PEs to[0..n), into the mailboxes box[0..n).
  void multicast(int from, const std::vector<int>& to, const std::vector<Mailbox*>& box, int k, long bits,
                 std::uint64_t stall_key) {
    const std::uint64_t now = ctx_.now();
    arrival_.resize(to.size());
    ctx_.noc->multicast(from, to.data(), to.size(), bits, now, stall_key, c_, arrival_.data());
    for (size_t i = 0; i < to.size(); ++i) box[i]->deliver(k, arrival_[i], now, ctx_.period);
  }

  sc_core::sc_event wake_;  // a chunk of one of this unit's mailboxes has completed

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
  std::uint64_t steps_done_ = 0;
  std::vector<std::uint64_t> arrival_;  // multicast() scratch

  // --trace: a wait is recorded with the phase of the chunk it waited for
  // (the next busy()), which is where the unit's inputs go.
  void trace_busy(std::uint64_t cycles, std::uint64_t stall, std::uint64_t phase) {
    if (wait_pending_) ctx_.trace->unit_wait(id_, wait_t0_, wait_t1_, phase);
    wait_pending_ = false;
    ctx_.trace->unit_busy(id_, ctx_.now(), cycles, stall, phase);
  }
  void trace_wait(std::uint64_t t0) {
    if (wait_pending_ && wait_t1_ == t0) {  // woken with nothing ready yet: one wait, continued
      wait_t1_ = ctx_.now();
      return;
    }
    flush_trace();
    wait_t0_ = t0;
    wait_t1_ = ctx_.now();
    wait_pending_ = wait_t1_ > wait_t0_;
  }
  std::uint64_t wait_t0_ = 0, wait_t1_ = 0;
  bool wait_pending_ = false;
};

}  // namespace sheafsim::mesh
