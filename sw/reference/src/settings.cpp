#include "sheafsim/reference/settings.h"

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/reference/spectrum.h"

namespace sheafsim {

void require_positive(double value, const std::string& name) {
  if (!std::isfinite(value) || value <= 0.0)
    throw InputError(fmt::format("{} = {} must be a finite number > 0", name, value));
}

void require_non_negative(double value, const std::string& name) {
  if (!std::isfinite(value) || value < 0.0)
    throw InputError(fmt::format("{} = {} must be a finite number >= 0", name, value));
}

void require_count(long value, const std::string& name, long lo, long hi) {
  if (value < lo || value > hi) throw InputError(fmt::format("{} = {} is outside {}..{}", name, value, lo, hi));
}

std::optional<std::string> check_step_size(const Network& net, double alpha, double dt, bool two_sided,
                                           const SoftPull& soft) {
  const double soft_pull = soft.gamma;
  require_positive(alpha, "--alpha");
  require_positive(dt, "--dt");
  const double s = alpha * dt;
  // Weyl: the soft pins' diagonal raises lambda_max by at most their strongest pull.
  const double bound = lambda_max_bound(net, two_sided) + soft_pull;
  const std::string pull =
      soft_pull > 0 ? fmt::format(", soft pins included (their strongest pull: gamma = {:.4g})", soft_pull) : "";
  if (s >= 2.0)
    throw InputError(fmt::format("alpha*dt = {} is unstable for every network (needs alpha*dt < 2 / lambda_max, "
                                 "lambda_max >= 1; here lambda_max <= {:.4g}{}, so dt < {:.4g} is safe)",
                                 s, bound, pull, 2.0 / (alpha * bound)));
  if (s * soft_pull >= 2.0)  // the fixed-point pin constant's refusal (fixed_pins.cpp), in every arithmetic
    throw InputError(fmt::format("soft pin on {}: alpha*dt*gamma = {:.6g} >= 2 (the pinned coordinate alone would "
                                 "diverge: lambda_max >= gamma = {:.4g}); use gamma < {:.4g} or dt < {:.4g}",
                                 soft.coordinate, s * soft_pull, soft_pull, 2.0 / s, 2.0 / (alpha * soft_pull)));
  if (s * bound >= 2.0)
    return fmt::format("alpha*dt = {} exceeds the stability bound 2 / lambda_max_bound = {:.4g} "
                       "(lambda_max(L_free) <= {:.4g}{}); Euler steps may diverge, dt < {:.4g} is guaranteed stable",
                       s, 2.0 / bound, bound, pull, 2.0 / (alpha * bound));
  return std::nullopt;
}

}  // namespace sheafsim
