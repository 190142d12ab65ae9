#pragma once
// The directed sequence: the corner-case set every class of
// docs/edge-unit.md's test plan names (vector class = Txn::origin), the same
// classes for every parameter set. It runs first in the streaming regime,
// then once more under back-pressure (backpressure.h).
#include <cstdint>
#include <vector>

#include "edge_txn.h"
#include "random_seq.h"
#include "stimulus_gen.h"

namespace tb {

// The directed corner-case set: every class named in docs/edge-unit.md.
inline std::vector<Txn> directed_set(Gen& g) {
  std::vector<Txn> v;
  auto add = [&](Txn t, const char* origin) {
    t.origin = origin;
    t.directed = true;
    if (t.seed == 0 && t.step == 0 && t.row == 0) g.key(t);
    v.push_back(t);
  };
  // MAC corners: most negative / positive / zero / +-1 operands, accumulator
  // at zero, at both bounds (wrap-around both ways) and at -1.
  const std::int64_t accs[] = {0, max_raw(ps::kAccW), min_raw(ps::kAccW), -1, 1};
  for (int op : {kFwd, kBwd, kHeb}) {
    const int wx = op == kHeb ? ps::kWR : ps::kWW, wy = op == kBwd ? ps::kWR : ps::kWS;
    const std::int64_t xs[] = {min_raw(wx), max_raw(wx), 0, 1, -1};
    const std::int64_t ys[] = {min_raw(wy), max_raw(wy), 0, 1, -1};
    for (std::int64_t acc : accs)
      for (std::int64_t x : xs)
        for (std::int64_t y : ys) {
          Txn t;
          t.op = op;
          t.acc = acc;
          if (op == kFwd) { t.w = x; t.a = y; }
          if (op == kBwd) { t.w = x; t.r = y; }
          if (op == kHeb) { t.r = x; t.a = y; }
          t.quant = static_cast<int>(g.below(kQuantModes));
          t.ovf = static_cast<int>(g.below(kOvfModes));
          add(t, "mac_corner");
        }
  }
  // Updates, in every rounding and overflow mode.
  for (int op : {kUpdW, kUpdB}) {
    const int d = dropped_bits(op), wr = reg_width(op);
    for (int q = 0; q < kQuantModes; ++q)
      for (int o = 0; o < kOvfModes; ++o) {
        auto upd = [&](std::int64_t reg, std::int64_t eta, std::int64_t hacc, const char* origin) {
          Txn t;
          t.op = op;
          t.quant = q;
          t.ovf = o;
          (op == kUpdW ? t.w : t.b) = reg;
          t.eta = eta;
          t.acc = hacc;
          add(t, origin);
        };
        const std::int64_t regs[] = {0, 1, -1, 2, -2, 5, -6, max_raw(wr) - 1, min_raw(wr) + 1};
        std::int64_t eta = 0, h = 0;
        // Ties (remainder exactly half), both signs of the update, floor even
        // and odd, positive and negative values; and one step either side.
        if (d > 0 && pow2_update(d - 1, 1, &eta, &h)) {
          for (std::int64_t reg : regs)
            for (int sign : {1, -1}) {
              upd(reg, eta, sign * h, "tie");
              if (d > 1 && eta < (std::int64_t{1} << (d - 1))) {
                upd(reg, eta, sign * (h + 1), "above_tie");
                upd(reg, eta, sign * (h - 1), "below_tie");
              }
            }
        }
        // One-LSB updates up and down, and the same from both bounds
        // (overflow by one LSB: saturation or wrap-around).
        if (pow2_update(d, 1, &eta, &h)) {
          for (std::int64_t reg : regs) {
            upd(reg, eta, h, "one_lsb");
            upd(reg, eta, -h, "one_lsb");
          }
          upd(max_raw(wr), eta, h, "overflow_by_one");
          upd(min_raw(wr), eta, -h, "overflow_by_one");
        }
        // Below half an LSB: lost under round to nearest, kept by trn (down)
        // and by stochastic rounding sometimes.
        for (std::int64_t reg : regs) {
          upd(reg, 1, 1, "tiny");
          upd(reg, 1, -1, "tiny");
          if (d > 1 && pow2_update(d - 2, 1, &eta, &h)) {
            upd(reg, eta, h, "quarter_lsb");
            upd(reg, eta, -h, "quarter_lsb");
          }
        }
        // Saturation in both directions (far out of range) and the largest
        // products (eta and H at their most negative / positive).
        const std::int64_t etas[] = {max_raw(ps::kWC), min_raw(ps::kWC)};
        const std::int64_t hs[] = {max_raw(ps::kAccW), min_raw(ps::kAccW)};
        for (std::int64_t e : etas)
          for (std::int64_t hh : hs)
            for (std::int64_t reg : {max_raw(wr), min_raw(wr), std::int64_t{0}}) upd(reg, e, hh, "saturate");
        // Zero updates: eta = 0 or H = 0 (not lost: nothing to lose).
        for (std::int64_t reg : {std::int64_t{0}, max_raw(wr), min_raw(wr), std::int64_t{3}}) {
          upd(reg, 0, max_raw(ps::kAccW), "zero");
          upd(reg, max_raw(ps::kWC), 0, "zero");
          upd(reg, 0, 0, "zero");
        }
        // Stochastic-rounding extremes: remainder 2^d - 1 and 1.
        upd(3, 1, -1, "stoch_rem_max");
        upd(3, 1, 1, "stoch_rem_min");
      }
  }
  // The functional-coverage cross of the updates by construction: every
  // rounding and overflow mode x remainder class x sign of the exact sum x
  // result inside / outside the register (functional_coverage.h).
  for (int op : {kUpdW, kUpdB})
    for (int q = 0; q < kQuantModes; ++q)
      for (int o = 0; o < kOvfModes; ++o)
        for (int rc = 0; rc < kRemClasses; ++rc)
          for (bool neg : {false, true})
            for (bool out : {false, true}) {
              Txn t;
              t.op = op;
              t.quant = q;
              t.ovf = o;
              if (cross_update(t, g, static_cast<RemClass>(rc), neg, out)) add(t, "cross");
            }
  // Hash key corners (all-ones and zero key fields) for stochastic updates.
  for (int op : {kUpdW, kUpdB})
    for (int k = 0; k < 8; ++k) {
      Txn t;
      t.op = op;
      t.quant = 5;
      t.ovf = k & 1;
      t.w = g.raw(ps::kWW);
      t.b = g.raw(ps::kWB);
      t.eta = g.eta();
      t.acc = g.acc();
      const bool ones = (k & 2) != 0;
      t.seed = ones ? ~std::uint64_t{0} : (k & 4 ? 1 : 0);
      t.step = ones ? mask(ps::kStepW) : 0;
      t.layer = ones ? 255 : 1;
      t.row = ones ? mask(ps::kIdxW) : 0;
      t.col = ones ? mask(ps::kIdxW) : 0;
      t.origin = "hash_key_corner";
      t.directed = true;
      v.push_back(t);
    }
  // Stochastic compare boundary: remainder top bits = r - 1, r, r + 1.
  for (int op : {kUpdW, kUpdB})
    for (int k = 0; k < 48; ++k) {
      Txn t;
      t.op = op;
      t.ovf = k & 1;
      t.w = g.raw(ps::kWW);
      t.b = g.raw(ps::kWB);
      if (stoch_boundary(t, g, k % 3 - 1)) {
        t.origin = "stoch_boundary";
        t.directed = true;
        v.push_back(t);
      }
    }
  // Reserved op codes are no-ops.
  for (int op = 5; op < 8; ++op) {
    Txn t = random_txn(g);
    t.op = op;
    add(t, "nop");
  }
  return v;
}

}  // namespace tb
