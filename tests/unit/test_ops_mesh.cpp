// The analytic mesh counts (docs/ops.md) equal to the SystemC model's
// counters: every counter, every PE, vertex unit and link, over mesh shapes,
// tile sizes, time multiplexing, placements, K = 1 and 3 and two networks,
// training and inference. Every MeshEngine elaborates into its own SystemC
// context.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "mesh_counts_check.h"
#include "mesh_support.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/base/error.h"
#include "sheafsim/cost/op_counts.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;
using namespace sheafsim::ops;
using Catch::Matchers::Contains;

namespace {

using mesh::MeshConfig;
using mesh::UnitCounters;
using Net = test::MeshCase;
const auto paraboloid = test::paraboloid_case;
const auto deep = test::deep_case;

std::shared_ptr<mesh::MeshEngine> run_mesh(const Net& c, const FixedConfig& cfg, long steps, int inner,
                                           const MeshConfig& m) {
  std::shared_ptr<mesh::MeshEngine> engine;
  Network net = Network::he_init(c.layers, OutputKind::Identity, 3);
  const SheafTrainOptions opt = test::train_options(steps, inner);
  train_sheaf_fixed(net, c.data, nullptr, opt, cfg, {}, nullptr, nullptr, mesh::mesh_stepper(m, &engine));
  return engine;
}

}  // namespace

TEST_CASE("analytic mesh counts equal the SystemC model's counters exactly", "[ops][mesh]") {
  struct Shape {
    int rows, cols, tile_rows, tile_cols;
    mesh::VertexPlacement place;
    mesh::TileOrder order;
    bool tmux;
    int lanes, vertex_lanes, link_width;
    std::uint64_t stalls;
  };
  using VP = mesh::VertexPlacement;
  using TO = mesh::TileOrder;
  const std::vector<Shape> shapes = {
      {4, 4, 0, 0, VP::Near, TO::Snake, false, 4, 4, 32, 0},      // auto tiles, one per PE
      {2, 2, 3, 2, VP::Near, TO::Snake, true, 4, 4, 32, 0},       // time multiplexed, several tiles per PE
      {2, 3, 3, 2, VP::Corner, TO::RowMajor, true, 2, 3, 16, 0},  // all vertex units on PE (0,0), narrow links
      {3, 5, 4, 1, VP::West, TO::Snake, true, 1, 1, 64, 0},       // column tiles: several partial sums per row
      {1, 1, 0, 0, VP::Near, TO::Snake, true, 3, 2, 32, 0},       // one PE: no link traffic at all
      {3, 3, 2, 3, VP::Near, TO::RowMajor, true, 4, 4, 24, 5},    // random stalls move cycles, not counts
  };
  const FixedConfig q16 = test::q16(), q12 = test::q12();  // q12: every bit count must follow the formats
  const long steps = 6;
  for (const Net& c : {paraboloid(12), deep(10)}) {
    for (int K : {1, 3}) {
      for (size_t si = 0; si < shapes.size(); ++si) {
        const Shape& s = shapes[si];
        const FixedConfig& cfg = si % 2 == 0 ? q16 : q12;
        MeshConfig m;
        m.rows = s.rows;
        m.cols = s.cols;
        m.tile_rows = s.tile_rows;
        m.tile_cols = s.tile_cols;
        m.placement = s.place;
        m.order = s.order;
        m.time_multiplex = s.tmux;
        m.lanes = s.lanes;
        m.vertex_lanes = s.vertex_lanes;
        m.link_width = s.link_width;
        m.random_stalls = s.stalls;
        INFO("layers " << c.layers.size() << " mesh " << s.rows << "x" << s.cols << " tile " << s.tile_rows << "x"
                       << s.tile_cols << " K " << K << " acc " << cfg.acc_bits);
        const auto engine = run_mesh(c, cfg, steps, K, m);
        REQUIRE(engine->timing().steps == static_cast<std::uint64_t>(steps));
        REQUIRE(engine->timing().joint_steps == static_cast<std::uint64_t>(steps / K));
        const mesh::MeshMapping map(m, c.layers, cfg);
        const int L = static_cast<int>(c.layers.size()) - 1;
        const auto B = static_cast<std::uint64_t>(c.data.size());
        const mesh::MeshStepCounts a = mesh::mesh_run_counts(map, m, cfg, B, L, steps, K);
        test::compare_counts(*engine, a);
        // The device-independent counts agree with the mesh where they count the same thing.
        const OpWidths w = OpWidths::of(cfg);
        OpCounts ops = sheaf_step(c.layers, B, w, SheafStep::Diffusion).scaled(static_cast<std::uint64_t>(steps - steps / K));
        ops += sheaf_step(c.layers, B, w, SheafStep::Joint).scaled(static_cast<std::uint64_t>(steps / K));
        const UnitCounters pe = engine->pe_totals(), vu = engine->vertex_totals();
        CHECK(pe.macs_forward == ops.macs(MacRole::Forward));
        CHECK(pe.macs_backward == ops.macs(MacRole::Backward));
        CHECK(pe.macs_hebbian == ops.macs(MacRole::Gradient));
        CHECK(pe.register_writes + vu.register_writes == ops.total(Op::RegisterWrite));
        // The write-back traffic of a joint step: every weight and bias with its
        // accumulator, spilled (written) then read; sum_l n_l (n_{l-1} (ww + acc) + wb + acc).
        std::uint64_t wb_bits = 0;
        for (size_t l = 1; l < c.layers.size(); ++l)
          wb_bits += static_cast<std::uint64_t>(c.layers[l]) *
                     static_cast<std::uint64_t>(c.layers[l - 1] * (cfg.weight.width() + cfg.acc_bits) +
                                                cfg.bias.width() + cfg.acc_bits);
        const auto J = static_cast<std::uint64_t>(steps / K);
        CHECK(pe.sram_write_bits == J * wb_bits);
      }
    }
  }
}

TEST_CASE("analytic mesh counts equal the counters of diffusion inference", "[ops][mesh]") {
  const Net c = deep(8);
  const Network net = Network::he_init(c.layers, OutputKind::Identity, 5);
  const InferenceOptions opt = test::inference_options(7);
  const MeshConfig m = test::tiled_3x3();
  std::shared_ptr<mesh::MeshEngine> engine;
  const FixedConfig cfg;
  run_inference_fixed(net, c.data.X, opt, cfg, nullptr, {}, 1000, mesh::mesh_stepper(m, &engine));
  const std::uint64_t steps = engine->timing().steps;
  REQUIRE(steps == 7);
  const mesh::MeshMapping map(m, c.layers, cfg);
  test::compare_counts(*engine, mesh::mesh_step_counts(map, m, cfg, 8, 3, false).scaled(steps));
  // Hand check of the totals: [3,7,5,2], 8 samples, no Hebbian products, W^T u from layers 2 and 3.
  CHECK(engine->pe_totals().macs_forward == steps * 8 * (21 + 35 + 10));
  CHECK(engine->pe_totals().macs_backward == steps * 8 * (35 + 10));
  CHECK(engine->pe_totals().macs_hebbian == 0);
}

TEST_CASE("mesh counts by hand: [2,3,1] on a 1x2 mesh", "[ops][mesh]") {
  // Tiles of 3x2: W_1 (3x2) on PE 0, W_2 (1x3) on PE 1. Vertex groups (near):
  // x on PE 0, layer 1 on PE 0, the output on PE 1. Batch 4, Q4.12, acc 48, 32-bit links.
  MeshConfig m;
  m.rows = 1;
  m.cols = 2;
  m.tile_rows = 3;
  m.tile_cols = 3;
  const FixedConfig cfg;
  const mesh::MeshMapping map(m, {2, 3, 1}, cfg);
  REQUIRE(map.tiles().size() == 2);
  REQUIRE(map.tiles()[0].pe == 0);
  REQUIRE(map.tiles()[1].pe == 1);
  const mesh::MeshStepCounts d = mesh::mesh_step_counts(map, m, cfg, 4, 2, false);
  const mesh::MeshStepCounts j = mesh::mesh_step_counts(map, m, cfg, 4, 2, true);
  // Diffusion step. PE 0: W_1 a: 24 MACs, 12 bias adds, reads 6 x 16 + 3 x 16 bits; its sums stay on PE 0.
  CHECK(d.pes[0].macs_forward == 24);
  CHECK(d.pes[0].adds == 12);
  CHECK(d.pes[0].sram_read_bits == 144);
  CHECK(d.pes[0].messages_sent == 0);
  // PE 1: W_2 a: 12 MACs, 4 adds; W_2^T u: 12 MACs; reads 3 x 16 + 16 + 3 x 16.
  // It sends its forward sums to the output group on PE 1 (free) and its backward sums
  // one hop west: 3 neurons x 4 samples, each a sum of one product of a Q4.12 weight and a
  // Q4.12 residual, |W u| <= 2^15 2^15 = 2^30, which 32 bits hold (sum_value_bits): 384 bits = 12 flits.
  CHECK(d.pes[1].macs_forward == 12);
  CHECK(d.pes[1].macs_backward == 12);
  CHECK(d.pes[1].sram_read_bits == 112);
  CHECK(d.pes[1].messages_sent == 1);
  CHECK(d.pes[1].flits_sent == 12);
  CHECK(d.pes[1].flit_hops == 12);
  // Layer 1's vertex unit sends a_1 (12 values x 16 bits = 6 flits) to PE 1, and no residuals
  // (layer 1 needs none on a diffusion step); the output's unit sends u_2 (4 x 16 = 2 flits) locally.
  const auto& g1 = d.groups[1];
  CHECK(g1.flits_sent == 6);
  CHECK(g1.messages_sent == 1);
  CHECK(g1.adds == 12 + 12);             // one forward and one backward partial sum per value
  CHECK(g1.register_writes == 12 + 24);  // u, then z and a
  CHECK(d.groups[2].register_writes == 4 + 4);
  CHECK(d.groups[2].flits_sent == 0);
  CHECK(d.link_flits_total() == 18);
  // Joint step: + Hebbian 24 + 12 MACs, bias sums 12 + 4, writes 9 + 4; the 9 weight and
  // 4 bias sums spilled to SRAM, read back with their parameters, the parameters written;
  // and layer 1's residuals go back to PE 0 (local: no flits).
  CHECK(j.pe_totals().macs_hebbian == 36);
  CHECK(j.pe_totals().adds == d.pe_totals().adds + 16);
  CHECK(j.pe_totals().register_writes == 13);
  CHECK(j.pe_totals().sram_read_bits == d.pe_totals().sram_read_bits + 13 * (48 + 16));
  CHECK(j.pe_totals().sram_write_bits == 13 * (48 + 16));
  CHECK(j.link_flits_total() == 18);
  // Busy cycles of PE 0 on a diffusion step, 4 lanes: sram 1 + ceil(24 / 4) + pipeline 3.
  CHECK(d.pes[0].busy_cycles == 10);
}

// The denominator of lost_updates_fraction (report_json.h): the register writes
// that apply an update are the analytic register writes without the residual
// writes ("u write"), for diffusion, joint and inference steps.
TEST_CASE("update register writes are the counted writes without the residuals", "[ops][reports]") {
  const ops::OpWidths w;
  for (const std::vector<int>& layers : {std::vector<int>{2, 4, 1}, std::vector<int>{2, 30, 1}, std::vector<int>{3, 5, 7, 2}}) {
    const std::uint64_t B = 7;
    auto updates = [&](ops::SheafStep kind) {
      std::uint64_t n = 0;
      const ops::OpCounts step = ops::sheaf_step(layers, B, w, kind);  // items() refers into it
      for (const ops::OpItem& it : step.items())
        if (it.op == ops::Op::RegisterWrite && it.what != "u write") n += it.count;
      return n;
    };
    INFO(layers.size());
    CHECK(update_register_writes(layers, false, B, 1, 0) == updates(ops::SheafStep::Diffusion));
    CHECK(update_register_writes(layers, false, B, 0, 1) == updates(ops::SheafStep::Joint));
    CHECK(update_register_writes(layers, false, B, 1, 0) == updates(ops::SheafStep::Inference));
    CHECK(update_register_writes(layers, false, B, 5, 3) ==
          5 * updates(ops::SheafStep::Diffusion) + 3 * updates(ops::SheafStep::Joint));
    // An inference with a sigmoid/softmax output vertex also writes a_out every step.
    CHECK(update_register_writes(layers, true, B, 1, 0) == updates(ops::SheafStep::Inference) + B * layers.back());
  }
}
