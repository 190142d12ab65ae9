#pragma once
// A batch of samples stored as matrices, one column per sample, and the data
// CSV format: a header naming columns x0..x{n0-1} then y0..y{nL-1}, one row
// per sample, numbers written with 17 significant digits.
#include <string>

#include "sheafsim/reference/network.h"

namespace sheafsim {

struct Dataset {
  Matrix X;  // n0 x N
  Matrix Y;  // nL x N (0 rows when the file has no targets)

  Eigen::Index size() const { return X.cols(); }
  bool has_targets() const { return Y.rows() > 0; }
  // Columns [begin, begin + count).
  Dataset slice(Eigen::Index begin, Eigen::Index count) const;
};

// Parses CSV text. Targets (y columns) are optional in the file.
Dataset parse_csv(const std::string& text, const std::string& origin);
Dataset read_csv(const std::string& path);  // throws InputError
std::string to_csv(const Dataset& data);
void write_csv(const std::string& path, const Dataset& data);

// Throws InputError if `data` does not fit `net` (input width, target width,
// targets present when required, one-hot targets for softmax).
void check_compatible(const Network& net, const Dataset& data, bool need_targets, const std::string& origin);

}  // namespace sheafsim
