#include "sheafsim/analysis/compare.h"

#include <algorithm>
#include <cmath>

namespace sheafsim {

Difference difference(const std::vector<Matrix>& x, const std::vector<Matrix>& y) {
  Difference d;
  double sum = 0.0;
  Eigen::Index count = 0;
  for (size_t k = 0; k < std::min(x.size(), y.size()); ++k) {
    const Matrix e = x[k] - y[k];
    if (e.size() == 0) continue;
    d.max_abs = std::max(d.max_abs, e.cwiseAbs().maxCoeff());
    sum += e.squaredNorm();
    count += e.size();
  }
  d.rms = count > 0 ? std::sqrt(sum / static_cast<double>(count)) : 0.0;
  return d;
}

Difference weight_difference(const Network& x, const Network& y) {
  std::vector<Matrix> a(x.W.begin(), x.W.end()), b(y.W.begin(), y.W.end());
  for (const auto& v : x.b) a.emplace_back(v);
  for (const auto& v : y.b) b.emplace_back(v);
  return difference(a, b);
}

Difference stalk_difference(const SheafState& x, const SheafState& y) {
  std::vector<Matrix> a = x.z, b = y.z;
  a.insert(a.end(), x.a.begin(), x.a.end());
  b.insert(b.end(), y.a.begin(), y.a.end());
  a.push_back(x.a_out);
  b.push_back(y.a_out);
  return difference(a, b);
}

nlohmann::json to_json(const Difference& d) { return {{"max_abs", d.max_abs}, {"rms", d.rms}}; }

}  // namespace sheafsim
