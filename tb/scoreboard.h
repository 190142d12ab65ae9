#pragma once
// The scoreboard: when the unit accepts an operation, the expected result is
// computed with the C++ library (sheafsim/edge_datapath.h: edge::mac,
// edge::update_weight, edge::update_bias, with fx::stoch_bits / edge::site
// for the stochastic bits); results must come out in order and equal in every
// field. Every failed check of the run is reported here: "MISMATCH (<what>)
// in parameter set <set> at cycle <c>" and the details. --inject-mismatch K
// corrupts the K-th expectation, so the run must fail.
//
// The mesh's 64-bit write path is checked too: for every update whose
// operands satisfy dpint::update_fits64 (the eligibility test the PE datapath,
// model/systemc/src/pe_datapath.cpp, uses), dpint::update_weight / update_bias
// <std::int64_t, Q, O> must give the value and flags of edge::update_weight /
// update_bias.
#include <cstdint>
#include <cstdio>
#include <deque>
#include <string>

#include "edge_txn.h"
#include "sheafsim/fixed/datapath_int.h"
#include "sheafsim/fixed/exact_bounds.h"
#include "sheafsim/fixed/fixed_modes.h"

namespace tb {

inline std::int64_t wrap_acc(fx::wide v) {
  bool ovf = false;
  return static_cast<std::int64_t>(fx::fit_width<fx::wide>(v, ps::kAccW, fx::Overflow::Wrap, &ovf));
}

// The golden result: the C++ library's functions, plus the documented
// pass-through fields (out_acc of an update is the low ACC_W bits of the
// exact sum; out_reg of a MAC and every field of a no-op).
inline Result reference(const sheafsim::FixedConfig& base, const Txn& t) {
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
    case kUpdW:
    case kUpdB: {
      const edge::Write out = t.op == kUpdW ? edge::update_weight(t.w, t.acc, t.eta, cfg, t.stoch_bits())
                                            : edge::update_bias(t.b, t.acc, t.eta, cfg, t.stoch_bits());
      e.reg = out.value;
      e.saturated = out.saturated;
      e.lost = out.lost;
      e.acc = wrap_acc(t.exact_sum());
      break;
    }
    default: e.acc = t.acc; break;
  }
  return e;
}

// The 64-bit write of an update, when its operands make it exact (else
// false): dpint::update_weight / update_bias in std::int64_t with the
// operation's modes as compile-time constants, as the mesh runs them.
inline bool write64(const sheafsim::FixedConfig& base, const Txn& t, edge::Write* out) {
  namespace bd = sheafsim::bounds;
  namespace dpint = sheafsim::dpint;
  const dpint::Shifts sh(base);
  const int d = t.op == kUpdW ? sh.dw : sh.db;
  if (!dpint::update_fits64(d, base.acc_bits, bd::mag(t.reg()), bd::mag(t.acc), bd::mag(t.eta))) return false;
  const std::uint64_t rnd = t.stoch_bits();
  *out = fx::with_modes(static_cast<fx::Quant>(t.quant), static_cast<fx::Overflow>(t.ovf), [&](auto q, auto o) {
    constexpr fx::Quant Q = decltype(q)::value;
    constexpr fx::Overflow O = decltype(o)::value;
    return t.op == kUpdW ? dpint::update_weight<std::int64_t, Q, O>(t.w, t.acc, t.eta, sh, rnd)
                         : dpint::update_bias<std::int64_t, Q, O>(t.b, t.acc, t.eta, sh, rnd);
  });
  return true;
}

class Scoreboard {
 public:
  Scoreboard(const sheafsim::FixedConfig& base, std::uint64_t inject_mismatch)
      : base_(base), inject_(inject_mismatch) {}

  // Reports a failed check (any part's) and counts it.
  void report(const char* what, const std::string& detail, std::uint64_t cycle) {
    ++mismatches_;
    std::printf("MISMATCH (%s) in parameter set %s at cycle %llu\n%s\n", what, ps::kName,
                static_cast<unsigned long long>(cycle), detail.c_str());
  }

  // The input handshake of `t` at `cycle`: its expected result joins the
  // queue. An update whose 64-bit write path applies is checked on it here.
  void expect(const Txn& t, std::uint64_t cycle) {
    const Result e = reference(base_, t);
    in_flight_.push_back({t, e, cycle});
    if (!t.is_update()) return;
    ++updates_;
    edge::Write w;
    if (!write64(base_, t, &w)) return;
    ++write64_checked_;
    if (w.value != e.reg || w.saturated != e.saturated || w.lost != e.lost) {
      char buf[200];
      std::snprintf(buf, sizeof buf, "\n  edge::update_*  reg %lld saturated %d lost %d\n  dpint 64-bit    reg %lld saturated %d lost %d",
                    static_cast<long long>(e.reg), e.saturated, e.lost, static_cast<long long>(w.value), w.saturated, w.lost);
      report("64-bit write path", describe(t) + buf, cycle);
    }
  }

  // The output handshake of `out`: compared with the oldest expectation.
  // False (reported) on a mismatch; else *done is the checked operation.
  bool check(const Result& out, std::uint64_t cycle, Txn* done) {
    if (in_flight_.empty()) {
      report("spurious output", describe(out), cycle);
      return false;
    }
    Pending p = in_flight_.front();
    in_flight_.pop_front();
    const std::uint64_t n = checked_directed_ + checked_random_ + 1;
    if (inject_ == n) p.expect.acc ^= 1;  // deliberate fault: this run must fail
    if (out != p.expect) {
      report("result", describe(p.txn) + "\n  accepted at cycle " + std::to_string(p.accepted) + ", vector " +
                           std::to_string(n) + "\n  expected " + describe(p.expect) + "\n  got      " + describe(out),
             cycle);
      return false;
    }
    (p.txn.directed ? checked_directed_ : checked_random_) += 1;
    *done = p.txn;
    return true;
  }

  // At the end of a clean run: exactly the issued operations were checked.
  void check_counts(std::uint64_t directed, std::uint64_t random, std::uint64_t cycle) {
    if (mismatches_ == 0 && (checked_directed_ != directed || checked_random_ != random)) {
      report("count", "checked " + std::to_string(checked_directed_) + " directed and " +
                          std::to_string(checked_random_) + " random results, issued " + std::to_string(directed) +
                          " and " + std::to_string(random),
             cycle);
    }
  }

  std::size_t in_flight() const { return in_flight_.size(); }
  std::uint64_t mismatches() const { return mismatches_; }
  std::uint64_t checked_directed() const { return checked_directed_; }
  std::uint64_t checked_random() const { return checked_random_; }
  std::uint64_t updates() const { return updates_; }                // update operations expected
  std::uint64_t write64_checked() const { return write64_checked_; }  // ... also checked on the 64-bit path

 private:
  struct Pending {
    Txn txn;
    Result expect;
    std::uint64_t accepted = 0;  // cycle of the input handshake
  };
  sheafsim::FixedConfig base_;
  std::uint64_t inject_;
  std::deque<Pending> in_flight_;
  std::uint64_t checked_directed_ = 0, checked_random_ = 0, mismatches_ = 0;
  std::uint64_t updates_ = 0, write64_checked_ = 0;
};

}  // namespace tb
