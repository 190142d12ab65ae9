// The bit-accurate fixed-point SGD model (FixedSgd, docs/fixed-point.md §4.2):
// a step by hand, three stochastic steps written out from the documented
// rounding sites, wide formats against the float SGD reference, the modes'
// determinism, the counters, the step constant, and the early stop.
#include <catch2/catch.hpp>

#include "fixtures.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/bitacc/fixed_sgd.h"
#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/train/sgd_trainer.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

// A small classification set: n_in features, one-hot labels of n_out classes.
Dataset class_data(int n_in, int n_out, int samples, std::uint64_t seed) {
  Rng rng(seed);
  Dataset d{Matrix(n_in, samples), Matrix::Zero(n_out, samples)};
  for (int s = 0; s < samples; ++s) {
    for (int i = 0; i < n_in; ++i) d.X(i, s) = rng.normal();
    d.Y(s % n_out, s) = 1.0;
    d.X(s % n_in, s) += 1.5;  // separable enough to learn
  }
  return d;
}

double max_weight_diff(const Network& a, const Network& b) {
  double m = 0;
  for (size_t k = 0; k < a.W.size(); ++k) {
    m = std::max(m, (a.W[k] - b.W[k]).cwiseAbs().maxCoeff());
    m = std::max(m, (a.b[k] - b.b[k]).cwiseAbs().maxCoeff());
  }
  return m;
}

}  // namespace

TEST_CASE("a fixed-point SGD step by hand, with the strict ReLU mask at z = 0", "[fixed-sgd]") {
  // [1,1,1], W = 1, b = 0, x = 1, y = 0, lr = 0.25: eta = -lr * 2 / (n_L B) = -0.5.
  const test::FourSprings f = test::four_springs();
  for (const fx::Quant q : {fx::Quant::Trn, fx::Quant::RndConv, fx::Quant::Stoch}) {
    FixedConfig cfg;
    cfg.quant = q;
    FixedCounters loads;
    loads.resize(2);
    FixedNetwork net = to_fixed(f.net, cfg, loads);
    const IMatrix X = to_fixed(f.X, cfg.stalk, cfg, loads), Y = to_fixed(f.Y, cfg.stalk, cfg, loads);
    const std::int64_t eta = sgd::step_constant(0.25, OutputKind::Identity, 1, 1, cfg);
    REQUIRE(eta == -(std::int64_t{1} << 30));  // -0.5 in Q1.31
    FixedSgd sgd(net, 1, cfg, loads);
    const std::int64_t one = 1 << 12;
    // Step 1: z1 = 1, z2 = 1, d2 = 1, d1 = 1; G = g = 1; W' = 0.5, b' = -0.5.
    sgd.step(net, X, Y, eta);
    CHECK(sgd.z()[0](0, 0) == one);
    CHECK(sgd.errors()[0](0, 0) == one);
    CHECK(sgd.errors()[1](0, 0) == one);
    for (int l = 0; l < 2; ++l) {
      CHECK(net.W[static_cast<size_t>(l)](0, 0) == one / 2);
      CHECK(net.b[static_cast<size_t>(l)](0) == -one / 2);
    }
    // Step 2: z1 = 0.5 - 0.5 = 0, so a1 = 0 and the unit is inactive (z > 0 is strict):
    // d1 = 0, z2 = -0.5, d2 = -0.5; only b2 moves, to -0.5 + 0.5 * 0.5 = -0.25.
    sgd.step(net, X, Y, eta);
    CHECK(sgd.z()[0](0, 0) == 0);
    CHECK(sgd.errors()[0](0, 0) == 0);
    CHECK(sgd.errors()[1](0, 0) == -one / 2);
    CHECK(net.W[0](0, 0) == one / 2);
    CHECK(net.b[0](0) == -one / 2);
    CHECK(net.W[1](0, 0) == one / 2);
    CHECK(net.b[1](0) == -one / 4);
    CHECK(sgd.counters().total_saturations() == 0);
    // Step 2's W1, b1 and W2 writes had a zero gradient: not lost updates.
    CHECK(sgd.counters().total_lost_updates() == 0);
    CHECK(sgd.steps_done() == 2);
  }
}

TEST_CASE("fixed-point SGD steps with stochastic rounding draw the documented bits at every site", "[fixed-sgd]") {
  // docs/fixed-point.md §4.2 and §5, written out independently of FixedSgd: [1,2,1]
  // identity on two samples; a narrower residual (Q4.10) so that the output error
  // S4 rounds too; sample 2 leaves hidden unit 0 inactive (S6 draws no bits there).
  FixedConfig cfg;
  cfg.residual = {4, 10};
  cfg.quant = fx::Quant::Stoch;
  cfg.seed = 7;
  cfg.validate();
  Network init = Network::he_init({1, 2, 1}, OutputKind::Identity, 1);
  init.W[0] << 0.7, -0.4;
  init.b[0] << 0.1, 0.3;
  init.W[1] << 0.9, 0.5;
  init.b[1] << 0.05;
  const Matrix Xd = (Matrix(1, 2) << 0.6, -0.8).finished(), Yd = (Matrix(1, 2) << 0.3, -0.2).finished();
  FixedCounters loads;
  loads.resize(2);
  FixedNetwork net = to_fixed(init, cfg, loads);
  const IMatrix X = to_fixed(Xd, cfg.stalk, cfg, loads), Y = to_fixed(Yd, cfg.stalk, cfg, loads);
  const std::int64_t eta = sgd::step_constant(0.3, OutputKind::Identity, 1, 2, cfg);
  const int fs = cfg.stalk.frac_bits, fw = cfg.weight.frac_bits, fb = cfg.bias.frac_bits,
            fr = cfg.residual.frac_bits, fc = cfg.constant.frac_bits;
  enum Class : std::uint64_t { Z = 0, Residual = 2, Weight = 3, Bias = 4 };
  auto site = [](std::uint64_t cls, std::uint64_t layer, std::uint64_t row) { return (cls << 56) | (layer << 48) | row; };
  bool ovf = false;
  // fx::shl: a left shift of a negative value is undefined in C++17 (the model's own shift).
  FixedNetwork w = net;  // the hand-written model's weights
  FixedSgd model(net, 2, cfg, loads);
  for (std::uint64_t step = 0; step < 3; ++step) {
    auto q = [&](fx::wide v, int frac, const fx::FixedFormat& f, std::uint64_t sample, std::uint64_t where) {
      return fx::quantize(v, frac, f, cfg.quant, cfg.overflow, &ovf, fx::stoch_bits(cfg.seed, step, sample, where));
    };
    IMatrix z1(2, 2), a1(2, 2), z2(1, 2), d2(1, 2), d1(2, 2);
    for (int s = 0; s < 2; ++s) {
      const auto us = static_cast<std::uint64_t>(s);
      for (int i = 0; i < 2; ++i) {  // S1, S2, S3
        const fx::wide acc = fx::shl(w.b[0](i), fw + fs - fb) + fx::wide{w.W[0](i, 0)} * X(0, s);
        z1(i, s) = q(acc, fw + fs, cfg.stalk, us, site(Z, 1, static_cast<std::uint64_t>(i)));
        a1(i, s) = std::max<std::int64_t>(z1(i, s), 0);
      }
      fx::wide acc = fx::shl(w.b[1](0), fw + fs - fb);
      for (int j = 0; j < 2; ++j) acc += fx::wide{w.W[1](0, j)} * a1(j, s);
      z2(0, s) = q(acc, fw + fs, cfg.stalk, us, site(Z, 2, 0));
      d2(0, s) = q(fx::wide{z2(0, s)} - Y(0, s), fs, cfg.residual, us, site(Residual, 2, 0));  // S4
      for (int j = 0; j < 2; ++j)  // S5, S6: old weights; an inactive unit draws no rounding
        d1(j, s) = z1(j, s) > 0 ? q(fx::wide{w.W[1](0, j)} * d2(0, s), fw + fr, cfg.residual, us,
                                    site(Residual, 1, static_cast<std::uint64_t>(j)))
                                : 0;
    }
    FixedNetwork next = w;
    auto update = [&](int l, const IMatrix& d, const IMatrix& a_prev) {  // S7, S8
      for (int i = 0; i < d.rows(); ++i) {
        fx::wide g = 0;
        for (int s = 0; s < 2; ++s) g += d(i, s);
        next.b[static_cast<size_t>(l - 1)](i) =
            q(fx::shl(w.b[static_cast<size_t>(l - 1)](i), fc + fr - fb) + fx::wide{eta} * g, fc + fr, cfg.bias, 0,
              site(Bias, static_cast<std::uint64_t>(l), static_cast<std::uint64_t>(i)));
        for (int j = 0; j < a_prev.rows(); ++j) {
          fx::wide G = 0;
          for (int s = 0; s < 2; ++s) G += fx::wide{d(i, s)} * a_prev(j, s);
          next.W[static_cast<size_t>(l - 1)](i, j) =
              q(fx::shl(w.W[static_cast<size_t>(l - 1)](i, j), fc + fr + fs - fw) + fx::wide{eta} * G,
                fc + fr + fs, cfg.weight, static_cast<std::uint64_t>(j),
                site(Weight, static_cast<std::uint64_t>(l), static_cast<std::uint64_t>(i)));
        }
      }
    };
    update(1, d1, X);
    update(2, d2, a1);
    w = next;
    model.step(net, X, Y, eta);
    INFO("step " << step);
    REQUIRE(model.z()[0] == z1);
    REQUIRE(model.z()[1] == z2);
    REQUIRE(model.errors()[1] == d2);
    REQUIRE(model.errors()[0] == d1);
    for (size_t k = 0; k < 2; ++k) {
      REQUIRE(net.W[k] == w.W[k]);
      REQUIRE(net.b[k] == w.b[k]);
    }
  }
  CHECK(model.errors()[0](0, 1) == 0);  // the mask: unit 0 is inactive on sample 2
  CHECK(net.W[0] != to_fixed(init, cfg, loads).W[0]);
}

TEST_CASE("fixed-point SGD in wide formats follows the float SGD reference", "[fixed-sgd]") {
  const FixedConfig cfg = test::wide_fixed_config();
  struct Case {
    std::vector<int> layers;
    OutputKind out;
    Dataset data;
  };
  const test::Split para = test::paraboloid_reference_split();
  const std::vector<Case> cases = {{{2, 6, 5, 1}, OutputKind::Identity, para.train.slice(0, 100)},
                                   {{6, 8, 4}, OutputKind::Softmax, class_data(6, 4, 60, 3)},
                                   {{6, 8, 4}, OutputKind::Sigmoid, class_data(6, 4, 60, 4)}};
  for (const Case& c : cases) {
    const Network start = Network::he_init(c.layers, c.out, 7);
    SgdOptions opt;
    opt.lr = 0.05;
    opt.steps = 40;
    opt.log_every = 40;
    Network fixed_net = start;
    FixedRunInfo info;
    const TrainResult rf = train_sgd_fixed(fixed_net, c.data, nullptr, opt, cfg, {}, &info);
    // The float run with the step size the fixed point used (eta_used = -lr_used * scale).
    SgdOptions fopt = opt;
    fopt.lr = -info.eta_used / sgd::gradient_scale(c.out, c.layers.back(), c.data.size());
    CHECK(fopt.lr == Approx(opt.lr).epsilon(1e-6));
    Network float_net = start;
    const TrainResult r = train_sgd(float_net, c.data, nullptr, fopt);
    // 40 steps of roundings at 2^-37 (starting from weights rounded at 2^-37) stay below 1e-8.
    CHECK(max_weight_diff(fixed_net, float_net) < 1e-8);
    CHECK(max_weight_diff(fixed_net, start) > 1e-3);  // it did train
    CHECK(rf.history.back().train.loss == Approx(r.history.back().train.loss).epsilon(1e-8));
    CHECK(rf.history.back().train.loss < 0.9 * rf.history.front().train.loss);
    CHECK(info.counters.total_saturations() == 0);
  }
}

TEST_CASE("fixed-point SGD with stochastic rounding is reproducible from its seed", "[fixed-sgd]") {
  const test::Split para = test::paraboloid_reference_split();
  const Network start = Network::he_init({2, 8, 1}, OutputKind::Identity, 5);
  SgdOptions opt;
  opt.lr = 0.01;
  opt.steps = 30;
  opt.log_every = 30;
  auto run = [&](std::uint64_t seed) {
    FixedConfig cfg;
    cfg.quant = fx::Quant::Stoch;
    cfg.seed = seed;
    Network n = start;
    train_sgd_fixed(n, para.train, nullptr, opt, cfg);
    return n;
  };
  const Network a = run(1), b = run(1), c = run(2);
  CHECK(max_weight_diff(a, b) == 0.0);
  CHECK(max_weight_diff(a, c) > 0.0);
}

TEST_CASE("fixed-point SGD counts saturations by class and lost updates", "[fixed-sgd]") {
  FixedConfig cfg;
  cfg.stalk = cfg.weight = cfg.bias = fx::FixedFormat{4, 12};
  cfg.residual = fx::FixedFormat{2, 12};  // errors above 2 saturate
  Network net = Network::he_init({2, 8, 1}, OutputKind::Identity, 5);
  Dataset d = test::paraboloid_reference_split().train.slice(0, 50);
  d.Y.array() += 3.0;  // targets far from the initial outputs: |z - y| > 2
  SgdOptions opt;
  opt.lr = 1e-4;
  opt.steps = 3;
  opt.log_every = 3;
  FixedRunInfo info;
  train_sgd_fixed(net, d, nullptr, opt, cfg, {}, &info);
  const auto res = static_cast<size_t>(FxClass::Residual);
  CHECK(info.counters.saturations[res][1] > 0);  // d_2 (layer 2)
  CHECK(info.counters.saturations[static_cast<size_t>(FxClass::Output)][1] == 0);
  // lr 1e-4 moves few 2^-12 weights under round-to-nearest: most writes lose their update.
  const std::uint64_t lost = info.counters.total_lost_updates();
  CHECK(lost > 0);
  CHECK(lost <= 3u * (2 * 8 + 8 + 8 + 1));

  // Softmax errors come from the output lookup: saturations under "output".
  FixedConfig tiny;
  tiny.residual = fx::FixedFormat{1, 3};  // [-1, 0.875]: phi - y = 1 - 0 saturates... or -1 + p
  Network soft = Network::he_init({6, 8, 4}, OutputKind::Softmax, 5);
  Dataset cd = class_data(6, 4, 40, 9);
  cd.X *= 20.0;  // confident outputs: phi(z) - y near +1 for wrong classes
  FixedRunInfo si;
  opt.lr = 0.01;
  train_sgd_fixed(soft, cd, nullptr, opt, tiny, {}, &si);
  CHECK(si.counters.saturations[static_cast<size_t>(FxClass::Output)][1] > 0);
  CHECK(si.counters.saturations[res][1] == 0);
}

TEST_CASE("fixed-point SGD refuses a step constant that rounds to zero", "[fixed-sgd]") {
  FixedConfig cfg;
  cfg.constant = fx::FixedFormat{1, 13};
  // lr 0.005 * 2 / 300 = 3.3e-5 < 2^-14 (half an LSB of Q1.13): zero; Q1.15 holds it.
  CHECK_THROWS_WITH(sgd::step_constant(0.005, OutputKind::Identity, 1, 300, cfg),
                    Contains("lr*gradient scale") && Contains("quantises to zero") && Contains("Q1.15"));
  CHECK(sgd::step_constant(0.005, OutputKind::Identity, 1, 300, FixedConfig{}) < 0);
  CHECK(sgd::gradient_scale(OutputKind::Softmax, 10, 500) == Approx(1.0 / 500));
  CHECK(sgd::gradient_scale(OutputKind::Sigmoid, 10, 500) == Approx(1.0 / 5000));
}

TEST_CASE("a training run stops at the first history point its stop rule accepts", "[fixed-sgd]") {
  const test::Split para = test::paraboloid_reference_split();
  Network net = Network::he_init({2, 30, 1}, OutputKind::Identity, 1);
  SgdOptions opt;
  opt.lr = 0.005;
  opt.steps = 100000;
  opt.log_every = 50;
  const double target = 1.5;  // an MSE the run reaches early
  opt.stop = [&](const TrainPoint& p) { return p.train.loss < target; };
  FixedConfig cfg;
  cfg.quant = fx::Quant::Stoch;
  const TrainResult r = train_sgd_fixed(net, para.train, &para.test, opt, cfg);
  REQUIRE(r.stopped);
  CHECK(r.steps < opt.steps);
  CHECK(r.steps % 50 == 0);
  CHECK(r.history.back().step == r.steps);
  CHECK(r.history.back().train.loss < target);
  CHECK(r.history[r.history.size() - 2].train.loss >= target);
}
