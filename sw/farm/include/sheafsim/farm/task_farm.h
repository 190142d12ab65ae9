#pragma once
// run_farm: hands independent tasks (the points of a design-space sweep) to
// threads of this process or to the ranks of an MPI job, saves each result to
// the checkpoint as it arrives and returns them in task order, so the outputs
// are byte-identical whatever the number of threads or ranks.
//
// One process (no MPI, or an MPI job of size 1): `jobs` threads pull task
// indices from a counter (jobs == 1: inline, no thread).
// MPI, size > 1: rank 0 only coordinates (it runs no task, so its own time is
// the serial fraction), ranks 1..N-1 compute. Rank 0 polls with a 1 ms sleep
// instead of a blocking receive, and so do the workers between tasks: Open
// MPI's blocking receive spins, which would steal a core from the workers.
//
// Errors: the first task that throws stops the hand-out; tasks already running
// finish (and are checkpointed); every worker is stopped; the coordinator
// rethrows it with "task <i>: " in front (InputError stays InputError, any
// other exception becomes std::runtime_error).
// Interrupts (SIGINT/SIGTERM after install_interrupt_handlers()): a result
// computed while the flag was set may be partial, so it is discarded. One
// process: the running tasks end, then Interrupted. MPI: the coordinator waits
// 0.25 s for running tasks and 0.15 s for the workers' answers to STOP (not
// longer: see below), then throws Interrupted; the finished tasks are in the
// checkpoint.
//
// MPI callers: every rank calls run_farm with the same `tasks`; only the
// coordinator makes the Checkpoint (workers pass none) and reads the results.
// A coordinator that fails before its run_farm must still call run_farm with
// tasks = 0 (it stops the workers at once), or the workers wait for ever.
// Print an error while the Cluster still exists (tests/farm/farm_driver.cpp):
// ~Cluster's MPI_Finalize waits for every rank, and mpirun may kill the job first.
//
// A worker rank that dies, observed with Open MPI 4.1.4 (mpirun -n 3 on 2
// cores, rank 1 killed with SIGKILL; tests/farm/check_farm_mpi.sh kill_and_resume):
// mpirun sends the other ranks SIGCONT at once and SIGTERM 1.0 s later, then
// SIGKILL as soon as any rank exits, or 1 s after SIGTERM
// (odls_base_sigkill_timeout). The SIGTERM sets the interrupt flag: the
// coordinator stops, throws Interrupted ~0.4 s later and its caller prints
// "interrupted by SIGTERM with K of N tasks finished; they are in DIR/checkpoint:
// continue with --resume DIR" and exits 143; mpirun prints "process rank 1 ...
// exited on signal 9 (Killed)" and exits 137, ~1.4 s after the kill. Had the
// coordinator waited longer, the SIGKILL would have cut its message; the
// checkpoint is whole either way (atomic files). Ctrl-C (SIGINT to mpirun)
// takes the same path: SIGTERM to every rank 1 s later, mpirun exits 1.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sheafsim/farm/checkpoint.h"
#include "sheafsim/farm/cluster.h"

namespace sheafsim::farm {

struct FarmSpec {
  size_t tasks = 0;
  unsigned jobs = 1;  // worker threads in a one-process run (>= 1)
  // Tasks that must not run at the same time as each other in one process (the
  // SystemC kernel is process-global): a one-process run holds one mutex around them.
  std::function<bool(size_t)> exclusive;
  Checkpoint* checkpoint = nullptr;  // null: none
};

struct FarmStats {
  int ranks = 1;           // MPI ranks (1: one process)
  unsigned workers = 1;    // ranks or threads that ran tasks
  size_t tasks = 0, from_checkpoint = 0, computed = 0;
  double wall_s = 0;         // run_farm's wall time on the coordinator
  double coordinator_s = 0;  // coordinator time not spent waiting or computing tasks: hand-out, receiving, checkpoint writes, progress
  std::vector<double> worker_busy_s;  // per worker: seconds inside the task function
};

// A run stopped by SIGINT or SIGTERM; what() says how many tasks finished and
// how to continue.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(const std::string& what) : std::runtime_error(what) {}
};

using TaskFn = std::function<std::string(size_t task)>;  // a task's result, deterministic text (JSON)
// Coordinator only, after each result (`done` counts the checkpointed ones too).
using DoneFn = std::function<void(size_t task, size_t done, size_t total)>;

// Runs every task that the checkpoint does not hold. Returns on the coordinator
// all results (index = task; loaded ones included), on other ranks an empty
// vector once the coordinator ends the run. Hand-out order: ascending index
// (callers put long tasks first).
std::vector<std::string> run_farm(const Cluster& cluster, const FarmSpec& spec, const TaskFn& fn,
                                  const DoneFn& done = {}, FarmStats* stats = nullptr);

}  // namespace sheafsim::farm
