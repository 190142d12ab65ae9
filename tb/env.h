#pragma once
// The environment: runs the clock and connects the parts for one run. Four
// reset cycles with random inputs, then per cycle: back-pressure regime ->
// driver (next request, in_valid) and out_ready -> inputs settle -> monitor
// (handshake model, result port) -> scoreboard and coverage on the output
// handshake -> handshake coverage -> scoreboard expectation on the input
// handshake -> rising edge.
// Stops at the first failed check, or when every operation came back.
#include <cstdint>
#include <string>

#include "backpressure.h"
#include "coverage.h"
#include "driver.h"
#include "edge_txn.h"
#include "functional_coverage.h"
#include "monitor.h"
#include "random_seq.h"
#include "scoreboard.h"
#include "sim_control.h"

namespace tb {

struct Env {
  ps::Model& dut;
  SimControl& sim;
  Gen& gen;
  OperationStream& stimulus;
  Driver& driver;
  Backpressure& backpressure;
  Monitor& monitor;
  Scoreboard& scoreboard;
  Coverage& coverage;
  FunctionalCoverage& fcov;
  std::uint64_t cycle = 0;

  // Runs the operations through the unit; returns the cycles simulated.
  std::uint64_t run() {
    reset();
    sim.start_clock();
    std::uint64_t issued = 0, last_output_cycle = 0;
    while (scoreboard.mismatches() == 0) {
      const bool draining = issued == stimulus.total();
      if (draining && scoreboard.in_flight() == 0) break;
      if (backpressure.tick(issued)) coverage.regime_change();

      // Inputs of this cycle. A valid request is held until it is accepted.
      if (driver.idle() && !draining) {
        const Txn& t = driver.load(stimulus.next(issued), issued);
        if (!legal(t)) {
          scoreboard.report("testbench", "illegal operands generated: " + describe(t), cycle);
          break;
        }
      }
      driver.offer(backpressure.p_valid());
      const bool ready = backpressure.out_ready(draining);
      driver.apply();
      dut.out_ready = ready;
      settle();

      std::string detail;
      if (!monitor.check_handshake(ready, scoreboard.in_flight(), &detail)) {
        scoreboard.report("handshake", detail, cycle);
        break;
      }
      Result out;
      if (!monitor.sample_output(&out, &detail)) {
        scoreboard.report("output changed while stalled", detail, cycle);
        break;
      }
      if (monitor.output_handshake(ready)) {  // check against the oldest pending result
        Txn done;
        if (!scoreboard.check(out, cycle, &done)) break;
        coverage.result(done, out);
        fcov.update(done, out);
        last_output_cycle = cycle;
      }
      coverage.cycle(dut.out_valid, ready, driver.valid(), dut.in_ready,
                     backpressure.phase() == Backpressure::kDirectedStalls);
      fcov.cycle(monitor, dut.out_valid, ready);
      monitor.end_cycle(ready, out, driver.valid() && driver.current().is_stoch_update());
      if (monitor.input_handshake()) {
        scoreboard.expect(driver.current(), cycle);
        ++issued;
        driver.accepted();
      }
      coverage.in_flight(scoreboard.in_flight());

      rising_edge();
      if (cycle - last_output_cycle > 100000 && scoreboard.in_flight() != 0) {
        scoreboard.report("timeout", std::to_string(scoreboard.in_flight()) + " results never came out", cycle);
        break;
      }
    }
    sim.stop_clock();
    dut.final();
    return cycle;
  }

 private:
  // Synchronous reset for four cycles, random inputs, in_valid high.
  void reset() {
    dut.rst_n = 0;
    dut.clk = 0;
    for (int i = 0; i < 4; ++i) {
      drive(dut, random_txn(gen));
      dut.in_valid = 1;
      dut.out_ready = 0;
      settle();
      rising_edge();
    }
    dut.rst_n = 1;
  }
  // Clock low: the inputs of the cycle settle.
  void settle() {
    dut.clk = 0;
    dut.eval();
  }
  // The rising edge ends the cycle.
  void rising_edge() {
    sim.half_cycle(cycle);
    dut.clk = 1;
    dut.eval();
    sim.half_cycle(cycle);
    ++cycle;
  }
};

}  // namespace tb
