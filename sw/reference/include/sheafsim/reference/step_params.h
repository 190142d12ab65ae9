#pragma once
// Settings of one diffusion step, shared by every arithmetic.
#include <string>

namespace sheafsim {

enum class Phase {
  Inference,  // input pinned; phi != id adds a free output vertex a_out
  Training,   // input pinned and output tied to the target y (two-sided)
};

// How the output vertex pulls z_L in inference with phi != id (§6.3).
enum class OutputMode { Exact, JacobianFree };
OutputMode parse_output_mode(const std::string& name);  // throws InputError

struct StepParams {
  double s = 0.01;    // alpha * dt: stalk step
  double eta = 0.0;   // beta * dt: parameter step
  Phase phase = Phase::Inference;
  OutputMode output_mode = OutputMode::Exact;
  bool track_change = true;  // compute max |change| (the tolerance stop needs it; training does not)
};

}  // namespace sheafsim
