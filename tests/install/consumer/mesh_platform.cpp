// A SystemC platform that instantiates the installed mesh model from its own
// sc_main: trains [2,4,1] on a 2x2 mesh and on the bit-accurate model and
// requires the same bits, then prints the mesh's cycles.
#include <cstdio>
#include <memory>

#include <systemc>

#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/reference/tasks.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;

int sc_main(int, char*[]) {
  const Dataset data = make_task(Task::Paraboloid, 12, 7);
  SheafTrainOptions opt;
  opt.steps = 6;
  opt.dt = 0.05;
  opt.beta = 0.02;
  opt.log_every = 6;

  mesh::MeshConfig m;
  m.rows = 2;
  m.cols = 2;
  m.time_multiplex = true;
  std::shared_ptr<mesh::MeshEngine> engine;
  Network on_mesh = Network::he_init({2, 4, 1}, OutputKind::Identity, 3);
  Network reference = on_mesh;
  train_sheaf_fixed(on_mesh, data, nullptr, opt, FixedConfig{}, {}, nullptr, nullptr, mesh::mesh_stepper(m, &engine));
  train_sheaf_fixed(reference, data, nullptr, opt, FixedConfig{});

  bool same = true;
  for (size_t k = 0; k < reference.W.size(); ++k)
    same = same && reference.W[k] == on_mesh.W[k] && reference.b[k] == on_mesh.b[k];
  const auto cycles = static_cast<unsigned long long>(engine->timing().total_cycles);
  std::printf("mesh 2x2: %llu cycles for %ld steps, parameters %s the bit-accurate model's\n", cycles, opt.steps,
              same ? "equal to" : "DIFFERENT FROM");
  return same && cycles > 0 ? 0 : 1;
}
