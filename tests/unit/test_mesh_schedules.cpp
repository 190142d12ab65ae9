// The schedules (dataflow, barrier) and reductions (in-network, vertex) of the
// SystemC mesh: every combination of mesh shape and tiling, network (identity
// and softmax output), schedule, reduction, chunk size and random stalls gives
// the bits of the bit-accurate model (train --arith fixed); random stalls move
// cycles and nothing else; the analytic counts (mesh_run_counts) equal the
// simulator's counters per PE, vertex unit and link for every schedule,
// reduction and chunk; mappings whose buffers do not fit are rejected naming
// the unit and the fix. Every MeshEngine elaborates into its own SystemC context.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "mesh_counts_check.h"
#include "mesh_support.h"
#include "sheafsim/arch/mesh_buffers.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;
using test::compare_counts;
using test::csv_rows;
using test::q12;
using test::q16;

namespace {

// A network to train: its layers, output and data.
struct Net {
  const char* name;
  OutputKind kind;
  test::MeshCase c;
};

// [2,6,5,1] with an identity output on 13 paraboloid samples (13 = 4 x 3 + 1 = 8 + 5:
// the last chunk is short for both chunk sizes).
Net regression_net() { return {"[2,6,5,1] identity", OutputKind::Identity, {{2, 6, 5, 1}, make_task(Task::Paraboloid, 13, 7)}}; }

// [6,8,4] with a softmax output on 14 samples of normal inputs and one-hot
// targets (14 = 4 x 3 + 2 = 8 + 6), as test_mesh_outputs.cpp builds them.
Net softmax_net() {
  const Eigen::Index n = 14;
  Rng rng(21);
  Dataset d{Matrix(6, n), Matrix::Zero(4, n)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index s = 0; s < n; ++s) d.Y(static_cast<Eigen::Index>(rng.uniform() * 4) % 4, s) = 1.0;
  return {"[6,8,4] softmax", OutputKind::Softmax, {{6, 8, 4}, d}};
}

using Shape = test::MeshShape;

// One PE holding every tile; 3x2 tiles on 2x3 PEs; 2x4 tiles on 3x3 PEs (not
// square: tiles and vertex groups do not line up, and row bands span several
// PEs); the automatic tiling of a 4x4 mesh, one tile per PE.
const std::vector<Shape> kShapes = {{"1x1 auto tiles, time multiplexed", 1, 1, 0, 0, true},
                                    {"2x3, tiles 3x2, time multiplexed", 2, 3, 3, 2, true},
                                    {"3x3, tiles 2x4, time multiplexed", 3, 3, 2, 4, true},
                                    {"4x4 auto tiles", 4, 4, 0, 0, false}};

using test::mesh_for;

// The formats of shape si: stochastic rounding on two shapes, both format sets.
FixedConfig config_for(size_t si) {
  switch (si % 4) {
    case 0: return q16(fx::Quant::Stoch);
    case 1: return q12(fx::Quant::RndConv);
    case 2: return q12(fx::Quant::Stoch);
    default: return q16(fx::Quant::RndConv);
  }
}

const char* quant_name(const FixedConfig& cfg) { return cfg.quant == fx::Quant::Stoch ? "stoch" : "rnd-conv"; }

// 5 steps with K = 2: steps 1 and 3 (0-based) are joint, 0, 2 and 4 stalk-only.
constexpr long kSteps = 5;
constexpr int kInner = 2;

// Samples per chunk: 3 and 8 (the batches of 13 and 14 are no multiple of either),
// 1 (a chunk per sample) and 0 (the default 16: the whole batch in one chunk).
// The barrier schedule ignores the setting (the CLI refuses it, tests/cli/options.cmake).
constexpr int kChunks[] = {3, 8, 1, 0};

struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
};

Run train(const Net& n, const FixedConfig& cfg, const MeshConfig* mesh) {
  Run r;
  r.net = Network::he_init(n.c.layers, n.kind, 3);
  SheafTrainOptions opt = test::train_options(kSteps, kInner);
  opt.beta = 0.2;  // parameter updates above the rounding dead band
  FixedStepperFactory factory;  // empty: the bit-accurate model
  if (mesh != nullptr) factory = mesh_stepper(*mesh, &r.engine);
  train_sheaf_fixed(r.net, n.c.data, nullptr, opt, cfg, {}, &r.info, &r.state, factory);
  return r;
}

std::string describe(const Net& n, const Shape& s, const MeshConfig& m, const FixedConfig& cfg) {
  std::ostringstream o;
  o << n.name << " on " << s.name << ", schedule " << to_string(m.schedule) << ", reduction "
    << to_string(m.reduction) << ", chunk " << m.chunk << ", random stalls " << m.random_stalls << " (max "
    << m.max_stall << "), quant " << quant_name(cfg) << ", acc " << cfg.acc_bits;
  return o.str();
}

// The CSV without the columns that stalls may change: stall 15, idle 16, wait 17; links
// that carried no flit (a row only because a message waited there) left out.
std::vector<std::vector<std::string>> without_timing(const MeshEngine& engine) {
  std::vector<std::vector<std::string>> out;
  for (std::vector<std::string> f : csv_rows(engine)) {
    if (f.size() != 20) return {};
    if (f[0] == "link" && f[12] == "0") continue;
    f[15] = f[16] = f[17] = "";
    out.push_back(f);
  }
  return out;
}

}  // namespace

TEST_CASE("every schedule, reduction, chunk and stall setting is bit-identical to the bit-accurate model",
          "[mesh][schedules][exact]") {
  const bool softmax = GENERATE(false, true);
  const Net n = softmax ? softmax_net() : regression_net();
  const auto B = static_cast<std::uint64_t>(n.c.data.size());
  int combinations = 0;
  for (size_t si = 0; si < kShapes.size(); ++si) {
    const Shape& s = kShapes[si];
    const FixedConfig cfg = config_for(si);
    const Run ref = train(n, cfg, nullptr);
    {
      // The run trains: the parameters moved off their initial values.
      const Network init = Network::he_init(n.c.layers, n.kind, 3);
      bool moved = false;
      for (size_t k = 0; k < init.W.size(); ++k) moved = moved || ref.net.W[k] != init.W[k];
      INFO(n.name << " on " << s.name);
      REQUIRE(moved);
    }
    for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier})
      for (Reduction red : {Reduction::InNetwork, Reduction::Vertex})
        for (int chunk : kChunks)
          for (std::uint64_t stalls : {std::uint64_t{0}, std::uint64_t{11}}) {
            const MeshConfig m = mesh_for(s, sched, red, chunk, stalls);
            INFO(describe(n, s, m, cfg));
            const Run r = train(n, cfg, &m);
            test::require_same_state(ref, r);
            REQUIRE(r.state.a_out.size() == ref.state.a_out.size());
            REQUIRE(r.engine->timing().steps == static_cast<std::uint64_t>(kSteps));
            REQUIRE(r.engine->timing().joint_steps == static_cast<std::uint64_t>(kSteps / kInner));
            // The barrier schedule runs the whole batch as one chunk, whatever m.chunk says.
            const nlohmann::json rep = r.engine->report();
            const std::uint64_t per_chunk =
                sched == Schedule::Barrier || chunk == 0 ? B : static_cast<std::uint64_t>(chunk);
            CHECK(rep["mapping"]["chunk_samples"].get<std::uint64_t>() == per_chunk);
            CHECK(rep["mapping"]["chunks"].get<std::uint64_t>() == (B + per_chunk - 1) / per_chunk);
            ++combinations;
          }
  }
  CHECK(combinations == 4 * 2 * 2 * 4 * 2);
}

TEST_CASE("random stalls change the cycles and nothing else under every schedule", "[mesh][schedules][stalls]") {
  struct Config {
    bool softmax;
    size_t shape;
    Schedule sched;
    Reduction red;
    int chunk;
  };
  const std::vector<Config> configs = {{true, 1, Schedule::Dataflow, Reduction::InNetwork, 3},
                                       {false, 2, Schedule::Barrier, Reduction::Vertex, 8},
                                       {false, 3, Schedule::Dataflow, Reduction::Vertex, 8},
                                       {true, 2, Schedule::Barrier, Reduction::InNetwork, 3}};
  for (const Config& k : configs) {
    const Net n = k.softmax ? softmax_net() : regression_net();
    const Shape& s = kShapes[k.shape];
    const FixedConfig cfg = q16(fx::Quant::Stoch);
    const MeshConfig calm_m = mesh_for(s, k.sched, k.red, k.chunk, 0);
    MeshConfig stalled_m = calm_m;
    stalled_m.random_stalls = 11;
    stalled_m.max_stall = 6;
    INFO(describe(n, s, stalled_m, cfg));
    const Run calm = train(n, cfg, &calm_m), stalled = train(n, cfg, &stalled_m);
    test::require_same_state(calm, stalled);
    // Every counter but the stall, idle and wait cycles, per unit and per link.
    const auto a = without_timing(*calm.engine), b = without_timing(*stalled.engine);
    REQUIRE(!a.empty());
    CHECK(a == b);
    for (const auto& [sim_a, sim_b] : {std::pair{calm.engine->pe_totals(), stalled.engine->pe_totals()},
                                       std::pair{calm.engine->vertex_totals(), stalled.engine->vertex_totals()}}) {
      for (auto f : UnitCounters::kFields)
        if (f != &UnitCounters::stall_cycles) CHECK(sim_a.*f == sim_b.*f);
    }
    const nlohmann::json ra = calm.engine->report(), rb = stalled.engine->report();
    for (const char* key : {"macs", "register_writes", "flits", "flit_hops", "messages", "steps", "joint_steps"})
      CHECK(ra[key] == rb[key]);
    CHECK(ra["link_totals"]["busy_cycles"] == rb["link_totals"]["busy_cycles"]);
    CHECK(ra["mapping"] == rb["mapping"]);
    // ... and the cycles differ.
    CHECK(calm.engine->timing().total_cycles != stalled.engine->timing().total_cycles);
    CHECK(calm.engine->timing().total_cycles < stalled.engine->timing().total_cycles);
  }
}

TEST_CASE("analytic mesh counts equal the simulator's counters for every schedule, reduction and chunk",
          "[mesh][schedules][counters]") {
  const bool softmax = GENERATE(false, true);
  const Net n = softmax ? softmax_net() : regression_net();
  const auto B = static_cast<std::uint64_t>(n.c.data.size());
  const int L = static_cast<int>(n.c.layers.size()) - 1;
  int combinations = 0;
  for (size_t si = 0; si < kShapes.size(); ++si) {
    const Shape& s = kShapes[si];
    const FixedConfig cfg = config_for(si);
    for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier})
      for (Reduction red : {Reduction::InNetwork, Reduction::Vertex})
        for (int chunk : kChunks) {
          const MeshConfig m = mesh_for(s, sched, red, chunk, 0);
          INFO(describe(n, s, m, cfg));
          const Run r = train(n, cfg, &m);
          const MeshMapping map(m, n.c.layers, cfg, n.kind != OutputKind::Identity);
          const MeshStepCounts a = mesh_run_counts(map, m, cfg, B, L, kSteps, kInner, n.kind);
          compare_counts(*r.engine, a);
          ++combinations;
        }
  }
  CHECK(combinations == 4 * 2 * 2 * 4);
}

TEST_CASE("buffers that do not fit are rejected naming the unit and the fix", "[mesh][schedules][errors]") {
  const Net n{"[2,6,5,1] identity", OutputKind::Identity, {{2, 6, 5, 1}, make_task(Task::Paraboloid, 200, 7)}};
  const FixedConfig cfg;
  const auto B = static_cast<std::uint64_t>(n.c.data.size());
  for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier}) {
    const bool dataflow = sched == Schedule::Dataflow;
    INFO("schedule " << to_string(sched));
    {  // PE SRAM
      // The weights fit in 1 KiB (8192 bits); the activations of 200 samples do not.
      MeshConfig m = mesh_for(kShapes[0], sched, Reduction::InNetwork, dataflow ? 8 : 0, 0);
      m.sram_kib = 1;
      const MeshMapping map(m, n.c.layers, cfg);
      REQUIRE(map.sram_bits_used(0) <= 8192);
      const MeshBuffers b = mesh_buffers(map, m, cfg, B, 3);
      REQUIRE(b.pe_max() > 8192);
      const std::string needs = "PE (0,0) needs " + std::to_string(b.pe_max()) + " bits of SRAM";
      REQUIRE_THROWS_AS(train(n, cfg, &m), InputError);
      REQUIRE_THROWS_WITH(train(n, cfg, &m),
                          Catch::Matchers::Equals(
                              needs + " (weights, accumulators, activations of the batch and chunk buffers) but "
                                      "--sram-kib 1 holds 8192; use a larger --sram-kib, " +
                              (dataflow ? "smaller --chunk, " : "") + "smaller tiles or a larger mesh"));
      m.sram_kib = 64;  // fits
      CHECK_NOTHROW(train(n, cfg, &m));
    }
    {  // vertex-unit SRAM
      MeshConfig m = mesh_for(kShapes[0], sched, Reduction::Vertex, dataflow ? 8 : 0, 0);
      m.vertex_sram_kib = 1;
      const MeshMapping map(m, n.c.layers, cfg);
      const MeshBuffers b = mesh_buffers(map, m, cfg, B, 3);
      REQUIRE(b.pe_max() <= b.pe_capacity_bits);
      REQUIRE(b.vertex_max() > 8192);
      REQUIRE_THROWS_AS(train(n, cfg, &m), InputError);
      REQUIRE_THROWS_WITH(train(n, cfg, &m),
                          Contains("the vertex unit of layer ") && Contains(" bits of SRAM") &&
                              Contains("--vertex-sram-kib 1 holds 8192") && Contains("use a larger --vertex-sram-kib"));
      if (dataflow) CHECK_THROWS_WITH(train(n, cfg, &m), Contains("smaller --chunk"));
      else CHECK_THROWS_WITH(train(n, cfg, &m), !Contains("--chunk"));
      m.vertex_sram_kib = 256;  // fits
      CHECK_NOTHROW(train(n, cfg, &m));
    }
  }
}
