#pragma once
// Resource limits (docs/reliability.md): before a run allocates its network,
// data, stalks and mesh, estimate the memory they need and refuse, with one
// line naming the sizes, when the estimate is above the limit; reject sizes
// whose element counts overflow the index types. The limit is
// `--max-memory-gib` (train, infer, simulate), else the environment variable
// SHEAFSIM_MAX_MEMORY_GIB, else 3/4 of the machine's memory (the smaller of
// physical memory and the cgroup's memory.max).
#include <cstdint>
#include <string>
#include <vector>

namespace sheafsim {

struct MemoryLimit {
  double bytes = 0.0;
  std::string source;  // "--max-memory-gib", "SHEAFSIM_MAX_MEMORY_GIB" or "default: 3/4 of 23.4 GiB"
};

// Sets the limit from --max-memory-gib (throws InputError unless finite and > 0).
void set_memory_limit_gib(double gib);
// The limit in force (option, environment, default). Throws InputError for a
// malformed SHEAFSIM_MAX_MEMORY_GIB.
MemoryLimit memory_limit();
// Physical memory, capped by the cgroup limit when there is one (bytes; 0 if unknown).
double machine_memory_bytes();

// What a run holds, for the estimate.
struct RunSize {
  std::vector<int> layers;      // n0..nL
  long long samples = 0;        // training (or inference) samples
  long long test_samples = 0;   // evaluated at history points
  bool fixed = false;           // the fixed-point model keeps integer copies too
  bool compare_float = false;   // --compare-float runs a float reference beside it
  long long mesh_pes = 0;       // simulate: PEs of the mesh (0: no mesh)
};

// Estimated bytes (a double: the products cannot overflow). Coarse upper
// estimates; the constants are in resource_limits.cpp and docs/reliability.md.
double network_bytes(const std::vector<int>& layers);
double run_bytes(const RunSize& r);

// Throws InputError when an element count of the run (weights of a layer,
// neurons x samples) does not fit the index types (Eigen::Index, int rows).
void check_index_range(const RunSize& r);

// Throws InputError "<what> needs about X GiB ..., above the memory limit of
// Y GiB (<source>)" when bytes > the limit.
void check_memory(double bytes, const std::string& what);

// Index check, then the memory check of run_bytes(r).
void check_run_size(const RunSize& r, const std::string& what);

}  // namespace sheafsim
