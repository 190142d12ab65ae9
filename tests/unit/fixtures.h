#pragma once
// Problems several unit tests share, written once: the spec's worked
// examples and the reference experiment's data.
#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/reference/tasks.h"

namespace sheafsim::test {

// Fixed-point formats with 36 fractional bits everywhere (Q8.36, a 92-bit
// accumulator, Q1.31 constants): every rounding is below 1.5e-11, so a
// fixed-point run follows the float reference closely.
inline FixedConfig wide_fixed_config() {
  FixedConfig c;
  c.stalk = c.weight = c.bias = c.residual = fx::FixedFormat{8, 36};
  c.constant = fx::FixedFormat{1, 31};
  c.acc_bits = 92;
  return c;
}

// sheaf-math §13.2, "four springs": [1,1,1], W = 1, b = 0, x = 1, y = 0.
struct FourSprings {
  Network net;
  Matrix X, Y;
};
inline FourSprings four_springs() {
  FourSprings f;
  f.net.layers = {1, 1, 1};
  f.net.W = {Matrix::Constant(1, 1, 1.0), Matrix::Constant(1, 1, 1.0)};
  f.net.b = {Vector::Zero(1), Vector::Zero(1)};
  f.X = Matrix::Constant(1, 1, 1.0);
  f.Y = Matrix::Zero(1, 1);
  return f;
}

// sheaf-math §12.3's paraboloid data: 400 samples (seed 42), the first 300
// for training, the last 100 for testing.
struct Split {
  Dataset train, test;
};
inline Split paraboloid_reference_split() {
  const Dataset all = make_task(Task::Paraboloid, 400, 42);
  return {all.slice(0, 300), all.slice(300, 100)};
}

}  // namespace sheafsim::test
