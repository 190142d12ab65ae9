#include "sim_control.h"

#include <chrono>
#include <cstdio>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "verilated.h"
#include "verilated_cov.h"
#include "verilated_fst_c.h"

namespace tb {

namespace {

double now_seconds() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(clock::now().time_since_epoch()).count();
}

// "A:B" with A < B, both decimal cycle numbers.
bool parse_window(const std::string& text, std::uint64_t* start, std::uint64_t* end) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  try {
    size_t used = 0;
    const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
    *start = std::stoull(a, &used);
    if (used != a.size()) return false;
    *end = std::stoull(b, &used);
    if (used != b.size()) return false;
  } catch (const std::exception&) {
    return false;
  }
  return *start < *end;
}

}  // namespace

SimControl::SimControl(std::string bench) : bench_(std::move(bench)), ctx_(std::make_unique<VerilatedContext>()) {}

SimControl::~SimControl() {
  if (fst_) fst_->close();
}

bool SimControl::parse(int argc, char** argv, int* exit_code) {
  CLI::App app{bench_ + ": Verilator testbench of rtl/edge_unit.sv, checked against the C++ fixed-point library"};
  std::string window;
  app.add_option("--vectors", opt_.vectors, "random operations after the directed set")->capture_default_str();
  app.add_option("--seed", opt_.seed, "seed of every random choice")->capture_default_str();
  app.add_option("--trace", opt_.trace, "write an FST waveform to this file");
  app.add_option("--trace-window", window, "trace only cycles START <= cycle < END (START:END)");
  app.add_option("--coverage", opt_.coverage, "write Verilator coverage data to this file");
  app.add_option("--inject-mismatch", opt_.inject_mismatch,
                 "corrupt the K-th expected result (1-based): the run must then fail");
  app.add_flag("--require-full-coverage", opt_.require_full_coverage,
               "fail unless every defined functional coverage bin was hit");
  app.add_flag("!--no-directed-backpressure", opt_.directed_backpressure,
               "run the directed set only once (streaming), not again under back-pressure");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exit_code = app.exit(e);
    return false;
  }
  if (!window.empty() && !parse_window(window, &opt_.trace_start, &opt_.trace_end)) {
    std::fprintf(stderr, "%s: --trace-window %s: expected START:END with START < END (cycles)\n", bench_.c_str(),
                 window.c_str());
    *exit_code = 2;
    return false;
  }
  if (!window.empty() && opt_.trace.empty()) {
    std::fprintf(stderr, "%s: --trace-window needs --trace FILE\n", bench_.c_str());
    *exit_code = 2;
    return false;
  }
  // Seeds the model's own randomisation (x-initial) from the run seed as well.
  ctx_->randReset(2);
  ctx_->randSeed(static_cast<int>(opt_.seed & 0x7fffffff));
  if (!opt_.trace.empty()) ctx_->traceEverOn(true);
  std::printf("%s: seed %llu, %llu random vectors\n", bench_.c_str(), static_cast<unsigned long long>(opt_.seed),
              static_cast<unsigned long long>(opt_.vectors));
  return true;
}

void SimControl::open_trace(const std::function<void(VerilatedFstC&)>& attach) {
  if (opt_.trace.empty()) return;
  fst_ = std::make_unique<VerilatedFstC>();
  attach(*fst_);
  fst_->open(opt_.trace.c_str());
}

void SimControl::half_cycle(std::uint64_t cycle) {
  ctx_->timeInc(1);
  if (fst_ && cycle >= opt_.trace_start && cycle < opt_.trace_end) fst_->dump(ctx_->time());
}

void SimControl::start_clock() { t0_ = now_seconds(); }

void SimControl::stop_clock() { seconds_ = now_seconds() - t0_; }

void SimControl::stat(const std::string& name, const std::string& value) { stats_.emplace_back(name, value); }

void SimControl::stat(const std::string& name, std::uint64_t value) { stat(name, std::to_string(value)); }

void SimControl::fail(const std::string& why) { failures_.push_back(why); }

int SimControl::finish(std::uint64_t vectors, std::uint64_t mismatches, std::uint64_t cycles) {
  const bool pass = mismatches == 0 && failures_.empty();
  if (finished_) return pass ? 0 : 1;
  finished_ = true;
  for (const std::string& why : failures_) std::printf("FAIL: %s\n", why.c_str());
  if (seconds_ <= 0.0) stop_clock();
  const double cps = seconds_ > 0.0 ? static_cast<double>(cycles) / seconds_ : 0.0;
  std::printf("---- %s statistics ----\n", bench_.c_str());
  std::printf("seed: %llu\n", static_cast<unsigned long long>(opt_.seed));
  std::printf("vectors: %llu\n", static_cast<unsigned long long>(vectors));
  std::printf("mismatches: %llu\n", static_cast<unsigned long long>(mismatches));
  std::printf("cycles: %llu\n", static_cast<unsigned long long>(cycles));
  std::printf("wall_seconds: %.3f\n", seconds_);
  std::printf("cycles_per_second: %.0f\n", cps);
  for (const auto& [name, value] : stats_) std::printf("%s: %s\n", name.c_str(), value.c_str());
  if (!opt_.coverage.empty()) {
    ctx_->coveragep()->write(opt_.coverage.c_str());
    std::printf("coverage_file: %s\n", opt_.coverage.c_str());
  }
  if (fst_) {
    fst_->close();
    fst_.reset();
    std::printf("trace_file: %s\n", opt_.trace.c_str());
  }
  std::printf("result: %s\n", pass ? "PASS" : "FAIL");
  std::fflush(stdout);
  return pass ? 0 : 1;
}

}  // namespace tb
