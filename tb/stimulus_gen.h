#pragma once
// The random source of a testbench run and the operand generators the
// stimulus sequences share: corner-biased raw values, accumulators, step
// constants, stochastic-rounding keys, power-of-two updates and updates on
// the stochastic compare boundary. One Gen, seeded from --seed, makes every
// random choice of the run (sequences, input gaps, back-pressure), so a seed
// gives one vector stream.
#include <algorithm>
#include <cstdint>

#include "edge_txn.h"
#include "sheafsim/base/rng.h"

namespace tb {

class Gen {
 public:
  explicit Gen(std::uint64_t seed) : rng_(seed) {}
  std::uint64_t below(std::uint64_t n) { return rng_.below(n); }
  bool chance(unsigned per_mille) { return rng_.below(1000) < per_mille; }

  // A raw value of `width` bits, biased toward the corners.
  std::int64_t raw(int width) {
    switch (rng_.below(20)) {
      case 0: case 1: return min_raw(width);
      case 2: case 3: return max_raw(width);
      case 4: return 0;
      case 5: return 1;
      case 6: return -1;
      case 7: return std::clamp<std::int64_t>(static_cast<std::int64_t>(rng_.below(33)) - 16, min_raw(width), max_raw(width));
      case 8: case 9: case 10: return log_scale(width);
      default: return sext(rng_.next_u64(), width);
    }
  }
  // A signed value of random bit length (magnitudes spread over every scale).
  std::int64_t log_scale(int width) {
    const int len = 1 + static_cast<int>(rng_.below(static_cast<std::uint64_t>(width)));
    return sext(rng_.next_u64() & mask(len), len);
  }
  // An accumulator value: corners, values near the wrap points, any.
  std::int64_t acc() {
    switch (rng_.below(10)) {
      case 0: return max_raw(ps::kAccW) - static_cast<std::int64_t>(rng_.below(64));
      case 1: return min_raw(ps::kAccW) + static_cast<std::int64_t>(rng_.below(64));
      case 2: case 3: case 4: return log_scale(ps::kAccW);
      default: return raw(ps::kAccW);
    }
  }
  // A step constant: mostly small positive (like beta*dt), sometimes any.
  std::int64_t eta() {
    switch (rng_.below(10)) {
      case 0: return max_raw(ps::kWC);
      case 1: return sext(rng_.next_u64(), ps::kWC);
      case 2: return 1;
      case 3: return std::int64_t{1} << rng_.below(static_cast<std::uint64_t>(ps::kWC - 1));
      default: {
        const int len = 1 + static_cast<int>(rng_.below(static_cast<std::uint64_t>(ps::kWC - 1)));
        return static_cast<std::int64_t>(rng_.next_u64() & mask(len));
      }
    }
  }
  // Fills the stochastic-rounding key with random (sometimes extreme) values.
  void key(Txn& t) {
    t.seed = rng_.below(8) == 0 ? rng_.below(4) : rng_.next_u64();
    t.step = rng_.below(4) == 0 ? mask(ps::kStepW) - rng_.below(4) : rng_.next_u64() & mask(ps::kStepW);
    if (rng_.below(4) == 0) t.step = rng_.below(100);
    t.layer = static_cast<int>(rng_.below(256));
    t.row = rng_.next_u64() & mask(ps::kIdxW);
    t.col = rng_.next_u64() & mask(ps::kIdxW);
  }

 private:
  sheafsim::Rng rng_;
};

// eta * hacc = sign * 2^shift with eta a power of two; false if the formats
// cannot express it. |hacc| <= 2^(ACC_W - 3), so up to 3 * hacc fits too.
inline bool pow2_update(int shift, int sign, std::int64_t* eta, std::int64_t* hacc, Gen* g = nullptr) {
  const int lo = std::max(0, shift - (ps::kAccW - 3)), hi = std::min(ps::kWC - 2, shift);
  if (lo > hi) return false;
  const int e = g ? lo + static_cast<int>(g->below(static_cast<std::uint64_t>(hi - lo + 1))) : lo;
  *eta = std::int64_t{1} << e;
  *hacc = sign * (std::int64_t{1} << (shift - e));
  return true;
}

// An update (t.op, modes as set) whose exact sum (reg << D) + eta * acc has
// remainder class `rc`, the sign `neg` and a floor either inside the register
// (rounding up by one LSB still fits) or outside it by at least one LSB more
// than rounding can undo: the cross of the functional coverage, made by
// construction. eta = +-2^e with e chosen so that acc fits ACC_W and the
// remainder has bits below half an LSB. False if the formats cannot.
inline bool cross_update(Txn& t, Gen& g, RemClass rc, bool neg, bool out_of_range) {
  const int d = dropped_bits(t.op), wr = reg_width(t.op);
  const int e_lo = std::max(0, wr + d + 3 - ps::kAccW), e_hi = std::min(d - 2, ps::kWC - 2);
  if (e_lo > e_hi) return false;
  const std::int64_t lo = min_raw(wr), hi = max_raw(wr), span = std::int64_t{1} << (wr - 1);
  for (int tries = 0; tries < 64; ++tries) {
    const int e = e_lo + static_cast<int>(g.below(static_cast<std::uint64_t>(e_hi - e_lo + 1)));
    // The floor V: half the time at the edge of its range (the boundaries of
    // the rounders and the overflow fit), else anywhere in it.
    const bool edge = g.below(2) == 0;
    std::int64_t v = 0;
    if (!out_of_range)  // floor and floor + 1 inside [lo, hi]
      v = neg ? (edge ? lo : -1 - static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(-lo))))
              : (edge ? hi - 1 : static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(hi))));
    else  // above hi, or below lo - 1 (rounding up cannot bring it back)
      v = neg ? lo - 2 - (edge ? 0 : static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(span))))
              : hi + 1 + (edge ? 0 : static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(span))));
    const fx::wide m_max = (fx::wide{1} << (d - 1 - e)) - 1;  // >= 1: e <= d - 2
    const fx::wide m = g.below(3) == 0 ? 1 : g.below(3) == 0 ? m_max : 1 + static_cast<fx::wide>(g.below(static_cast<std::uint64_t>(m_max)));
    const fx::wide half = fx::wide{1} << (d - 1);
    const fx::wide rem = rc == kRemExact ? 0 : rc == kRemTie ? half : rc == kRemBelow ? (m << e) : half + (m << e);
    const fx::wide sum = fx::shl(v, d) + rem;
    const std::int64_t reg = g.below(4) == 0 ? 0 : g.raw(wr);
    const fx::wide delta = sum - fx::shl(reg, d);  // a multiple of 2^e
    fx::wide acc = delta >> e;
    const bool neg_eta = g.below(2) == 0;
    if (neg_eta) acc = -acc;
    if (acc < min_raw(ps::kAccW) || acc > max_raw(ps::kAccW)) continue;
    (t.op == kUpdW ? t.w : t.b) = reg;
    t.eta = neg_eta ? -(std::int64_t{1} << e) : std::int64_t{1} << e;
    t.acc = static_cast<std::int64_t>(acc);
    return true;
  }
  return false;
}

// The top-K compare value r of an update's stochastic bits (docs/fixed-point.md §3).
inline std::uint64_t stoch_r(const Txn& t) {
  const int d = dropped_bits(t.op), k = d < 64 ? d : 64;
  const std::uint64_t bits = t.stoch_bits();
  return k == 64 ? bits : bits >> (64 - k);
}

// A stochastic update whose remainder's top bits equal r + offset (offset
// -1, 0, +1 in units of 2^e): the boundary of the compare r < top. Searches
// hash keys whose r has its low e bits clear (e from the formats).
inline bool stoch_boundary(Txn& t, Gen& g, int offset) {
  const int d = dropped_bits(t.op);
  if (d == 0 || d > 62) return false;
  const int e = std::max(0, d - (ps::kAccW - 2));
  if (e > ps::kWC - 2) return false;
  for (int tries = 0; tries < 4000; ++tries) {
    g.key(t);
    const std::uint64_t r = stoch_r(t);
    if ((r & mask(e)) != 0) continue;
    t.quant = 5;
    t.eta = std::int64_t{1} << e;
    t.acc = static_cast<std::int64_t>(r >> e) + offset;
    return true;
  }
  return false;
}

}  // namespace tb
