#pragma once
// The transaction of the edge-unit testbench: one operation with every input
// of rtl/edge_unit.sv (Txn) and everything the unit returns for it (Result),
// the op codes, the raw-value helpers and the printed form used in MISMATCH
// reports. Widths come from the generated edge_unit_set.h of the set.
#include <cstdint>
#include <cstdio>
#include <string>

#include "edge_unit_set.h"
#include "sheafsim/fixed/edge_datapath.h"
#include "sheafsim/fixed/fixed_config.h"

namespace tb {

namespace fx = sheafsim::fx;
namespace edge = sheafsim::edge;
namespace ps = sheafsim::rtlset;

constexpr int kQuantModes = 6, kOvfModes = 2;

enum OpCode : int { kFwd = 0, kBwd = 1, kHeb = 2, kUpdW = 3, kUpdB = 4, kOps = 8 };
inline const char* op_name(int op) {
  static const char* names[kOps] = {"MAC_FWD", "MAC_BWD", "MAC_HEB", "UPD_W", "UPD_B", "NOP5", "NOP6", "NOP7"};
  return names[op & 7];
}
// Dropped fractional bits and register width of an update op (UPD_W or UPD_B).
constexpr int dropped_bits(int op) { return op == kUpdW ? ps::kDW : ps::kDB; }
constexpr int reg_width(int op) { return op == kUpdW ? ps::kWW : ps::kWB; }

inline std::uint64_t mask(int width) { return width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1; }
inline std::int64_t sext(std::uint64_t v, int width) {
  const int sh = 64 - width;
  return static_cast<std::int64_t>(v << sh) >> sh;
}
inline std::int64_t max_raw(int width) { return static_cast<std::int64_t>(mask(width - 1)); }
inline std::int64_t min_raw(int width) { return -max_raw(width) - 1; }

// One operation with every input of the unit.
struct Txn {
  int op = 0;
  std::uint32_t tag = 0;
  std::int64_t acc = 0, w = 0, b = 0, a = 0, r = 0, eta = 0;
  std::uint64_t seed = 0, step = 0, row = 0, col = 0;
  int layer = 0, quant = 0, ovf = 0;
  const char* origin = "random";  // the vector class (directed sets name theirs)
  bool directed = false;
  bool second_pass = false;  // the directed set's repeat under back-pressure

  bool is_stoch_update() const { return is_update() && quant == 5; }

  bool is_update() const { return op == kUpdW || op == kUpdB; }
  // The register an update writes (weight or bias).
  std::int64_t reg() const { return op == kUpdW ? w : b; }
  // An update's exact sum (reg << D) + eta * acc, before rounding.
  fx::wide exact_sum() const { return fx::shl(reg(), dropped_bits(op)) + fx::wide{eta} * acc; }
  // An update's 64 stochastic-rounding bits (docs/fixed-point.md §5).
  std::uint64_t stoch_bits() const {
    const bool wt = op == kUpdW;
    return fx::stoch_bits(seed, step, wt ? col : 0,
                          edge::site(wt ? sheafsim::FxClass::Weight : sheafsim::FxClass::Bias, layer, row));
  }
};

// The remainder an update's rounding drops (the low D bits of the exact sum),
// relative to half an LSB: the classes of the functional coverage.
enum RemClass : int { kRemExact = 0, kRemBelow = 1, kRemTie = 2, kRemAbove = 3, kRemClasses = 4 };
inline const char* rem_name(int c) {
  static const char* names[kRemClasses] = {"exact", "below_half", "tie", "above_half"};
  return names[c];
}
inline RemClass rem_class(const Txn& t) {
  const int d = dropped_bits(t.op);
  if (d == 0) return kRemExact;
  const fx::uwide rem = static_cast<fx::uwide>(t.exact_sum()) & ((fx::uwide{1} << d) - 1);
  const fx::uwide half = fx::uwide{1} << (d - 1);
  return rem == 0 ? kRemExact : rem < half ? kRemBelow : rem == half ? kRemTie : kRemAbove;
}

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

// Every operand inside its format (a testbench bug otherwise).
inline bool legal(const Txn& t) {
  auto in = [](std::int64_t v, int w) { return v >= min_raw(w) && v <= max_raw(w); };
  return t.op >= 0 && t.op < kOps && in(t.acc, ps::kAccW) && in(t.w, ps::kWW) && in(t.b, ps::kWB) &&
         in(t.a, ps::kWS) && in(t.r, ps::kWR) && in(t.eta, ps::kWC) && t.step <= mask(ps::kStepW) &&
         t.row <= mask(ps::kIdxW) && t.col <= mask(ps::kIdxW) && t.layer >= 0 && t.layer < 256 && t.quant >= 0 &&
         t.quant < kQuantModes && t.ovf >= 0 && t.ovf < kOvfModes;
}

inline std::string describe(const Txn& t) {
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "op %s (%d), origin %s%s, quant %s, overflow %s, tag %u\n"
                "  in_acc %lld, in_w %lld, in_b %lld, in_a %lld, in_r %lld, in_eta %lld\n"
                "  seed 0x%016llx, step %llu, layer %d, row %llu, col %llu",
                op_name(t.op), t.op, t.origin, t.second_pass ? " (directed set, back-pressure pass)" : "", fx::to_string(static_cast<fx::Quant>(t.quant)).c_str(),
                fx::to_string(static_cast<fx::Overflow>(t.ovf)).c_str(), t.tag, static_cast<long long>(t.acc),
                static_cast<long long>(t.w), static_cast<long long>(t.b), static_cast<long long>(t.a),
                static_cast<long long>(t.r), static_cast<long long>(t.eta), static_cast<unsigned long long>(t.seed),
                static_cast<unsigned long long>(t.step), t.layer, static_cast<unsigned long long>(t.row),
                static_cast<unsigned long long>(t.col));
  return buf;
}
inline std::string describe(const Result& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "op %d tag %u acc %lld reg %lld acc_wrapped %d saturated %d lost %d", r.op, r.tag,
                static_cast<long long>(r.acc), static_cast<long long>(r.reg), r.wrapped, r.saturated, r.lost);
  return buf;
}

}  // namespace tb
