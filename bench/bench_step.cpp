// Microseconds per training step for the reference problem: [2,30,1] on 300
// paraboloid samples (docs/performance.md).
#include <benchmark/benchmark.h>

#include "sheafsim/bitacc/arith_fixed.h"
#include "sheafsim/train/sgd_trainer.h"
#include "sheafsim/reference/sheaf_dynamics.h"
#include "sheafsim/reference/tasks.h"

namespace {

using namespace sheafsim;

struct Problem {
  Network net = Network::he_init({2, 30, 1}, OutputKind::Identity, 0);
  Dataset data = make_task(Task::Paraboloid, 300, 42);
};

// One float sheaf step of the reference run's shape: joint (stalks and
// parameters) or stalk-only.
void sheaf_step(benchmark::State& state, bool joint) {
  Problem p;
  Rng rng(42);
  SheafState st = make_state(p.net, p.data.X, StalkInit::Random, rng, false);
  SheafDynamics dyn(p.net, p.data.size());
  StepParams sp;
  sp.s = 0.005;
  if (joint) sp.eta = 0.005 / 300.0;
  sp.phase = Phase::Training;
  sp.track_change = false;
  for (auto _ : state) benchmark::DoNotOptimize(dyn.step(p.net, st, p.data.X, &p.data.Y, sp, joint));
}

void BM_SheafJointStep(benchmark::State& state) { sheaf_step(state, true); }
BENCHMARK(BM_SheafJointStep)->Unit(benchmark::kMicrosecond);

void BM_SheafStalkOnlyStep(benchmark::State& state) { sheaf_step(state, false); }
BENCHMARK(BM_SheafStalkOnlyStep)->Unit(benchmark::kMicrosecond);

void BM_SgdStep(benchmark::State& state) {
  Problem p;
  SgdTrainer trainer(p.net, p.data.size());
  for (auto _ : state) trainer.step(p.net, p.data, 0.005);
}
BENCHMARK(BM_SgdStep)->Unit(benchmark::kMicrosecond);

// The bit-accurate fixed-point joint step at 16-bit formats (Q4.12, 48-bit
// accumulator): issue 3 targets at most 2x the float step.
void BM_FixedJointStep(benchmark::State& state) {
  Problem p;
  const FixedConfig cfg;
  FixedCounters loads;
  loads.resize(2);
  FixedNetwork net = to_fixed(p.net, cfg, loads);
  const IMatrix X = to_fixed(p.data.X, cfg.stalk, cfg, loads), Y = to_fixed(p.data.Y, cfg.stalk, cfg, loads);
  Rng rng(42);
  FixedState st = to_fixed(make_state(p.net, p.data.X, StalkInit::Random, rng, false), cfg, loads);
  FixedDynamics dyn(net, p.data.size(), FixedArith(cfg));
  StepParams sp;
  sp.s = 0.005;
  sp.eta = 0.005 / 300.0;
  sp.phase = Phase::Training;
  sp.track_change = false;
  for (auto _ : state) benchmark::DoNotOptimize(dyn.step(net, st, X, &Y, sp, true));
}
BENCHMARK(BM_FixedJointStep)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
