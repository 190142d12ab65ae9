#pragma once
// The random sequence: operations in every rounding and overflow mode with
// corner-biased operands (op mix 15/15/15 % MAC, 27/27 % updates, 1 %
// reserved codes; 10 % each of the updates shaped as ties, whole-LSB, sub-LSB,
// stochastic-boundary updates or a cell of the coverage cross), and the
// operation stream of a run: the directed set (streaming, then again under
// back-pressure), then --vectors random operations.
#include <cstdint>
#include <utility>
#include <vector>

#include "edge_txn.h"
#include "stimulus_gen.h"

namespace tb {

inline Txn random_txn(Gen& g) {
  Txn t;
  const std::uint64_t pick = g.below(100);
  t.op = pick < 15 ? kFwd : pick < 30 ? kBwd : pick < 45 ? kHeb : pick < 72 ? kUpdW : pick < 99 ? kUpdB
                                                                                                  : 5 + static_cast<int>(g.below(3));
  t.quant = static_cast<int>(g.below(kQuantModes));
  t.ovf = static_cast<int>(g.below(kOvfModes));
  t.w = g.raw(ps::kWW);
  t.b = g.raw(ps::kWB);
  t.a = g.raw(ps::kWS);
  t.r = g.raw(ps::kWR);
  t.eta = g.eta();
  t.acc = g.acc();
  g.key(t);
  if (t.is_update()) {
    const int d = dropped_bits(t.op);
    const std::uint64_t shape = g.below(10);
    if (shape == 0 && d > 0) {  // a rounding tie (exactly half an LSB), odd multiple
      std::int64_t eta = 0, h = 0;
      if (pow2_update(d - 1, 1, &eta, &h, &g)) {
        t.eta = eta;
        t.acc = h * (2 * static_cast<std::int64_t>(g.below(2)) - 1) * (g.below(2) ? 1 : 3);
      }
    } else if (shape == 1) {  // a whole number of LSBs, -3..3
      std::int64_t eta = 0, h = 0;
      if (pow2_update(d, 1, &eta, &h, &g)) {
        t.eta = eta;
        t.acc = h * (static_cast<std::int64_t>(g.below(7)) - 3);
      }
    } else if (shape == 3 && t.quant == 5) {  // on the stochastic compare boundary
      stoch_boundary(t, g, static_cast<int>(g.below(3)) - 1);
    } else if (shape == 2) {  // a tiny update (below half an LSB): lost under round to nearest
      t.eta = 1 + static_cast<std::int64_t>(g.below(3));
      t.acc = static_cast<std::int64_t>(g.below(7)) - 3;
    } else if (shape == 4) {  // a random cell of the coverage cross (remainder, sign, range)
      cross_update(t, g, static_cast<RemClass>(g.below(kRemClasses)), g.below(2) == 0, g.below(2) == 0);
    }
  }
  return t;
}

// The operations of a run in issue order: the directed set `passes` times
// (the second pass runs under back-pressure), then `vectors` random
// operations drawn when they are issued.
class OperationStream {
 public:
  OperationStream(Gen& g, std::vector<Txn> directed, int passes, std::uint64_t vectors)
      : gen_(g), directed_(std::move(directed)), passes_(passes),
        directed_total_(directed_.size() * static_cast<std::uint64_t>(passes)), total_(directed_total_ + vectors) {}
  std::uint64_t directed() const { return directed_.size(); }  // one pass
  int passes() const { return passes_; }
  std::uint64_t directed_total() const { return directed_total_; }
  std::uint64_t total() const { return total_; }
  // The operation with issue number `index` (0-based, consecutive).
  Txn next(std::uint64_t index) {
    if (index >= directed_total_) return random_txn(gen_);
    Txn t = directed_[index % directed_.size()];
    t.second_pass = index >= directed_.size();
    return t;
  }

 private:
  Gen& gen_;
  std::vector<Txn> directed_;
  int passes_;
  std::uint64_t directed_total_, total_;
};

}  // namespace tb
