// Sigmoid and softmax outputs on the SystemC mesh: the output unit of the
// output vertex group (docs/architecture.md, "Output unit") gives the same
// bits as the bit-accurate model (train --arith fixed) in training and in
// inference with the output vertex, over mesh shapes and tilings that cut the
// hidden layer into several vertex groups, two format sets and deterministic
// and stochastic rounding; its cost (output_unit_cost.h) is what the
// analytic counts (mesh_step_counts) add up.
#include <catch2/catch.hpp>

#include <sstream>

#include "mesh_counts_check.h"
#include "mesh_support.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/arch/output_unit_cost.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using test::q12;
using test::q16;

namespace {

// n samples of `layers.front()` normal inputs; targets one-hot (softmax) or
// independent 0/1 labels (sigmoid), as the classification tasks pin them.
test::MeshCase classification_case(const std::vector<int>& layers, OutputKind kind, Eigen::Index n,
                                   std::uint64_t seed) {
  Rng rng(seed);
  const int n_in = layers.front(), n_out = layers.back();
  Dataset d{Matrix(n_in, n), Matrix::Zero(n_out, n)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index s = 0; s < n; ++s) {
    if (kind == OutputKind::Softmax) {
      d.Y(static_cast<Eigen::Index>(rng.uniform() * n_out) % n_out, s) = 1.0;
    } else {
      for (int i = 0; i < n_out; ++i) d.Y(i, s) = rng.uniform() < 0.5 ? 0.0 : 1.0;
    }
  }
  return {layers, d};
}

struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
};

Run train(const test::MeshCase& c, OutputKind kind, const FixedConfig& cfg, long steps, int inner,
          const MeshConfig* mesh) {
  Run r;
  r.net = Network::he_init(c.layers, kind, 3);
  SheafTrainOptions opt = test::train_options(steps, inner);
  opt.beta = 0.2;  // parameter updates above the rounding dead band
  FixedStepperFactory factory;
  if (mesh != nullptr) factory = mesh_stepper(*mesh, &r.engine);
  train_sheaf_fixed(r.net, c.data, nullptr, opt, cfg, {}, &r.info, &r.state, factory);
  return r;
}


struct Shape {
  int rows, cols, tile_rows, tile_cols;
  VertexPlacement place;
  bool tmux;
};

MeshConfig mesh_for(const Shape& s) {
  MeshConfig m = test::mesh_of(s.rows, s.cols);
  m.tile_rows = s.tile_rows;
  m.tile_cols = s.tile_cols;
  m.placement = s.place;
  m.time_multiplex = s.tmux;
  return m;
}

// Tilings that cut the hidden layer of 8 (9) neurons into several vertex groups
// and W_L into several row bands (the output group then reduces several messages).
const std::vector<Shape> kShapes = {{2, 2, 3, 2, VertexPlacement::Near, true},
                                    {3, 3, 2, 4, VertexPlacement::Corner, true},
                                    {4, 4, 0, 0, VertexPlacement::West, false}};

}  // namespace

TEST_CASE("the mesh maps a whole output group for a lookup output", "[mesh][outputs]") {
  MeshConfig m = test::mesh_of(2, 2);
  m.tile_rows = 3;
  m.tile_cols = 2;
  m.time_multiplex = true;
  const FixedConfig cfg;
  const MeshMapping cut(m, {6, 8, 4}, cfg);
  const MeshMapping whole(m, {6, 8, 4}, cfg, true);
  auto output_groups = [](const MeshMapping& map) {
    int n = 0;
    for (const VertexGroup& g : map.groups()) n += g.layer == 2 ? 1 : 0;
    return n;
  };
  CHECK(output_groups(cut) == 2);    // rows [0,3) and [3,4)
  CHECK(output_groups(whole) == 1);  // rows [0,4)
  CHECK(whole.groups().back().n0 == 0);
  CHECK(whole.groups().back().n1 == 4);
  CHECK(whole.tiles().size() == cut.tiles().size());  // the tiles do not change
  const int last = static_cast<int>(whole.groups().size()) - 1;
  CHECK(whole.row_tiles(last).size() == 8);  // both row bands of W_2 x its 4 column bands
}

TEST_CASE("mesh training with sigmoid and softmax outputs is bit-identical to the bit-accurate model",
          "[mesh][outputs][exact]") {
  const OutputKind kind = GENERATE(OutputKind::Softmax, OutputKind::Sigmoid);
  const fx::Quant quant = GENERATE(fx::Quant::RndConv, fx::Quant::Stoch);
  const bool narrow = GENERATE(false, true);
  const FixedConfig cfg = narrow ? q12(quant) : q16(quant);
  const test::MeshCase c = kind == OutputKind::Softmax ? classification_case({6, 8, 4}, kind, 14, 21)
                                                       : classification_case({5, 9, 3}, kind, 12, 22);
  for (int inner : {1, 3}) {
    const Run ref = train(c, kind, cfg, 9, inner, nullptr);
    for (const Shape& s : kShapes) {
      const MeshConfig m = mesh_for(s);
      INFO(to_string(kind) << " mesh " << s.rows << "x" << s.cols << " tile " << s.tile_rows << "x" << s.tile_cols
                           << " K " << inner << " quant " << fx::to_string(quant) << " narrow " << narrow);
      const Run mr = train(c, kind, cfg, 9, inner, &m);
      test::require_same_state(ref, mr);
      // The hidden layer is cut into several vertex groups, the output layer is one.
      int hidden_groups = 0, output_groups = 0;
      for (const VertexGroup& g : mr.engine->mapping().groups()) {
        hidden_groups += g.layer == 1 ? 1 : 0;
        output_groups += g.layer == 2 ? 1 : 0;
      }
      CHECK(output_groups == 1);
      if (s.tile_rows > 0) CHECK(hidden_groups >= 3);
      CHECK(mr.engine->vertex_totals().lookups == static_cast<std::uint64_t>(9 * c.data.Y.size()));  // n_L B per step
    }
  }
}

TEST_CASE("mesh inference with an output vertex is bit-identical to the bit-accurate model",
          "[mesh][outputs][exact]") {
  const OutputKind kind = GENERATE(OutputKind::Softmax, OutputKind::Sigmoid);
  const OutputMode mode = GENERATE(OutputMode::Exact, OutputMode::JacobianFree);
  const fx::Quant quant = GENERATE(fx::Quant::Rnd, fx::Quant::Stoch);
  const test::MeshCase c = classification_case({6, 8, 4}, kind, 10, 23);
  const Network net = Network::he_init(c.layers, kind, 5);
  InferenceOptions opt = test::inference_options(30);
  opt.output_mode = mode;
  const FixedConfig cfg = q16(quant);
  FixedRunInfo a, b;
  const InferenceResult ref = run_inference_fixed(net, c.data.X, opt, cfg, &a);
  REQUIRE(ref.state.has_output_vertex());
  for (const Shape& s : kShapes) {
    INFO(to_string(kind) << " mesh " << s.rows << "x" << s.cols << " quant " << fx::to_string(quant));
    std::shared_ptr<MeshEngine> engine;
    const InferenceResult got =
        run_inference_fixed(net, c.data.X, opt, cfg, &b, {}, 1000, mesh_stepper(mesh_for(s), &engine));
    for (size_t k = 0; k < ref.state.z.size(); ++k) REQUIRE(ref.state.z[k] == got.state.z[k]);
    for (size_t k = 0; k < ref.state.a.size(); ++k) REQUIRE(ref.state.a[k] == got.state.a[k]);
    REQUIRE(ref.state.a_out == got.state.a_out);
    REQUIRE(ref.last_delta == got.last_delta);
    REQUIRE(a.counters.to_json() == b.counters.to_json());
  }
}

TEST_CASE("analytic mesh counts equal the simulator's counters for a softmax output", "[mesh][outputs][counters]") {
  const OutputKind kind = GENERATE(OutputKind::Softmax, OutputKind::Sigmoid);
  const test::MeshCase c = classification_case({6, 8, 4}, kind, 10, 24);
  const long steps = 6;
  const int K = 3;
  for (size_t si = 0; si < kShapes.size(); ++si) {
    const MeshConfig m = mesh_for(kShapes[si]);
    const FixedConfig cfg = si % 2 == 0 ? q16(fx::Quant::RndConv) : q12(fx::Quant::Stoch);
    INFO(to_string(kind) << " shape " << si);
    const Run r = train(c, kind, cfg, steps, K, &m);
    const MeshMapping map(m, c.layers, cfg, true);
    const auto B = static_cast<std::uint64_t>(c.data.size());
    const MeshStepCounts a = mesh_run_counts(map, m, cfg, B, 2, steps, K, kind);
    // Every counter of every PE, vertex unit and link, the output unit's operations in the totals.
    test::compare_counts(*r.engine, a);
    const UnitCounters sim = r.engine->vertex_totals();
    // One lookup per output register and step; softmax: one divide per sample and step.
    CHECK(sim.lookups == static_cast<std::uint64_t>(steps) * 4 * B);
    CHECK(sim.divides == (kind == OutputKind::Softmax ? static_cast<std::uint64_t>(steps) * B : 0));
  }
}

TEST_CASE("the output unit's cost", "[mesh][outputs][cost]") {
  MeshConfig m;  // 4 vertex lanes
  const FixedConfig cfg;  // Q4.12 stalk and residual
  SECTION("identity: the z update only, as before") {
    const OutputUnitCost c = output_unit_cost(m, cfg, OutputKind::Identity, 40, 10);
    CHECK(c.cycles == 20);  // ceil(40 * 2 / 4)
    CHECK(c.register_writes == 40);
    CHECK(c.lookups == 0);
    CHECK(c.table_bits() == 0);
  }
  SECTION("sigmoid: one lookup per register, a table of |z| codes") {
    const OutputUnitCost c = output_unit_cost(m, cfg, OutputKind::Sigmoid, 40, 10);
    CHECK(c.lookups == 40);
    CHECK(c.adds == 80);
    CHECK(c.register_writes == 80);
    CHECK(c.table_entries == 32768);  // 13 ln 2 > 8: every non-negative Q4.12 code
    CHECK(c.entry_bits == 13);
    CHECK(c.cycles == 10 + 3 + 20);
  }
  SECTION("softmax: max, exp lookup, sum, one reciprocal per sample, normalise") {
    const OutputUnitCost c = output_unit_cost(m, cfg, OutputKind::Softmax, 40, 10);  // 4 samples of 10
    CHECK(c.lookups == 40);
    CHECK(c.divides == 4);
    CHECK(c.multiplies == 40);
    CHECK(c.adds == 4 * 9 + 40 + 4 * 9 + 40);
    CHECK(c.entry_bits == 17);                // 12 + 1 + ceil(log2 10)
    CHECK(c.table_entries == 48266);          // ceil(17 ln 2 2^12)
    CHECK(c.cycles == 3 * 10 + 3 + 1 + 17 + 20);
    // A pure function of the chunk: two chunks cost what one chunk of both costs, but for the fixed latencies.
    const OutputUnitCost h = output_unit_cost(m, cfg, OutputKind::Softmax, 20, 10);
    CHECK(2 * h.lookups == c.lookups);
    CHECK(2 * h.adds == c.adds);
  }
}
