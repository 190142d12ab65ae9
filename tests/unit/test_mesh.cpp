// The SystemC mesh model: bit-exact against the bit-accurate model for every
// mesh shape, tile size, placement and rounding mode; operation counters
// equal to the analytic counts; cycles that behave as the timing model says;
// random stalls that move cycles but never values; mappings that do not fit.
// Every MeshEngine elaborates into its own SystemC context (KernelScope).
#include <catch2/catch.hpp>

#include "mesh_support.h"
#include "sheafsim/base/error.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;
using test::mesh_of;
using test::require_same_state;

const auto paraboloid = test::paraboloid_case;
const auto deep = test::deep_case;
using Case = test::MeshCase;

namespace {

struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
};

Run train(const test::MeshCase& c, const FixedConfig& cfg, long steps, int inner, const MeshConfig* mesh) {
  Run r;
  r.net = Network::he_init(c.layers, OutputKind::Identity, 3);
  const SheafTrainOptions opt = test::train_options(steps, inner);
  FixedStepperFactory factory;
  if (mesh != nullptr) factory = mesh_stepper(*mesh, &r.engine);
  train_sheaf_fixed(r.net, c.data, nullptr, opt, cfg, {}, &r.info, &r.state, factory);
  return r;
}

}  // namespace

TEST_CASE("mesh training is bit-identical to the bit-accurate model", "[mesh][exact]") {
  // Every rounding mode: the bit-accurate model's exact-double kernels
  // (sw/include/sheafsim/exact_kernels.h) against the mesh's per-register functions.
  const fx::Quant quant = GENERATE(fx::Quant::RndConv, fx::Quant::Stoch, fx::Quant::Trn, fx::Quant::TrnZero,
                                   fx::Quant::Rnd, fx::Quant::RndZero);
  FixedConfig cfg;
  cfg.quant = quant;
  // Wrap-around with the truncating modes, saturation with the others.
  cfg.overflow = quant == fx::Quant::Trn || quant == fx::Quant::TrnZero ? fx::Overflow::Wrap : fx::Overflow::Sat;
  struct Shape {
    int rows, cols, tile_rows, tile_cols;
    VertexPlacement place;
    bool tmux;
  };
  const std::vector<Shape> shapes = {{4, 4, 0, 0, VertexPlacement::Near, false},
                                     {2, 2, 0, 0, VertexPlacement::West, true},
                                     {2, 3, 3, 2, VertexPlacement::Corner, true},
                                     {3, 5, 4, 1, VertexPlacement::Near, true},
                                     {1, 1, 0, 0, VertexPlacement::Near, true}};
  for (const Case& c : {paraboloid(24), deep(16)}) {
    for (int inner : {1, 3}) {
      const Run ref = train(c, cfg, 9, inner, nullptr);
      for (const Shape& s : shapes) {
        MeshConfig m = mesh_of(s.rows, s.cols);
        m.tile_rows = s.tile_rows;
        m.tile_cols = s.tile_cols;
        m.placement = s.place;
        m.time_multiplex = s.tmux;
        INFO("layers " << c.layers.size() << " mesh " << s.rows << "x" << s.cols << " tile " << s.tile_rows << "x"
                       << s.tile_cols << " K " << inner << " quant " << fx::to_string(quant));
        const Run mr = train(c, cfg, 9, inner, &m);
        require_same_state(ref, mr);
        CHECK(mr.engine->timing().steps == 9);
        CHECK(mr.engine->timing().total_cycles > 0);
      }
    }
  }
}

TEST_CASE("mesh training is bit-identical for every split of fractional bits", "[mesh][exact][formats]") {
  // Format splits that take the less common paths: a residual with more
  // fractional bits than weight x stalk (the residual write is an exact left
  // shift), narrow 8-bit registers that saturate, and wide formats whose
  // sums need 128-bit accumulators.
  struct Split {
    const char *stalk, *weight, *bias, *residual, *constant;
    int acc_bits;
  };
  const Split split = GENERATE(Split{"Q3.5", "Q3.5", "Q3.5", "Q3.13", "Q1.15", 40},
                               Split{"Q4.4", "Q2.6", "Q2.6", "Q6.10", "Q1.15", 32},
                               Split{"Q6.22", "Q4.22", "Q4.22", "Q6.22", "Q1.23", 72});
  const fx::Quant quant = GENERATE(fx::Quant::RndConv, fx::Quant::Stoch, fx::Quant::Trn);
  FixedConfig cfg;
  cfg.stalk = fx::parse_format(split.stalk, "stalk");
  cfg.weight = fx::parse_format(split.weight, "weight");
  cfg.bias = fx::parse_format(split.bias, "bias");
  cfg.residual = fx::parse_format(split.residual, "residual");
  cfg.constant = fx::parse_format(split.constant, "constant");
  cfg.acc_bits = split.acc_bits;
  cfg.quant = quant;
  cfg.overflow = quant == fx::Quant::Trn ? fx::Overflow::Wrap : fx::Overflow::Sat;
  cfg.validate();
  MeshConfig m = mesh_of(2, 2);
  m.time_multiplex = true;
  for (const Case& c : {paraboloid(20), deep(12)}) {
    INFO("layers " << c.layers.size() << " stalk " << split.stalk << " residual " << split.residual << " quant "
                   << fx::to_string(quant));
    const Run ref = train(c, cfg, 10, 1, nullptr);
    const Run mr = train(c, cfg, 10, 1, &m);
    require_same_state(ref, mr);
    // The narrow splits must exercise what they are here for.
    if (cfg.stalk.width() == 8) CHECK(ref.info.counters.total_saturations() > 0);
  }
}

TEST_CASE("mesh inference is bit-identical to the bit-accurate model", "[mesh][exact]") {
  const Case c = deep(12);
  const Network net = Network::he_init(c.layers, OutputKind::Identity, 5);
  const InferenceOptions opt = test::inference_options(40);
  FixedConfig cfg;
  cfg.quant = GENERATE(fx::Quant::Rnd, fx::Quant::Stoch);
  FixedRunInfo a, b;
  const InferenceResult ref = run_inference_fixed(net, c.data.X, opt, cfg, &a);
  std::shared_ptr<MeshEngine> engine;
  const MeshConfig m = test::tiled_3x3();
  const InferenceResult got = run_inference_fixed(net, c.data.X, opt, cfg, &b, {}, 1000, mesh_stepper(m, &engine));
  for (size_t k = 0; k < ref.state.z.size(); ++k) REQUIRE(ref.state.z[k] == got.state.z[k]);
  REQUIRE(ref.last_delta == got.last_delta);
  REQUIRE(a.counters.to_json() == b.counters.to_json());
  CHECK(engine->pe_totals().macs_hebbian == 0);
}

TEST_CASE("mesh counters equal the analytic operation counts", "[mesh][counters]") {
  const Case c = deep(10);  // [3,7,5,2]: P = 21 + 35 + 10 = 66 synapses, n0 n1 = 21
  const long steps = 6;
  const int K = 3;          // steps 3 and 6 are joint
  for (const MeshConfig& m : {mesh_of(4, 4), [] {
                                MeshConfig x = mesh_of(2, 2);
                                x.tile_rows = 3;
                                x.tile_cols = 2;
                                x.time_multiplex = true;
                                return x;
                              }()}) {
    const Run r = train(c, FixedConfig{}, steps, K, &m);
    const UnitCounters pe = r.engine->pe_totals(), vu = r.engine->vertex_totals();
    const std::uint64_t B = 10, P = 66, joint = 2;
    CHECK(pe.macs_forward == steps * B * P);
    CHECK(pe.macs_backward == steps * B * (P - 21));
    CHECK(pe.macs_hebbian == joint * B * P);
    // Per joint step and sample: 3 products per synapse minus the first layer's backward product.
    CHECK(pe.macs() == (steps - joint) * B * (2 * P - 21) + joint * B * (3 * P - 21));
    CHECK(pe.register_writes == joint * (P + 7 + 5 + 2));  // every weight and bias once per joint step
    // Vertex units: a residual per neuron of layers 1..L, two stalk writes per
    // hidden neuron and one per output neuron, every sample and step.
    CHECK(vu.register_writes == steps * B * ((7 + 5 + 2) + 2 * (7 + 5) + 2));
    CHECK(r.engine->timing().joint_steps == joint);
  }
}

TEST_CASE("random stalls change cycles but not results", "[mesh][stalls]") {
  const Case c = paraboloid(20);
  FixedConfig cfg;
  cfg.quant = fx::Quant::Stoch;
  MeshConfig m = mesh_of(2, 3);
  m.time_multiplex = true;
  const Run calm = train(c, cfg, 8, 2, &m);
  std::vector<std::uint64_t> cycles;
  for (std::uint64_t seed : {1u, 2u}) {
    MeshConfig s = m;
    s.random_stalls = seed;
    s.max_stall = 20;
    const Run stalled = train(c, cfg, 8, 2, &s);
    require_same_state(calm, stalled);
    CHECK(stalled.engine->timing().total_cycles > calm.engine->timing().total_cycles);
    cycles.push_back(stalled.engine->timing().total_cycles);
  }
  CHECK(cycles[0] != cycles[1]);
  // The same seed gives the same cycles.
  MeshConfig again = m;
  again.random_stalls = 1;
  again.max_stall = 20;
  CHECK(train(c, cfg, 8, 2, &again).engine->timing().total_cycles == cycles[0]);
}

TEST_CASE("cycles grow with the batch and shrink with more PEs until links dominate", "[mesh][timing]") {
  auto cycles_of = [](Eigen::Index batch, MeshConfig m) {
    return train(paraboloid(batch), FixedConfig{}, 2, 1, &m).engine->timing().total_cycles;
  };
  MeshConfig m = mesh_of(2, 2);
  m.chunk = 32;
  const auto c16 = cycles_of(16, m), c32 = cycles_of(32, m), c64 = cycles_of(64, m);
  CHECK(c16 < c32);
  CHECK(c32 < c64);
  // Phase by phase, close to linear in the batch; in chunks of 32, the second
  // chunk overlaps the first's round trip, so well below linear.
  CHECK(static_cast<double>(c64) / static_cast<double>(c32) < 1.5);
  m.schedule = Schedule::Barrier;
  m.chunk = 0;
  CHECK(static_cast<double>(cycles_of(64, m)) / static_cast<double>(cycles_of(32, m)) > 1.6);
  m.schedule = Schedule::Dataflow;
  // [2,30,1] x 64: one PE holding every tile, then 2x2, 4x4 (compute-bound with 1 lane).
  MeshConfig one = mesh_of(1, 1);
  one.lanes = 1;
  one.time_multiplex = true;
  MeshConfig four = mesh_of(2, 2), sixteen = mesh_of(4, 4);
  four.lanes = sixteen.lanes = 1;
  const auto t1 = cycles_of(64, one), t4 = cycles_of(64, four), t16 = cycles_of(64, sixteen);
  CHECK(t4 < t1);
  CHECK(t16 < t4);
  CHECK(static_cast<double>(t1) / static_cast<double>(t4) > 2.0);
  // With 1-bit links the traffic of a finer mapping costs more than its parallelism saves.
  one.link_width = four.link_width = sixteen.link_width = 1;
  CHECK(cycles_of(64, sixteen) > cycles_of(64, one));
}

TEST_CASE("mappings that do not fit are rejected with the fix", "[mesh][errors]") {
  const Case c = paraboloid(8);
  MeshConfig m = mesh_of(2, 2);
  m.tile_rows = 4;
  m.tile_cols = 1;  // 8 x 2 tiles of W_1 and 30 of W_2 on 4 PEs
  REQUIRE_THROWS_WITH(train(c, FixedConfig{}, 1, 1, &m), Contains("needs 46 tiles") && Contains("--time-multiplex"));
  MeshConfig tiny = mesh_of(1, 1);
  tiny.time_multiplex = true;
  tiny.sram_kib = 1;  // 90 weights and 31 biases x (16 + 80) bits = 11616 bits > 8192
  FixedConfig wide_acc;
  wide_acc.acc_bits = 80;
  REQUIRE_THROWS_WITH(train(c, wide_acc, 1, 1, &tiny), Contains("needs 11616 bits of SRAM") && Contains("--sram-kib 1"));
  MeshConfig bad = mesh_of(2, 2);
  bad.link_width = 0;
  REQUIRE_THROWS_WITH(train(c, FixedConfig{}, 1, 1, &bad), Contains("--link-width = 0"));
}
