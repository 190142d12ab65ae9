#pragma once
// Back-pressure: the traffic regimes of the run and the unit's out_ready. The
// directed set runs streaming; then the regime switches every 8-1,500 cycles
// among streaming (one per cycle), random in_valid / out_ready rates, output
// mostly blocked, sparse input, fully blocked for 1-12 cycles (fills the
// pipeline) and 50/50. The regime's p_valid is the driver's input-gap rate,
// its p_ready the rate at which the output side takes results.
#include <algorithm>
#include <cstdint>

#include "stimulus_gen.h"

namespace tb {

struct Regime {
  unsigned p_valid = 1000, p_ready = 1000;  // per mille
  std::uint64_t cycles = 0;
  const char* name = "stream";
};

inline Regime next_regime(Gen& g) {
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

class Backpressure {
 public:
  // The first regime streams for `directed_cycles` cycles (the directed set).
  Backpressure(Gen& g, std::uint64_t directed_cycles) : gen_(g) { regime_.cycles = directed_cycles; }

  // Starts a cycle; true when a new regime begins with it.
  bool tick() {
    const bool change = regime_.cycles == 0;
    if (change) regime_ = next_regime(gen_);
    --regime_.cycles;
    return change;
  }
  unsigned p_valid() const { return regime_.p_valid; }
  // out_ready of this cycle; while draining, at least 20 % so the run ends.
  bool out_ready(bool draining) {
    return draining ? gen_.chance(std::max(regime_.p_ready, 200u)) : gen_.chance(regime_.p_ready);
  }

 private:
  Gen& gen_;
  Regime regime_;
};

}  // namespace tb
