#pragma once
// Functional coverage with targets: bins that every CI run must hit
// (--require-full-coverage fails the run otherwise). Three groups:
//
//   update       UPD_W / UPD_B x rounding mode (6) x overflow mode (2) x
//                remainder class of the exact sum {exact, below half, tie,
//                above half} x sign of the exact sum {non-neg, neg} x result
//                {in range, out of range (saturated under sat, wrapped under
//                wrap)}: 384 bins, all defined (each cell is reachable in
//                every set; directed_seq.h builds one vector per cell).
//   handshake    the output side {idle: out_valid low, flow: out_valid and
//                out_ready, stall: out_valid and not out_ready} x pipeline
//                occupancy 0..LATENCY (valid stages, from the handshake
//                model that monitor.h checks against in_ready / out_valid
//                every cycle).
//   stoch_stall  a stochastic update in stage k while the output is stalled:
//                held there (held_s<k>), held with another stochastic update
//                right behind it (held_s<k>_stoch_behind: a hash-key register
//                of stage k that reloads during the stall takes the wrong
//                key), or moving on into a bubble (squeezed_s<k>).
//
// Excluded bins (impossible by construction of the handshake, the reason is
// printed with the bin and in docs/edge-unit.md §5):
//   handshake idle/occ<LATENCY>  out_valid is the last stage's valid bit, so
//                                with every stage full a result is presented
//   handshake flow/occ0, stall/occ0  out_valid needs the last stage full
//   stoch_stall squeezed_s<LATENCY>  the last stage is the output register,
//                                which holds while stalled
//   stoch_stall squeezed_s<LATENCY-1>  while stalled the last stage is full,
//                                so a stage moves on only into a bubble in
//                                a later stage before the last: the stage
//                                before the last has none
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "edge_txn.h"
#include "monitor.h"
#include "sim_control.h"

namespace tb {

// A named group of bins; a bin is defined (a target: it must be hit) unless
// it is excluded with the reason it cannot occur.
class BinGroup {
 public:
  explicit BinGroup(std::string name) : name_(std::move(name)) {}
  void add(std::string bin, const char* excluded = nullptr) { bins_.push_back({std::move(bin), 0, excluded}); }
  void hit(std::size_t i) { ++bins_[i].hits; }
  const std::string& name() const { return name_; }
  std::uint64_t defined() const {
    std::uint64_t n = 0;
    for (const Bin& b : bins_) n += b.excluded == nullptr;
    return n;
  }
  std::uint64_t covered() const {
    std::uint64_t n = 0;
    for (const Bin& b : bins_) n += b.excluded == nullptr && b.hits > 0;
    return n;
  }
  std::uint64_t excluded() const { return bins_.size() - defined(); }
  // Defined bins never hit, as group/bin.
  void unhit(std::vector<std::string>* out) const {
    for (const Bin& b : bins_)
      if (b.excluded == nullptr && b.hits == 0) out->push_back(name_ + "/" + b.name);
  }
  // An excluded bin that was hit is a broken exclusion argument (or handshake model).
  void hit_excluded(std::vector<std::string>* out) const {
    for (const Bin& b : bins_)
      if (b.excluded != nullptr && b.hits > 0) out->push_back(name_ + "/" + b.name);
  }
  // "bin=hits ..." of every bin (excluded ones marked "x").
  std::string counts() const {
    std::string s;
    for (const Bin& b : bins_)
      s += (s.empty() ? "" : " ") + b.name + "=" + (b.excluded ? std::string("x") : std::to_string(b.hits));
    return s;
  }
  std::string exclusions() const {
    std::string s;
    for (const Bin& b : bins_)
      if (b.excluded) s += (s.empty() ? "" : "; ") + b.name + ": " + b.excluded;
    return s;
  }

 private:
  struct Bin {
    std::string name;
    std::uint64_t hits;
    const char* excluded;
  };
  std::string name_;
  std::vector<Bin> bins_;
};

class FunctionalCoverage {
 public:
  static constexpr int kL = Monitor::kLatency;
  enum OutState : int { kIdle = 0, kFlow = 1, kStall = 2 };

  FunctionalCoverage() : update_("update"), handshake_("handshake"), stoch_("stoch_stall") {
    for (int op : {kUpdW, kUpdB})
      for (int q = 0; q < kQuantModes; ++q)
        for (int o = 0; o < kOvfModes; ++o)
          for (int rc = 0; rc < kRemClasses; ++rc)
            for (const char* sign : {"nonneg", "neg"})
              for (const char* range : {"in_range", "out_of_range"})
                update_.add(std::string(op_name(op)) + "." + fx::to_string(static_cast<fx::Quant>(q)) + "." +
                            fx::to_string(static_cast<fx::Overflow>(o)) + "." + rem_name(rc) + "." + sign + "." + range);
    for (const char* state : {"idle", "flow", "stall"})
      for (int occ = 0; occ <= kL; ++occ) {
        const char* why = nullptr;
        if (state[0] == 'i' && occ == kL) why = "out_valid is the last stage's valid bit: with every stage full a result is presented";
        if (state[0] != 'i' && occ == 0) why = "out_valid needs the last stage full";
        handshake_.add(std::string(state) + "/occ" + std::to_string(occ), why);
      }
    for (int k = 1; k <= kL; ++k) stoch_.add("held_s" + std::to_string(k));
    for (int k = 2; k <= kL; ++k) stoch_.add("held_s" + std::to_string(k) + "_stoch_behind");
    for (int k = 1; k <= kL; ++k)
      stoch_.add("squeezed_s" + std::to_string(k),
                 k == kL       ? "the last stage is the output register, which holds while stalled"
                 : k == kL - 1 ? "while stalled the last stage is full, so a stage moves only into a bubble "
                                 "before it; the stage before the last has none"
                               : nullptr);
  }

  // A checked update result (the flags equal the reference's).
  void update(const Txn& t, const Result& out) {
    if (!t.is_update()) return;
    const int op = t.op == kUpdW ? 0 : 1;
    const std::size_t i =
        static_cast<std::size_t>((((((op * kQuantModes + t.quant) * kOvfModes + t.ovf) * kRemClasses + rem_class(t)) * 2 +
                                   (t.exact_sum() < 0)) * 2) + out.saturated);
    update_.hit(i);
  }

  // The handshake state of a cycle, after Monitor::check_handshake.
  void cycle(const Monitor& m, bool out_valid, bool out_ready) {
    const int state = !out_valid ? kIdle : out_ready ? kFlow : kStall;
    handshake_.hit(static_cast<std::size_t>(state * (kL + 1) + m.occupancy()));
    if (state != kStall) return;
    // Stage k (0-based) holds its content when the next stage cannot load
    // (or, for the last, out_ready is low); a full stage's enable equals that.
    for (int k = 0; k < kL; ++k) {
      if (!m.stoch(k)) continue;
      const bool held = !m.enabled(k);
      if (held) {
        stoch_.hit(static_cast<std::size_t>(k));
        if (k > 0 && m.stoch(k - 1)) stoch_.hit(static_cast<std::size_t>(kL + k - 1));
      } else {
        stoch_.hit(static_cast<std::size_t>(2 * kL - 1 + k));
      }
    }
  }

  std::uint64_t defined() const { return update_.defined() + handshake_.defined() + stoch_.defined(); }
  std::uint64_t covered() const { return update_.covered() + handshake_.covered() + stoch_.covered(); }
  std::vector<std::string> unhit() const {
    std::vector<std::string> out;
    for (const BinGroup* g : groups()) g->unhit(&out);
    return out;
  }
  std::vector<std::string> hit_excluded() const {
    std::vector<std::string> out;
    for (const BinGroup* g : groups()) g->hit_excluded(&out);
    return out;
  }

  void report(SimControl& sim) const {
    sim.stat("functional_bins", std::to_string(covered()) + " of " + std::to_string(defined()));
    for (const BinGroup* g : groups())
      sim.stat("functional_bins_" + g->name(), std::to_string(g->covered()) + " of " + std::to_string(g->defined()) +
                                                   " (" + std::to_string(g->excluded()) + " excluded)");
    sim.stat("handshake_cycles", handshake_.counts());
    sim.stat("stoch_stall_cycles", stoch_.counts());
    const std::vector<std::string> missing = unhit();
    if (!missing.empty()) {
      std::string s;
      for (std::size_t i = 0; i < missing.size() && i < 40; ++i) s += (i ? " " : "") + missing[i];
      if (missing.size() > 40) s += " ... (" + std::to_string(missing.size()) + " in all)";
      sim.stat("functional_bins_unhit", s);
    }
  }

 private:
  std::vector<const BinGroup*> groups() const { return {&update_, &handshake_, &stoch_}; }
  BinGroup update_, handshake_, stoch_;
};

}  // namespace tb
