// Verilator testbench of rtl/edge_unit.sv for one parameter set (the
// generated edge_unit_set.h): a directed corner-case set, then --vectors
// random operations in every rounding and overflow mode under random input
// gaps and output back-pressure. A scoreboard compares every result with the
// C++ library (sheafsim::edge::mac, edge::update_weight, edge::update_bias,
// fx::stoch_bits), and a cycle model of the documented handshake checks
// in_ready and out_valid every cycle. The first mismatch is printed with its
// operands, mode and cycle and the program exits with status 1.
//
// The parts, one per header (tb/README.md): edge_txn.h (transaction),
// stimulus_gen.h, directed_seq.h, random_seq.h (sequences), driver.h,
// backpressure.h, monitor.h (handshake model), scoreboard.h, coverage.h,
// functional_coverage.h (bins with targets) and env.h (the clock loop). main() wires them to the options and the
// statistics block of sim_control.h.
#include <cstdio>
#include <string>
#include <vector>

#include "backpressure.h"
#include "coverage.h"
#include "directed_seq.h"
#include "driver.h"
#include "edge_txn.h"
#include "env.h"
#include "functional_coverage.h"
#include "monitor.h"
#include "random_seq.h"
#include "scoreboard.h"
#include "sim_control.h"
#include "stimulus_gen.h"
#include "verilated.h"
#include "verilated_fst_c.h"

namespace {

namespace ps = sheafsim::rtlset;

void print_set() {
  std::printf("parameter set %s: stalk Q%d.%d, weight Q%d.%d, bias Q%d.%d, residual Q%d.%d, constant Q%d.%d, "
              "ACC_W %d, STEP_W %d, IDX_W %d, TAG_W %d, QUANT 6 (run time), OVF 2 (run time), latency %d\n",
              ps::kName, ps::kSI, ps::kSF, ps::kWI, ps::kWF, ps::kBI, ps::kBF, ps::kRI, ps::kRF, ps::kCI, ps::kCF,
              ps::kAccW, ps::kStepW, ps::kIdxW, ps::kTagW, ps::kLatency);
}

}  // namespace

int main(int argc, char** argv) {
  tb::SimControl sim(std::string("edge_unit_tb_") + ps::kName);
  int exit_code = 0;
  if (!sim.parse(argc, argv, &exit_code)) return exit_code;
  const tb::SimOptions& opt = sim.options();
  print_set();
  const sheafsim::FixedConfig base = ps::formats();
  base.validate();  // the parameter set must be a legal configuration of the model

  ps::Model dut{&sim.context(), "edge_unit"};
  sim.open_trace([&](VerilatedFstC& fst) { dut.trace(&fst, 99); });

  tb::Gen gen(opt.seed);  // every random choice of the run
  // The directed set streams, then (unless --no-directed-backpressure) runs
  // again under back-pressure; then the random operations.
  tb::OperationStream stimulus(gen, tb::directed_set(gen), opt.directed_backpressure ? 2 : 1, opt.vectors);
  tb::Driver driver(dut, gen);
  tb::Backpressure backpressure(gen, stimulus.directed(), stimulus.directed_total());
  tb::Monitor monitor(dut);
  tb::Scoreboard scoreboard(base, opt.inject_mismatch);
  tb::Coverage coverage;
  tb::FunctionalCoverage fcov;
  tb::Env env{dut, sim, gen, stimulus, driver, backpressure, monitor, scoreboard, coverage, fcov};
  const std::uint64_t cycles = env.run();
  scoreboard.check_counts(stimulus.directed_total(), opt.vectors, cycles);

  sim.stat("set", ps::kName);
  sim.stat("directed_vectors", stimulus.directed());
  sim.stat("directed_passes", static_cast<std::uint64_t>(stimulus.passes()));
  sim.stat("checked_total", scoreboard.checked_directed() + scoreboard.checked_random());
  coverage.report(sim);
  fcov.report(sim);
  sim.stat("write64_vectors", std::to_string(scoreboard.write64_checked()) + " of " +
                                  std::to_string(scoreboard.updates()) + " updates");

  // Targets: checked only after a clean run (a mismatch stops it early).
  const std::vector<std::string> hit_excluded = fcov.hit_excluded();
  if (!hit_excluded.empty())  // an exclusion argued wrong
    sim.fail("excluded functional coverage bin(s) hit: " + hit_excluded.front() + " (" +
             std::to_string(hit_excluded.size()) + " in all)");
  if (opt.require_full_coverage && scoreboard.mismatches() == 0) {
    const std::uint64_t unhit = fcov.defined() - fcov.covered();
    if (unhit != 0)
      sim.fail("functional coverage incomplete: " + std::to_string(unhit) + " of " + std::to_string(fcov.defined()) +
               " defined bins unhit (functional_bins_unhit lists them); add stimulus, or argue a bin impossible "
               "and exclude it in tb/functional_coverage.h");
    if (scoreboard.write64_checked() == 0) sim.fail("no update vector exercised the 64-bit write path (write64_vectors)");
  }
  return sim.finish(scoreboard.checked_random(), scoreboard.mismatches(), cycles);
}
