#include "sheafsim/farm/cluster.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "farm_detail.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/run_control.h"

#ifdef SHEAFSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace sheafsim::farm {

namespace {

bool env_set(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

// Launched by mpirun (Open MPI), or by srun / another PMI launcher.
bool launched_as_ranks() {
  return env_set("OMPI_COMM_WORLD_SIZE") || env_set("PMIX_RANK") || env_set("PMI_RANK");
}

#ifndef SHEAFSIM_HAVE_MPI
int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::atoi(v) : 0;
}
#endif

}  // namespace

Cluster::Cluster() {
  if (!launched_as_ranks()) return;
#ifdef SHEAFSIM_HAVE_MPI
  int already = 0;
  MPI_Initialized(&already);
  if (!already) {
    int provided = 0;
    // FUNNELED: tasks may use threads, but only this thread calls MPI.
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    initialised_ = true;
  }
  mpi_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  if (const int n = std::max(env_int("OMPI_COMM_WORLD_SIZE"), env_int("PMI_SIZE")); n > 1)
    throw InputError(fmt::format(
        "this sheafsim was built without MPI: it cannot run as {} ranks (install libopenmpi-dev and rebuild, or run "
        "without mpirun)", n));
#endif
}

Cluster::~Cluster() {
#ifdef SHEAFSIM_HAVE_MPI
  // After a signal mpirun is ending the job (SIGTERM to every rank; SIGKILL to
  // the rest as soon as one rank exits, or 1 s later), and MPI_Finalize's fence
  // would wait on ranks that are going away, as it would on a worker that an
  // interrupted coordinator left behind. So the coordinator leaves without it
  // (its message and exit code are out by then); the workers do finalize,
  // which keeps them alive until the coordinator has exited.
  if (initialised_ && !(rank_ == 0 && (interrupt_requested() || detail::workers_left_behind()))) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
#endif
}

int Cluster::rank() const { return rank_; }
int Cluster::size() const { return size_; }
bool Cluster::mpi() const { return mpi_; }

bool Cluster::built_with_mpi() {
#ifdef SHEAFSIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

}  // namespace sheafsim::farm
