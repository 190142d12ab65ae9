#pragma once
// The grammar of `sheafsim compare --sweep` (docs/cli.md, "Sweeps"): a list of
// fixed-point settings, each with a list of values, whose cartesian product is
// the grid of runs.
//
//   spec  := axis ( "," axis )*
//   axis  := key "=" item ( "|" item )*
//   item  := value | range
//   range := Q<i>.<f> ".." Q<i>.<g> [ ":" step ]    (formats: f, f+step, ..., <= g)
//          | <n> ".." <m> [ ":" step ]              (acc: bits)
//
// Keys: stalk, weight, bias, residual, constant (formats), acc (accumulator
// bits), round (trn, trn_zero, rnd, rnd_zero, rnd_conv, stoch), overflow (sat,
// wrap). Values are validated and ranges expanded by the parser.
#include <string>
#include <utility>
#include <vector>

#include "sheafsim/fixed/fixed_config.h"

namespace sheafsim {

struct SweepAxis {
  std::string key;
  std::vector<std::string> values;  // expanded, in the order given
};

struct SweepSpec {
  std::vector<SweepAxis> axes;
};

// One grid point: (key, value) for every axis, in axis order.
using SweepPoint = std::vector<std::pair<std::string, std::string>>;

// The largest grid parse_sweep accepts.
constexpr size_t kMaxSweepPoints = 100000;

// Throws InputError with a one-line message naming the problem (empty spec,
// unknown or repeated key, missing '=', empty value, malformed format or
// range, unknown mode, a grid larger than kMaxSweepPoints).
SweepSpec parse_sweep(const std::string& text);

// The keys parse_sweep accepts, in documentation order.
const std::vector<std::string>& sweep_keys();

// The cartesian product of the axes; the last axis varies fastest.
std::vector<SweepPoint> sweep_grid(const SweepSpec& spec);

// Number of grid points (the product of the axis sizes).
size_t sweep_size(const SweepSpec& spec);

// `base` with the point's settings applied (not validated: call validate()).
FixedConfig apply_sweep_point(FixedConfig base, const SweepPoint& point);

// The total word length of a configuration, in bits: the stalk width plus the
// weight width (the two operands of every multiply; docs/cli.md "Sweeps").
int word_length_bits(const FixedConfig& cfg);

}  // namespace sheafsim
