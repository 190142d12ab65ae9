#pragma once
// Backprop-free training by two-sided pinning (sheaf-math.md §7): every
// training sample keeps a persistent cochain; one joint Euler step moves the
// stalks (rate alpha) and the parameters (rate beta, batch-summed local
// updates) from the same old state. With inner = K, K-1 stalk-only steps
// precede every joint step (K = 1 is the joint flow).
#include <cstdint>
#include <functional>
#include <memory>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/reference/sheaf_dynamics.h"
#include "sheafsim/train/training.h"

namespace sheafsim {

struct SheafTrainOptions {
  double alpha = 1.0;
  double beta = kNaN;  // NaN: 1 / n_train (the reference default)
  double dt = 0.005;
  long steps = 1000;   // Euler steps (stalk-only and joint)
  int inner = 1;       // K
  StalkInit init = StalkInit::Random;
  bool reinit_each_epoch = false;  // reset stalks to the forward pass every epoch
  long epoch_steps = 1000;
  std::uint64_t seed = 42;         // stalk seed
  long log_every = 1000;
  // Sees the float view of the network and the stalks at step 0, every
  // observe_every steps and after the last step (the traces of
  // compare_run.h); never called when empty. Values are unaffected.
  long observe_every = 0;
  std::function<void(long step, const Network& net, const SheafState& state)> observe;
  TrainStop stop;  // optional: ends the run at the first history point it accepts
  // Partial clamping (pins.h, PinUse::Training); null: the input and the target only.
  std::shared_ptr<const PinSet> pins;
};

// Resolves the beta default for a training set of n samples.
double effective_beta(const SheafTrainOptions& opt, Eigen::Index n_train);

// Trains `net` in place. `final_state` (optional) receives the stalks.
TrainResult train_sheaf(Network& net, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                        const TrainProgress& progress = {}, SheafState* final_state = nullptr);

// The same training in the bit-accurate fixed-point model: `net`, the data and
// the initial stalks are quantised on entry (round to nearest even), the run is
// exact integer arithmetic, and `net` receives the trained weights exactly.
// Losses are evaluated with the float forward pass of the fixed-point weights.
// `make_stepper` chooses who computes the steps (default: the bit-accurate
// model; the SystemC mesh gives the same bits and counts cycles).
TrainResult train_sheaf_fixed(Network& net, const Dataset& train, const Dataset* test, const SheafTrainOptions& opt,
                              const FixedConfig& cfg, const TrainProgress& progress = {}, FixedRunInfo* info = nullptr,
                              SheafState* final_state = nullptr, const FixedStepperFactory& make_stepper = {});

}  // namespace sheafsim
