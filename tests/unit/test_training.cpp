// Training by two-sided pinning and the SGD baseline on the spec's tasks.
#include <catch2/catch.hpp>

#include "sheafsim/train/sgd_trainer.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/run/train_run.h"

using namespace sheafsim;

TEST_CASE("a short paraboloid run lowers the loss (sheaf and SGD)", "[training]") {
  const Dataset all = make_task(Task::Paraboloid, 400, 42);
  const Dataset train = all.slice(0, 300), test = all.slice(300, 100);
  Network sheaf = Network::he_init({2, 30, 1}, OutputKind::Identity, 0);
  Network sgd = sheaf;
  SheafTrainOptions so;
  so.steps = 2000;
  const TrainResult rs = train_sheaf(sheaf, train, &test, so);
  SgdOptions go;
  go.steps = 2000;
  const TrainResult rg = train_sgd(sgd, train, &test, go);
  const double initial = rs.history.front().train.loss;
  CHECK(rg.history.front().train.loss == initial);  // same network, same data
  CHECK(initial > 5.0);
  CHECK(rs.history.back().train.loss < 0.25 * initial);
  CHECK(rs.history.back().test.loss < 0.25 * rs.history.front().test.loss);
  CHECK(rg.history.back().train.loss < 0.05 * initial);
  CHECK(rs.param_updates == 2000);
  CHECK(rs.history.size() == 3);  // steps 0, 1000, 2000
  // The discord falls as stalks and weights agree.
  CHECK(rs.history.back().discord_total < rs.history.front().discord_total);
}

TEST_CASE("inner K runs K-1 stalk-only steps per parameter update", "[training]") {
  const Dataset train = make_task(Task::Paraboloid, 50, 1);
  Network a = Network::he_init({2, 8, 1}, OutputKind::Identity, 2);
  Network b = a;
  SheafTrainOptions opt;
  opt.steps = 12;
  opt.inner = 4;
  const TrainResult r = train_sheaf(a, train, nullptr, opt);
  CHECK(r.steps == 12);
  CHECK(r.param_updates == 3);
  // The same schedule by hand.
  Rng rng(opt.seed);
  SheafState st = make_state(b, train.X, opt.init, rng, false);
  SheafDynamics dyn(b, train.size());
  StepParams p;
  p.s = opt.alpha * opt.dt;
  p.eta = opt.dt / 50.0;
  p.phase = Phase::Training;
  for (int i = 1; i <= 12; ++i) dyn.step(b, st, train.X, &train.Y, p, i % 4 == 0);
  CHECK(a.W[0] == b.W[0]);
  CHECK(a.W[1] == b.W[1]);
  CHECK(a.b[1] == b.b[1]);
}

TEST_CASE("training is reproducible from its seeds", "[training]") {
  const Dataset train = make_task(Task::Saddle, 40, 9);
  Network a = Network::he_init({2, 10, 8, 1}, OutputKind::Identity, 4), b = a;
  SheafTrainOptions opt;
  opt.steps = 300;
  opt.dt = 0.01;
  train_sheaf(a, train, nullptr, opt);
  train_sheaf(b, train, nullptr, opt);
  for (size_t k = 0; k < a.W.size(); ++k) CHECK(a.W[k] == b.W[k]);
  Network c = Network::he_init({2, 10, 8, 1}, OutputKind::Identity, 4);
  opt.seed = 43;
  train_sheaf(c, train, nullptr, opt);
  CHECK(c.W[0] != a.W[0]);
}

TEST_CASE("classification: blobs (softmax) and circular (sigmoid) learn", "[training]") {
  const auto task = GENERATE(Task::Blobs, Task::Circular);
  const Dataset all = make_task(task, 400, 42);
  const Dataset train = all.slice(0, 300), test = all.slice(300, 100);
  Network net = Network::he_init(default_layers(task), default_output(task), 0);
  SheafTrainOptions opt;
  opt.steps = 5000;
  opt.init = StalkInit::Forward;
  opt.reinit_each_epoch = true;
  const TrainResult r = train_sheaf(net, train, &test, opt);
  INFO(to_string(task) << " test accuracy " << r.history.back().test.accuracy);
  CHECK(r.history.back().test.accuracy > 0.9);
  CHECK(r.history.back().train.loss < r.history.front().train.loss);
}

TEST_CASE("the reference paraboloid run lands near the spec's numbers", "[training][reference-run]") {
  // sheaf-math.md §12.3: [2,30,1], weights seed 0, 300/100 samples, alpha 1,
  // beta 1/300, dt 0.005, 100k steps. Spec: sheaf train MSE 0.063, GD 0.0033
  // (~19x lower). Our RNG differs from the authors', so only the order of
  // magnitude and the gap are asserted.
  const Dataset all = make_task(Task::Paraboloid, 400, 42);
  const Dataset train = all.slice(0, 300), test = all.slice(300, 100);
  Network sheaf = Network::he_init({2, 30, 1}, OutputKind::Identity, 0);
  Network sgd = sheaf;
  SheafTrainOptions so;
  so.steps = 100000;
  so.log_every = 100000;
  const TrainResult rs = train_sheaf(sheaf, train, &test, so);
  SgdOptions go;
  go.steps = 100000;
  go.log_every = 100000;
  const TrainResult rg = train_sgd(sgd, train, &test, go);
  const double sheaf_mse = rs.history.back().train.loss, sgd_mse = rg.history.back().train.loss;
  INFO("sheaf " << sheaf_mse << " sgd " << sgd_mse);
  CHECK(sheaf_mse > 0.03);
  CHECK(sheaf_mse < 0.12);
  CHECK(sgd_mse > 0.001);
  CHECK(sgd_mse < 0.01);
  CHECK(sheaf_mse / sgd_mse > 5.0);
  CHECK(rs.history.back().test.loss < 0.15);  // spec: 0.0865
}

TEST_CASE("run_train (the library run of `train`) is the trainer's run, in float and fixed point", "[training]") {
  TrainSpec spec;
  spec.data.train = make_task(Task::Paraboloid, 40, 3);
  spec.data.net = Network::he_init({2, 6, 1}, OutputKind::Identity, 1);
  spec.steps = spec.sheaf.steps = 30;
  spec.log_every = spec.sheaf.log_every = 10;
  Network direct = spec.data.net;
  const TrainResult r = train_sheaf(direct, spec.data.train, nullptr, spec.sheaf);
  const TrainRun run = run_train(spec);
  CHECK(run.result.history.back().train.loss == r.history.back().train.loss);
  CHECK(run.net.W[0] == direct.W[0]);
  CHECK(run.discord.has_value());
  CHECK_FALSE(run.fixed.has_value());
  const nlohmann::json j = to_json(spec, run);
  CHECK(j["command"] == "train");
  CHECK(j["arith"] == "float");
  CHECK(j["settings"]["steps"] == 30);

  spec.fixed = spec.compare_float = true;
  const TrainRun fx = run_train(spec);
  REQUIRE(fx.fixed.has_value());
  REQUIRE(fx.vs_float.has_value());
  CHECK(fx.vs_float->float_train_loss == r.history.back().train.loss);
  CHECK(to_json(spec, fx)["fixed"].contains("compare_float"));
}
