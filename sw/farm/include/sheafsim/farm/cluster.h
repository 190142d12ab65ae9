#pragma once
// The processes of a run: this one alone (the tasks then run on threads), or
// the ranks of an MPI job when mpirun or srun launched it. MPI is private to
// the farm layer: callers see ranks, never an MPI header.
namespace sheafsim::farm {

class Cluster {
 public:
  // Joins the MPI job when launched by mpirun or srun (any of the environment
  // variables OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK is set) and this build
  // has MPI: MPI_Init_thread(MPI_THREAD_FUNNELED) (only the thread that made
  // the Cluster talks MPI). Launched so without MPI in the build and with more
  // than one rank (OMPI_COMM_WORLD_SIZE or PMI_SIZE > 1): throws InputError,
  // since N copies would each run every task and write the same files.
  Cluster();
  ~Cluster();  // MPI_Finalize when it initialised MPI
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  int rank() const;
  int size() const;
  bool coordinator() const { return rank() == 0; }
  bool mpi() const;  // running as an MPI job (size may still be 1)
  static bool built_with_mpi();

 private:
  int rank_ = 0;
  int size_ = 1;
  bool mpi_ = false;
  bool initialised_ = false;  // this object called MPI_Init_thread
};

}  // namespace sheafsim::farm
