#pragma once
// `sheafsim data`: the samples of a synthetic task (one stream: train, then
// test, then validation) or of the digits splits (digits.h).
#include <cstdint>
#include <optional>
#include <string>

#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/tasks.h"

namespace sheafsim {

struct DataSpec {
  Task task = Task::Paraboloid;
  std::string digits_file;      // Task::Digits: the file (empty: digits::locate's search)
  long n = 1, test_n = 0, val_n = 0;
  std::uint64_t seed = 42;      // the task's stream, or the digits split's permutation
};

// Where the digits came from and how they split.
struct DigitsSource {
  std::string path;
  Eigen::Index images = 0, train = 0, validation = 0, test = 0;
};

struct DataRun {
  Dataset train, test, validation;
  std::optional<DigitsSource> digits;
};

// Throws InputError for a digits request whose training samples reach into
// the validation split while it asks for validation samples (and as digits.h).
DataRun make_data(const DataSpec& spec);

}  // namespace sheafsim
