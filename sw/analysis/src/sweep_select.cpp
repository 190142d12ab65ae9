#include "sheafsim/analysis/sweep_select.h"

#include <algorithm>
#include <cmath>

namespace sheafsim {

double relative_gap(double fixed_loss, double float_loss) {
  if (!std::isfinite(fixed_loss) || !std::isfinite(float_loss) || float_loss == 0.0) return std::nan("");
  return (fixed_loss - float_loss) / std::abs(float_loss);
}

namespace {
bool qualifies(const SweepOutcome& p, double tolerance) {
  const double g = relative_gap(p.fixed_loss, p.float_loss);
  return std::isfinite(g) && g <= tolerance;
}
}  // namespace

std::optional<size_t> smallest_within(const std::vector<SweepOutcome>& points, double tolerance) {
  std::optional<size_t> best;
  for (size_t i = 0; i < points.size(); ++i) {
    if (!qualifies(points[i], tolerance)) continue;
    if (!best) {
      best = i;
      continue;
    }
    const SweepOutcome& b = points[*best];
    const SweepOutcome& p = points[i];
    if (p.word_length_bits < b.word_length_bits ||
        (p.word_length_bits == b.word_length_bits && p.fixed_loss < b.fixed_loss))
      best = i;
  }
  return best;
}

std::vector<std::string> modes_within(const std::vector<SweepOutcome>& points, int word_length_bits,
                                      double tolerance) {
  std::vector<std::string> modes;
  for (const SweepOutcome& p : points)
    if (p.word_length_bits == word_length_bits && qualifies(p, tolerance) &&
        std::find(modes.begin(), modes.end(), p.round) == modes.end())
      modes.push_back(p.round);
  return modes;
}

}  // namespace sheafsim
