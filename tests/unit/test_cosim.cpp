// Co-simulation: the verilated RTL processing element (rtl/pe_core.sv) as
// every PE's datapath, and with --rtl-timing as every PE's timing. Stalks,
// weights, biases, counters and cycle counts must equal the pure SystemC mesh
// run bit for bit, with and without random stalls, in every rounding mode class.
#include <catch2/catch.hpp>

#include "mesh_support.h"
#include "sheafsim/base/error.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/cosim/rtl_pe_datapath.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;

namespace {

const std::vector<int> kLayers = {2, 4, 1};
constexpr long kSamples = 12;

struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
};

Run train(const FixedConfig& cfg, const MeshConfig& mesh, long steps, int inner, PeDatapathFactory datapath) {
  Run r;
  r.net = Network::he_init(kLayers, OutputKind::Identity, 3);
  const Dataset data = make_task(Task::Paraboloid, kSamples, 5);
  SheafTrainOptions opt = test::train_options(steps, inner);
  opt.beta = 0.05;
  train_sheaf_fixed(r.net, data, nullptr, opt, cfg, {}, &r.info, &r.state,
                    mesh_stepper(mesh, &r.engine, std::move(datapath)));
  return r;
}

MeshConfig mesh2x2() {
  MeshConfig m = test::mesh_of(2, 2);
  m.time_multiplex = true;
  return m;
}

}  // namespace

TEST_CASE("the RTL PE in a 2x2 mesh matches the SystemC mesh bit for bit and cycle for cycle", "[cosim]") {
  struct Mode {
    fx::Quant quant;
    fx::Overflow overflow;
  };
  const Mode mode = GENERATE(Mode{fx::Quant::RndConv, fx::Overflow::Sat}, Mode{fx::Quant::Stoch, fx::Overflow::Sat},
                             Mode{fx::Quant::Trn, fx::Overflow::Wrap});
  const int inner = GENERATE(1, 2);
  const bool timing = GENERATE(false, true);
  FixedConfig cfg;
  cfg.quant = mode.quant;
  cfg.overflow = mode.overflow;
  const long steps = 6;
  INFO("quant " << fx::to_string(mode.quant) << " overflow " << fx::to_string(mode.overflow) << " K " << inner
                << " rtl timing " << timing);

  const Run model = train(cfg, mesh2x2(), steps, inner, {});
  RtlPeStats stats;
  const Run rtl = train(cfg, mesh2x2(), steps, inner, rtl_pe_datapath(&stats, timing));
  test::require_same_state(model, rtl);
  // Every PE chunk takes as many RTL cycles as its annotation: the mesh's timing is the same either way.
  REQUIRE(rtl.engine->timing().total_cycles == model.engine->timing().total_cycles);
  REQUIRE(stats.steps.size() == static_cast<size_t>(steps));
  std::uint64_t chunks = 0;
  for (const RtlStepTiming& s : stats.steps) {
    REQUIRE(s.differing_chunks == 0);
    REQUIRE(s.rtl_chunk_cycles == s.model_chunk_cycles);
    chunks += s.chunks;
  }
  REQUIRE(chunks > 0);
  // The weights moved (the comparison is not between two untrained nets).
  REQUIRE(rtl.net.W[0] != Network::he_init(kLayers, OutputKind::Identity, 3).W[0]);

  // Every MAC and every weight and bias write went through the RTL (the bias
  // sums run alongside column 0's Hebbian sums, the bias adds are the chains' start).
  const UnitCounters pe = rtl.engine->pe_totals();
  const std::uint64_t joint = rtl.engine->timing().joint_steps;
  const std::uint64_t biases = 4 + 1;
  REQUIRE(joint == static_cast<std::uint64_t>(steps / inner));
  REQUIRE(pe.register_writes == joint * (2 * 4 + 4 * 1 + biases));
  REQUIRE(stats.operations == pe.macs() + pe.register_writes);
  REQUIRE(stats.rtl_cycles > stats.operations / 4);
  REQUIRE(stats.acc_wraps == 0);
}

TEST_CASE("random stalls delay the RTL PEs' chunks, not their results", "[cosim]") {
  FixedConfig cfg;
  cfg.quant = fx::Quant::Stoch;
  MeshConfig m = mesh2x2();
  m.random_stalls = 9;
  RtlPeStats stalled;
  const Run b = train(cfg, m, 4, 1, rtl_pe_datapath(&stalled, true));
  const Run ref = train(cfg, m, 4, 1, {});
  test::require_same_state(ref, b);
  REQUIRE(b.engine->timing().total_cycles == ref.engine->timing().total_cycles);
  m.random_stalls = 0;
  const Run calm = train(cfg, m, 4, 1, {});
  REQUIRE(b.engine->timing().total_cycles > calm.engine->timing().total_cycles);
}

TEST_CASE("formats other than the verilated PE's are rejected", "[cosim]") {
  // The verilated set is the project's default formats.
  REQUIRE_NOTHROW(check_rtl_pe_config(FixedConfig{}));
  FixedConfig cfg;
  cfg.stalk = {4, 10};
  REQUIRE_THROWS_WITH(train(cfg, mesh2x2(), 1, 1, rtl_pe_datapath()),
                      Contains("--stalk-format Q4.12, this run uses Q4.10"));
  cfg = FixedConfig{};
  cfg.acc_bits = 40;
  REQUIRE_THROWS_AS(check_rtl_pe_config(cfg), InputError);
  REQUIRE_THROWS_WITH(check_rtl_pe_config(cfg), Contains("--acc-bits 48, this run uses 40"));
}

TEST_CASE("RTL timing needs the mesh to time the RTL's PE", "[cosim]") {
  REQUIRE_NOTHROW(check_rtl_pe_timing(MeshConfig{}));
  MeshConfig m = mesh2x2();
  m.lanes = 8;
  REQUIRE_THROWS_WITH(train(FixedConfig{}, m, 1, 1, rtl_pe_datapath(nullptr, true)),
                      Contains("--rtl-timing: the verilated PE has --lanes 4, this run uses 8"));
  // Values alone do not depend on the timing parameters.
  REQUIRE_NOTHROW(train(FixedConfig{}, m, 1, 1, rtl_pe_datapath(nullptr, false)));
  m = mesh2x2();
  m.update_pipeline = 2;
  REQUIRE_THROWS_AS(check_rtl_pe_timing(m), InputError);
}
