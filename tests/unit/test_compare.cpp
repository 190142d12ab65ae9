// `sheafsim compare`'s library parts: the sweep grammar and grid, the choice
// of the smallest word length, the value-range verdicts, and the traces of a
// float-vs-fixed run (wide formats agree to 1e-9, narrow ones do not; the
// SystemC mesh gives the same fixed-point numbers as the bit-accurate model).
#include <cmath>

#include <catch2/catch.hpp>

#include "sheafsim/analysis/compare_run.h"
#include "sheafsim/base/error.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/analysis/sweep.h"
#include "sheafsim/analysis/sweep_select.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/analysis/value_range.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> values(const SweepSpec& s, size_t axis) { return s.axes.at(axis).values; }

void require_error(const std::string& spec, const std::string& message) {
  INFO("spec: " << spec);
  REQUIRE_THROWS_WITH(parse_sweep(spec), Contains(message));
  try {
    parse_sweep(spec);
  } catch (const InputError& e) {
    REQUIRE(std::string(e.what()).find('\n') == std::string::npos);  // one line
  }
}

// A small regression problem whose step constants are exact in the constant format:
// dt = 2^-7 and beta dt = 2^-7 / 16.
struct Problem {
  Network net;
  Dataset data;
  SheafTrainOptions opt;
};

Problem small_problem(long steps) {
  Problem p;
  p.net = Network::he_init({2, 6, 1}, OutputKind::Identity, 3);
  p.data = make_task(Task::Paraboloid, 16, 5);
  p.opt.dt = 1.0 / 128;
  p.opt.steps = steps;
  p.opt.log_every = 10;
  p.opt.init = StalkInit::Random;
  return p;
}

FixedConfig wide() {
  FixedConfig c;
  c.stalk = c.weight = c.bias = c.residual = fx::FixedFormat{8, 40};
  c.constant = fx::FixedFormat{1, 23};  // still exact for 2^-7 and 2^-11, and within the 127-bit intermediates
  c.acc_bits = 96;
  return c;
}

}  // namespace

TEST_CASE("sweep: valid specs give the right grid", "[sweep]") {
  const SweepSpec s = parse_sweep("stalk=Q4.8..Q4.16, weight=Q4.8..Q4.16:4 ,round=rnd_conv|stoch");
  REQUIRE(s.axes.size() == 3);
  CHECK(s.axes[0].key == "stalk");
  CHECK(values(s, 0) == std::vector<std::string>{"Q4.8", "Q4.9", "Q4.10", "Q4.11", "Q4.12", "Q4.13", "Q4.14",
                                                  "Q4.15", "Q4.16"});
  CHECK(values(s, 1) == std::vector<std::string>{"Q4.8", "Q4.12", "Q4.16"});
  CHECK(values(s, 2) == std::vector<std::string>{"rnd_conv", "stoch"});
  REQUIRE(sweep_size(s) == 9 * 3 * 2);
  const std::vector<SweepPoint> g = sweep_grid(s);
  REQUIRE(g.size() == 54);
  // The last axis varies fastest.
  CHECK(g[0] == SweepPoint{{"stalk", "Q4.8"}, {"weight", "Q4.8"}, {"round", "rnd_conv"}});
  CHECK(g[1] == SweepPoint{{"stalk", "Q4.8"}, {"weight", "Q4.8"}, {"round", "stoch"}});
  CHECK(g[2] == SweepPoint{{"stalk", "Q4.8"}, {"weight", "Q4.12"}, {"round", "rnd_conv"}});
  CHECK(g[53] == SweepPoint{{"stalk", "Q4.16"}, {"weight", "Q4.16"}, {"round", "stoch"}});

  // Lists mixing ranges and values, accumulator ranges, every key.
  const SweepSpec t = parse_sweep(
      "stalk=Q2.6|Q4.8..Q4.9,acc=32..48:8,bias=Q6.10,residual=Q4.12,constant=Q1.31,overflow=sat|wrap,round=trn");
  CHECK(values(t, 0) == std::vector<std::string>{"Q2.6", "Q4.8", "Q4.9"});
  CHECK(values(t, 1) == std::vector<std::string>{"32", "40", "48"});
  CHECK(sweep_size(t) == 3 * 3 * 2);
  // A range whose step overshoots keeps its start only up to the end.
  CHECK(values(parse_sweep("weight=Q4.8..Q4.10:5"), 0) == std::vector<std::string>{"Q4.8"});

  const FixedConfig c = apply_sweep_point(FixedConfig{}, sweep_grid(t).back());
  CHECK(c.stalk.str() == "Q4.9");
  CHECK(c.acc_bits == 48);
  CHECK(c.bias.str() == "Q6.10");
  CHECK(c.overflow == fx::Overflow::Wrap);
  CHECK(c.quant == fx::Quant::Trn);
  CHECK(word_length_bits(c) == 13 + 16);
}

TEST_CASE("sweep: malformed specs name the problem", "[sweep]") {
  require_error("", "--sweep is empty");
  require_error("   ", "--sweep is empty");
  require_error("stalk", "'stalk' has no '='");
  require_error("stalk=Q4.8,", "axis 2 is empty");
  require_error("colour=red", "unknown key 'colour'");
  require_error("stalk=Q4.8,stalk=Q4.9", "key 'stalk' appears twice");
  require_error("stalk=", "--sweep stalk: empty value");
  require_error("stalk=Q4.8||Q4.9", "--sweep stalk: empty value");
  require_error("stalk=Q0.0", "--sweep stalk");
  require_error("stalk=Q4.x", "--sweep stalk");
  require_error("stalk=Q4.8..Q5.12", "changes the integer bits (4 to 5)");
  require_error("stalk=Q4.16..Q4.8", "range 'Q4.16..Q4.8' is empty");
  require_error("stalk=Q4.8..", "needs a start and an end");
  require_error("stalk=Q4.8..Q4.12:0", "step 0 is outside 1..64");
  require_error("stalk=Q4.8..Q4.12:x", "step 'x' is not a whole number");
  require_error("stalk=Q4.8|Q4.8", "value 'Q4.8' appears twice");
  require_error("round=nearest", "--sweep round: unknown rounding mode 'nearest'");
  require_error("round=rnd..stoch", "takes a list of names");
  require_error("overflow=clip", "--sweep overflow: unknown overflow mode 'clip'");
  require_error("acc=abc", "--sweep acc 'abc' is not a whole number");
  require_error("acc=0", "--sweep acc 0 is outside 1..1000");
  require_error("acc=64..32", "is empty");
  require_error("stalk=Q4.0..Q4.60,weight=Q4.0..Q4.60,bias=Q4.0..Q4.60", "more than 100000 points");
}

TEST_CASE("sweep: the smallest word length within the tolerance", "[sweep][select]") {
  // word bits, round, float loss, fixed loss
  const std::vector<SweepOutcome> points = {
      {16, "rnd_conv", 1.0, 2.00},  // 0: 100% worse
      {16, "stoch", 1.0, 1.06},     // 1: 6% worse: out at 5%
      {20, "rnd_conv", 1.0, 1.049}, // 2: in
      {20, "stoch", 1.0, 1.01},     // 3: in, and better than 2
      {24, "stoch", 1.0, 0.90},     // 4: in (below float)
      {12, "stoch", 1.0, std::nan("")},  // 5: diverged: never qualifies
  };
  const auto best = smallest_within(points, 0.05);
  REQUIRE(best.has_value());
  CHECK(*best == 3);
  CHECK(modes_within(points, 20, 0.05) == std::vector<std::string>{"rnd_conv", "stoch"});
  // A looser tolerance admits 16 bits with stochastic rounding.
  CHECK(*smallest_within(points, 0.10) == 1);
  // Nothing qualifies at -20%; an empty set has no answer.
  CHECK_FALSE(smallest_within(points, -0.2).has_value());
  CHECK_FALSE(smallest_within({}, 0.05).has_value());
  CHECK(relative_gap(1.1, 1.0) == Approx(0.1));
  CHECK(std::isnan(relative_gap(1.0, 0.0)));
  CHECK(std::isnan(relative_gap(INFINITY, 1.0)));
}

TEST_CASE("value ranges: clipping and unused integer bits are named", "[range]") {
  const fx::FixedFormat q412{4, 12};  // [-8, 8 - 2^-12]
  ValueRange r;
  r.add(Matrix::Constant(2, 2, 0.5));
  r.add(Matrix::Constant(1, 1, -1.5));
  r.add(Matrix::Constant(1, 1, std::nan("")));  // ignored
  CHECK(r.min == -1.5);
  CHECK(r.max == 0.5);
  RangeVerdict v = assess_range(r, q412, 0);
  CHECK_FALSE(v.clips);
  CHECK(v.needed_int_bits == 2);  // Q2 holds [-2, 2)
  CHECK(v.unused_int_bits == 2);
  CHECK(v.label() == "wastes 2 integer bits");
  // Saturations counted: clips even when the float values fit.
  CHECK(assess_range(r, q412, 3).label() == "clips");
  // Beyond the range.
  ValueRange big;
  big.add(Matrix::Constant(1, 1, 9.0));
  CHECK(assess_range(big, q412, 0).clips);
  // The edges: 4.0 needs Q4 (Q3 ends at 4 - lsb), -4.0 fits Q3.
  ValueRange four;
  four.add(Matrix::Constant(1, 1, 4.0));
  CHECK(assess_range(four, q412, 0).needed_int_bits == 4);
  CHECK(assess_range(four, q412, 0).label() == "ok");
  ValueRange minus4;
  minus4.add(Matrix::Constant(1, 1, -4.0));
  CHECK(assess_range(minus4, q412, 0).needed_int_bits == 3);
  CHECK(assess_range(minus4, q412, 0).label() == "wastes 1 integer bit");
}

TEST_CASE("compare traces: wide formats agree with float to 1e-9, narrow ones do not", "[compare][trace]") {
  const Problem p = small_problem(60);
  const CompareRun w = run_compare(p.net, p.data, nullptr, p.opt, wide(), 20);
  // Samples at steps 0, 20, 40, 60; per sample z1, a1, W1, b1, z2, W2, b2.
  REQUIRE(traced_quantities(2).size() == 7);
  REQUIRE(w.trace.size() == 4 * 7);
  CHECK(w.trace.front().step == 0);
  CHECK(w.trace.back().step == 60);
  CHECK(w.trace.back().layer == 2);
  CHECK(w.trace.back().quantity == Quantity::B);
  double worst = 0;
  for (const TraceRow& r : w.trace) {
    worst = std::max(worst, r.diff.max_abs);
    CHECK(r.rel_rms < 1e-9);
  }
  CHECK(worst < 1e-9);
  CHECK(w.info.counters.total_saturations() == 0);
  // The final networks agree too, and both losses moved.
  CHECK(std::abs(w.fixed_result.history.back().train.loss - w.float_result.history.back().train.loss) < 1e-9);
  CHECK(w.float_result.history.back().train.loss < w.float_result.history.front().train.loss);
  REQUIRE(w.ranges.size() == 7);
  CHECK(w.ranges[2].quantity == Quantity::W);
  CHECK(w.ranges[2].max_abs_diff < 1e-9);

  FixedConfig narrow;
  narrow.stalk = narrow.weight = narrow.bias = narrow.residual = fx::FixedFormat{4, 6};
  const CompareRun n = run_compare(p.net, p.data, nullptr, p.opt, narrow, 20);
  REQUIRE(n.trace.size() == 4 * 7);
  double worst_w = 0;
  for (const TraceRow& r : n.trace)
    if (r.quantity == Quantity::W) worst_w = std::max(worst_w, r.diff.max_abs);
  CHECK(worst_w > 1e-3);                // Q4.6 has an LSB of 1/64
  CHECK(n.trace[0].diff.max_abs > 0);   // even the start: z_1 quantised
  CHECK(n.trace[0].diff.max_abs <= 1.0 / 128 + 1e-12);  // half an LSB of Q4.6
}

TEST_CASE("compare ranges: a narrow stalk format clips the hidden layer", "[compare][range]") {
  const Problem p = small_problem(40);
  // Q2.10 holds [-2, 2); random stalks N(0, 1) and the hidden pre-activations leave it.
  FixedConfig c;
  c.stalk = fx::FixedFormat{2, 10};
  const CompareRun run = run_compare(p.net, p.data, nullptr, p.opt, c, 10);
  const QuantityRanges& z1 = run.ranges[0];
  REQUIRE(z1.layer == 1);
  REQUIRE(z1.quantity == Quantity::Z);
  const std::uint64_t sat = run.info.counters.saturations[static_cast<size_t>(FxClass::Z)][0];
  INFO("float z1 range " << z1.float_range.min << " .. " << z1.float_range.max << ", saturations " << sat);
  CHECK(z1.float_range.max_abs() > 2.0);
  const RangeVerdict v = assess_range(z1.float_range, c.stalk, sat);
  CHECK(v.clips);
  CHECK(v.label() == "clips");
  // The fixed run's values stay inside the format (saturation).
  CHECK(z1.fixed_range.max <= c.stalk.max_value());
  CHECK(z1.fixed_range.min >= c.stalk.min_value());
  // The same run's weights in the default Q4.12 waste an integer bit (|W| < 4 here).
  const QuantityRanges& w1 = run.ranges[2];
  REQUIRE(w1.quantity == Quantity::W);
  CHECK(w1.float_range.max_abs() < 4.0);
  CHECK(assess_range(w1.float_range, c.weight, 0).unused_int_bits >= 1);
}

TEST_CASE("the SystemC mesh gives the bit-accurate model's numbers", "[compare][systemc]") {
  const Problem p = small_problem(12);
  FixedConfig c;
  c.quant = fx::Quant::Stoch;
  const CompareRun a = run_compare(p.net, p.data, nullptr, p.opt, c, 4);
  mesh::MeshConfig m;
  m.rows = 2;
  m.cols = 2;
  m.time_multiplex = true;
  std::shared_ptr<mesh::MeshEngine> engine;
  const CompareRun b = run_compare(p.net, p.data, nullptr, p.opt, c, 4, mesh::mesh_stepper(m, &engine));
  REQUIRE(engine != nullptr);
  CHECK(engine->timing().steps == 12);
  for (size_t k = 0; k < a.fixed_net.W.size(); ++k) {
    CHECK(a.fixed_net.W[k] == b.fixed_net.W[k]);
    CHECK(a.fixed_net.b[k] == b.fixed_net.b[k]);
  }
  CHECK(a.info.counters.to_json() == b.info.counters.to_json());
  REQUIRE(a.trace.size() == b.trace.size());
  for (size_t i = 0; i < a.trace.size(); ++i) {
    CHECK(a.trace[i].diff.max_abs == b.trace[i].diff.max_abs);
    CHECK(a.trace[i].fixed_range.max == b.trace[i].fixed_range.max);
  }
  CHECK(a.fixed_result.history.back().train.loss == b.fixed_result.history.back().train.loss);
  // The fixed run differs from float (Q4.12), so equality above is not vacuous.
  CHECK(a.trace.back().diff.max_abs > 0);
}
