#pragma once
// Which sweep point is the cheapest one that trains as well as float: the
// smallest total word length whose final loss is within a tolerance of the
// float reference's (docs/cli.md, "Sweeps").
#include <optional>
#include <string>
#include <vector>

namespace sheafsim {

struct SweepOutcome {
  int word_length_bits = 0;  // sweep.h word_length_bits
  std::string round;         // the rounding mode's name
  double float_loss = 0.0;   // final loss of the float reference
  double fixed_loss = 0.0;   // final loss of this point
};

// (fixed - float) / float: positive when fixed point trains worse. NaN when
// either loss is not finite or float is 0.
double relative_gap(double fixed_loss, double float_loss);

// A point qualifies when its relative gap is finite and <= tolerance (a fixed
// loss below the float loss qualifies). Returns the index of the qualifying
// point with the smallest word length; ties go to the smaller fixed loss,
// then to the earlier point. Empty when no point qualifies.
std::optional<size_t> smallest_within(const std::vector<SweepOutcome>& points, double tolerance);

// The rounding modes (in order of first appearance) that qualify at the given word length.
std::vector<std::string> modes_within(const std::vector<SweepOutcome>& points, int word_length_bits,
                                      double tolerance);

}  // namespace sheafsim
