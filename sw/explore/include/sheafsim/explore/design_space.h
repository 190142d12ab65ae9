#pragma once
// The design space of `sheafsim explore --config explore.toml`: the axes of
// an explore.toml (numeric settings, mesh architecture, training length), each
// a list of canonical values, and how to sample their product.
//
//   [sample]  method = "grid" | "random" | "lhs", points = N, seed = S
//   [axes]    stalk = ["Q4.10..Q4.14:2"], mesh = ["2x2", "4x4"], steps = [200, 1000], ...
//   [cost]    sim-steps = 0, energy-table = "configs/energy-45nm-horowitz.toml"
//   [run]     train's options: read by the CLI, ignored here
#include <cstdint>
#include <string>
#include <vector>

namespace sheafsim::explore {

// What an axis changes: the numeric setting needs its own training run, the
// architecture only its own mesh simulation, the training length both.
enum class AxisKind { Numeric, Architecture, Training };

struct Axis {
  std::string key;
  AxisKind kind = AxisKind::Numeric;
  std::vector<std::string> values;  // canonical, ranges expanded, in the order given
};

enum class SampleMethod { Grid, Random, LatinHypercube };

// The largest grid the grid method runs, and the largest sample of the others
// (the same bound as `compare --sweep`: kMaxSweepPoints).
constexpr size_t kMaxDesignPoints = 100000;

struct DesignSpace {
  std::vector<Axis> axes;             // in the order of the file
  SampleMethod method = SampleMethod::Grid;
  size_t sample_points = 0;           // random, lhs: the sample size
  std::uint64_t sample_seed = 1;
  long sim_steps = 0;                 // [cost] sim-steps: mesh steps simulated per point (0: automatic)
  std::string energy_table;           // [cost] energy-table (empty: the default)

  // The product of the axis sizes (1 without axes: the base point alone).
  size_t grid_size() const;
};

// Parses the [sample], [axes] and [cost] tables of an explore.toml text
// (`origin` names the file in messages); ignores [run]. Throws InputError with
// one line naming origin, table and key.
DesignSpace parse_design_space(const std::string& toml_text, const std::string& origin);

// Every axis key, in documentation order (numeric, architecture, training).
const std::vector<std::string>& axis_keys();

// Throws InputError for an unknown key (with a did-you-mean when one is close).
AxisKind axis_kind(const std::string& key);

// "grid", "random", "lhs": the [sample] method names.
std::string to_string(SampleMethod m);

}  // namespace sheafsim::explore
