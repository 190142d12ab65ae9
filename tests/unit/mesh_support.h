#pragma once
// What the mesh tests share: the two networks they train, a mesh of R x C
// PEs, and the bit-for-bit comparison of two runs' parameters, stalks and
// fixed-point counters.
#include <vector>

#include <catch2/catch.hpp>

#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/train/sheaf_trainer.h"

namespace sheafsim::test {

struct MeshCase {
  std::vector<int> layers;
  Dataset data;
};

// [2,30,1] on n paraboloid samples.
inline MeshCase paraboloid_case(Eigen::Index n) { return {{2, 30, 1}, make_task(Task::Paraboloid, n, 7)}; }

// [3,7,5,2] on random data: several hidden layers exercise the backward sums.
inline MeshCase deep_case(Eigen::Index n) {
  Rng rng(11);
  Dataset d{Matrix(3, n), Matrix(2, n)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index i = 0; i < d.Y.size(); ++i) d.Y.data()[i] = 0.5 * rng.normal();
  return {{3, 7, 5, 2}, d};
}

inline mesh::MeshConfig mesh_of(int rows, int cols) {
  mesh::MeshConfig m;
  m.rows = rows;
  m.cols = cols;
  return m;
}

// A mesh shape of the schedule matrices: R x C PEs, tiles (0: automatic),
// time multiplexing; mesh_for adds the schedule, reduction, chunk and stalls.
struct MeshShape {
  const char* name;
  int rows, cols, tile_rows, tile_cols;
  bool tmux;
};
inline mesh::MeshConfig mesh_for(const MeshShape& s, mesh::Schedule sched, mesh::Reduction red, int chunk,
                                 std::uint64_t stalls) {
  mesh::MeshConfig m = mesh_of(s.rows, s.cols);
  m.tile_rows = s.tile_rows;
  m.tile_cols = s.tile_cols;
  m.time_multiplex = s.tmux;
  m.schedule = sched;
  m.reduction = red;
  m.chunk = chunk;
  m.random_stalls = stalls;
  m.max_stall = 6;
  return m;
}

// A 3x3 mesh of 2x3 tiles, time-multiplexed: a deep network takes several
// tiles per PE.
inline mesh::MeshConfig tiled_3x3() {
  mesh::MeshConfig m = mesh_of(3, 3);
  m.tile_rows = 2;
  m.tile_cols = 3;
  m.time_multiplex = true;
  return m;
}

// The training settings of the mesh tests: dt 0.05, beta 0.02, K = inner,
// one history point at the end.
inline SheafTrainOptions train_options(long steps, int inner) {
  SheafTrainOptions opt;
  opt.steps = steps;
  opt.inner = inner;
  opt.dt = 0.05;
  opt.beta = 0.02;
  opt.log_every = steps;
  return opt;
}

// The inference settings of the mesh tests: `steps` fixed steps at dt 0.1.
inline InferenceOptions inference_options(long steps) {
  InferenceOptions opt;
  opt.fixed_steps = steps;
  opt.dt = 0.1;
  return opt;
}

// Runs with members net, state, info: weights, biases, stalks and counters
// equal (exact: raw * 2^-f converts exactly).
template <typename Run>
void require_same_state(const Run& a, const Run& b) {
  for (size_t k = 0; k < a.net.W.size(); ++k) {
    REQUIRE(a.net.W[k] == b.net.W[k]);
    REQUIRE(a.net.b[k] == b.net.b[k]);
    REQUIRE(a.state.z[k] == b.state.z[k]);
    if (k + 1 < a.net.W.size()) REQUIRE(a.state.a[k] == b.state.a[k]);
  }
  REQUIRE(a.info.counters.to_json() == b.info.counters.to_json());
}

}  // namespace sheafsim::test
