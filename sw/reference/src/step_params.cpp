#include "sheafsim/reference/step_params.h"

#include <fmt/format.h>

#include "sheafsim/base/error.h"

namespace sheafsim {

OutputMode parse_output_mode(const std::string& name) {
  if (name == "exact") return OutputMode::Exact;
  if (name == "jacobian-free") return OutputMode::JacobianFree;
  throw InputError(fmt::format("unknown output mode '{}' (expected exact or jacobian-free)", name));
}

}  // namespace sheafsim
