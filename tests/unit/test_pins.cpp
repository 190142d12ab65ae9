// Partial clamping in the float reference (pins.h; sheaf-math §6.1 rule 4,
// §6.3 "Soft pins", §12.2's pinned-inference table): the pins file and its
// errors, hard pins, soft pins against their closed form, free input
// coordinates recovering an input, and pins in training.
#include <catch2/catch.hpp>

#include <cmath>

#include <fmt/format.h>

#include "sheafsim/base/error.h"
#include "sheafsim/reference/pins.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "fixtures.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

PinSet pins(const std::string& text, const std::vector<int>& layers = {2, 4, 1},
            OutputKind out = OutputKind::Identity, PinUse use = PinUse::Inference) {
  return parse_pins(text, "p.json", layers, out, use);
}

std::string error_of(const std::string& text, const std::vector<int>& layers = {2, 4, 1},
                     OutputKind out = OutputKind::Identity, PinUse use = PinUse::Inference) {
  try {
    pins(text, layers, out, use);
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

InferenceOptions converge() {
  InferenceOptions o;
  o.dt = 0.05;
  o.tol = 1e-13;
  o.max_steps = 2000000;
  return o;
}

}  // namespace

TEST_CASE("a pins file is parsed onto the stalks' coordinates", "[pins]") {
  const PinSet p = pins(R"({"pins": [
      {"kind": "hard", "stalk": "z", "layer": 1, "coords": [1], "values": [0.1]},
      {"kind": "soft", "stalk": "a", "layer": 1, "coords": [0, 1, 2, 3], "values": 0.0, "gamma": 2.0},
      {"kind": "soft", "stalk": "a", "layer": 1, "coords": [0], "values": 1.0, "gamma": 6.0},
      {"kind": "free", "stalk": "a", "layer": 0, "coords": "all"}]})");
  REQUIRE(p.pins.size() == 4);
  CHECK(p.pins[1].name() == "pin 2 (soft a_1)");
  CHECK(p.z[0].hard[1] == 0.1);
  CHECK(std::isnan(p.z[0].hard[0]));
  // Soft pins on one coordinate add up: gamma 8, target (2 * 0 + 6 * 1) / 8.
  CHECK(p.a[0].gamma[0] == 8.0);
  CHECK(p.a[0].target[0] == 0.75);
  CHECK(p.a[0].gamma[3] == 2.0);
  CHECK(p.free_inputs == std::vector<int>{0, 1});
  CHECK(p.soft_coordinates() == 4);
  CHECK(p.warnings.empty());
  // A hard pin over a soft one wins, with a warning.
  const PinSet w = pins(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 2, "coords": "all", "values": 0, "gamma": 1},
                                     {"kind": "hard", "stalk": "z", "layer": 2, "coords": [0], "values": 0.5}]})");
  REQUIRE(w.warnings.size() == 1);
  CHECK_THAT(w.warnings[0], Contains("1 coordinate(s) of z_2 are hard- and soft-pinned; the hard pin wins"));
}

TEST_CASE("bad pins are refused with a message naming the pin", "[pins]") {
  CHECK_THAT(error_of("{\"pins\": [1, 2"), Contains("p.json: not a pins file: malformed JSON"));
  CHECK_THAT(error_of(R"({"pin": []})"), Contains("a pins file is an object {\"pins\": [...]}"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "sticky", "stalk": "z", "layer": 1, "coords": [0], "values": 1}]})"),
             Contains("p.json: pin 1: unknown kind 'sticky' (expected hard, soft or free)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "u", "layer": 1, "coords": [0], "values": 1}]})"),
             Contains("pin 1: unknown stalk 'u' (expected z, a or a_out)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 3, "coords": [0], "values": 1}]})"),
             Contains("pin 1 (hard z_3): layer 3 out of range (z_l exists for l = 1..2)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "a", "layer": 2, "coords": [0], "values": 1}]})"),
             Contains("pin 1 (hard a_2): layer 2 out of range (a_l exists for l = 0..1; the output is z_2)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [4], "values": 1}]})"),
             Contains("pin 1 (hard z_1): coordinate 4 out of range (z_1 has 4 coordinates, 0..3)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [0, 1], "values": [1]}]})"),
             Contains("pin 1 (hard z_1): 1 values for 2 coordinates"));
  // JSON has no infinity or NaN: an overflowing number, or a NaN literal, names the pin it is in.
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 1},
                                   {"kind": "hard", "stalk": "z", "layer": 1, "coords": [1], "values": [1e999]}]})"),
             Contains("p.json: a value in pin 2 is not a finite number") && Contains("1e999"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": [0], "values": 0, "gamma": NaN}]})"),
             Contains("p.json: not a pins file: malformed JSON in pin 1 ("));
  CHECK_THAT(error_of(R"({"pins": [], "x": 1e999})"), Contains("p.json: a value is not a finite number ("));
  // Indices beyond 32 bits are out of range, not wrapped into it.
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [4294967296], "values": 1}]})"),
             Contains("pin 1 (hard z_1): coordinate 4294967296 out of range (z_1 has 4 coordinates, 0..3)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 4294967297, "coords": [0], "values": 1}]})"),
             Contains("p.json: pin 1: layer 4294967297 out of range (the network's layers are 0..2)"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [18446744073709551615], "values": 1}]})"),
             Contains("coordinate 18446744073709551615 out of range"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": [0], "values": 0, "gamma": -1}]})"),
             Contains("pin 1 (soft z_1): gamma = -1 must be finite and >= 0"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": [0], "values": 0}]})"),
             Contains("a soft pin needs \"gamma\""));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "a", "layer": 0, "coords": [0], "values": 1}]})"),
             Contains("pin 1 (hard a_0): the input a_0 is pinned to the data; only \"kind\": \"free\" applies to it"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "free", "stalk": "z", "layer": 1, "coords": [0]}]})"),
             Contains("\"free\" applies to coordinates of the input a_0 only"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "free", "stalk": "a", "layer": 0, "coords": [0]}]})", {2, 4, 1},
                      OutputKind::Identity, PinUse::Training),
             Contains("free input coordinates move only in inference"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "a_out", "coords": [0], "values": 1}]})", {2, 4, 3},
                      OutputKind::Softmax, PinUse::Training),
             Contains("pin 1 (hard a_out): a_out is the training target, pinned to the data"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "a_out", "coords": [0], "values": 1}]})"),
             Contains("a_out exists only with a sigmoid or softmax output"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [0, 0], "values": 1}]})"),
             Contains("coordinate 0 listed twice"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 1},
                                   {"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 2}]})"),
             Contains("pins 1 and 2 hard-pin z_1[0] to different values"));
  CHECK_THAT(error_of(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 1, "colour": 2}]})"),
             Contains("pin 1: unknown key 'colour'"));
  // The same pins in inference on a softmax net: a_out may be pinned there.
  CHECK(pins(R"({"pins": [{"kind": "soft", "stalk": "a_out", "coords": "all", "values": 0.25, "gamma": 1}]})", {2, 4, 3},
             OutputKind::Softmax).a_out.gamma[2] == 1.0);
}

TEST_CASE("a hard pin holds its coordinate, and the rest relaxes to the forward pass around it", "[pins]") {
  // sheaf-math §12.2: a hard pin z1[0] = 0.5 moves the output from the forward pass to
  // the forward pass of the hidden layer with that unit replaced (1.278224 -> 1.310511 for the authors' weights).
  const Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 42);
  const Matrix X = (Matrix(2, 2) << 1.0, 0.3, 0.5, -0.7).finished();
  InferenceOptions o = converge();
  o.pins = std::make_shared<PinSet>(pins(R"({"pins": [{"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 0.5}]})"));
  const InferenceResult r = run_inference(net, X, o);
  REQUIRE(r.converged);
  Matrix z1 = net.W[0] * X;
  z1.colwise() += net.b[0];
  z1.row(0).setConstant(0.5);
  const Matrix out = (net.W[1] * z1.cwiseMax(0.0)).colwise() + net.b[1];
  CHECK((r.state.z[0].row(0).array() == 0.5).all());
  CHECK((r.state.z.back() - out).cwiseAbs().maxCoeff() < 1e-9);
  CHECK((r.state.a[0] - z1.cwiseMax(0.0)).cwiseAbs().maxCoeff() < 1e-9);
}

TEST_CASE("a hard pin over soft pins on its coordinate wins, and soft pins on one coordinate add up", "[pins]") {
  // Hard wins: the soft force on the hard-pinned coordinate is computed and overwritten, so
  // every step of the run equals the run without that soft pin, bit for bit.
  const Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 42);
  const Matrix X = (Matrix(2, 2) << 1.0, 0.3, 0.5, -0.7).finished();
  auto run = [&](const std::string& text) {
    InferenceOptions o = converge();
    o.fixed_steps = 40;  // a fixed count: both runs take the same steps
    o.pins = std::make_shared<PinSet>(pins(text));
    return run_inference(net, X, o);
  };
  const InferenceResult both = run(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": "all", "values": 0.1, "gamma": 1},
                                                {"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 0.25}]})");
  const InferenceResult hard = run(R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": [1, 2, 3], "values": 0.1, "gamma": 1},
                                                {"kind": "hard", "stalk": "z", "layer": 1, "coords": [0], "values": 0.25}]})");
  REQUIRE(both.steps == 40);
  CHECK((both.state.z[0].row(0).array() == 0.25).all());
  for (size_t l = 0; l < both.state.z.size(); ++l) CHECK(both.state.z[l] == hard.state.z[l]);
  for (size_t l = 0; l < both.state.a.size(); ++l) CHECK(both.state.a[l] == hard.state.a[l]);
  // Adding up: gamma 2 toward 0.5 and gamma 0.5 toward 1.0 on a_1[3] pull as one pin of
  // gamma 2.5 toward (2 x 0.5 + 0.5 x 1) / 2.5 = 0.6 (equal to rounding: the targets' mean is computed once).
  const InferenceResult two = run(R"({"pins": [{"kind": "soft", "stalk": "a", "layer": 1, "coords": [3], "values": 0.5, "gamma": 2},
                                               {"kind": "soft", "stalk": "a", "layer": 1, "coords": [3], "values": 1.0, "gamma": 0.5}]})");
  const InferenceResult one = run(R"({"pins": [{"kind": "soft", "stalk": "a", "layer": 1, "coords": [3], "values": 0.6, "gamma": 2.5}]})");
  for (size_t l = 0; l < two.state.a.size(); ++l) CHECK((two.state.a[l] - one.state.a[l]).cwiseAbs().maxCoeff() < 1e-15);
  CHECK((two.state.z.back() - one.state.z.back()).cwiseAbs().maxCoeff() < 1e-15);
}

TEST_CASE("a soft pin settles where its force balances the network's: the closed form", "[pins]") {
  // Soft pin of z_1 toward t with strength gamma, inference, identity output: at
  // equilibrium u_2 = 0 and q = 0, so (1 + gamma) z_1 = W_1 x + b_1 + gamma t and the
  // output is W_2 relu(z_1) + b_2. With b = 0 and t = 0 this is forward / (1 + gamma):
  // sheaf-math §12.2's table (1.278224 -> 1.162, 0.639, 0.116, 0.0127 for gamma 0.1 .. 100).
  const Network net = Network::he_init({2, 4, 1}, OutputKind::Identity, 42);
  const Matrix X = (Matrix(2, 1) << 1.0, 0.5).finished();
  const Matrix fwd = net.W[1] * (net.W[0] * X).cwiseMax(0.0);
  for (const double gamma : {0.1, 1.0, 10.0, 100.0}) {
    InferenceOptions o = converge();
    o.dt = 0.01;
    o.pins = std::make_shared<PinSet>(pins(
        fmt::format(R"({{"pins": [{{"kind": "soft", "stalk": "z", "layer": 1, "coords": "all", "values": 0, "gamma": {}}}]}})", gamma)));
    const InferenceResult r = run_inference(net, X, o);
    REQUIRE(r.converged);
    CHECK(r.state.z.back()(0, 0) == Approx(fwd(0, 0) / (1 + gamma)).margin(1e-10).epsilon(0));
  }
  // A non-zero target, per coordinate.
  InferenceOptions o = converge();
  const std::vector<double> t = {0.2, -0.3, 0.4, 1.0};
  o.pins = std::make_shared<PinSet>(pins(
      R"({"pins": [{"kind": "soft", "stalk": "z", "layer": 1, "coords": "all", "values": [0.2, -0.3, 0.4, 1.0], "gamma": 3}]})"));
  const InferenceResult r = run_inference(net, X, o);
  REQUIRE(r.converged);
  Matrix z1 = net.W[0] * X;
  for (int i = 0; i < 4; ++i) z1(i, 0) = (z1(i, 0) + 3 * t[static_cast<size_t>(i)]) / 4;
  CHECK((r.state.z[0] - z1).cwiseAbs().maxCoeff() < 1e-9);
  CHECK(r.state.z.back()(0, 0) == Approx((net.W[1] * z1.cwiseMax(0.0))(0, 0)).epsilon(1e-9));
}

TEST_CASE("free input coordinates: pin the output, free an input, diffusion finds the input", "[pins]") {
  // [1,1,1], W_1 = 2, W_2 = 3, b = 0: z_2 = 3 relu(2 x). Pin z_2 = 6, free x: x = 1.
  Network net;
  net.layers = {1, 1, 1};
  net.W = {Matrix::Constant(1, 1, 2.0), Matrix::Constant(1, 1, 3.0)};
  net.b = {Vector::Zero(1), Vector::Zero(1)};
  InferenceOptions o = converge();
  o.pins = std::make_shared<PinSet>(pins(R"({"pins": [{"kind": "free", "stalk": "a", "layer": 0, "coords": [0]},
      {"kind": "hard", "stalk": "z", "layer": 2, "coords": [0], "values": 6}]})", {1, 1, 1}));
  const InferenceResult r = run_inference(net, Matrix::Constant(1, 1, 0.25), o);
  REQUIRE(r.converged);
  CHECK(r.state.x(0, 0) == Approx(1.0).epsilon(1e-9));
  CHECK(r.state.z[0](0, 0) == Approx(2.0).epsilon(1e-9));
  // [2,4,1]: free x_1 only, x_0 stays the data's; the forward pass of the found input gives the pinned output.
  const Network n2 = Network::he_init({2, 4, 1}, OutputKind::Identity, 42);
  InferenceOptions o2 = converge();
  o2.pins = std::make_shared<PinSet>(pins(R"({"pins": [{"kind": "free", "stalk": "a", "layer": 0, "coords": [1]},
      {"kind": "hard", "stalk": "z", "layer": 2, "coords": [0], "values": 0.3}]})"));
  const Matrix X = (Matrix(2, 1) << 1.0, 0.5).finished();
  const InferenceResult r2 = run_inference(n2, X, o2);
  REQUIRE(r2.converged);
  CHECK(r2.state.x(0, 0) == 1.0);
  CHECK(r2.state.x(1, 0) != 0.5);
  const Matrix out = n2.W[1] * (n2.W[0] * r2.state.x).cwiseMax(0.0);
  CHECK(out(0, 0) == Approx(0.3).epsilon(1e-8));
}

TEST_CASE("a soft pin toward 0 on the hidden layer sparsifies training", "[pins]") {
  const test::Split para = test::paraboloid_reference_split();
  const Network start = Network::he_init({2, 30, 1}, OutputKind::Identity, 0);
  auto run = [&](double gamma) {
    SheafTrainOptions o;
    o.dt = 0.005;
    o.steps = 3000;
    o.log_every = 3000;
    if (gamma > 0)
      o.pins = std::make_shared<PinSet>(parse_pins(
          fmt::format(R"({{"pins": [{{"kind": "soft", "stalk": "a", "layer": 1, "coords": "all", "values": 0, "gamma": {}}}]}})", gamma),
          "p.json", {2, 30, 1}, OutputKind::Identity, PinUse::Training));
    Network net = start;
    SheafState st;
    train_sheaf(net, para.train, nullptr, o, {}, &st);
    return st;
  };
  const SheafState free_run = run(0), pulled = run(2.0);
  const double m0 = free_run.a[0].cwiseAbs().mean(), m1 = pulled.a[0].cwiseAbs().mean();
  CHECK(m1 < 0.6 * m0);
}

TEST_CASE("hard pins hold through training and its re-initialisation", "[pins]") {
  const test::Split para = test::paraboloid_reference_split();
  Network net = Network::he_init({2, 6, 1}, OutputKind::Identity, 0);
  SheafTrainOptions o;
  o.dt = 0.005;
  o.steps = 200;
  o.log_every = 200;
  o.init = StalkInit::Forward;
  o.reinit_each_epoch = true;
  o.epoch_steps = 50;
  o.pins = std::make_shared<PinSet>(parse_pins(R"({"pins": [{"kind": "hard", "stalk": "a", "layer": 1, "coords": [2, 4], "values": [0.0, 1.5]}]})",
                                               "p.json", {2, 6, 1}, OutputKind::Identity, PinUse::Training));
  SheafState st;
  train_sheaf(net, para.train, nullptr, o, {}, &st);
  CHECK((st.a[0].row(2).array() == 0.0).all());
  CHECK((st.a[0].row(4).array() == 1.5).all());
  CHECK((st.a[0].row(3).array() != 1.5).any());
}
