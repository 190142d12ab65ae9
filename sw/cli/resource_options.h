#pragma once
// `--max-memory-gib` on train, infer and simulate (sheafsim/base/resource_limits.h).
#include <CLI/CLI.hpp>

#include "sheafsim/base/resource_limits.h"

namespace sheafsim::cli {

inline void add_resource_options(CLI::App& sub) {
  sub.add_option_function<double>(
      "--max-memory-gib", [](const double& gib) { set_memory_limit_gib(gib); },
      "Refuse runs whose estimated memory exceeds this many GiB (default: $SHEAFSIM_MAX_MEMORY_GIB, else 3/4 of "
      "the machine's memory)");
}

}  // namespace sheafsim::cli
