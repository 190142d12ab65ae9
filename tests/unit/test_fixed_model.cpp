// The bit-accurate fixed-point model (FixedArith) against the float golden
// reference, the derived error bound, the dead band of round-to-nearest, and
// the counters.
#include <catch2/catch.hpp>

#include "sheafsim/base/error.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/reference/spectrum.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

FixedConfig wide_config() {
  FixedConfig c;
  c.stalk = c.weight = c.bias = c.residual = fx::FixedFormat{8, 40};
  c.constant = fx::FixedFormat{1, 23};
  c.acc_bits = 96;
  return c;
}

FixedConfig config16(fx::Quant q) {
  FixedConfig c;  // Q4.12 everywhere, 48-bit accumulator
  c.quant = q;
  return c;
}

double max_abs(const std::vector<Matrix>& a, const std::vector<Matrix>& b) {
  double m = 0;
  for (size_t k = 0; k < a.size(); ++k) m = std::max(m, (a[k] - b[k]).cwiseAbs().maxCoeff());
  return m;
}

}  // namespace

TEST_CASE("13.1 worked example is exact in fixed point under every rounding mode", "[fixed-model][worked]") {
  // Every value of §13.1 is a multiple of 2^-7 within +-2, so Q4.12 with any
  // rounding mode reproduces the hand-worked step exactly.
  const auto q = GENERATE(fx::Quant::Trn, fx::Quant::TrnZero, fx::Quant::Rnd, fx::Quant::RndZero, fx::Quant::RndConv,
                          fx::Quant::Stoch);
  Network net;
  net.layers = {2, 2, 1};
  Matrix W1(2, 2), W2(1, 2);
  W1 << 1, 0.5, -0.5, 1;
  W2 << 1, -1;
  net.W = {W1, W2};
  net.b = {(Vector(2) << 0, 0.25).finished(), (Vector(1) << 0.5).finished()};
  SheafState st;
  st.z = {(Matrix(2, 1) << 0.5, -0.25).finished(), Matrix::Zero(1, 1)};
  st.a = {(Matrix(2, 1) << 0.25, 0.5).finished()};
  const Matrix X = (Matrix(2, 1) << 1, -1).finished(), Y = Matrix::Constant(1, 1, 1.0);
  const FixedConfig cfg = config16(q);
  FixedCounters loads;
  loads.resize(2);
  FixedNetwork fnet = to_fixed(net, cfg, loads);
  FixedState fst = to_fixed(st, cfg, loads);
  const IMatrix Xq = to_fixed(X, cfg.stalk, cfg, loads), Yq = to_fixed(Y, cfg.stalk, cfg, loads);
  FixedDynamics dyn(fnet, 1, FixedArith(cfg));
  StepParams p;
  p.s = 1.0 / 8;
  p.eta = 1.0 / 8;
  p.phase = Phase::Training;
  dyn.step(fnet, fst, Xq, &Yq, p, true);
  const SheafState out = to_float(fst, cfg);
  const Network trained = to_float(fnet, cfg);
  CHECK(out.z[0](0, 0) == 15.0 / 32);
  CHECK(out.z[0](1, 0) == -3.0 / 8);
  CHECK(out.a[0](1, 0) == 15.0 / 32);
  CHECK(out.z[1](0, 0) == 5.0 / 32);
  CHECK(trained.W[0](1, 0) == -3.0 / 8);
  CHECK(trained.W[0](1, 1) == 7.0 / 8);
  CHECK(trained.W[1](0, 0) == 127.0 / 128);
  CHECK(trained.W[1](0, 1) == -65.0 / 64);
  CHECK(trained.b[0](1) == 3.0 / 8);
  CHECK(trained.b[1](0) == 15.0 / 32);
  CHECK(dyn.arith().counters().total_saturations() == 0);
}

TEST_CASE("wide formats reproduce the float reference to 1e-9", "[fixed-model]") {
  const Dataset data = make_task(Task::Paraboloid, 32, 5);
  const Network net = Network::he_init({2, 12, 8, 1}, OutputKind::Identity, 3);
  const FixedConfig cfg = wide_config();
  FixedCounters loads;
  loads.resize(3);
  // Compare against the float model of the same (quantised) inputs; dt and
  // beta dt = 2^-7 / 32 are exact in the constant format.
  const Network netq = to_float(to_fixed(net, cfg, loads), cfg);
  const Dataset dq{to_float(to_fixed(data.X, cfg.stalk, cfg, loads), cfg.stalk),
                   to_float(to_fixed(data.Y, cfg.stalk, cfg, loads), cfg.stalk)};
  SECTION("inference") {
    InferenceOptions opt;
    opt.dt = 1.0 / 128;
    opt.fixed_steps = 3000;
    opt.init = StalkInit::Random;
    const InferenceResult f = run_inference(netq, dq.X, opt);
    const InferenceResult x = run_inference_fixed(netq, dq.X, opt, cfg);
    CHECK(max_abs(f.state.z, x.state.z) < 1e-9);
    CHECK(max_abs(f.state.a, x.state.a) < 1e-9);
  }
  SECTION("training, joint and inner K") {
    const int inner = GENERATE(1, 3);
    SheafTrainOptions opt;
    opt.dt = 1.0 / 128;
    opt.steps = 600;
    opt.inner = inner;
    opt.log_every = 300;
    Network a = netq, b = netq;
    SheafState sa, sb;
    FixedRunInfo info;
    const TrainResult ra = train_sheaf(a, dq, nullptr, opt, {}, &sa);
    const TrainResult rb = train_sheaf_fixed(b, dq, nullptr, opt, cfg, {}, &info, &sb);
    CHECK(info.s_used == 1.0 / 128);
    CHECK(info.eta_used == 1.0 / 128 / 32);
    CHECK(max_abs(a.W, b.W) < 1e-9);
    CHECK(max_abs(sa.z, sb.z) < 1e-9);
    CHECK(max_abs(sa.a, sb.a) < 1e-9);
    CHECK(std::fabs(ra.history.back().train.loss - rb.history.back().train.loss) < 1e-9);
    CHECK(info.counters.total_saturations() == 0);
  }
}

TEST_CASE("16-bit diffusion inference lands within the derived bound of the forward pass", "[fixed-model]") {
  // docs/fixed-point.md §7: at the fixed point of the rounded iteration,
  // |x - x*|_2 <= sqrt(N_free) * (LSB_s / 2 + s (1 + max_l |W_l|_1) LSB_r / 2) / (s lambda_min),
  // x* the forward pass of the quantised network, while the activation pattern holds.
  const auto q = GENERATE(fx::Quant::RndConv, fx::Quant::Rnd, fx::Quant::Stoch);
  const FixedConfig cfg = config16(q);
  const Network net0 = Network::he_init({2, 6, 1}, OutputKind::Identity, 21);
  FixedCounters loads;
  loads.resize(2);
  const Network net = to_float(to_fixed(net0, cfg, loads), cfg);
  const Matrix X = (Matrix(2, 1) << 1.0, 0.25).finished();  // every |z| > 0.6: the pattern is not in doubt
  const double s = 0.2;                                       // s lambda_max = 0.92 < 2
  InferenceOptions opt;
  opt.dt = s;
  opt.fixed_steps = 20000;
  const InferenceResult r = run_inference_fixed(net, X, opt, cfg);
  const ForwardPass fp = forward(net, X);
  double err2 = 0;
  for (size_t k = 0; k < fp.z.size(); ++k) err2 += (r.state.z[k] - fp.z[k]).squaredNorm();
  for (size_t k = 0; k < fp.a.size(); ++k) err2 += (r.state.a[k] - fp.a[k]).squaredNorm();
  const SpectrumResult sp = analyse_spectrum(net, X.col(0), s, 1e-9, false);
  double w1 = 0;
  for (const auto& W : net.W) w1 = std::max(w1, W.cwiseAbs().colwise().sum().maxCoeff());
  const double step_err = cfg.stalk.lsb() / 2 + s * (1 + w1) * cfg.residual.lsb() / 2;
  const double bound = std::sqrt(static_cast<double>(net.num_free_stalks())) * step_err / (s * sp.lambda_min);
  double margin = 1e9;  // the activation pattern must not be in doubt
  for (const auto& z : fp.z) margin = std::min(margin, z.cwiseAbs().minCoeff());
  INFO("error " << std::sqrt(err2) << " bound " << bound << " (" << bound / cfg.stalk.lsb() << " LSB), lambda_min "
                << sp.lambda_min);
  REQUIRE(margin > bound);
  CHECK(std::sqrt(err2) <= bound);
  CHECK(bound < 200 * cfg.stalk.lsb());  // the bound itself is a few LSB / (s lambda_min), not vacuous
}

TEST_CASE("a Hebbian update below half an LSB stalls round-to-nearest but not stochastic rounding", "[fixed-model]") {
  const Dataset all = make_task(Task::Paraboloid, 200, 7);
  const Network net0 = Network::he_init({2, 8, 1}, OutputKind::Identity, 1);
  SheafTrainOptions opt;
  opt.steps = 3000;
  opt.dt = 0.01;
  opt.beta = 0.005 / 200.0;  // eta H = 2.5e-7 sum_s u a stays below half a Q4.8 LSB (1.95e-3)
  opt.log_every = 3000;
  opt.init = StalkInit::Forward;
  FixedConfig cfg = config16(fx::Quant::RndConv);
  cfg.weight = cfg.bias = fx::FixedFormat{4, 8};
  FixedCounters loads;
  loads.resize(2);
  const Network start = to_float(to_fixed(net0, cfg, loads), cfg);

  Network nearest = start;
  FixedRunInfo ni;
  const TrainResult rn = train_sheaf_fixed(nearest, all, nullptr, opt, cfg, {}, &ni);
  CHECK(max_abs(nearest.W, start.W) == 0.0);  // not one weight moved
  CHECK(ni.counters.lost_updates[static_cast<size_t>(FxClass::Weight)][0] > 0);
  CHECK(rn.history.back().train.loss == rn.history.front().train.loss);

  cfg.quant = fx::Quant::Stoch;
  Network stoch = start;
  FixedRunInfo si;
  const TrainResult rs = train_sheaf_fixed(stoch, all, nullptr, opt, cfg, {}, &si);
  CHECK(max_abs(stoch.W, start.W) > 0.1);
  CHECK(rs.history.back().train.loss < 0.7 * rn.history.back().train.loss);
  // Stochastic rounding follows the float reference (28.4 -> 15.2 vs 14.7).
  Network ref = start;
  const TrainResult rf = train_sheaf(ref, all, nullptr, opt);
  CHECK(rf.history.back().train.loss < 0.7 * rf.history.front().train.loss);
  CHECK(rs.history.back().train.loss == Approx(rf.history.back().train.loss).epsilon(0.1));
}

TEST_CASE("saturation counters fire on a network built to overflow", "[fixed-model]") {
  const auto o = GENERATE(fx::Overflow::Sat, fx::Overflow::Wrap);
  FixedConfig cfg = config16(fx::Quant::RndConv);
  cfg.overflow = o;
  Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 2);
  for (auto& W : net.W) W.setConstant(7.5);  // W a with a ~ 7 overflows Q4.12 (|x| < 8)
  const Matrix X = Matrix::Constant(2, 3, 7.0);
  InferenceOptions opt;
  opt.fixed_steps = 10;
  opt.init = StalkInit::Zeros;
  FixedRunInfo info;
  run_inference_fixed(net, X, opt, cfg, &info);
  CHECK(info.counters.saturations[static_cast<size_t>(FxClass::Residual)][0] > 0);
  CHECK(info.counters.total_saturations() > 0);
  // In range, nothing fires.
  Network calm = Network::he_init({2, 4, 1}, OutputKind::Identity, 2);
  FixedRunInfo quiet;
  run_inference_fixed(calm, Matrix::Constant(2, 3, 0.25), opt, cfg, &quiet);
  CHECK(quiet.counters.total_saturations() == 0);
}

TEST_CASE("bad fixed-point settings name the setting and a fix", "[fixed-model][bad-input]") {
  CHECK_THROWS_WITH(fx::parse_format("Q0.0", "--stalk-format"), Contains("--stalk-format 'Q0.0'") && Contains("at least 1 integer bit"));
  CHECK_THROWS_WITH(fx::parse_format("Q40.40", "--weight-format"), Contains("80 bits is wider than 64"));
  CHECK_THROWS_WITH(fx::parse_format("4.12", "--weight-format"), Contains("not of the form"));
  CHECK_THROWS_WITH(fx::parse_format("Q412", "--weight-format"), Contains("missing '.'"));
  CHECK(fx::parse_format("Q4.12", "x") == fx::FixedFormat{4, 12});
  CHECK_THROWS_WITH(fx::parse_quant("round"), Contains("unknown rounding mode 'round'"));
  CHECK_THROWS_WITH(fx::parse_overflow("clip"), Contains("unknown overflow mode 'clip'"));
  FixedConfig c;
  c.acc_bits = 24;
  CHECK_THROWS_WITH(c.validate(), Contains("--acc-bits 24 is narrower than a product") && Contains("at least 32"));
  c = FixedConfig();
  c.constant = fx::FixedFormat{1, 7};
  CHECK_THROWS_WITH(quantize_constant(0.001, c, "alpha*dt"),
                    Contains("alpha*dt = 0.001 quantises to zero in --constant-format Q1.7") && Contains("Q1.10"));
  CHECK(quantize_constant(0.5, c, "alpha*dt") == 64);
  CHECK_THROWS_WITH(quantize_constant(3.0, c, "alpha*dt"), Contains("overflows"));
  c = wide_config();
  c.constant = fx::FixedFormat{1, 31};
  CHECK_THROWS_WITH(c.validate(), Contains("intermediates"));
}

TEST_CASE("fixed point with sigmoid and softmax outputs: inference and training", "[fixed-model]") {
  const auto q = GENERATE(fx::Quant::RndConv, fx::Quant::Stoch);
  FixedConfig cfg = config16(q);
  SECTION("inference: the output vertex relaxes to phi(forward) within a few LSB / lambda") {
    const auto kind = GENERATE(OutputKind::Sigmoid, OutputKind::Softmax);
    FixedCounters loads;
    loads.resize(2);
    const Network net = to_float(to_fixed(Network::he_init({2, 5, 3}, kind, 11), cfg, loads), cfg);
    const Matrix X = (Matrix(2, 2) << 0.5, -0.25, 0.75, 1.0).finished();
    InferenceOptions opt;
    opt.dt = 0.1;
    opt.fixed_steps = 5000;
    FixedRunInfo info;
    const InferenceResult r = run_inference_fixed(net, X, opt, cfg, &info);
    const double err = (r.state.a_out - predict(net, X)).cwiseAbs().maxCoeff();
    INFO("max |a_out - phi(forward)| = " << err);
    CHECK(err < 0.02);  // measured 0.0055 (sigmoid) and 0.0097 (softmax) with rnd_conv: ~40 LSB
    CHECK(err > 0.0);  // it is a fixed-point result, not the float one
    CHECK(info.counters.total_saturations() == 0);
  }
  SECTION("training: softmax blobs learn in 16-bit fixed point") {
    const Dataset all = make_task(Task::Blobs, 400, 42);
    const Dataset train = all.slice(0, 300), test = all.slice(300, 100);
    Network net = Network::he_init({2, 25, 4}, OutputKind::Softmax, 0);
    SheafTrainOptions opt;
    opt.steps = 3000;
    opt.log_every = 3000;
    opt.init = StalkInit::Forward;
    opt.reinit_each_epoch = true;
    FixedRunInfo info;
    const TrainResult r = train_sheaf_fixed(net, train, &test, opt, cfg, {}, &info);
    INFO(fx::to_string(q) << ": test accuracy " << r.history.back().test.accuracy);
    CHECK(r.history.back().train.loss < 0.6 * r.history.front().train.loss);
    if (q == fx::Quant::Stoch) CHECK(r.history.back().test.accuracy > 0.9);
    CHECK(info.counters.saturations[static_cast<size_t>(FxClass::Output)][1] == 0);
  }
}

TEST_CASE("the 64-bit register write equals the wide one for every shift, including left shifts",
          "[fixed-model][quantize]") {
  // A residual register may carry more fractional bits than weight x stalk
  // (Q3.13 against Q3.5 x Q3.5): the write is then an exact left shift.
  const fx::FixedFormat f = fx::parse_format("Q3.13", "residual");
  const fx::Quant quant = GENERATE(fx::Quant::Trn, fx::Quant::RndConv, fx::Quant::Stoch);
  const fx::Overflow ov = GENERATE(fx::Overflow::Sat, fx::Overflow::Wrap);
  long compared = 0;
  for (int frac_in = 0; frac_in <= 30; ++frac_in) {
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{5}, std::int64_t{-37},
                           std::int64_t{1000}, std::int64_t{-123456}, std::int64_t{1} << 40}) {
      bool o64 = false, o128 = false;
      const std::int64_t a = fx::quantize64(v, frac_in, f, quant, ov, &o64, 0x9e3779b97f4a7c15ULL);
      const std::int64_t b = fx::quantize(fx::wide{v}, frac_in, f, quant, ov, &o128, 0x9e3779b97f4a7c15ULL);
      INFO("v " << v << " frac_in " << frac_in);
      REQUIRE(a == b);
      REQUIRE(o64 == o128);
      ++compared;
    }
  }
  CHECK(compared == 31 * 8);
  // 5 at 10 fractional bits is 5 << 3 at 13: exact, whatever the mode.
  bool o = false;
  CHECK(fx::quantize64(5, 10, f, quant, ov, &o) == 40);
  CHECK_FALSE(o);
}
