#pragma once
// One full-batch backprop step in fixed point (docs/fixed-point.md §4.2), as
// the SGD trainer sees it. Two implementations compute the same bits: the
// bit-accurate model (FixedSgd, fixed_sgd.h) and the SystemC mesh's SGD step
// (model/), which also counts cycles.
#include <functional>
#include <memory>

#include "sheafsim/bitacc/arith_fixed.h"

namespace sheafsim {

class FixedSgdStepper {
 public:
  virtual ~FixedSgdStepper() = default;
  // Forward wave, output error, backward wave, gradient and update of net's
  // weights and biases on the whole batch (X: raw stalk format, n_0 x B;
  // Y: raw stalk format, n_L x B). `eta_raw` is the step constant of
  // sgd::step_constant (negative). The step number of the stochastic bits is
  // the number of steps this stepper has done before.
  virtual void step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta_raw) = 0;
  virtual FixedCounters& counters() = 0;
  virtual FixedRunInfo run_info() const = 0;
};

// Makes the stepper of a run: the quantised network, the batch, the
// configuration and the counters loading has filled (input saturations).
using FixedSgdStepperFactory = std::function<std::unique_ptr<FixedSgdStepper>(
    const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg, const FixedCounters& loads)>;

// The factory's stepper, or the bit-accurate model when the factory is empty.
std::unique_ptr<FixedSgdStepper> make_sgd_stepper(const FixedSgdStepperFactory& factory, const FixedNetwork& net,
                                                  Eigen::Index batch, const FixedConfig& cfg,
                                                  const FixedCounters& loads);

}  // namespace sheafsim
