#pragma once
// The messages between the units of the mesh and the input buffers that
// receive them (Mailbox, below).
//
// A payload is not copied: a message is a view of the sender's registers
// (the vertex unit's stalks or residuals, the PE's partial sums), which the
// sender writes once per step, before it sends its last chunk, and not again
// // until the next step (the kernel runs one step at a time, mesh_engine.h).
// The receiver reads it after the last chunk has arrived, within the step:
//  - activations: views of the vertex unit's copy of its stalks a_{l-1} (or
//    the input x), as 64-bit integers and as doubles, taken when it sends them
//    and rewritten only when it sends the next step's (its update writes
//    a_{l-1} itself, not the copy).
//  - residuals: views of the vertex unit's u (rewritten in the next step's
//    residual phase).
//  - forward and backward partial sums: views of the PE's per-tile sum
//    buffers (rewritten in the next step's same phase of the same tile).
// So a view reads the values the message would have carried.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include <systemc>

#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::mesh {

// The vertex units' payloads of doubles have padded rows and slack
// (xd::padded(), exact_kernels.h): a kernel may load whole vectors from any row's start.
//
// Values of neurons [n0, n1) for every sample s: value(s, i) is
// narrow[s * stride + (i - n0)] (64-bit integers), or dbl[s * dstride + (i - n0)]
// (integers held exactly in doubles), or wide[s * stride + (i - n0)]; at least
// one is set, and when several are they hold the same values. Every
// |value| <= bound.
struct Message {
  int n0 = 0, n1 = 0;
  const std::int64_t* narrow = nullptr;
  const double* dbl = nullptr;
  const fx::wide* wide = nullptr;
  size_t stride = 0, dstride = 0;
  fx::uwide bound = ~fx::uwide{0};
  // dbl: every row holds the n1 - n0 values, then zeros up to dstride.
  bool zero_pad = false;

  fx::wide value(int s, int i) const {
    const size_t k = static_cast<size_t>(i - n0);
    if (narrow != nullptr) return narrow[static_cast<size_t>(s) * stride + k];
    if (dbl != nullptr) return static_cast<std::int64_t>(dbl[static_cast<size_t>(s) * dstride + k]);
    return wide[static_cast<size_t>(s) * stride + k];
  }
  int size() const { return n1 - n0; }
  // The values of neurons [a, b) (within [n0, n1)): a view of the same buffers.
  Message part(int a, int b) const {
    Message m = *this;
    const auto off = static_cast<size_t>(a - n0);
    m.n0 = a;
    m.n1 = b;
    if (narrow != nullptr) m.narrow = narrow + off;
    if (dbl != nullptr) m.dbl = dbl + off;
    if (wide != nullptr) m.wide = wide + off;
    m.zero_pad = false;
    return m;
  }
};

// Calls f(index, value) for every value of m, where index = s * ld + (i - base)
// addresses the receiver's block of neurons [base, base + n), stored with leading dimension ld.
template <typename F>
void for_each_value(const Message& m, int base, size_t ld, int B, F&& f) {
  for (int s = 0; s < B; ++s)
    for (int i = m.n0; i < m.n1; ++i) f(static_cast<size_t>(s) * ld + static_cast<size_t>(i - base), m.value(s, i));
}

// The receiver's block dst[s * ld + (i - base)] from m's values of type T
// (T = std::int64_t: narrow, or dbl converted; T = double: dbl).
template <typename T>
void assemble(const Message& m, int base, size_t ld, int B, T* dst) {
  const auto len = static_cast<size_t>(m.n1 - m.n0);
  for (int s = 0; s < B; ++s) {
    T* d = dst + static_cast<size_t>(s) * ld + static_cast<size_t>(m.n0 - base);
    if constexpr (std::is_same_v<T, double>) {
      const double* src = m.dbl + static_cast<size_t>(s) * m.dstride;
      for (size_t k = 0; k < len; ++k) d[k] = src[k];
    } else if (m.narrow != nullptr) {
      const std::int64_t* src = m.narrow + static_cast<size_t>(s) * m.stride;
      for (size_t k = 0; k < len; ++k) d[k] = src[k];
    } else {
      const double* src = m.dbl + static_cast<size_t>(s) * m.dstride;
      for (size_t k = 0; k < len; ++k) d[k] = static_cast<std::int64_t>(src[k]);
    }
  }
}

// A unit's input buffer for one kind of message in one step: it knows how
// many messages each chunk of the batch brings (one per sender), when each
// chunk is complete (the last flit of its last message), and wakes its
// owner then. The payload views (above) come with each sender's last chunk:
// a unit computes a phase's values for the whole batch when it runs the
// phase's last chunk (every sample's arithmetic reads only that sample's
// inputs, so this gives the bits a per-chunk computation would), and a
// receiver reads them only after that chunk has arrived.
// A unit's wake-up: the event its thread waits on, and until when it waits
// (0: it is not waiting; it reads its mailboxes when it next decides), so that
// only a chunk completing before that is notified.
struct Waker {
  sc_core::sc_event event;
  std::uint64_t until = 0;
  // Chunk data complete at `ready` (the kernel's clock at `now`).
  void complete(std::uint64_t ready, std::uint64_t now, const sc_core::sc_time& period) {
    if (until == 0 || ready >= until) return;
    until = ready;
    event.notify(static_cast<double>(ready > now ? ready - now : 0) * period);
  }
};

class Mailbox {
 public:
  static constexpr std::uint64_t kNever = ~std::uint64_t{0};
  // `wake`: the owner's, told when a chunk completes.
  Mailbox(const char* name, Waker* wake) : wake_(wake) { (void)name; }
  // A new step: `senders` messages for each of `chunks` chunks.
  void expect(int senders, int chunks) {
    expected_ = senders;
    received_.assign(static_cast<size_t>(chunks), 0);
    ready_.assign(static_cast<size_t>(chunks), senders == 0 ? 0 : kNever);
    last_.assign(static_cast<size_t>(chunks), 0);
    msgs_.clear();  // keeps the capacity: no allocation after the first steps
  }
  int expected() const { return expected_; }
  // Called by a sender at cycle `now`: its message of chunk k is complete at `arrival`.
  void deliver(int k, std::uint64_t arrival, std::uint64_t now, const sc_core::sc_time& period) {
    const auto i = static_cast<size_t>(k);
    last_[i] = std::max(last_[i], arrival);
    if (++received_[i] == expected_) {
      ready_[i] = last_[i];
      wake_->complete(last_[i], now, period);
    }
  }
  // The payload of a sender's message (with its last chunk).
  void attach(const Message& m) { msgs_.push_back(m); }
  // The cycle at which chunk k is complete (kNever: not all of it is sent yet).
  std::uint64_t ready_at(int k) const { return ready_[static_cast<size_t>(k)]; }
  const std::vector<Message>& messages() const { return msgs_; }

  // What the messages hold: all as doubles, all as 64-bit integers or
  // doubles, and a bound on the sum of their magnitudes (saturating far
  // above 2^64, which means "unbounded").
  bool all_double() const {
    for (const Message& m : msgs_)
      if (m.dbl == nullptr) return false;
    return true;
  }
  bool all_int64() const {
    for (const Message& m : msgs_)
      if (m.narrow == nullptr && m.dbl == nullptr) return false;
    return true;
  }
  fx::uwide bound_sum() const {
    fx::uwide s = 0;
    const fx::uwide cap = fx::uwide{1} << 100;
    for (const Message& m : msgs_) s += std::min(m.bound, cap);  // fewer than 2^27 messages: no overflow
    return std::min(s, cap);
  }
  fx::uwide bound_max() const {
    fx::uwide s = 0;
    for (const Message& m : msgs_) s = std::max(s, m.bound);
    return s;
  }

 private:
  Waker* wake_;
  int expected_ = 0;
  std::vector<int> received_;
  std::vector<std::uint64_t> ready_, last_;
  std::vector<Message> msgs_;
};

}  // namespace sheafsim::mesh
