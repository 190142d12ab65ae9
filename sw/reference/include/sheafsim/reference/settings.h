#pragma once
// Checks on numeric settings shared by the CLI and the library: a bad value is
// an InputError naming the setting, never a silently wrong run.
#include <optional>
#include <string>

#include "sheafsim/reference/network.h"

namespace sheafsim {

void require_positive(double value, const std::string& name);      // finite and > 0
void require_non_negative(double value, const std::string& name);  // finite and >= 0
void require_count(long value, const std::string& name, long lo, long hi);

// The strongest soft pin of a run (PinSet::strongest_pull): its summed gamma on
// one coordinate, and that coordinate ("z_1[2]"); gamma 0 without soft pins.
struct SoftPull {
  double gamma = 0;
  std::string coordinate;
};

// alpha * dt >= 2 is unstable for every network (lambda_max(L_free) >= 1), so it
// is an error. Returns a warning when alpha * dt exceeds 2 / lambda_max_bound, the
// step below which stability is guaranteed. Soft pins add their summed strength
// to the diagonal: lambda_max >= gamma makes alpha * dt * gamma >= 2 an error
// naming the coordinate, and the bound grows by gamma (Weyl).
std::optional<std::string> check_step_size(const Network& net, double alpha, double dt, bool two_sided,
                                           const SoftPull& pull = {});

}  // namespace sheafsim
