// Pins in the bit-accurate model (docs/fixed-point.md §4.3): wide formats
// follow the float reference with hard, soft and free pins; a soft pin's step
// by hand; the refusals of the pin constant kp.
#include <catch2/catch.hpp>

#include "fixtures.h"

#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/bitacc/fixed_pins.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

Dataset data(int n_in, int n_out, int samples, std::uint64_t seed) {
  Rng rng(seed);
  Dataset d{Matrix(n_in, samples), Matrix(n_out, samples)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index i = 0; i < d.Y.size(); ++i) d.Y.data()[i] = 0.5 * rng.normal();
  return d;
}

std::shared_ptr<const PinSet> pins(const std::string& json, const Network& net, PinUse use) {
  return std::make_shared<const PinSet>(parse_pins(json, "pins.json", net.layers, net.output, use));
}

double max_diff(const Matrix& a, const Matrix& b) { return (a - b).cwiseAbs().maxCoeff(); }

double max_state_diff(const SheafState& a, const SheafState& b) {
  double m = 0;
  for (size_t k = 0; k < a.z.size(); ++k) m = std::max(m, max_diff(a.z[k], b.z[k]));
  for (size_t k = 0; k < a.a.size(); ++k) m = std::max(m, max_diff(a.a[k], b.a[k]));
  if (a.has_output_vertex()) m = std::max(m, max_diff(a.a_out, b.a_out));
  if (a.x.size() > 0) m = std::max(m, max_diff(a.x, b.x));
  return m;
}

const char* kTrainPins = R"({"pins": [
  {"kind": "hard", "stalk": "z", "layer": 1, "coords": [0, 3], "values": [0.25, -0.5]},
  {"kind": "soft", "stalk": "a", "layer": 1, "coords": [1, 2], "values": 0.3, "gamma": 4},
  {"kind": "soft", "stalk": "z", "layer": 2, "coords": "all", "values": -0.1, "gamma": 2.5},
  {"kind": "hard", "stalk": "a", "layer": 2, "coords": [1], "values": 0.75},
  {"kind": "soft", "stalk": "z", "layer": 3, "coords": [0], "values": 0.2, "gamma": 1}
]})";

}  // namespace

TEST_CASE("fixed-point training with hard and soft pins follows the float reference in wide formats", "[fixed-pins]") {
  // The float run starts from the quantised network and data; dt, beta dt and
  // s gamma are exact in the constant format, so only the stalk roundings differ.
  const FixedConfig cfg = test::wide_fixed_config();
  FixedCounters loads;
  loads.resize(3);
  const Dataset d0 = data(3, 2, 8, 5);
  const Network net0 = to_float(to_fixed(Network::he_init({3, 5, 4, 2}, OutputKind::Identity, 11), cfg, loads), cfg);
  const Dataset d{to_float(to_fixed(d0.X, cfg.stalk, cfg, loads), cfg.stalk),
                  to_float(to_fixed(d0.Y, cfg.stalk, cfg, loads), cfg.stalk)};
  SheafTrainOptions opt;
  opt.steps = 300;
  opt.log_every = 300;
  opt.inner = 2;
  opt.dt = 1.0 / 64;
  opt.pins = pins(kTrainPins, net0, PinUse::Training);
  Network nf = net0, nx = net0;
  SheafState sf, sx;
  train_sheaf(nf, d, nullptr, opt, {}, &sf);
  FixedRunInfo info;
  train_sheaf_fixed(nx, d, nullptr, opt, cfg, {}, &info, &sx);
  CHECK(max_state_diff(sf, sx) < 1e-9);
  for (size_t k = 0; k < nf.W.size(); ++k) {
    CHECK(max_diff(nf.W[k], nx.W[k]) < 1e-9);
    CHECK(max_diff(Matrix(nf.b[k]), Matrix(nx.b[k])) < 1e-9);
  }
  // The hard pins hold exactly; the soft pins pulled their coordinates.
  CHECK((sx.z[0].row(0).array() == 0.25).all());
  CHECK((sx.a[1].row(1).array() == 0.75).all());
  CHECK(info.counters.total_saturations() == 0);
}

TEST_CASE("fixed-point inference with soft a_out, hard and free pins follows the float reference", "[fixed-pins]") {
  const FixedConfig cfg = test::wide_fixed_config();
  FixedCounters loads;
  loads.resize(2);
  const Dataset d0 = data(4, 3, 6, 7);
  const Network net = to_float(to_fixed(Network::he_init({4, 6, 3}, OutputKind::Softmax, 13), cfg, loads), cfg);
  const Dataset d{to_float(to_fixed(d0.X, cfg.stalk, cfg, loads), cfg.stalk), d0.Y};
  InferenceOptions opt;
  opt.fixed_steps = 400;
  opt.dt = 1.0 / 32;
  opt.init = StalkInit::Forward;
  opt.pins = pins(R"({"pins": [
    {"kind": "free", "stalk": "a", "layer": 0, "coords": [1, 3]},
    {"kind": "soft", "stalk": "a_out", "coords": [0], "values": 0.8, "gamma": 3},
    {"kind": "hard", "stalk": "z", "layer": 1, "coords": [2], "values": 0.125},
    {"kind": "soft", "stalk": "a", "layer": 1, "coords": "all", "values": 0.1, "gamma": 0.5}
  ]})",
                  net, PinUse::Inference);
  const InferenceResult f = run_inference(net, d.X, opt);
  const InferenceResult x = run_inference_fixed(net, d.X, opt, cfg);
  REQUIRE(x.state.x.size() == d.X.size());
  CHECK(max_state_diff(f.state, x.state) < 1e-9);
  // The free coordinates moved; the others stayed at the data.
  CHECK(max_diff(x.state.x.row(1), d.X.row(1)) > 1e-3);
  CHECK(max_diff(x.state.x.row(0), d.X.row(0)) < 1e-10);
  CHECK((x.state.z[0].row(2).array() == 0.125).all());
}

TEST_CASE("a soft pin's step by hand: the pull enters the one rounding of the stalk write", "[fixed-pins]") {
  // Q4.12 stalks and residuals, constant Q1.31: z = 1, t = 0.5, u = 0 (g_z = 0
  // on an inactive... here active with q = a - z = 0), s = 0.25, gamma = 2:
  // kp = 0.5, z' = z - kp (z - t) = 0.75.
  FixedConfig cfg;
  const std::int64_t one = std::int64_t{1} << 12;
  const std::int64_t s = quantize_constant(0.25, cfg, "alpha*dt");
  const std::int64_t kp = pin_constant(0.25, 2.0, cfg, "z_1[0]");
  CHECK(kp == std::int64_t{1} << 30);
  const vertex::HiddenStep h = vertex::hidden_update(one, one, 0, 0, s, cfg, 0, 0, {kp, one / 2}, {});
  CHECK(h.z.value == 3 * one / 4);
  CHECK(h.a.value == one);  // q = 0, no pull on a
  // With a force too: u = 0.5 adds s u = 0.125 to the decrease, in the same rounding.
  const vertex::HiddenStep h2 = vertex::hidden_update(one, one, one / 2, 0, s, cfg, 0, 0, {kp, one / 2}, {});
  CHECK(h2.z.value == 3 * one / 4 - one / 8);
  // An odd LSB: the pull of (z - t) = 1 LSB at kp = 0.5 is half an LSB: round to even.
  const edge::Write w = vertex::stalk_write(3, 0, cfg.residual.frac_bits, s, {kp, 2}, cfg, 0);
  CHECK(w.value == 2);  // 3 - 0.5 = 2.5 -> 2 (even)
  const edge::Write w2 = vertex::stalk_write(5, 0, cfg.residual.frac_bits, s, {kp, 4}, cfg, 0);
  CHECK(w2.value == 4);  // 5 - 0.5 = 4.5 -> 4 (even)
}

TEST_CASE("the pin constant kp is refused when s gamma >= 2 or when it rounds to zero", "[fixed-pins]") {
  FixedConfig cfg;
  CHECK_THROWS_WITH(pin_constant(0.5, 4.0, cfg, "a_2[3]"), Contains("a_2[3]") && Contains(">= 2"));
  CHECK_NOTHROW(pin_constant(0.5, 3.9, cfg, "a_2[3]"));
  cfg.constant = fx::FixedFormat{1, 8};
  CHECK_THROWS_WITH(pin_constant(1e-3, 0.5, cfg, "z_1[0]"), Contains("z_1[0]") && Contains("8 fractional bits"));
  // Through the plan: the stalk and coordinate of the pin.
  const Network net = Network::he_init({2, 3, 1}, OutputKind::Identity, 1);
  const PinSet p = parse_pins(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": [2], "values": 0, "gamma": 50}]})",
                              "p.json", net.layers, net.output, PinUse::Training);
  CHECK_THROWS_WITH(check_pins(p, FixedConfig(), 0.05), Contains("z_1[2]"));
  CHECK_NOTHROW(check_pins(p, FixedConfig(), 0.01));
}

TEST_CASE("pin values are quantised once to the stalk format, saturations counted as inputs", "[fixed-pins]") {
  const Network net = Network::he_init({2, 3, 1}, OutputKind::Identity, 1);
  const PinSet p = parse_pins(R"({"pins": [
    {"kind": "hard", "stalk": "z", "layer": 1, "coords": [0, 1], "values": [100, 0.1]},
    {"kind": "soft", "stalk": "a", "layer": 1, "coords": [2], "values": -100, "gamma": 1}
  ]})",
                              "p.json", net.layers, net.output, PinUse::Training);
  const FixedConfig cfg;  // Q4.12, saturating
  FixedCounters c;
  c.resize(2);
  FixedPinPlan plan = plan_pins(p, cfg, c);
  CHECK(plan.z[0].hard[0] == cfg.stalk.max_raw());
  CHECK(plan.z[0].hard[1] == 410);  // round(0.1 * 4096) = 409.6 -> 410
  CHECK(plan.a[0].soft[2].target == cfg.stalk.min_raw());
  CHECK(c.saturations[static_cast<size_t>(FxClass::Input)][0] == 2);
  plan.set_step(0.01, cfg);
  CHECK(plan.a[0].soft[2].kp == pin_constant(0.01, 1.0, cfg, "a_1[2]"));
  CHECK(plan.a[0].soft[0].kp == 0);  // unpinned coordinates: no pull
}
