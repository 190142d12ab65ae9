#pragma once
// The bit-accurate model of full-batch backprop SGD in fixed point
// (docs/fixed-point.md §4.2): the forward wave writes z_l into the stalk
// format, the output error and the masked backward errors are written into the
// residual format, and the gradient and the update are the edge unit's Hebbian
// accumulation and write with the error in place of the residual and
// eta = -lr_eff. Every register is written by a function of sgd_datapath.h or
// edge_datapath.h, the ones the SystemC mesh's SGD step calls.
#include <vector>

#include "sheafsim/bitacc/sgd_stepper.h"

namespace sheafsim {

class FixedSgd final : public FixedSgdStepper {
 public:
  FixedSgd(const FixedNetwork& net, Eigen::Index batch, const FixedConfig& cfg, const FixedCounters& loads);

  void step(FixedNetwork& net, const IMatrix& X, const IMatrix& Y, std::int64_t eta_raw) override;
  FixedCounters& counters() override { return counters_; }
  FixedRunInfo run_info() const override;
  std::uint64_t steps_done() const { return step_; }

  // The registers of the last step (raw): z_l (stalk format) and d_l (residual format), l = 1..L at [l - 1].
  const std::vector<IMatrix>& z() const { return z_; }
  const std::vector<IMatrix>& errors() const { return d_; }

 private:
  std::uint64_t rnd(std::uint64_t sample, FxClass cls, int layer, std::uint64_t row) const;
  void forward(const FixedNetwork& net, const IMatrix& X);
  void output_error(const FixedNetwork& net, const IMatrix& Y);
  void backward(const FixedNetwork& net);
  void update(FixedNetwork& net, const IMatrix& X, std::int64_t eta_raw);
  const IMatrix& input_of(int l, const IMatrix& X) const { return l == 1 ? X : a_[static_cast<size_t>(l - 2)]; }

  FixedConfig cfg_;
  FixedCounters counters_;
  std::uint64_t step_ = 0;
  std::int64_t eta_raw_ = 0;
  std::vector<IMatrix> z_, a_, d_;  // z_l, a_l (hidden), d_l; layer l at [l - 1]
  std::vector<fx::wide> sums_;      // an exact product, column-major (scratch)
};

}  // namespace sheafsim
