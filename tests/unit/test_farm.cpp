// The task farm in one process (no MPI needed): thread counts do not change
// the results, exclusive tasks never overlap, the checkpoint and --resume,
// the refusals, task errors and interrupts. tests/farm runs it under mpirun.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/base/run_control.h"
#include "sheafsim/farm/task_farm.h"

namespace fs = std::filesystem;
using namespace sheafsim;
using namespace sheafsim::farm;

namespace {

// A scratch output directory under the current one (the build dir), removed
// on both ends.
struct TempDir {
  std::string path;
  explicit TempDir(const std::string& name) : path("farm-test-" + name) { fs::remove_all(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string result_of(size_t i) { return "{\"task\": " + std::to_string(i) + ", \"sq\": " + std::to_string(i * i) + "}"; }

size_t task_files(const std::string& checkpoint_dir) {
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(checkpoint_dir))
    if (e.path().filename().string().rfind("task-", 0) == 0) ++n;
  return n;
}

}  // namespace

TEST_CASE("jobs 1 and jobs 4 give the same results", "[farm]") {
  Cluster cluster;
  REQUIRE_FALSE(cluster.mpi());
  FarmSpec spec;
  spec.tasks = 37;
  auto fn = [](size_t i) {
    std::this_thread::sleep_for(std::chrono::microseconds(200 * (i % 5)));
    return result_of(i);
  };
  FarmStats s1, s4;
  const auto one = run_farm(cluster, spec, fn, {}, &s1);
  spec.jobs = 4;
  size_t last_done = 0;
  const auto four = run_farm(
      cluster, spec, fn, [&](size_t, size_t done, size_t total) { last_done = std::max(last_done, done); CHECK(total == 37); },
      &s4);
  REQUIRE(one.size() == 37);
  CHECK(one == four);
  CHECK(one[12] == result_of(12));
  CHECK(last_done == 37);
  CHECK(s1.workers == 1);
  CHECK(s4.workers == 4);
  CHECK(s4.worker_busy_s.size() == 4);
  CHECK(s4.computed == 37);
  CHECK(s4.from_checkpoint == 0);
  CHECK(s4.ranks == 1);
}

TEST_CASE("exclusive tasks never run at the same time", "[farm]") {
  Cluster cluster;
  FarmSpec spec;
  spec.tasks = 40;
  spec.jobs = 4;
  spec.exclusive = [](size_t i) { return i % 2 == 0; };
  std::atomic<int> inside{0}, most{0}, overlaps_other{0};
  std::atomic<int> running{0};
  const auto results = run_farm(cluster, spec, [&](size_t i) {
    const int r = ++running;
    if (i % 2 == 0) {
      const int n = ++inside;
      int m = most.load();
      while (n > m && !most.compare_exchange_weak(m, n)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --inside;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (r > 1) ++overlaps_other;
    --running;
    return result_of(i);
  });
  CHECK(most.load() == 1);
  CHECK(overlaps_other.load() > 0);  // the other tasks did run in parallel
  CHECK(results[39] == result_of(39));
}

TEST_CASE("the checkpoint holds every finished task and resume computes only the missing ones", "[farm]") {
  TempDir dir("resume");
  Cluster cluster;
  FarmSpec spec;
  spec.tasks = 10;
  spec.jobs = 3;
  const std::string fp = "{\"steps\": 100, \"seed\": 7}";
  std::vector<std::string> full;
  {
    Checkpoint cp(dir.path, fp, 10, false);
    spec.checkpoint = &cp;
    full = run_farm(cluster, spec, result_of);
    REQUIRE(task_files(cp.path()) == 10);
    CHECK(read_text_file(cp.path() + "/task-000007.json") == result_of(7));
  }
  fs::remove(dir.path + "/checkpoint/task-000002.json");
  fs::remove(dir.path + "/checkpoint/task-000009.json");
  std::atomic<int> calls{0};
  Checkpoint cp(dir.path, fp, 10, true);
  CHECK(cp.finished().size() == 8);
  spec.checkpoint = &cp;
  FarmStats stats;
  size_t first_done = 0;
  const auto resumed = run_farm(
      cluster, spec,
      [&](size_t i) {
        ++calls;
        return result_of(i);
      },
      [&](size_t, size_t done, size_t) {
        if (first_done == 0) first_done = done;
      },
      &stats);
  CHECK(calls.load() == 2);
  CHECK(resumed == full);
  CHECK(first_done == 9);  // the loaded tasks count as done
  CHECK(stats.from_checkpoint == 8);
  CHECK(stats.computed == 2);
  cp.remove();
  CHECK_FALSE(fs::exists(dir.path + "/checkpoint"));
  CHECK_THROWS_WITH(Checkpoint(dir.path, fp, 10, true),
                    "--resume " + dir.path + ": no checkpoint in " + dir.path + "/checkpoint");
}

TEST_CASE("resume refuses a checkpoint of another run", "[farm]") {
  TempDir dir("fingerprint");
  { Checkpoint cp(dir.path, "{\"steps\": 100, \"seed\": 7}", 10, false); }
  CHECK_THROWS_AS(Checkpoint(dir.path, "{\"steps\": 100, \"seed\": 8}", 10, true), InputError);
  CHECK_THROWS_WITH(Checkpoint(dir.path, "{\"steps\": 100, \"seed\": 8}", 10, true),
                    Catch::Contains("--resume " + dir.path + ": the checkpoint belongs to another run") &&
                        Catch::Contains("\"seed\""));
  CHECK_THROWS_WITH(Checkpoint(dir.path, "{\"steps\": 100, \"seed\": 7}", 11, true),
                    Catch::Contains("belongs to another run"));
  // A task file that is not one of this run's tasks.
  write_text_file(dir.path + "/checkpoint/task-000010.json", "{}");
  CHECK_THROWS_WITH(Checkpoint(dir.path, "{\"steps\": 100, \"seed\": 7}", 10, true),
                    Catch::Contains("task-000010.json"));
}

TEST_CASE("a fresh run over an unfinished checkpoint is refused", "[farm]") {
  TempDir dir("fresh");
  { Checkpoint cp(dir.path, "x", 3, false); }
  CHECK_THROWS_WITH(Checkpoint(dir.path, "x", 3, false),
                    dir.path + "/checkpoint holds an unfinished run: continue it with --resume " + dir.path +
                        ", or delete " + dir.path + "/checkpoint");
}

TEST_CASE("a task error is rethrown naming the task, the other results checkpointed", "[farm]") {
  for (unsigned jobs : {1u, 4u}) {
    TempDir dir("error");
    Cluster cluster;
    Checkpoint cp(dir.path, "x", 20, false);
    FarmSpec spec;
    spec.tasks = 20;
    spec.jobs = jobs;
    spec.checkpoint = &cp;
    auto fn = [](size_t i) -> std::string {
      if (i == 5) throw InputError("bad point");
      return result_of(i);
    };
    CHECK_THROWS_AS(run_farm(cluster, spec, fn), InputError);
    CHECK_THROWS_WITH(run_farm(cluster, spec, fn), "task 5: bad point");
    // Any other exception: a std::runtime_error, not an InputError.
    spec.checkpoint = nullptr;
    auto logic = [](size_t i) -> std::string {
      if (i == 2) throw std::logic_error("broken");
      return result_of(i);
    };
    try {
      run_farm(cluster, spec, logic);
      FAIL("no exception");
    } catch (const InputError&) {
      FAIL("an InputError");
    } catch (const std::runtime_error& e) {
      CHECK(std::string(e.what()) == "task 2: broken");
    }
    Checkpoint again(dir.path, "x", 20, true);
    CHECK(again.finished().size() >= 5);
    CHECK(again.finished().count(5) == 0);
    for (const auto& [i, text] : again.finished()) CHECK(text == result_of(i));
    if (jobs == 1) CHECK(again.finished().size() == 5);  // the hand-out stopped at the error
  }
}

TEST_CASE("an interrupt ends the run with Interrupted and keeps the finished tasks", "[farm]") {
  TempDir dir("interrupt");
  Cluster cluster;
  Checkpoint cp(dir.path, "x", 10, false);
  FarmSpec spec;
  spec.tasks = 10;
  spec.checkpoint = &cp;
  std::atomic<int> calls{0};
  auto fn = [&](size_t i) {
    ++calls;
    if (i == 3) request_interrupt(SIGINT);  // as the handler would, half-way through task 3
    return result_of(i);
  };
  CHECK_THROWS_WITH(run_farm(cluster, spec, fn),
                    "interrupted by SIGINT with 3 of 10 tasks finished; they are in " + dir.path +
                        "/checkpoint: continue with --resume " + dir.path);
  CHECK(calls.load() == 4);
  CHECK(task_files(cp.path()) == 3);  // task 3's (possibly partial) result is discarded
  spec.checkpoint = nullptr;
  CHECK_THROWS_AS(run_farm(cluster, spec, fn), Interrupted);
  request_interrupt(0);  // clears the flag for the test cases after this one (one process)
  CHECK_FALSE(interrupt_requested());
}

// Only in a build without MPI (an MPI build would try to join a job that is not there).
#ifdef SHEAFSIM_FARM_WITHOUT_MPI
TEST_CASE("a build without MPI refuses to run as several ranks", "[farm]") {
  REQUIRE_FALSE(Cluster::built_with_mpi());
  ::setenv("OMPI_COMM_WORLD_SIZE", "3", 1);
  CHECK_THROWS_WITH(Cluster(), Catch::Contains("this sheafsim was built without MPI: it cannot run as 3 ranks"));
  ::setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  Cluster one;  // mpirun -n 1: runs as one process
  CHECK_FALSE(one.mpi());
  CHECK(one.size() == 1);
  ::unsetenv("OMPI_COMM_WORLD_SIZE");
}
#endif
