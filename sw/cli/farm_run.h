#pragma once
// How `explore` and `compare --sweep` run their tasks (sheafsim/farm/): the
// ranks of `mpirun -n N` or --jobs threads of one process, the checkpoint in
// OUT/checkpoint, the progress line, and the timing the outputs leave out
// (OUT/timing.json and the statistics block: the other files are the same
// for any number of jobs or ranks).
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "console.h"
#include "sheafsim/farm/checkpoint.h"
#include "sheafsim/farm/cluster.h"
#include "sheafsim/farm/task_farm.h"

namespace sheafsim::cli {

struct FarmRequest {
  std::string what;              // the progress line's label: "explore", "compare sweep"
  std::string detail;            // in its parentheses before the workers: "bit-accurate"
  std::string unit = "tasks";    // what a counted task is, plural
  size_t uncounted = 0;          // tasks 0..uncounted-1 are named when done but not counted (a reference run)
  size_t tasks = 0;
  int jobs = 0;                  // --jobs: threads of one process (0: every core)
  std::string out_dir;           // empty: no checkpoint
  bool resume = false;           // --resume out_dir
  std::string fingerprint;       // the settings that decide every result
  std::function<bool(size_t)> exclusive;        // tasks that run the SystemC mesh
  std::function<std::string(size_t)> describe;  // a task, for the progress line
};

struct FarmOutcome {
  bool coordinator = true;        // false on a worker rank: it writes nothing
  std::vector<std::string> results;  // the coordinator's: every task's result text
  farm::FarmStats stats;
  std::shared_ptr<farm::Checkpoint> checkpoint;
};

// Runs every task not already in the checkpoint.
FarmOutcome run_farm_tasks(const FarmRequest& req, const farm::TaskFn& fn);

// DIR/timing.json (ranks, workers, wall and busy times, points per second),
// then the checkpoint is removed: the outputs are complete.
void write_timing(const std::string& dir, const FarmOutcome& f);
// "3 MPI ranks (2 workers)", "2 threads".
std::string describe_workers(const FarmOutcome& f);
// wall_time_s, tasks_per_s, from_checkpoint, coordinator_s.
void add_farm_rows(const FarmOutcome& f, std::vector<StatRow>& rows);

// Launched by mpirun or srun as a rank other than 0 (from the environment, before MPI starts).
bool launched_as_worker_rank();
// Launched as one of several ranks (OMPI_COMM_WORLD_SIZE or PMI_SIZE > 1).
bool launched_as_several_ranks();

// Ends the MPI job of the run (if one started): main calls it after printing
// any error, because MPI_Finalize waits for every rank and mpirun may end a
// failed job before a message printed later gets out.
void end_cluster();

}  // namespace sheafsim::cli
