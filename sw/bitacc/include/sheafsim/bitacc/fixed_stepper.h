#pragma once
// One Euler step of the fixed-point model, as the training and inference
// schedules see it. Two implementations compute the same bits: the
// bit-accurate model (FixedArith under SheafEngine) and the SystemC mesh of
// edge processing elements (model/), which also counts cycles.
#include <functional>
#include <memory>

#include "sheafsim/bitacc/arith_fixed.h"

namespace sheafsim {

class FixedStepper {
 public:
  virtual ~FixedStepper() = default;
  // Advances the stalks (and with update_params the weights and biases) by one
  // step from the old state; returns max |change| when p.track_change.
  virtual double step(FixedNetwork& net, FixedState& st, const IMatrix& X, const IMatrix* Y, const StepParams& p,
                      bool update_params) = 0;
  virtual FixedCounters& counters() = 0;
  virtual FixedRunInfo run_info() const = 0;
  // Partial clamping (SheafEngine::set_pins's contract; null or empty: none):
  // sets the hard pins of `st` and, with free input coordinates, st.x = X.
  virtual void set_pins(const PinSet* pins, FixedState& st, const IMatrix& X) = 0;
};

// The bit-accurate model as a stepper.
class BitAccurateStepper final : public FixedStepper {
 public:
  BitAccurateStepper(const FixedNetwork& net, Eigen::Index batch, FixedArith arith)
      : dyn_(net, batch, std::move(arith)) {}
  double step(FixedNetwork& net, FixedState& st, const IMatrix& X, const IMatrix* Y, const StepParams& p,
              bool update_params) override {
    return dyn_.step(net, st, X, Y, p, update_params);
  }
  FixedCounters& counters() override { return dyn_.arith().counters(); }
  FixedRunInfo run_info() const override { return dyn_.arith().run_info(); }
  void set_pins(const PinSet* pins, FixedState& st, const IMatrix& X) override { dyn_.set_pins(pins, st, X); }

 private:
  FixedDynamics dyn_;
};

// Makes the stepper of a run: the quantised network, the batch, the
// configuration and the counters loading has filled (input saturations).
using FixedStepperFactory = std::function<std::unique_ptr<FixedStepper>(
    const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg, const FixedCounters& loads)>;

// The factory's stepper, or the bit-accurate model when the factory is empty.
inline std::unique_ptr<FixedStepper> make_fixed_stepper(const FixedStepperFactory& factory, const FixedNetwork& net,
                                                        Eigen::Index batch, const FixedConfig& cfg,
                                                        const FixedCounters& loads) {
  if (factory) return factory(net, batch, cfg, loads);
  FixedArith arith(cfg);
  arith.counters() = loads;
  return std::make_unique<BitAccurateStepper>(net, batch, std::move(arith));
}

}  // namespace sheafsim
