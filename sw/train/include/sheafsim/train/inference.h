#pragma once
// Inference by diffusion: pin the input, relax the free stalks by Euler steps
// until max |change| < tol (or for a fixed number of steps). The relaxed
// stalks converge to the forward pass (sheaf-math.md Prop. 3.4, Thm. 4.1).
#include <cstdint>
#include <functional>
#include <memory>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/reference/sheaf_dynamics.h"

namespace sheafsim {

struct InferenceOptions {
  double alpha = 1.0;
  double dt = 0.01;
  long fixed_steps = -1;    // >= 0: run exactly this many steps, ignore tol
  double tol = 1e-9;        // stop when max |change| < tol
  long max_steps = 200000;  // cap for the tolerance stop
  StalkInit init = StalkInit::Zeros;
  std::uint64_t seed = 42;  // stalk seed for StalkInit::Random
  OutputMode output_mode = OutputMode::Exact;
  // Partial clamping (pins.h, PinUse::Inference); null: only the input pinned.
  // Free input coordinates move: the result's state.x is the relaxed input.
  std::shared_ptr<const PinSet> pins;
};

struct InferenceResult {
  SheafState state;
  long steps = 0;
  bool converged = false;    // the last step's max |change| fell below tol
  double last_delta = 0.0;   // max |change| in the last step
  double wall_s = 0.0;
};

// Called every `every` steps with (steps done, last max |change|).
using InferenceProgress = std::function<void(long, double)>;

InferenceResult run_inference(const Network& net, const Matrix& X, const InferenceOptions& opt,
                              const InferenceProgress& progress = {}, long every = 1000);

// The same in the bit-accurate fixed-point model (network, inputs and initial
// stalks quantised on entry, opt.pins as docs/fixed-point.md §4.3); the result's state is the exact value of the
// fixed-point stalks. The stop compares max |change| (a multiple of the stalk
// LSB) with tol, so a tol below one LSB stops when the stalks stop moving.
InferenceResult run_inference_fixed(const Network& net, const Matrix& X, const InferenceOptions& opt,
                                    const FixedConfig& cfg, FixedRunInfo* info = nullptr,
                                    const InferenceProgress& progress = {}, long every = 1000,
                                    const FixedStepperFactory& make_stepper = {});

}  // namespace sheafsim
