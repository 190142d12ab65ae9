#pragma once
// The synthetic tasks of the specification (sheaf-math.md §12.1), seeded, and
// the handwritten-digits data set (read from a file: sheafsim/reference/digits.h).
#include <cstdint>
#include <string>
#include <vector>

#include "sheafsim/reference/dataset.h"

namespace sheafsim {

enum class Task { Paraboloid, Saddle, Circular, Blobs, Digits };

Task parse_task(const std::string& name);  // throws InputError
std::string to_string(Task task);
std::vector<std::string> task_names();

// The network shape and output the reference uses for the task.
std::vector<int> default_layers(Task task);
OutputKind default_output(Task task);

// Whether the task's samples come from a generator (all but Digits).
bool is_synthetic(Task task);

// n samples from the task's generator with the given seed. Digits has no
// generator (InputError: read it with digits::load and digits::split).
Dataset make_task(Task task, Eigen::Index n, std::uint64_t seed);

}  // namespace sheafsim
