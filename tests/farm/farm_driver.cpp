// A tiny farm for the tests under mpirun (tests/farm/check_farm_mpi.sh):
//   farm_driver --tasks N --out DIR [--jobs J] [--resume] [--sleep-ms M] [--fail-at I] [--big-task I]
// Task i's result is a JSON line computed from i (after M ms of "work");
// --fail-at I makes task I throw InputError("bad point"); --big-task I gives
// task I a 4 MiB result (a message larger than MPI's eager limit). The coordinator
// writes DIR/results.txt (one result a line, in task order) and prints
// "tasks N from_checkpoint K computed C ranks R".
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/base/run_control.h"
#include "sheafsim/farm/task_farm.h"

namespace farm = sheafsim::farm;

namespace {

struct Options {
  size_t tasks = 0;
  std::string out;
  unsigned jobs = 1;
  bool resume = false;
  long sleep_ms = 0;
  long fail_at = -1;
  long big_task = -1;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int a = 1; a < argc; ++a) {
    const std::string arg = argv[a];
    auto value = [&]() -> std::string {
      if (a + 1 >= argc) throw sheafsim::InputError(arg + ": needs a value");
      return argv[++a];
    };
    if (arg == "--tasks") o.tasks = std::stoul(value());
    else if (arg == "--out") o.out = value();
    else if (arg == "--jobs") o.jobs = static_cast<unsigned>(std::stoul(value()));
    else if (arg == "--resume") o.resume = true;
    else if (arg == "--sleep-ms") o.sleep_ms = std::stol(value());
    else if (arg == "--fail-at") o.fail_at = std::stol(value());
    else if (arg == "--big-task") o.big_task = std::stol(value());
    else throw sheafsim::InputError("unknown option " + arg);
  }
  if (o.out.empty()) throw sheafsim::InputError("--out DIR is required");
  return o;
}

// Deterministic "work": a few thousand rounds of xorshift from the index.
std::string task_result(size_t i, const Options& o) {
  for (long waited = 0; waited < o.sleep_ms && !sheafsim::interrupt_requested(); waited += 10)
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(10L, o.sleep_ms - waited)));
  if (static_cast<long>(i) == o.fail_at) throw sheafsim::InputError("bad point");
  uint64_t x = 0x9e3779b97f4a7c15ULL ^ (i + 1);
  for (int r = 0; r < 5000; ++r) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  if (static_cast<long>(i) == o.big_task) {
    std::string pad(size_t{4} << 20, 'a');
    for (size_t k = 0; k < pad.size(); k += 4096) pad[k] = static_cast<char>('a' + (x >> (k % 60)) % 26);
    return fmt::format("{{\"task\": {}, \"value\": {}, \"pad\": \"{}\"}}", i, x, pad);
  }
  return fmt::format("{{\"task\": {}, \"value\": {}}}", i, x);
}

int run(const farm::Cluster& cluster, const Options& o) {
  std::unique_ptr<farm::Checkpoint> checkpoint;
  farm::FarmSpec spec;
  spec.tasks = o.tasks;
  spec.jobs = o.jobs;
  if (cluster.coordinator()) {
    try {
      const std::string fingerprint = fmt::format("{{\"driver\": \"farm_driver\", \"tasks\": {}}}", o.tasks);
      checkpoint = std::make_unique<farm::Checkpoint>(o.out, fingerprint, o.tasks, o.resume);
    } catch (...) {
      // The workers are waiting for tasks: a run of none stops them.
      farm::FarmSpec none;
      farm::run_farm(cluster, none, [](size_t) { return std::string(); });
      throw;
    }
    spec.checkpoint = checkpoint.get();
  }
  farm::FarmStats stats;
  const auto results = farm::run_farm(cluster, spec, [&](size_t i) { return task_result(i, o); }, {}, &stats);
  if (!cluster.coordinator()) return 0;
  std::string text;
  for (const auto& r : results) text += r + "\n";
  sheafsim::write_text_file(o.out + "/results.txt", text);
  checkpoint->remove();
  std::printf("tasks %zu from_checkpoint %zu computed %zu ranks %d\n", stats.tasks, stats.from_checkpoint,
              stats.computed, stats.ranks);
  return 0;
}

// Reports an error on stderr and returns the exit code; while the Cluster
// still exists, since leaving MPI may not return when the job is being killed.
int report(const char* what, int code) {
  std::fprintf(stderr, "farm_driver: error: %s\n", what);
  std::fflush(stderr);
  return code;
}

int run_and_report(const farm::Cluster& cluster, int argc, char** argv) {
  try {
    return run(cluster, parse(argc, argv));
  } catch (const farm::Interrupted& e) {
    return report(e.what(), 128 + sheafsim::interrupt_signal());
  } catch (const sheafsim::InputError& e) {
    return report(e.what(), 2);
  } catch (const std::exception& e) {
    return report(e.what(), 1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  sheafsim::install_interrupt_handlers();
  std::unique_ptr<farm::Cluster> cluster;
  try {
    cluster = std::make_unique<farm::Cluster>();
  } catch (const sheafsim::InputError& e) {
    return report(e.what(), 2);
  }
  return run_and_report(*cluster, argc, argv);
}
