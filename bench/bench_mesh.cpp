// Wall time of one joint training step: the bit-accurate model against the
// SystemC mesh model computing the same bits (issue 4 targets the mesh at
// most 3x the bit-accurate step), and how the mesh's wall time scales with
// mesh and network size. Run:
//   build/bench/bench_mesh --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
// Arguments: problem (0: [2,30,1] x 300 paraboloid, 1: [64,128,128,10] x 256
// random data), rounding (0 rnd_conv, 1 stoch), mesh side (0: the
// bit-accurate model, N: an N x N mesh).
#include <benchmark/benchmark.h>

#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/reference/sheaf_state.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;

namespace {

struct Problem {
  Network net;
  Dataset data;
};

Problem make_problem(int which) {
  if (which == 0) return {Network::he_init({2, 30, 1}, OutputKind::Identity, 0), make_task(Task::Paraboloid, 300, 42)};
  // 64 inputs, two hidden layers of 128, 10 outputs; Gaussian inputs and targets.
  Rng rng(7);
  Dataset d{Matrix(64, 256), Matrix(10, 256)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index i = 0; i < d.Y.size(); ++i) d.Y.data()[i] = 0.5 * rng.normal();
  return {Network::he_init({64, 128, 128, 10}, OutputKind::Identity, 1), d};
}

void BM_JointStep(benchmark::State& state) {
  const Problem p = make_problem(static_cast<int>(state.range(0)));
  FixedConfig cfg;
  cfg.quant = state.range(1) == 0 ? fx::Quant::RndConv : fx::Quant::Stoch;
  const int side = static_cast<int>(state.range(2));
  FixedCounters loads;
  loads.resize(p.net.depth());
  FixedNetwork net = to_fixed(p.net, cfg, loads);
  const IMatrix X = to_fixed(p.data.X, cfg.stalk, cfg, loads), Y = to_fixed(p.data.Y, cfg.stalk, cfg, loads);
  Rng rng(42);
  FixedState st = to_fixed(make_state(p.net, p.data.X, StalkInit::Random, rng, false), cfg, loads);
  std::shared_ptr<mesh::MeshEngine> engine;
  FixedStepperFactory factory;
  if (side > 0) {
    mesh::MeshConfig m;
    m.rows = side;
    m.cols = side;
    factory = mesh::mesh_stepper(m, &engine);
  }
  const std::unique_ptr<FixedStepper> stepper = make_fixed_stepper(factory, net, p.data.size(), cfg, loads);
  StepParams sp;
  sp.s = 0.005;
  sp.eta = 0.005 / static_cast<double>(p.data.size());
  sp.phase = Phase::Training;
  sp.track_change = false;
  for (auto _ : state) benchmark::DoNotOptimize(stepper->step(net, st, X, &Y, sp, true));
  if (engine) {
    state.counters["cycles_per_step"] = static_cast<double>(engine->timing().total_cycles) /
                                        static_cast<double>(engine->timing().steps);
    state.counters["mac_utilisation"] = engine->report().value("mac_utilisation", 0.0);
  }
}

// Problem 0 on the bit-accurate model and 2x2 .. 8x8 meshes; problem 1 on the
// bit-accurate model and 8x8, 16x16 meshes; both roundings.
BENCHMARK(BM_JointStep)
    ->ArgNames({"net", "stoch", "mesh"})
    ->ArgsProduct({{0}, {0, 1}, {0, 2, 4, 8}})
    ->ArgsProduct({{1}, {0, 1}, {0, 8, 16}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
