#pragma once
// What the one-process and the MPI farm share (private to the farm layer).
#include <chrono>
#include <string>
#include <vector>

#include "sheafsim/farm/task_farm.h"

namespace sheafsim::farm::detail {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Rethrows a failed task's error with "task <i>: " in front: 'I' InputError,
// anything else std::runtime_error.
[[noreturn]] void throw_task_error(size_t task, char kind, const std::string& message);

// Interrupted's text: how many tasks finished and where they are.
[[noreturn]] void throw_interrupted(size_t finished, size_t total, const Checkpoint* checkpoint);

// The tasks the checkpoint does not hold, ascending; fills results with the loaded ones.
std::vector<size_t> pending_tasks(const FarmSpec& spec, std::vector<std::string>& results,
                                  std::vector<bool>& have);

// Set when an interrupted coordinator gave up waiting for a worker: MPI_Finalize
// would then wait for that rank for ever, so ~Cluster skips it (mpirun ends the job).
void set_workers_left_behind();
bool workers_left_behind();

#ifdef SHEAFSIM_HAVE_MPI
// MPI, size > 1: rank 0 coordinates, the other ranks compute.
std::vector<std::string> run_farm_mpi(const Cluster& cluster, const FarmSpec& spec, const TaskFn& fn,
                                      const DoneFn& done, FarmStats* stats);
#endif

}  // namespace sheafsim::farm::detail
