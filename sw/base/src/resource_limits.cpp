#include "sheafsim/base/resource_limits.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim {

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
std::optional<double> g_option_gib;

// Per neuron and sample: z, a, the residual u, the stalk update, the forward
// pass used for evaluation and one temporary (doubles; the fixed model adds as
// many 64-bit integers). Per weight: W, the Hebbian accumulator, the initial
// copy and one temporary. Per mesh PE: its SystemC processes (thread stacks),
// message buffers and counters.
constexpr double kDoublesPerNeuronSample = 6.0;
constexpr double kDoublesPerWeight = 4.0;
constexpr double kBytesPerPe = 512.0 * 1024.0;
constexpr double kBaseBytes = 64.0 * 1024.0 * 1024.0;  // code, SystemC kernel, buffers

double parse_gib(const std::string& text, const std::string& origin) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v) || v <= 0.0)
    throw InputError(fmt::format("{} = '{}' must be a number of GiB > 0", origin, text));
  return v;
}

}  // namespace

void set_memory_limit_gib(double gib) {
  if (!std::isfinite(gib) || gib <= 0.0)
    throw InputError(fmt::format("--max-memory-gib = {} must be a number of GiB > 0", gib));
  g_option_gib = gib;
}

double machine_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  double bytes = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0.0;
  std::ifstream cg("/sys/fs/cgroup/memory.max");
  std::string max;
  if (cg >> max && max != "max") {
    char* end = nullptr;
    const double v = std::strtod(max.c_str(), &end);
    if (*end == '\0' && v > 0.0 && (bytes == 0.0 || v < bytes)) bytes = v;
  }
  return bytes;
}

MemoryLimit memory_limit() {
  if (g_option_gib) return {*g_option_gib * kGiB, "--max-memory-gib"};
  if (const char* env = std::getenv("SHEAFSIM_MAX_MEMORY_GIB"); env != nullptr && *env != '\0')
    return {parse_gib(env, "SHEAFSIM_MAX_MEMORY_GIB") * kGiB, "SHEAFSIM_MAX_MEMORY_GIB"};
  const double machine = machine_memory_bytes();
  if (machine <= 0.0) return {std::numeric_limits<double>::infinity(), "default: machine memory unknown"};
  return {0.75 * machine, fmt::format("default: 3/4 of the machine's {:.1f} GiB", machine / kGiB)};
}

double network_bytes(const std::vector<int>& layers) {
  double weights = 0.0;
  for (size_t l = 1; l < layers.size(); ++l)
    weights += static_cast<double>(layers[l]) * (static_cast<double>(layers[l - 1]) + 1.0);
  return weights * kDoublesPerWeight * sizeof(double);
}

double run_bytes(const RunSize& r) {
  double neurons = 0.0;
  for (int n : r.layers) neurons += static_cast<double>(n);
  const double samples = static_cast<double>(r.samples) + static_cast<double>(r.test_samples);
  double per_value = sizeof(double);
  if (r.fixed) per_value += sizeof(std::int64_t);
  double copies = 1.0;
  if (r.compare_float) copies += 1.0;
  const double state = neurons * samples * kDoublesPerNeuronSample * per_value * copies;
  const double net = network_bytes(r.layers) * (r.fixed ? 2.0 : 1.0) * copies;
  return kBaseBytes + state + net + static_cast<double>(r.mesh_pes) * kBytesPerPe;
}

void check_index_range(const RunSize& r) {
  // Eigen::Index is 64-bit, matrix dimensions and the mesh's indices are int:
  // every count must stay below 2^31 per matrix dimension, 2^62 per matrix.
  constexpr double kMaxDim = 2147483647.0, kMaxElements = 4.6e18;
  const double samples = static_cast<double>(r.samples) + static_cast<double>(r.test_samples);
  if (r.samples < 0 || r.test_samples < 0 || samples > kMaxDim)
    throw InputError(fmt::format("{} samples is outside 0..{} (the index range)", samples, kMaxDim));
  for (size_t l = 0; l < r.layers.size(); ++l) {
    const double n = r.layers[l];
    if (n * samples > kMaxElements)
      throw InputError(fmt::format("layer n{} = {} x {} samples overflows the index range", l, r.layers[l], samples));
    if (l > 0 && n * static_cast<double>(r.layers[l - 1]) > kMaxElements)
      throw InputError(fmt::format("W_{} ({} x {}) overflows the index range", l, r.layers[l], r.layers[l - 1]));
  }
}

void check_memory(double bytes, const std::string& what) {
  const MemoryLimit lim = memory_limit();
  if (bytes > lim.bytes)
    throw InputError(fmt::format("{} needs about {:.3g} GiB of memory (estimate), above the limit of {:.3g} GiB ({}); "
                                 "raise it with --max-memory-gib or SHEAFSIM_MAX_MEMORY_GIB",
                                 what, bytes / kGiB, lim.bytes / kGiB, lim.source));
}

void check_run_size(const RunSize& r, const std::string& what) {
  check_index_range(r);
  check_memory(run_bytes(r), what);
}

}  // namespace sheafsim
