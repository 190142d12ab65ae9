// Verilator testbench of rtl/edge_unit.sv for one parameter set (the
// generated edge_unit_set.h): a directed corner-case set, then --vectors
// random operations in every rounding and overflow mode under random input
// gaps and output back-pressure. A scoreboard compares every result with the
// C++ library (sheafsim::edge::mac, edge::update_weight, edge::update_bias,
// fx::stoch_bits), and a cycle model of the documented handshake checks
// in_ready and out_valid every cycle. The first mismatch is printed with its
// operands, mode and cycle and the program exits with status 1.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>
#include <vector>

#include "edge_unit_set.h"
#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/base/rng.h"
#include "sim_control.h"
#include "verilated.h"
#include "verilated_fst_c.h"

namespace {

namespace fx = sheafsim::fx;
namespace edge = sheafsim::edge;
namespace ps = tb::paramset;

constexpr int kWS = ps::kSI + ps::kSF, kWW = ps::kWI + ps::kWF, kWB = ps::kBI + ps::kBF, kWR = ps::kRI + ps::kRF,
              kWC = ps::kCI + ps::kCF;
constexpr int kDW = ps::kCF + ps::kRF + ps::kSF - ps::kWF;  // dropped bits of a weight write
constexpr int kDB = ps::kCF + ps::kRF - ps::kBF;            // dropped bits of a bias write
constexpr int kRegW = kWW > kWB ? kWW : kWB;
constexpr int kLatency = 4;
constexpr int kQuantModes = 6, kOvfModes = 2;

enum OpCode : int { kFwd = 0, kBwd = 1, kHeb = 2, kUpdW = 3, kUpdB = 4, kOps = 8 };
const char* op_name(int op) {
  static const char* names[kOps] = {"MAC_FWD", "MAC_BWD", "MAC_HEB", "UPD_W", "UPD_B", "NOP5", "NOP6", "NOP7"};
  return names[op & 7];
}

std::uint64_t mask(int width) { return width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1; }
std::int64_t sext(std::uint64_t v, int width) {
  const int sh = 64 - width;
  return static_cast<std::int64_t>(v << sh) >> sh;
}
std::int64_t max_raw(int width) { return static_cast<std::int64_t>(mask(width - 1)); }
std::int64_t min_raw(int width) { return -max_raw(width) - 1; }

// One operation with every input of the unit.
struct Txn {
  int op = 0;
  std::uint32_t tag = 0;
  std::int64_t acc = 0, w = 0, b = 0, a = 0, r = 0, eta = 0;
  std::uint64_t seed = 0, step = 0, row = 0, col = 0;
  int layer = 0, quant = 0, ovf = 0;
  const char* origin = "random";  // the vector class (directed sets name theirs)
  bool directed = false;
};

// Everything the unit returns for one operation.
struct Result {
  int op = 0;
  std::uint32_t tag = 0;
  std::int64_t acc = 0, reg = 0;
  bool wrapped = false, saturated = false, lost = false;
  bool operator==(const Result& o) const {
    return op == o.op && tag == o.tag && acc == o.acc && reg == o.reg && wrapped == o.wrapped &&
           saturated == o.saturated && lost == o.lost;
  }
  bool operator!=(const Result& o) const { return !(*this == o); }
};

sheafsim::FixedConfig base_config() {
  sheafsim::FixedConfig c;
  c.stalk = {ps::kSI, ps::kSF};
  c.weight = {ps::kWI, ps::kWF};
  c.bias = {ps::kBI, ps::kBF};
  c.residual = {ps::kRI, ps::kRF};
  c.constant = {ps::kCI, ps::kCF};
  c.acc_bits = ps::kAccW;
  c.validate();  // the parameter set must be a legal configuration of the model
  return c;
}

std::int64_t wrap_acc(fx::wide v) {
  bool ovf = false;
  return static_cast<std::int64_t>(fx::fit_width<fx::wide>(v, ps::kAccW, fx::Overflow::Wrap, &ovf));
}

// Every operand inside its format (a testbench bug otherwise).
bool legal(const Txn& t) {
  auto in = [](std::int64_t v, int w) { return v >= min_raw(w) && v <= max_raw(w); };
  return t.op >= 0 && t.op < kOps && in(t.acc, ps::kAccW) && in(t.w, kWW) && in(t.b, kWB) && in(t.a, kWS) &&
         in(t.r, kWR) && in(t.eta, kWC) && t.step <= mask(ps::kStepW) && t.row <= mask(ps::kIdxW) &&
         t.col <= mask(ps::kIdxW) && t.layer >= 0 && t.layer < 256 && t.quant >= 0 && t.quant < kQuantModes &&
         t.ovf >= 0 && t.ovf < kOvfModes;
}

// The golden result: the C++ library's functions, plus the documented
// pass-through fields (out_acc of an update is the low ACC_W bits of the
// exact sum; out_reg of a MAC and every field of a no-op).
Result reference(const sheafsim::FixedConfig& base, const Txn& t) {
  Result e;
  e.op = t.op;
  e.tag = t.tag;
  bool wrapped = false;
  auto mac = [&](std::int64_t x, std::int64_t y) {
    e.acc = static_cast<std::int64_t>(edge::mac(t.acc, x, y, ps::kAccW, &wrapped));
    e.wrapped = wrapped;
  };
  sheafsim::FixedConfig cfg = base;
  cfg.quant = static_cast<fx::Quant>(t.quant);
  cfg.overflow = static_cast<fx::Overflow>(t.ovf);
  cfg.seed = t.seed;
  switch (t.op) {
    case kFwd: mac(t.w, t.a); break;
    case kBwd: mac(t.w, t.r); break;
    case kHeb: mac(t.r, t.a); break;
    case kUpdW: {
      const std::uint64_t rnd =
          fx::stoch_bits(t.seed, t.step, t.col, edge::site(sheafsim::FxClass::Weight, t.layer, t.row));
      const edge::Write out = edge::update_weight(t.w, t.acc, t.eta, cfg, rnd);
      e.reg = out.value;
      e.saturated = out.saturated;
      e.lost = out.lost;
      e.acc = wrap_acc(fx::shl(t.w, kDW) + fx::wide{t.eta} * t.acc);
      break;
    }
    case kUpdB: {
      const std::uint64_t rnd = fx::stoch_bits(t.seed, t.step, 0, edge::site(sheafsim::FxClass::Bias, t.layer, t.row));
      const edge::Write out = edge::update_bias(t.b, t.acc, t.eta, cfg, rnd);
      e.reg = out.value;
      e.saturated = out.saturated;
      e.lost = out.lost;
      e.acc = wrap_acc(fx::shl(t.b, kDB) + fx::wide{t.eta} * t.acc);
      break;
    }
    default: e.acc = t.acc; break;
  }
  return e;
}

// An update whose exact sum has remainder exactly half an LSB (a rounding tie).
bool is_tie(const Txn& t) {
  if (t.op != kUpdW && t.op != kUpdB) return false;
  const int d = t.op == kUpdW ? kDW : kDB;
  if (d == 0) return false;
  const fx::wide v = fx::shl(t.op == kUpdW ? t.w : t.b, d) + fx::wide{t.eta} * t.acc;
  const fx::uwide rem = static_cast<fx::uwide>(v) & ((fx::uwide{1} << d) - 1);
  return rem == (fx::uwide{1} << (d - 1));
}

template <typename P>
void put(P& port, std::uint64_t v, int width) {
  port = static_cast<P>(v & mask(width));
}
template <typename P>
void put(P& port, std::int64_t v, int width) {
  put(port, static_cast<std::uint64_t>(v), width);
}

void drive(ps::Model& m, const Txn& t) {
  put(m.in_op, static_cast<std::uint64_t>(t.op), 3);
  put(m.in_tag, static_cast<std::uint64_t>(t.tag), ps::kTagW);
  put(m.in_acc, t.acc, ps::kAccW);
  put(m.in_w, t.w, kWW);
  put(m.in_b, t.b, kWB);
  put(m.in_a, t.a, kWS);
  put(m.in_r, t.r, kWR);
  put(m.in_eta, t.eta, kWC);
  put(m.in_seed, t.seed, 64);
  put(m.in_step, t.step, ps::kStepW);
  put(m.in_layer, static_cast<std::uint64_t>(t.layer), 8);
  put(m.in_row, t.row, ps::kIdxW);
  put(m.in_col, t.col, ps::kIdxW);
  put(m.cfg_quant, static_cast<std::uint64_t>(t.quant), 3);
  put(m.cfg_ovf, static_cast<std::uint64_t>(t.ovf), 1);
}

Result sample(const ps::Model& m) {
  Result r;
  r.op = static_cast<int>(m.out_op);
  r.tag = static_cast<std::uint32_t>(m.out_tag);
  r.acc = sext(static_cast<std::uint64_t>(m.out_acc), ps::kAccW);
  r.reg = sext(static_cast<std::uint64_t>(m.out_reg), kRegW);
  r.wrapped = m.out_acc_wrapped != 0;
  r.saturated = m.out_saturated != 0;
  r.lost = m.out_lost != 0;
  return r;
}

// ------------------------------------------------------------- generators
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
      case 0: return max_raw(kWC);
      case 1: return sext(rng_.next_u64(), kWC);
      case 2: return 1;
      case 3: return std::int64_t{1} << rng_.below(static_cast<std::uint64_t>(kWC - 1));
      default: {
        const int len = 1 + static_cast<int>(rng_.below(static_cast<std::uint64_t>(kWC - 1)));
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
bool pow2_update(int shift, int sign, std::int64_t* eta, std::int64_t* hacc, Gen* g = nullptr) {
  const int lo = std::max(0, shift - (ps::kAccW - 3)), hi = std::min(kWC - 2, shift);
  if (lo > hi) return false;
  const int e = g ? lo + static_cast<int>(g->below(static_cast<std::uint64_t>(hi - lo + 1))) : lo;
  *eta = std::int64_t{1} << e;
  *hacc = sign * (std::int64_t{1} << (shift - e));
  return true;
}

// The stochastic bits of an update and the top-K compare value r (docs/fixed-point.md §3).
std::uint64_t stoch_r(const Txn& t) {
  const bool wt = t.op == kUpdW;
  const int d = wt ? kDW : kDB, k = d < 64 ? d : 64;
  const std::uint64_t bits = fx::stoch_bits(t.seed, t.step, wt ? t.col : 0,
                                            edge::site(wt ? sheafsim::FxClass::Weight : sheafsim::FxClass::Bias,
                                                       t.layer, t.row));
  return k == 64 ? bits : bits >> (64 - k);
}

// A stochastic update whose remainder's top bits equal r + offset (offset
// -1, 0, +1 in units of 2^e): the boundary of the compare r < top. Searches
// hash keys whose r has its low e bits clear (e from the formats).
bool stoch_boundary(Txn& t, Gen& g, int offset) {
  const int d = t.op == kUpdW ? kDW : kDB;
  if (d == 0 || d > 62) return false;
  const int e = std::max(0, d - (ps::kAccW - 2));
  if (e > kWC - 2) return false;
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

Txn random_txn(Gen& g) {
  Txn t;
  const std::uint64_t pick = g.below(100);
  t.op = pick < 15 ? kFwd : pick < 30 ? kBwd : pick < 45 ? kHeb : pick < 72 ? kUpdW : pick < 99 ? kUpdB
                                                                                                  : 5 + static_cast<int>(g.below(3));
  t.quant = static_cast<int>(g.below(kQuantModes));
  t.ovf = static_cast<int>(g.below(kOvfModes));
  t.w = g.raw(kWW);
  t.b = g.raw(kWB);
  t.a = g.raw(kWS);
  t.r = g.raw(kWR);
  t.eta = g.eta();
  t.acc = g.acc();
  g.key(t);
  if (t.op == kUpdW || t.op == kUpdB) {
    const int d = t.op == kUpdW ? kDW : kDB;
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
    }
  }
  return t;
}

// The directed corner-case set: every class named in docs/edge-unit.md.
std::vector<Txn> directed_set(Gen& g) {
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
    const int wx = op == kHeb ? kWR : kWW, wy = op == kBwd ? kWR : kWS;
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
    const int d = op == kUpdW ? kDW : kDB, wr = op == kUpdW ? kWW : kWB;
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
        const std::int64_t etas[] = {max_raw(kWC), min_raw(kWC)};
        const std::int64_t hs[] = {max_raw(ps::kAccW), min_raw(ps::kAccW)};
        for (std::int64_t e : etas)
          for (std::int64_t hh : hs)
            for (std::int64_t reg : {max_raw(wr), min_raw(wr), std::int64_t{0}}) upd(reg, e, hh, "saturate");
        // Zero updates: eta = 0 or H = 0 (not lost: nothing to lose).
        for (std::int64_t reg : {std::int64_t{0}, max_raw(wr), min_raw(wr), std::int64_t{3}}) {
          upd(reg, 0, max_raw(ps::kAccW), "zero");
          upd(reg, max_raw(kWC), 0, "zero");
          upd(reg, 0, 0, "zero");
        }
        // Stochastic-rounding extremes: remainder 2^d - 1 and 1.
        upd(3, 1, -1, "stoch_rem_max");
        upd(3, 1, 1, "stoch_rem_min");
      }
  }
  // Hash key corners (all-ones and zero key fields) for stochastic updates.
  for (int op : {kUpdW, kUpdB})
    for (int k = 0; k < 8; ++k) {
      Txn t;
      t.op = op;
      t.quant = 5;
      t.ovf = k & 1;
      t.w = g.raw(kWW);
      t.b = g.raw(kWB);
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
      t.w = g.raw(kWW);
      t.b = g.raw(kWB);
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

// ---------------------------------------------------- back-pressure regimes
struct Regime {
  unsigned p_valid = 1000, p_ready = 1000;  // per mille
  std::uint64_t cycles = 0;
  const char* name = "stream";
};
Regime next_regime(Gen& g) {
  Regime r;
  r.cycles = 8 + g.below(1500);
  switch (g.below(6)) {
    case 0: r.name = "stream"; break;                                   // one per cycle
    case 1: r.name = "random"; r.p_valid = 300 + unsigned(g.below(700)); r.p_ready = 300 + unsigned(g.below(700)); break;
    case 2: r.name = "stall"; r.p_valid = 900; r.p_ready = unsigned(g.below(150)); break;   // output mostly blocked
    case 3: r.name = "sparse"; r.p_valid = 50 + unsigned(g.below(200)); r.p_ready = 1000; break;
    case 4: r.name = "blocked"; r.p_valid = 1000; r.p_ready = 0; r.cycles = 1 + g.below(12); break;  // fill, then release
    default: r.name = "half"; r.p_valid = 500; r.p_ready = 500; break;
  }
  return r;
}

std::string describe(const Txn& t) {
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "op %s (%d), origin %s, quant %s, overflow %s, tag %u\n"
                "  in_acc %lld, in_w %lld, in_b %lld, in_a %lld, in_r %lld, in_eta %lld\n"
                "  seed 0x%016llx, step %llu, layer %d, row %llu, col %llu",
                op_name(t.op), t.op, t.origin, fx::to_string(static_cast<fx::Quant>(t.quant)).c_str(),
                fx::to_string(static_cast<fx::Overflow>(t.ovf)).c_str(), t.tag, static_cast<long long>(t.acc),
                static_cast<long long>(t.w), static_cast<long long>(t.b), static_cast<long long>(t.a),
                static_cast<long long>(t.r), static_cast<long long>(t.eta), static_cast<unsigned long long>(t.seed),
                static_cast<unsigned long long>(t.step), t.layer, static_cast<unsigned long long>(t.row),
                static_cast<unsigned long long>(t.col));
  return buf;
}
std::string describe(const Result& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "op %d tag %u acc %lld reg %lld acc_wrapped %d saturated %d lost %d", r.op, r.tag,
                static_cast<long long>(r.acc), static_cast<long long>(r.reg), r.wrapped, r.saturated, r.lost);
  return buf;
}

void print_set() {
  std::printf("parameter set %s: stalk Q%d.%d, weight Q%d.%d, bias Q%d.%d, residual Q%d.%d, constant Q%d.%d, "
              "ACC_W %d, STEP_W %d, IDX_W %d, TAG_W %d, QUANT 6 (run time), OVF 2 (run time), latency %d\n",
              ps::kName, ps::kSI, ps::kSF, ps::kWI, ps::kWF, ps::kBI, ps::kBF, ps::kRI, ps::kRF, ps::kCI, ps::kCF,
              ps::kAccW, ps::kStepW, ps::kIdxW, ps::kTagW, kLatency);
}

struct Pending {
  Txn txn;
  Result expect;
  std::uint64_t accepted = 0;  // cycle of the input handshake
};

}  // namespace

int main(int argc, char** argv) {
  tb::SimControl sim(std::string("edge_unit_tb_") + ps::kName);
  int exit_code = 0;
  if (!sim.parse(argc, argv, &exit_code)) return exit_code;
  const tb::SimOptions& opt = sim.options();
  print_set();
  const sheafsim::FixedConfig base = base_config();

  ps::Model dut{&sim.context(), "edge_unit"};
  sim.open_trace([&](VerilatedFstC& fst) { dut.trace(&fst, 99); });

  Gen gen(opt.seed);
  const std::vector<Txn> directed = directed_set(gen);
  const std::uint64_t total = directed.size() + opt.vectors;

  std::deque<Pending> in_flight;
  std::array<bool, kLatency> slot{};  // cycle model of the pipeline occupancy
  std::uint64_t cycle = 0, issued = 0, checked_directed = 0, checked_random = 0, mismatches = 0;
  std::uint64_t per_op[kOps] = {}, per_quant[kQuantModes] = {}, per_ovf[kOvfModes] = {};
  std::uint64_t n_wrapped = 0, n_saturated = 0, n_lost = 0, n_ties = 0, stall_cycles = 0, wait_cycles = 0;
  std::uint64_t regimes = 0, max_in_flight = 0;
  Txn cur;
  bool have = false, valid = false, prev_stalled = false;
  Result prev_out;
  Regime regime;  // the directed set runs in the streaming regime first
  regime.cycles = directed.size() + 16;
  std::uint64_t last_output_cycle = 0;

  auto fail = [&](const char* what, const std::string& detail) {
    ++mismatches;
    std::printf("MISMATCH (%s) in parameter set %s at cycle %llu\n%s\n", what, ps::kName,
                static_cast<unsigned long long>(cycle), detail.c_str());
  };

  // Reset: four cycles, random inputs.
  dut.rst_n = 0;
  dut.clk = 0;
  for (int i = 0; i < 4; ++i) {
    drive(dut, random_txn(gen));
    dut.in_valid = 1;
    dut.out_ready = 0;
    dut.clk = 0;
    dut.eval();
    sim.half_cycle(cycle);
    dut.clk = 1;
    dut.eval();
    sim.half_cycle(cycle);
    ++cycle;
  }
  dut.rst_n = 1;

  sim.start_clock();
  while (mismatches == 0) {
    const bool draining = issued == total;
    if (draining && in_flight.empty()) break;
    if (regime.cycles == 0) {
      regime = next_regime(gen);
      ++regimes;
    }
    --regime.cycles;

    // Inputs of this cycle. A valid request is held until it is accepted.
    if (!have && !draining) {
      cur = issued < directed.size() ? directed[issued] : random_txn(gen);
      cur.tag = static_cast<std::uint32_t>(issued & mask(ps::kTagW));
      have = true;
      if (!legal(cur)) {
        fail("testbench", "illegal operands generated: " + describe(cur));
        break;
      }
    }
    if (have && !valid) valid = gen.chance(regime.p_valid);
    const bool ready = draining ? gen.chance(std::max(regime.p_ready, 200u)) : gen.chance(regime.p_ready);
    if (valid) {
      drive(dut, cur);
    } else {
      Txn junk = random_txn(gen);  // the unit must ignore inputs while in_valid is low
      junk.tag = static_cast<std::uint32_t>(gen.below(256));
      drive(dut, junk);
    }
    dut.in_valid = valid;
    dut.out_ready = ready;
    dut.clk = 0;
    dut.eval();

    // Handshake model: stage k loads when empty or when its content moves on.
    bool en[kLatency];
    en[kLatency - 1] = !slot[kLatency - 1] || ready;
    for (int k = kLatency - 2; k >= 0; --k) en[k] = !slot[static_cast<size_t>(k)] || en[k + 1];
    const bool exp_in_ready = en[0], exp_out_valid = slot[kLatency - 1];
    if ((dut.in_ready != 0) != exp_in_ready || (dut.out_valid != 0) != exp_out_valid) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "in_ready %d (expected %d), out_valid %d (expected %d), in_valid %d, out_ready %d, %zu in flight",
                    dut.in_ready, exp_in_ready, dut.out_valid, exp_out_valid, valid, ready, in_flight.size());
      fail("handshake", buf);
      break;
    }
    const Result out = sample(dut);
    if (prev_stalled && out != prev_out) {
      fail("output changed while stalled", "now:  " + describe(out) + "\nwas:  " + describe(prev_out));
      break;
    }
    if (dut.out_valid && ready) {  // output handshake: check against the oldest pending result
      if (in_flight.empty()) {
        fail("spurious output", describe(out));
        break;
      }
      Pending p = in_flight.front();
      in_flight.pop_front();
      const std::uint64_t n = checked_directed + checked_random + 1;
      if (opt.inject_mismatch == n) p.expect.acc ^= 1;  // deliberate fault: this run must fail
      if (out != p.expect) {
        fail("result", describe(p.txn) + "\n  accepted at cycle " + std::to_string(p.accepted) + ", vector " +
                           std::to_string(n) + "\n  expected " + describe(p.expect) + "\n  got      " + describe(out));
        break;
      }
      (p.txn.directed ? checked_directed : checked_random) += 1;
      ++per_op[p.txn.op & 7];
      if (p.txn.op == kUpdW || p.txn.op == kUpdB) {
        ++per_quant[p.txn.quant];
        ++per_ovf[p.txn.ovf];
      }
      n_wrapped += out.wrapped;
      n_saturated += out.saturated;
      n_lost += out.lost;
      n_ties += is_tie(p.txn);
      last_output_cycle = cycle;
    }
    if (dut.out_valid && !ready) ++stall_cycles;
    if (valid && !dut.in_ready) ++wait_cycles;
    prev_stalled = dut.out_valid && !ready;
    prev_out = out;
    if (valid && dut.in_ready) {  // input handshake
      in_flight.push_back({cur, reference(base, cur), cycle});
      ++issued;
      have = false;
      valid = false;
    }
    max_in_flight = std::max<std::uint64_t>(max_in_flight, in_flight.size());
    for (int k = kLatency - 1; k >= 1; --k)
      if (en[k]) slot[static_cast<size_t>(k)] = slot[static_cast<size_t>(k - 1)];
    if (en[0]) slot[0] = dut.in_valid != 0;

    sim.half_cycle(cycle);
    dut.clk = 1;
    dut.eval();
    sim.half_cycle(cycle);
    ++cycle;
    if (cycle - last_output_cycle > 100000 && !in_flight.empty()) {
      fail("timeout", std::to_string(in_flight.size()) + " results never came out");
      break;
    }
  }
  sim.stop_clock();
  dut.final();

  if (mismatches == 0 && (checked_directed != directed.size() || checked_random != opt.vectors)) {
    fail("count", "checked " + std::to_string(checked_directed) + " directed and " + std::to_string(checked_random) +
                      " random results, issued " + std::to_string(directed.size()) + " and " +
                      std::to_string(opt.vectors));
  }
  sim.stat("set", ps::kName);
  sim.stat("directed_vectors", checked_directed);
  sim.stat("checked_total", checked_directed + checked_random);
  std::string ops;
  for (int op = 0; op < 6; ++op) {
    const std::uint64_t n = op < 5 ? per_op[op] : per_op[5] + per_op[6] + per_op[7];
    ops += std::string(op ? " " : "") + (op < 5 ? op_name(op) : "NOP") + "=" + std::to_string(n);
  }
  sim.stat("ops", ops);
  std::string modes;
  for (int q = 0; q < kQuantModes; ++q)
    modes += (q ? " " : "") + fx::to_string(static_cast<fx::Quant>(q)) + "=" + std::to_string(per_quant[q]);
  sim.stat("update_quant_modes", modes);
  sim.stat("update_overflow_modes", "sat=" + std::to_string(per_ovf[0]) + " wrap=" + std::to_string(per_ovf[1]));
  sim.stat("flags", "acc_wrapped=" + std::to_string(n_wrapped) + " saturated=" + std::to_string(n_saturated) +
                        " lost=" + std::to_string(n_lost) + " rounding_ties=" + std::to_string(n_ties));
  sim.stat("backpressure", "output_stall_cycles=" + std::to_string(stall_cycles) +
                               " input_wait_cycles=" + std::to_string(wait_cycles) +
                               " regimes=" + std::to_string(regimes) + " max_in_flight=" + std::to_string(max_in_flight));
  return sim.finish(checked_random, mismatches, cycle);
}
