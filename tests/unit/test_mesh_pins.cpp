// Pins on the SystemC mesh (docs/fixed-point.md §4.3, docs/architecture.md
// "Pins"): the vertex units hold their groups' hard and soft pins; training
// and inference with pins give the bits of the bit-accurate model on every
// mesh shape, schedule and stall setting; the counts still equal the analytic
// ones; free input pins (inference) move the input on the mesh as in the bit-accurate model.
#include <catch2/catch.hpp>

#include <sstream>

#include "mesh_counts_check.h"
#include "mesh_support.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/base/error.h"
#include "sheafsim/mesh/mesh_engine.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;

namespace {

const std::vector<test::MeshShape> kShapes = {{"1x1 auto tiles, time multiplexed", 1, 1, 0, 0, true},
                                              {"2x3, tiles 3x2, time multiplexed", 2, 3, 3, 2, true},
                                              {"3x3, tiles 2x4, time multiplexed", 3, 3, 2, 4, true},
                                              {"4x4 auto tiles", 4, 4, 0, 0, false}};

std::shared_ptr<const PinSet> pins(const std::string& json, const std::vector<int>& layers, OutputKind kind,
                                   PinUse use) {
  return std::make_shared<const PinSet>(parse_pins(json, "pins.json", layers, kind, use));
}

// [3,7,5,2]: hard and soft pins on both hidden layers (coordinates that
// vertex groups split) and on the output z_L.
const char* kTrainPins = R"({"pins": [
  {"kind": "hard", "stalk": "z", "layer": 1, "coords": [0, 5], "values": [0.25, -0.5]},
  {"kind": "soft", "stalk": "a", "layer": 1, "coords": [1, 2, 6], "values": 0.3, "gamma": 4},
  {"kind": "soft", "stalk": "z", "layer": 2, "coords": "all", "values": -0.1, "gamma": 2.5},
  {"kind": "hard", "stalk": "a", "layer": 2, "coords": [3], "values": 0.75},
  {"kind": "soft", "stalk": "z", "layer": 3, "coords": [1], "values": 0.2, "gamma": 1}
]})";

struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
};

constexpr long kSteps = 5;
constexpr int kInner = 2;

Run train(const test::MeshCase& c, const FixedConfig& cfg, const MeshConfig* mesh) {
  Run r;
  r.net = Network::he_init(c.layers, OutputKind::Identity, 3);
  SheafTrainOptions opt = test::train_options(kSteps, kInner);
  opt.beta = 0.2;
  opt.pins = pins(kTrainPins, c.layers, OutputKind::Identity, PinUse::Training);
  FixedStepperFactory factory;
  if (mesh != nullptr) factory = mesh_stepper(*mesh, &r.engine);
  train_sheaf_fixed(r.net, c.data, nullptr, opt, cfg, {}, &r.info, &r.state, factory);
  return r;
}

}  // namespace

TEST_CASE("training with hard and soft pins on the mesh is bit-identical to the bit-accurate model",
          "[mesh][pins][exact]") {
  const test::MeshCase c = test::deep_case(13);
  const auto B = static_cast<std::uint64_t>(c.data.size());
  const int L = static_cast<int>(c.layers.size()) - 1;
  int combinations = 0;
  for (size_t si = 0; si < kShapes.size(); ++si) {
    const FixedConfig cfg = si % 2 == 0 ? test::q16(fx::Quant::Stoch) : test::q12(fx::Quant::RndConv);
    const Run ref = train(c, cfg, nullptr);
    REQUIRE((ref.state.z[0].row(0).array() == 0.25).all());
    for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier})
      for (std::uint64_t stalls : {std::uint64_t{0}, std::uint64_t{11}}) {
        const MeshConfig m = test::mesh_for(kShapes[si], sched, Reduction::InNetwork, 3, stalls);
        INFO(kShapes[si].name << ", schedule " << to_string(sched) << ", stalls " << stalls);
        const Run r = train(c, cfg, &m);
        test::require_same_state(ref, r);
        // The unit counters are those of an unpinned run (the analytic counts); the soft
        // pulls are reported apart: one multiply-add per soft coordinate, sample and step.
        const MeshMapping map(m, c.layers, cfg, false);
        const std::uint64_t soft = 3 + 5 + 1;  // a_1[1, 2, 6], z_2 (all 5), z_3[1]
        CHECK(r.engine->report()["soft_pin_multiply_adds"].get<std::uint64_t>() == soft * B * kSteps);
        test::compare_counts(*r.engine, mesh_run_counts(map, m, cfg, B, L, kSteps, kInner, OutputKind::Identity));
        ++combinations;
      }
  }
  CHECK(combinations == 4 * 2 * 2);
}

TEST_CASE("inference with pins on a_out, z and a on the mesh is bit-identical to the bit-accurate model",
          "[mesh][pins][exact]") {
  const test::MeshCase c = test::deep_case(6);
  const std::vector<int> layers = {3, 7, 4};
  const Network net = Network::he_init(layers, OutputKind::Softmax, 5);
  InferenceOptions opt = test::inference_options(12);
  opt.init = StalkInit::Forward;
  opt.pins = pins(R"({"pins": [
    {"kind": "soft", "stalk": "a_out", "coords": [0, 2], "values": 0.6, "gamma": 3},
    {"kind": "hard", "stalk": "a_out", "coords": [3], "values": 0.0625},
    {"kind": "hard", "stalk": "z", "layer": 1, "coords": [2], "values": 0.125},
    {"kind": "soft", "stalk": "a", "layer": 1, "coords": "all", "values": 0.1, "gamma": 0.5}
  ]})",
                  layers, OutputKind::Softmax, PinUse::Inference);
  for (const fx::Quant q : {fx::Quant::RndConv, fx::Quant::Stoch}) {
    const FixedConfig cfg = test::q16(q);
    FixedRunInfo a, b;
    const InferenceResult ref = run_inference_fixed(net, c.data.X, opt, cfg, &a);
    REQUIRE((ref.state.a_out.row(3).array() == 0.0625).all());
    for (const test::MeshShape& s : kShapes)
      for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier}) {
        INFO(s.name << ", schedule " << to_string(sched) << ", quant " << fx::to_string(q));
        std::shared_ptr<MeshEngine> engine;
        const MeshConfig m = test::mesh_for(s, sched, Reduction::InNetwork, 0, 7);
        const InferenceResult got =
            run_inference_fixed(net, c.data.X, opt, cfg, &b, {}, 1000, mesh_stepper(m, &engine));
        for (size_t k = 0; k < ref.state.z.size(); ++k) REQUIRE(ref.state.z[k] == got.state.z[k]);
        for (size_t k = 0; k < ref.state.a.size(); ++k) REQUIRE(ref.state.a[k] == got.state.a[k]);
        REQUIRE(ref.state.a_out == got.state.a_out);
        REQUIRE(ref.last_delta == got.last_delta);
        REQUIRE(a.counters.to_json() == b.counters.to_json());
      }
  }
}

TEST_CASE("inference with free input pins on the mesh is bit-identical to the bit-accurate model",
          "[mesh][pins][exact]") {
  const test::MeshCase c = test::deep_case(6);
  const int L = static_cast<int>(c.layers.size()) - 1;
  const auto B = static_cast<std::uint64_t>(c.data.size());
  const Network net = Network::he_init(c.layers, OutputKind::Identity, 5);
  InferenceOptions opt = test::inference_options(12);
  opt.init = StalkInit::Forward;
  // Two of the three input coordinates move (the third stays the data's), with a hard output pin.
  opt.pins = pins(R"({"pins": [
    {"kind": "free", "stalk": "a", "layer": 0, "coords": [0, 2]},
    {"kind": "hard", "stalk": "z", "layer": 3, "coords": [1], "values": 0.375}
  ]})",
                  c.layers, OutputKind::Identity, PinUse::Inference);
  int combinations = 0;
  for (const fx::Quant q : {fx::Quant::RndConv, fx::Quant::Stoch}) {
    const FixedConfig cfg = test::q16(q);
    FixedRunInfo a;
    const InferenceResult ref = run_inference_fixed(net, c.data.X, opt, cfg, &a);
    REQUIRE((ref.state.z.back().row(1).array() == 0.375).all());
    REQUIRE(ref.state.x.rows() == 3);
    // Coordinate 1 stays the data's (within its quantisation); 0 and 2 move.
    REQUIRE((ref.state.x.row(1) - c.data.X.row(1)).cwiseAbs().maxCoeff() < 1e-3);
    REQUIRE((ref.state.x.row(0) - c.data.X.row(0)).cwiseAbs().maxCoeff() > 1e-2);
    for (const test::MeshShape& s : kShapes)
      for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier})
        for (std::uint64_t stalls : {std::uint64_t{0}, std::uint64_t{7}}) {
          // In-network reduction with stalls off, the vertex units' reduction with them on.
          const Reduction red = stalls == 0 ? Reduction::InNetwork : Reduction::Vertex;
          INFO(s.name << ", schedule " << to_string(sched) << ", stalls " << stalls << ", reduction " << to_string(red)
                      << ", quant " << fx::to_string(q));
          std::shared_ptr<MeshEngine> engine;
          FixedRunInfo b;
          const MeshConfig m = test::mesh_for(s, sched, red, 2, stalls);  // chunks of 2 samples
          const InferenceResult got =
              run_inference_fixed(net, c.data.X, opt, cfg, &b, {}, 1000, mesh_stepper(m, &engine));
          REQUIRE(ref.state.x == got.state.x);
          for (size_t k = 0; k < ref.state.z.size(); ++k) REQUIRE(ref.state.z[k] == got.state.z[k]);
          for (size_t k = 0; k < ref.state.a.size(); ++k) REQUIRE(ref.state.a[k] == got.state.a[k]);
          REQUIRE(ref.steps == got.steps);
          REQUIRE(ref.last_delta == got.last_delta);
          REQUIRE(a.counters.to_json() == b.counters.to_json());
          // The layer-1 tiles' backward sums and the input groups' updates are in the analytic counts.
          const MeshMapping map(m, c.layers, cfg, false);
          const auto steps = engine->report()["steps"].get<std::uint64_t>();
          REQUIRE(steps == static_cast<std::uint64_t>(got.steps));
          if (sched == Schedule::Dataflow) CHECK(engine->report()["mapping"]["chunks"].get<int>() > 1);
          test::compare_counts(*engine, mesh_step_counts(map, m, cfg, B, L, false, OutputKind::Identity, true).scaled(steps));
          ++combinations;
        }
  }
  CHECK(combinations == 2 * 4 * 2 * 2);
}

TEST_CASE("free input pins add the layer-1 backward sums to the analytic counts", "[mesh][pins]") {
  const test::MeshCase c = test::deep_case(4);
  const int L = static_cast<int>(c.layers.size()) - 1;
  const auto B = static_cast<std::uint64_t>(c.data.size());
  const MeshConfig m = test::mesh_of(4, 4);
  const FixedConfig cfg = test::q16();
  const MeshMapping map(m, c.layers, cfg, false);
  const MeshStepCounts plain = mesh_step_counts(map, m, cfg, B, L, false, OutputKind::Identity);
  const MeshStepCounts freed = mesh_step_counts(map, m, cfg, B, L, false, OutputKind::Identity, true);
  CHECK(plain.pe_totals().macs_backward < freed.pe_totals().macs_backward);
  CHECK(plain.pe_totals().messages_sent < freed.pe_totals().messages_sent);
  CHECK(plain.vertex_totals().adds < freed.vertex_totals().adds);
  // Without free inputs the layer-1 tiles send no backward sums, in a joint step either.
  CHECK(mesh_step_counts(map, m, cfg, B, L, true, OutputKind::Identity).pe_totals().macs_backward ==
        plain.pe_totals().macs_backward);
}
