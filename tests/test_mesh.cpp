// The SystemC mesh model: bit-exact against the bit-accurate model for every
// mesh shape, tile size, placement and rounding mode; operation counters
// equal to the analytic counts; cycles that behave as the timing model says;
// random stalls that move cycles but never values; mappings that do not fit.
// Every MeshEngine elaborates into its own SystemC context (KernelScope).
#include <catch2/catch.hpp>

#include "sheafsim/error.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/sheaf_trainer.h"
#include "sheafsim/tasks.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;

namespace {

struct Case {
  std::vector<int> layers;
  Dataset data;
};

Case paraboloid(Eigen::Index n) { return {{2, 30, 1}, make_task(Task::Paraboloid, n, 7)}; }

Case deep(Eigen::Index n) {
  // A 3-layer net on random data: several hidden layers exercise the backward sums.
  Rng rng(11);
  Dataset d{Matrix(3, n), Matrix(2, n)};
  for (Eigen::Index i = 0; i < d.X.size(); ++i) d.X.data()[i] = rng.normal();
  for (Eigen::Index i = 0; i < d.Y.size(); ++i) d.Y.data()[i] = 0.5 * rng.normal();
  return {{3, 7, 5, 2}, d};
}

struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
};

Run train(const Case& c, const FixedConfig& cfg, long steps, int inner, const MeshConfig* mesh) {
  Run r;
  r.net = Network::he_init(c.layers, OutputKind::Identity, 3);
  SheafTrainOptions opt;
  opt.steps = steps;
  opt.inner = inner;
  opt.dt = 0.05;
  opt.beta = 0.02;
  opt.log_every = steps;
  FixedStepperFactory factory;
  if (mesh != nullptr) factory = mesh_stepper(*mesh, &r.engine);
  train_sheaf_fixed(r.net, c.data, nullptr, opt, cfg, {}, &r.info, &r.state, factory);
  return r;
}

void require_identical(const Run& a, const Run& b) {
  for (size_t k = 0; k < a.net.W.size(); ++k) {
    REQUIRE(a.net.W[k] == b.net.W[k]);  // exact: raw * 2^-f converts exactly
    REQUIRE(a.net.b[k] == b.net.b[k]);
    REQUIRE(a.state.z[k] == b.state.z[k]);
    if (k + 1 < a.net.W.size()) REQUIRE(a.state.a[k] == b.state.a[k]);
  }
  REQUIRE(a.info.counters.to_json() == b.info.counters.to_json());
}

MeshConfig mesh_of(int rows, int cols) {
  MeshConfig m;
  m.rows = rows;
  m.cols = cols;
  return m;
}

}  // namespace

TEST_CASE("mesh training is bit-identical to the bit-accurate model", "[mesh][exact]") {
  const fx::Quant quant = GENERATE(fx::Quant::RndConv, fx::Quant::Stoch);
  FixedConfig cfg;
  cfg.quant = quant;
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
        require_identical(ref, mr);
        CHECK(mr.engine->timing().steps == 9);
        CHECK(mr.engine->timing().total_cycles > 0);
      }
    }
  }
}
