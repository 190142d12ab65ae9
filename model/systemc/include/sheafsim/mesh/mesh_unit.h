#pragma once
// What every unit of the mesh (EdgePe, VertexUnit) does the same way: spend
// annotated compute cycles (plus random stalls) in its free intervals, wait
// for the next chunk that can run, and send a message over the network of
// links, counting all of it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include <systemc>

#include "sheafsim/mesh/mailbox.h"
#include "sheafsim/mesh/mesh_context.h"
#include "sheafsim/arch/busy_calendar.h"
#include "sheafsim/arch/mesh_trace.h"

namespace sheafsim::mesh {

class MeshUnit : public sc_core::sc_module {
 public:
  // How far (cycles) a unit's clock may run ahead of the kernel's (busy()).
  static constexpr std::uint64_t kQuantum = 400;
  // The counters, the waits not yet settled included (settle()).
  UnitCounters counters() const {
    UnitCounters c = c_;
    for (const Wait& w : waits_) c.stall_cycles += w.end - w.start;
    return c;
  }
  // Steps this unit has finished (the engine checks that every unit finished each step).
  std::uint64_t steps_done() const { return steps_done_; }
  // Makes the waits before cycle `upto` final (no later step's work will fill
  // them: the engine calls it with the next step's first cycle, and with
  // TraceWindow::kOpen at the end): counted as stall and traced.
  void settle(std::uint64_t upto) {
    size_t kept = 0;
    for (Wait& w : waits_) {
      const std::uint64_t cut = std::min(w.end, upto);
      if (cut > w.start) {
        c_.stall_cycles += cut - w.start;
        if (ctx_.trace != nullptr) ctx_.trace->unit_wait(id_, w.start, cut, w.phase);
        w.start = cut;
      }
      if (w.end > w.start) waits_[kept++] = w;
    }
    waits_.resize(kept);
  }
  // The start of a run of the kernel: nothing before `origin` can change any more.
  void forget_before(std::uint64_t origin) { busy_.forget_before(origin); }

 protected:
  // Coroutine stack of a unit's thread (set_stack_size after SC_THREAD): room for
  // Eigen's stack-allocated GEMM blocks (EIGEN_STACK_ALLOCATION_LIMIT = 128 KiB) and more.
  static constexpr std::size_t kUnitStackBytes = std::size_t{1} << 20;

  // `id` keys this unit's random stalls (PEs 0..P-1, vertex units from P on).
  MeshUnit(sc_core::sc_module_name name, MeshContext& ctx, std::uint64_t id) : sc_module(name), ctx_(ctx), id_(id) {}

  // The unit's clock: it runs ahead of the kernel's while it has work whose
  // inputs have arrived (temporal decoupling), and waits for the kernel only
  // when it has none (wait_until). Its decisions, reservations and messages
  // are at this cycle.
  std::uint64_t now() const { return local_; }
  // The start of the unit's part of a step: its clock at the kernel's (the run's first cycle).
  void begin_step() { local_ = ctx_.now(); }

  // Computes for `cycles` (plus a random stall, keyed by step, unit and phase)
  // in the first free interval from now: under the dataflow schedule the unit
  // may still be busy with the previous step's work, whose gaps this fills.
  void busy(std::uint64_t cycles, std::uint64_t phase) {
    const std::uint64_t stall = random_stall(ctx_.mesh, fx::mix64((ctx_.step << 20) ^ (id_ << 4) ^ phase));
    const std::uint64_t len = cycles + stall;
    const std::uint64_t start = busy_.reserve(local_, len);
    c_.busy_cycles += cycles;
    c_.stall_cycles += stall;
    unwait(start, start + len, phase);
    if (ctx_.trace != nullptr) ctx_.trace->unit_busy(id_, start, cycles, stall, phase);
    local_ = start + len;
    // Run ahead of the kernel by at most a quantum: an input sent later in the
    // kernel's order but due earlier would otherwise find the unit committed
    // to other work. Measured on [64,128,128,10] x 256, 16x16, cycles per
    // training step against a bound of 100 cycles: 400, +0.2 % (and 27 % less
    // wall time); 1000, +1.9 %; no bound, +8 %.
    const std::uint64_t k = ctx_.now();
    if (local_ > k + kQuantum) sc_core::wait(static_cast<double>(local_ - k) * ctx_.period);
  }
  // The end of this unit's part of the step.
  void end_step() {
    ctx_.finish[id_] = local_;
    ++steps_done_;
  }
  // Nothing can run before cycle t (Mailbox::kNever: before a mailbox wakes
  // the unit): waits for the kernel to get there, or less when a chunk
  // completes first. Its free cycles meanwhile are a wait for inputs (stall),
  // unless a later step's work fills them (settle()).
  void wait_until(std::uint64_t t) {
    const std::uint64_t t0 = local_, k = ctx_.now();
    if (t != Mailbox::kNever && t <= k + kQuantum) {
      local_ = std::max(local_, t);  // known and due within the quantum: skip ahead to it, as busy() runs ahead
    } else {
      wake_.until = t;
      if (t == Mailbox::kNever)
        sc_core::wait(wake_.event);
      else
        sc_core::wait(static_cast<double>(t - k) * ctx_.period, wake_.event);
      wake_.until = 0;
      local_ = std::max(local_, ctx_.now());
    }
    if (local_ > t0) busy_.for_each_gap(t0, local_, [this](std::uint64_t a, std::uint64_t b) { add_wait(a, b); });
  }
  // Sends `bits` for chunk k from PE `from` to the mailbox `box` at PE `to`, now.
  void send(int from, int to, Mailbox& box, int k, long bits, std::uint64_t stall_key) {
    const std::uint64_t arrival = ctx_.noc->transfer(from, to, bits, local_, stall_key, c_);
    box.deliver(k, arrival, ctx_.now(), ctx_.period);
  }

  // Sends `bits` for chunk k from PE `from` along the PEs to[0..n), into the mailboxes box[0..n).
  void multicast(int from, const std::vector<int>& to, const std::vector<Mailbox*>& box, int k, long bits,
                 std::uint64_t stall_key) {
    arrival_.resize(to.size());
    ctx_.noc->multicast(from, to.data(), to.size(), bits, local_, stall_key, c_, arrival_.data());
    for (size_t i = 0; i < to.size(); ++i) box[i]->deliver(k, arrival_[i], ctx_.now(), ctx_.period);
  }

  Waker wake_;  // a chunk of one of this unit's mailboxes has completed

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
  void count_acc_overflow(int layer) {
    ctx_.counters.saturated(FxClass::Accumulator, layer);
    ++c_.saturations;
  }

  MeshContext& ctx_;
  UnitCounters c_;

 private:
  // A wait for inputs: free cycles [start, end), labelled with the phase of the
  // chunk that followed it (0: none yet), which is where the unit's inputs go.
  struct Wait {
    std::uint64_t start, end, phase;
  };
  // Records the free cycles [a, b) as a wait, but for those a pending wait of
  // an earlier run already holds (a run starts at the first cycle anything
  // can change, often before this unit finished the previous step).
  void add_wait(std::uint64_t a, std::uint64_t b) {
    for (const Wait& w : waits_) {
      if (w.end <= a || w.start >= b) continue;
      if (w.start > a) add_wait(a, w.start);
      if (w.end < b) add_wait(w.end, b);
      return;
    }
    if (!waits_.empty() && waits_.back().end == a && waits_.back().phase == 0)
      waits_.back().end = b;  // woken with nothing ready yet: one wait, continued
    else
      waits_.push_back({a, b, 0});
  }
  // A busy interval [a, b) of phase `phase`: labels the waits before it and
  // removes the cycles it takes from them.
  void unwait(std::uint64_t a, std::uint64_t b, std::uint64_t phase) {
    bool overlap = false;
    for (Wait& w : waits_) {
      if (w.phase == 0 && w.end <= a) w.phase = phase;
      overlap |= w.end > a && w.start < b;
    }
    if (!overlap) return;  // the common case: nothing to cut
    scratch_.clear();
    for (const Wait& x : waits_) {
      if (x.end <= a || x.start >= b) {
        scratch_.push_back(x);
        continue;
      }
      if (x.start < a) scratch_.push_back({x.start, a, x.phase == 0 ? phase : x.phase});
      if (x.end > b) scratch_.push_back({b, x.end, x.phase});
    }
    waits_.swap(scratch_);
  }

  std::uint64_t id_;
  std::uint64_t steps_done_ = 0;
  std::vector<std::uint64_t> arrival_;  // multicast() scratch
  BusyCalendar busy_;                   // when the unit computes (or is stalled)
  std::vector<Wait> waits_, scratch_;   // not yet settled; unwait()'s scratch
  std::uint64_t local_ = 0;             // the unit's clock (now())
};

}  // namespace sheafsim::mesh
