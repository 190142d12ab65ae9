// Backprop SGD on the mesh (docs/architecture.md, "Backprop SGD on the mesh"):
// every mesh shape, schedule, reduction, chunk size and random-stall setting
// gives the bits of the bit-accurate model FixedSgd (weights, biases, every
// counter) on identity, softmax and sigmoid networks, in every rounding and
// overflow mode, vertex placement and tile order; the analytic SGD counts
// equal the simulator's counters per PE, vertex unit and link; a mapping
// whose stored activations do not fit is rejected with the fix. Every
// MeshEngine elaborates into its own SystemC context.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "mesh_counts_check.h"
#include "mesh_support.h"
#include "sheafsim/arch/mesh_buffers.h"
#include "sheafsim/arch/mesh_mapping.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/rng.h"
#include "sheafsim/bitacc/fixed_sgd.h"
#include "sheafsim/bitacc/sgd_datapath.h"
#include "sheafsim/cost/ops_report.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;

namespace {

struct Net {
  const char* name;
  OutputKind kind;
  test::MeshCase c;
};

// [2,6,5,1] identity on 13 paraboloid samples (13 = 4 x 3 + 1: a short last chunk).
Net identity_net() { return {"[2,6,5,1] identity", OutputKind::Identity, {{2, 6, 5, 1}, make_task(Task::Paraboloid, 13, 7)}}; }

// [6,8,4] softmax (sigmoid: [5,7,3] with 0/1 targets) on 14 samples of normal inputs.
Net classifier_net(OutputKind kind) {
  const bool softmax = kind == OutputKind::Softmax;
  const int n0 = softmax ? 6 : 5, h = softmax ? 8 : 7, k = softmax ? 4 : 3;
  const Eigen::Index n = 14;
  Rng rng(softmax ? 21 : 23);
  Dataset d{Matrix(n0, n), Matrix::Zero(k, n)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index s = 0; s < n; ++s) {
    if (softmax) d.Y(static_cast<Eigen::Index>(rng.uniform() * k) % k, s) = 1.0;
    else
      for (Eigen::Index i = 0; i < k; ++i) d.Y(i, s) = rng.uniform() < 0.5 ? 1.0 : 0.0;
  }
  return {softmax ? "[6,8,4] softmax" : "[5,7,3] sigmoid", kind, {{n0, h, k}, d}};
}

using Shape = test::MeshShape;
const std::vector<Shape> kShapes = {{"1x1 auto tiles, time multiplexed", 1, 1, 0, 0, true},
                                    {"2x2, tiles 2x3, time multiplexed", 2, 2, 2, 3, true},
                                    {"4x4 auto tiles", 4, 4, 0, 0, false},
                                    {"3x5, tiles 3x2, time multiplexed", 3, 5, 3, 2, true}};

using test::mesh_for;

// 24-bit registers, round to nearest (convergent).
FixedConfig q24() {
  FixedConfig cfg;
  cfg.stalk = {6, 18};
  cfg.weight = {6, 18};
  cfg.bias = {6, 18};
  cfg.residual = {4, 20};
  cfg.acc_bits = 64;
  cfg.quant = fx::Quant::RndConv;
  cfg.validate();
  return cfg;
}

// The formats of shape si for the counts: 16-bit stochastic, 24-bit
// round-to-nearest, and the narrow 12-bit set (saturations and lost updates occur).
FixedConfig config_for(size_t si) {
  switch (si % 3) {
    case 0: return test::q16(fx::Quant::Stoch);
    case 1: return q24();
    default: return test::q12(fx::Quant::Stoch);
  }
}

// The formats every shape is checked in bit for bit: 16-bit stochastic and
// 24-bit round-to-nearest on every shape, the narrow 12-bit set on one.
std::vector<FixedConfig> exact_configs(size_t si) {
  std::vector<FixedConfig> c = {test::q16(fx::Quant::Stoch), q24()};
  if (si == 1) c.push_back(test::q12(fx::Quant::Stoch));
  return c;
}

constexpr long kSteps = 3;
constexpr double kLr = 0.5;

struct Run {
  FixedNetwork net;
  FixedCounters counters;
  std::shared_ptr<MeshEngine> engine;
};

// kSteps SGD steps from the He initialisation: on the mesh (recorded as a VCD
// waveform with trace.path set), or (mesh null) by the bit-accurate model FixedSgd.
Run train(const Net& n, const FixedConfig& cfg, const MeshConfig* mesh, long steps = kSteps,
          const MeshTraceOptions& trace = {}) {
  const Network init = Network::he_init(n.c.layers, n.kind, 3);
  Run r;
  FixedCounters loads;
  loads.resize(init.depth());
  r.net = to_fixed(init, cfg, loads);
  const IMatrix X = to_fixed(n.c.data.X, cfg.stalk, cfg, loads), Y = to_fixed(n.c.data.Y, cfg.stalk, cfg, loads);
  const Eigen::Index B = X.cols();
  const std::int64_t eta = sgd::step_constant(kLr, n.kind, n.c.layers.back(), B, cfg);
  std::unique_ptr<FixedSgdStepper> stepper;
  if (mesh == nullptr) stepper = std::make_unique<FixedSgd>(r.net, B, cfg, loads);
  else stepper = mesh_sgd_stepper(*mesh, &r.engine, {}, trace)(r.net, B, cfg, loads);
  for (long k = 0; k < steps; ++k) stepper->step(r.net, X, Y, eta);
  r.counters = stepper->counters();
  return r;
}

void require_same(const Run& a, const Run& b) {
  for (size_t k = 0; k < a.net.W.size(); ++k) {
    REQUIRE(a.net.W[k] == b.net.W[k]);
    REQUIRE(a.net.b[k] == b.net.b[k]);
  }
  REQUIRE(a.counters.to_json() == b.counters.to_json());
}

std::string describe(const Net& n, const Shape& s, const MeshConfig& m, const FixedConfig& cfg) {
  std::ostringstream o;
  o << n.name << " on " << s.name << ", schedule " << to_string(m.schedule) << ", reduction "
    << to_string(m.reduction) << ", chunk " << m.chunk << ", random stalls " << m.random_stalls << ", quant "
    << (cfg.quant == fx::Quant::Stoch ? "stoch" : "rnd-conv") << ", stalk width " << cfg.stalk.width();
  return o.str();
}

Net net_of(int which) {
  return which == 0 ? identity_net() : classifier_net(which == 1 ? OutputKind::Softmax : OutputKind::Sigmoid);
}

}  // namespace

TEST_CASE("SGD on the mesh is bit-identical to FixedSgd for every schedule, reduction, chunk and stall",
          "[mesh][sgd][exact]") {
  const int which = GENERATE(0, 1, 2);
  const Net n = net_of(which);
  int combinations = 0;
  std::uint64_t flagged = 0;  // saturations and lost updates of the reference runs: the counters are exercised
  std::vector<std::pair<size_t, FixedConfig>> cases;  // (shape, formats)
  for (size_t si = 0; si < kShapes.size(); ++si)
    for (const FixedConfig& cfg : exact_configs(si)) cases.emplace_back(si, cfg);
  for (const auto& [si, cfg] : cases) {
    const Shape& s = kShapes[si];
    const Run ref = train(n, cfg, nullptr);
    for (size_t c = 0; c < kFxClasses; ++c)
      for (size_t l = 0; l < ref.counters.saturations[c].size(); ++l)
        flagged += ref.counters.saturations[c][l] + ref.counters.lost_updates[c][l];
    {  // the run trains: the parameters moved
      Run init = train(n, cfg, nullptr, 0);
      bool moved = false;
      for (size_t k = 0; k < init.net.W.size(); ++k) moved = moved || ref.net.W[k] != init.net.W[k];
      INFO(n.name << " on " << s.name);
      REQUIRE(moved);
    }
    for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier})
      for (Reduction red : {Reduction::InNetwork, Reduction::Vertex})
        for (int chunk : {3, 1, 0}) {
          if (sched == Schedule::Barrier && chunk != 0) continue;  // one chunk: the batch
          for (std::uint64_t stalls : {std::uint64_t{0}, std::uint64_t{11}}) {
            const MeshConfig m = mesh_for(s, sched, red, chunk, stalls);
            INFO(describe(n, s, m, cfg));
            const Run r = train(n, cfg, &m);
            require_same(ref, r);
            REQUIRE(r.engine->timing().steps == static_cast<std::uint64_t>(kSteps));
            const nlohmann::json rep = r.engine->report();
            CHECK(rep["method"] == "sgd");
            CHECK(rep["cycles_per_training_step"].is_number());
            CHECK(rep["diffusion_step"].is_null());
            ++combinations;
          }
        }
  }
  CHECK(combinations == (4 * 2 + 1) * (2 * 3 + 2 * 1) * 2);
  CHECK(flagged > 0);
}

TEST_CASE("SGD on the mesh is bit-identical to FixedSgd in every rounding and overflow mode, placement and tile order",
          "[mesh][sgd][exact]") {
  // The narrow 12-bit set, where saturations, wraps and lost updates occur.
  const Net n = net_of(0);
  int modes = 0, layouts = 0;
  std::uint64_t flagged = 0;
  for (fx::Quant q : {fx::Quant::Trn, fx::Quant::TrnZero, fx::Quant::Rnd, fx::Quant::RndZero, fx::Quant::RndConv,
                      fx::Quant::Stoch})
    for (fx::Overflow o : {fx::Overflow::Sat, fx::Overflow::Wrap}) {
      FixedConfig cfg = test::q12(q);
      cfg.overflow = o;
      cfg.validate();
      const MeshConfig m = mesh_for(kShapes[3], Schedule::Dataflow, Reduction::InNetwork, 3, 11);
      INFO(describe(n, kShapes[3], m, cfg) << ", quant " << fx::to_string(q) << ", overflow " << fx::to_string(o));
      const Run ref = train(n, cfg, nullptr);
      for (size_t c = 0; c < kFxClasses; ++c)
        for (size_t l = 0; l < ref.counters.saturations[c].size(); ++l) flagged += ref.counters.saturations[c][l];
      require_same(ref, train(n, cfg, &m));
      ++modes;
    }
  const FixedConfig cfg = test::q16(fx::Quant::Stoch);
  const Run ref = train(n, cfg, nullptr);
  for (VertexPlacement place : {VertexPlacement::Near, VertexPlacement::West, VertexPlacement::Corner})
    for (TileOrder order : {TileOrder::Snake, TileOrder::RowMajor, TileOrder::Block}) {
      MeshConfig m = mesh_for(kShapes[2], Schedule::Dataflow, Reduction::InNetwork, 3, 0);
      m.placement = place;
      m.order = order;
      INFO(describe(n, kShapes[2], m, cfg) << ", placement " << to_string(place) << ", tile order " << to_string(order));
      require_same(ref, train(n, cfg, &m));
      ++layouts;
    }
  CHECK(modes == 12);
  CHECK(layouts == 9);
  INFO("saturations " << flagged);
  CHECK(flagged > 0);  // the narrow formats saturate: both overflow modes are exercised
}

TEST_CASE("random stalls move an SGD step's cycles and nothing else", "[mesh][sgd][stalls]") {
  const Net n = net_of(1);
  const FixedConfig cfg = test::q16(fx::Quant::Stoch);
  for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier}) {
    const MeshConfig calm_m = mesh_for(kShapes[1], sched, Reduction::InNetwork, 3, 0);
    MeshConfig stalled_m = calm_m;
    stalled_m.random_stalls = 11;
    INFO(describe(n, kShapes[1], stalled_m, cfg));
    const Run calm = train(n, cfg, &calm_m), stalled = train(n, cfg, &stalled_m);
    require_same(calm, stalled);
    const nlohmann::json ra = calm.engine->report(), rb = stalled.engine->report();
    for (const char* key : {"macs", "register_writes", "flits", "flit_hops", "messages", "steps"}) CHECK(ra[key] == rb[key]);
    CHECK(calm.engine->timing().total_cycles < stalled.engine->timing().total_cycles);
  }
}

TEST_CASE("analytic SGD mesh counts equal the simulator's counters", "[mesh][sgd][counters]") {
  const int which = GENERATE(0, 1);
  const Net n = net_of(which);
  const auto B = static_cast<std::uint64_t>(n.c.data.size());
  const int L = static_cast<int>(n.c.layers.size()) - 1;
  int combinations = 0;
  for (size_t si = 0; si < kShapes.size(); ++si) {
    const FixedConfig cfg = config_for(si);
    for (Schedule sched : {Schedule::Dataflow, Schedule::Barrier})
      for (Reduction red : {Reduction::InNetwork, Reduction::Vertex})
        for (int chunk : {3, 0}) {
          const MeshConfig m = mesh_for(kShapes[si], sched, red, chunk, 0);
          INFO(describe(n, kShapes[si], m, cfg));
          const Run r = train(n, cfg, &m);
          const MeshMapping map(m, n.c.layers, cfg, n.kind != OutputKind::Identity);
          const MeshStepCounts a = mesh_sgd_step_counts(map, m, cfg, B, L, n.kind).scaled(kSteps);
          test::compare_counts(*r.engine, a);
          // The report's training-step figures: the bound is the busiest unit of one SGD step.
          const nlohmann::json rep = r.engine->report();
          CHECK(rep["training_step"]["bound_cycles"].get<std::uint64_t>() ==
                mesh_sgd_step_counts(map, m, cfg, B, L, n.kind).busy_cycles_max_unit());
          CHECK(rep["training_step"]["macs"].get<std::uint64_t>() == a.pe_totals().macs() / kSteps);
          ++combinations;
        }
  }
  CHECK(combinations == 4 * 2 * 2 * 2);
}

TEST_CASE("an SGD step's PE MACs are three passes over the synapses per sample", "[mesh][sgd][counters]") {
  // [2,6,5,1]: 12 + 30 + 5 = 47 synapses; forward and gradient on every weight
  // edge, backward from W_2 on (35 synapses), per sample; 13 samples.
  const Net n = identity_net();
  const FixedConfig cfg;
  const MeshConfig m = test::mesh_of(4, 4);
  const MeshMapping map(m, n.c.layers, cfg);
  const MeshStepCounts a = mesh_sgd_step_counts(map, m, cfg, 13, 3);
  CHECK(a.pe_totals().macs_forward == 47 * 13);
  CHECK(a.pe_totals().macs_backward == 35 * 13);
  CHECK(a.pe_totals().macs_hebbian == 47 * 13);
  // Per sample: the 11 hidden neurons write z, a and d; the output neuron z and d.
  CHECK(a.vertex_totals().register_writes == (3 * 11 + 2) * 13);
}

TEST_CASE("an SGD mapping whose stored activations do not fit is rejected with the fix", "[mesh][sgd][errors]") {
  const Net n{"[2,6,5,1] identity", OutputKind::Identity, {{2, 6, 5, 1}, make_task(Task::Paraboloid, 200, 7)}};
  const FixedConfig cfg;
  const auto B = static_cast<std::uint64_t>(n.c.data.size());
  {  // PE SRAM: the weights fit in 1 KiB, a_{l-1} and d_l of 200 samples do not
    MeshConfig m = mesh_for(kShapes[0], Schedule::Dataflow, Reduction::InNetwork, 8, 0);
    m.sram_kib = 1;
    const MeshMapping map(m, n.c.layers, cfg);
    REQUIRE(map.sram_bits_used(0) <= 8192);
    const MeshBuffers b = mesh_buffers(map, m, cfg, B, 3, MeshMethod::Sgd);
    REQUIRE(b.pe_max() > 8192);
    REQUIRE_THROWS_WITH(
        train(n, cfg, &m),
        Catch::Matchers::Equals("PE (0,0) needs " + std::to_string(b.pe_max()) +
                                " bits of SRAM (weights, accumulators, the batch's stored activations and errors, "
                                "chunk buffers) but --sram-kib 1 holds 8192; use a larger --sram-kib, a smaller batch, "
                                "smaller --chunk, smaller tiles or a larger mesh"));
    m.sram_kib = 64;
    CHECK_NOTHROW(train(n, cfg, &m, 1));
  }
  {  // vertex SRAM: z of the batch kept for the backward wave
    MeshConfig m = mesh_for(kShapes[0], Schedule::Barrier, Reduction::Vertex, 0, 0);
    m.vertex_sram_kib = 1;
    const MeshMapping map(m, n.c.layers, cfg);
    const MeshBuffers b = mesh_buffers(map, m, cfg, B, 3, MeshMethod::Sgd);
    REQUIRE(b.pe_max() <= b.pe_capacity_bits);
    // A hidden unit stores z of every sample: 6 x 200 x 16 bits, plus one chunk (the batch) of a, d and sums.
    CHECK(b.vertex_bits[1] == 6 * 200 * 16 + 6 * 200 * (16 + 16 + 48) + 6 * 200 * 48);
    REQUIRE_THROWS_AS(train(n, cfg, &m), InputError);
    REQUIRE_THROWS_WITH(train(n, cfg, &m),
                        Contains("the vertex unit of layer ") &&
                            Contains("bits of SRAM (z of the batch stored for the backward wave, and chunk buffers)") &&
                            Contains("--vertex-sram-kib 1 holds 8192") && Contains("a smaller batch") &&
                            !Contains("--chunk"));
  }
}

TEST_CASE("ops --method all --mesh prices the simulator's SGD counts next to the sheaf's", "[mesh][sgd][ops]") {
  struct Shape {
    int rows, cols, tile_rows, tile_cols;
    VertexPlacement place;
    bool tmux;
    int lanes, vertex_lanes, link_width;
  };
  const std::vector<Shape> shapes = {{4, 4, 0, 0, VertexPlacement::Near, false, 4, 4, 32},
                                     {2, 3, 3, 2, VertexPlacement::Corner, true, 2, 3, 16},
                                     {3, 5, 4, 1, VertexPlacement::West, true, 1, 1, 64}};
  for (int which : {0, 1}) {
    const Net n = net_of(which);
    const FixedConfig cfg = test::q16();
    for (const Shape& sh : shapes) {
      MeshConfig m = test::mesh_of(sh.rows, sh.cols);
      m.tile_rows = sh.tile_rows;
      m.tile_cols = sh.tile_cols;
      m.placement = sh.place;
      m.time_multiplex = sh.tmux;
      m.lanes = sh.lanes;
      m.vertex_lanes = sh.vertex_lanes;
      m.link_width = sh.link_width;
      INFO(n.name << " on " << sh.rows << "x" << sh.cols);
      const Run r = train(n, cfg, &m, 1);
      ops::OpsSpec s;
      s.net = Network::he_init(n.c.layers, n.kind, 3);
      s.batch = static_cast<std::uint64_t>(n.c.data.size());
      ops::set_methods(s, "all");
      s.formats = cfg;
      s.mesh = m;
      s.table_path = SHEAFSIM_SOURCE_DIR "/configs/energy-45nm-horowitz.toml";
      s.table = ops::EnergyTable::load(s.table_path);
      const ops::OpsReport rep = ops::run_ops(s, [](const std::string&) {});
      REQUIRE(rep.mesh);
      REQUIRE(rep.mesh->sheaf);  // --method all: the sheaf's phases are still counted
      REQUIRE(rep.mesh->sgd);
      const ops::MeshPhaseOps& p = rep.mesh->sgd->per_training_step;
      test::require_same(r.engine->pe_totals(), p.pe_totals, "PE totals");
      test::require_same(r.engine->vertex_totals(), p.vertex_totals, "vertex totals");
      const nlohmann::json sim = r.engine->report();
      CHECK(p.flit_hops == sim["flit_hops"].get<std::uint64_t>());
      CHECK(p.messages == sim["messages"].get<std::uint64_t>());
      CHECK(p.sram_read_bits == r.engine->pe_totals().sram_read_bits);
      CHECK(p.busy_cycles_max_unit == sim["training_step"]["bound_cycles"].get<std::uint64_t>());
      CHECK(rep.mesh->sgd->pe_sram_bits_needed_max == sim["mapping"]["pe_sram_bits_needed_max"].get<long>());
      // Priced: arithmetic from the SGD network counts, memory, links and the output unit.
      CHECK(p.arithmetic_pJ == Approx(rep.sgd->energy_pJ_per_training_step));
      CHECK(p.total_pJ > p.arithmetic_pJ);
      CHECK((n.kind == OutputKind::Identity) == (p.output_unit_pJ == 0.0));
      // The PEs' work of an SGD step is a joint sheaf step's (forward, backward, gradient, write-back).
      CHECK(p.pe_totals.macs() == rep.mesh->per_joint_step.pe_totals.macs());
      CHECK(p.pe_totals.macs() == rep.sgd->per_training_step.synapse_macs());
    }
  }
}

TEST_CASE("tracing an SGD run leaves its values, counters and cycles as they are", "[mesh][sgd][trace]") {
  const Net n = net_of(1);
  const FixedConfig cfg = test::q16(fx::Quant::Stoch);
  const MeshConfig m = mesh_for(kShapes[1], Schedule::Dataflow, Reduction::InNetwork, 3, 11);
  const std::string path = (std::filesystem::temp_directory_path() / "sheafsim_mesh_sgd_trace.vcd").string();
  const Run plain = train(n, cfg, &m);
  const Run traced = train(n, cfg, &m, kSteps, MeshTraceOptions{path, TraceWindow{}});
  const TraceSummary t = traced.engine->finish_trace();
  require_same(plain, traced);
  CHECK(plain.engine->timing().total_cycles == traced.engine->timing().total_cycles);
  CHECK(plain.engine->counters_csv() == traced.engine->counters_csv());
  // The waveform covers the run: busy phases of every kind an SGD step has.
  CHECK(t.changes > 0);
  CHECK(t.last <= traced.engine->timing().total_cycles);
  CHECK(t.last > traced.engine->timing().total_cycles / 2);
  std::ifstream in(path);
  const std::string vcd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(vcd.find("$var") != std::string::npos);
  std::filesystem::remove(path);
}
