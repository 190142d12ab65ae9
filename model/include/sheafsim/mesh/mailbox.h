#pragma once
// A unit's input buffer for one kind of message in one step: it knows how
// many messages to expect, keeps their payloads, and wakes its owner when the
// last flit of the last one has arrived.
#include <cstdint>
#include <vector>

#include <systemc>

#include "sheafsim/fixed_point.h"

namespace sheafsim::mesh {

// Values of neurons [n0, n1) for every sample: data[s * (n1 - n0) + (i - n0)].
struct Message {
  int n0 = 0, n1 = 0;
  std::vector<fx::wide> data;
};

// The message of neurons [n0, n1) for B samples, value(s, i) for each.
template <typename Value>
Message make_message(int n0, int n1, int B, Value&& value) {
  Message m;
  m.n0 = n0;
  m.n1 = n1;
  m.data.resize(static_cast<size_t>(n1 - n0) * static_cast<size_t>(B));
  size_t k = 0;
  for (int s = 0; s < B; ++s)
    for (int i = n0; i < n1; ++i) m.data[k++] = value(s, i);
  return m;
}

// Calls f(index, value) for every value of m, where index = s * n + (i - base)
// addresses the receiver's block of neurons [base, base + n).
template <typename F>
void for_each_value(const Message& m, int base, int n, int B, F&& f) {
  size_t k = 0;
  for (int s = 0; s < B; ++s)
    for (int i = m.n0; i < m.n1; ++i) f(static_cast<size_t>(s * n + i - base), m.data[k++]);
}

class Mailbox {
 public:
  explicit Mailbox(const char* name) : ev_(name) {}
  void expect(int n) {
    expected_ = n;
    received_ = 0;
    last_ = 0;
    msgs_.clear();
  }
  int expected() const { return expected_; }
  // Called by the sender at cycle `now`; the message is complete at `arrival`.
  void deliver(Message m, std::uint64_t arrival, std::uint64_t now, const sc_core::sc_time& period) {
    msgs_.push_back(std::move(m));
    last_ = std::max(last_, arrival);
    if (++received_ == expected_) ev_.notify(static_cast<double>(last_ - now) * period);
  }
  // Waits (in the calling thread) until every expected message has arrived.
  void wait_all(std::uint64_t now, const sc_core::sc_time& period) {
    if (received_ < expected_)
      sc_core::wait(ev_);
    else if (last_ > now)
      sc_core::wait(static_cast<double>(last_ - now) * period);
  }
  const std::vector<Message>& messages() const { return msgs_; }

 private:
  sc_core::sc_event ev_;
  int expected_ = 0, received_ = 0;
  std::uint64_t last_ = 0;
  std::vector<Message> msgs_;
};

}  // namespace sheafsim::mesh
