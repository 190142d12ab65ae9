#include "sheafsim/explore/pareto.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim::explore {

namespace {

bool dominates(const std::vector<double>& u, const std::vector<double>& v) {
  bool strictly = false;
  for (size_t k = 0; k < u.size(); ++k) {
    if (u[k] > v[k]) return false;
    if (u[k] < v[k]) strictly = true;
  }
  return strictly;
}

}  // namespace

std::vector<size_t> pareto_front(const std::vector<std::vector<double>>& objectives) {
  std::vector<size_t> finite;
  for (size_t i = 0; i < objectives.size(); ++i) {
    if (objectives[i].size() != objectives.front().size())
      throw InputError(fmt::format("pareto_front: vector {} has {} objectives, vector 0 has {}", i,
                                   objectives[i].size(), objectives.front().size()));
    const auto& v = objectives[i];
    if (std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); })) finite.push_back(i);
  }
  std::vector<size_t> front;
  for (const size_t i : finite) {
    const bool beaten =
        std::any_of(finite.begin(), finite.end(), [&](size_t j) { return dominates(objectives[j], objectives[i]); });
    if (!beaten) front.push_back(i);
  }
  return front;
}

}  // namespace sheafsim::explore
