#pragma once
// Back-pressure: the traffic regimes of the run and the unit's out_ready, in
// three phases by issue number. The directed set's first pass streams (one
// per cycle). Its second pass runs under back-pressure only: random
// in_valid / out_ready rates, output mostly blocked, fully blocked for 1-12
// cycles (fills the pipeline) and 50/50, switching every 8-200 cycles. The
// random operations then switch every 8-1,500 cycles among all regimes:
// streaming, random rates, output mostly blocked, sparse input, fully blocked
// and 50/50. The regime's p_valid is the driver's input-gap rate, its p_ready
// the rate at which the output side takes results.
#include <algorithm>
#include <cstdint>

#include "stimulus_gen.h"

namespace tb {

struct Regime {
  unsigned p_valid = 1000, p_ready = 1000;  // per mille
  std::uint64_t cycles = 0;
  const char* name = "stream";
};

// A regime; `stalls_only`: one that blocks the output (the directed set's
// back-pressure pass).
inline Regime next_regime(Gen& g, bool stalls_only) {
  Regime r;
  r.cycles = stalls_only ? 8 + g.below(200) : 8 + g.below(1500);
  switch (stalls_only ? 1 + g.below(4) : g.below(6)) {
    case 0: r.name = "stream"; break;                                   // one per cycle
    case 1: r.name = "random"; r.p_valid = 300 + unsigned(g.below(700)); r.p_ready = 300 + unsigned(g.below(700)); break;
    case 2: r.name = "stall"; r.p_valid = 900; r.p_ready = unsigned(g.below(150)); break;   // output mostly blocked
    case 3:
      if (stalls_only) {  // fill, then release
        r.name = "blocked"; r.p_valid = 1000; r.p_ready = 0; r.cycles = 1 + g.below(12);
      } else {
        r.name = "sparse"; r.p_valid = 50 + unsigned(g.below(200)); r.p_ready = 1000;
      }
      break;
    case 4: r.name = "blocked"; r.p_valid = 1000; r.p_ready = 0; r.cycles = 1 + g.below(12); break;  // fill, then release
    default: r.name = "half"; r.p_valid = 500; r.p_ready = 500; break;
  }
  return r;
}

class Backpressure {
 public:
  enum Phase : int { kStream = 0, kDirectedStalls = 1, kRandom = 2 };
  // Issue numbers [0, stream_end) stream, [stream_end, stalls_end) run under
  // back-pressure only, the rest under every regime.
  Backpressure(Gen& g, std::uint64_t stream_end, std::uint64_t stalls_end)
      : gen_(g), stream_end_(stream_end), stalls_end_(stalls_end) {}

  // Starts a cycle in which `issued` operations were accepted so far; true
  // when a new regime begins with it.
  bool tick(std::uint64_t issued) {
    const Phase phase = issued < stream_end_ ? kStream : issued < stalls_end_ ? kDirectedStalls : kRandom;
    bool change = false;
    if (phase != phase_ || (phase != kStream && regime_.cycles == 0)) {
      phase_ = phase;
      regime_ = phase == kStream ? Regime{} : next_regime(gen_, phase == kDirectedStalls);
      change = true;
    }
    if (regime_.cycles > 0) --regime_.cycles;
    return change;
  }
  Phase phase() const { return phase_; }
  unsigned p_valid() const { return regime_.p_valid; }
  // out_ready of this cycle; while draining, at least 20 % so the run ends.
  bool out_ready(bool draining) {
    return draining ? gen_.chance(std::max(regime_.p_ready, 200u)) : gen_.chance(regime_.p_ready);
  }

 private:
  Gen& gen_;
  std::uint64_t stream_end_, stalls_end_;
  Phase phase_ = kStream;
  Regime regime_;
};

}  // namespace tb
