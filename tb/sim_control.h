#pragma once
// Simulation control shared by the Verilator testbenches: command-line
// options, the simulation context, the FST trace and its cycle window,
// coverage output and the end-of-run statistics block.
//
// Options (every testbench):
//   --vectors N            random operations after the directed set (default 20000)
//   --seed S               seed of every random choice (default 1; printed)
//   --trace FILE.fst       write an FST waveform
//   --trace-window A:B     trace only cycles A <= cycle < B (default: all)
//   --coverage FILE        write Verilator coverage data (verilator_coverage reads it)
//   --inject-mismatch K    corrupt the K-th expected result (1-based) so the run
//                          must fail: shows the scoreboard catches a wrong result
//   --require-full-coverage  fail the run unless every defined functional
//                          coverage bin was hit (and the 64-bit write path ran)
//   --no-directed-backpressure  run the directed set once (streaming) instead of
//                          twice (streaming, then under back-pressure)
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

class VerilatedContext;
class VerilatedFstC;

namespace tb {

struct SimOptions {
  std::uint64_t vectors = 20000;
  std::uint64_t seed = 1;
  std::string trace;
  std::uint64_t trace_start = 0;
  std::uint64_t trace_end = UINT64_MAX;
  std::string coverage;
  std::uint64_t inject_mismatch = 0;  // 0: none
  bool require_full_coverage = false;
  bool directed_backpressure = true;
};

class SimControl {
 public:
  explicit SimControl(std::string bench);
  ~SimControl();
  SimControl(const SimControl&) = delete;
  SimControl& operator=(const SimControl&) = delete;

  // Parses the command line. Returns false when the program should exit at
  // once (help, bad option) with *exit_code.
  bool parse(int argc, char** argv, int* exit_code);
  const SimOptions& options() const { return opt_; }
  VerilatedContext& context() { return *ctx_; }

  // Opens the FST file if --trace was given; `attach` connects the model
  // (model.trace(&fst, levels)).
  void open_trace(const std::function<void(VerilatedFstC&)>& attach);
  // Advances simulation time by one half clock period and records the
  // signals when `cycle` is inside the trace window.
  void half_cycle(std::uint64_t cycle);

  // Wall-clock span of the simulation loop (for cycles_per_second).
  void start_clock();
  void stop_clock();

  // Extra "name: value" lines of the statistics block, in insertion order.
  void stat(const std::string& name, const std::string& value);
  void stat(const std::string& name, std::uint64_t value);

  // A failed end-of-run requirement (not a mismatch): printed as
  // "FAIL: <why>" before the statistics block; the run then fails.
  void fail(const std::string& why);

  // Prints the statistics block (vectors, mismatches, cycles, cycles_per_second
  // and the extra lines), writes coverage, closes the trace. Returns the exit
  // code: 0 only if mismatches == 0 and nothing failed.
  int finish(std::uint64_t vectors, std::uint64_t mismatches, std::uint64_t cycles);

 private:
  std::string bench_;
  SimOptions opt_;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<VerilatedFstC> fst_;
  std::vector<std::pair<std::string, std::string>> stats_;
  std::vector<std::string> failures_;
  double t0_ = 0.0, seconds_ = 0.0;
  bool finished_ = false;
};

}  // namespace tb
