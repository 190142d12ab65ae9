#pragma once
// `sheafsim compare`: what its parts (cmd_compare.cpp: one run with traces;
// compare_sweep.cpp: --sweep; compare_plots.cpp: the figures) share.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/bitacc/fixed_stepper.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "train_options.h"

namespace sheafsim::cli {

struct CompareOpts {
  std::shared_ptr<TrainOpts> t = std::make_shared<TrainOpts>();  // every option of `train`
  std::string out;                   // --out DIR
  std::string engine = "bit-accurate";  // or systemc
  std::string sweep;                 // --sweep SPEC
  long trace_every = 0;              // 0: steps / 100 (at least 1)
  int jobs = 0;                      // 0: every core
  std::string resume;                // --resume DIR: continue the sweep checkpointed in DIR
  double tolerance = 0.05;           // --loss-tolerance for the sweep summary
  bool no_plots = false;
};

// The loaded, validated problem both arithmetics train on: the network and
// data (TrainData), and the settings.
struct CompareSetup : TrainData {
  nlohmann::json settings;
  SheafTrainOptions opt;
  FixedConfig cfg;        // the base configuration (sweep points override it)
  std::string task;       // --task, or the data file's name
  bool systemc = false;
};

// The stepper factory of --engine (empty: the bit-accurate model). With
// systemc, *engine receives the mesh engine after the run starts.
FixedStepperFactory compare_stepper(const CompareOpts& o, std::shared_ptr<mesh::MeshEngine>* engine);

// --sweep: the grid, sweep.csv and summary.json.
void run_sweep(const CompareOpts& o, const CompareSetup& s);

// Runs tools/plot_compare.py on DIR when python3 and matplotlib are importable;
// otherwise prints a one-line note. Returns the figure files' stem, or "".
std::string run_plots(const std::string& dir);
// The same with another matplotlib script (`sheafsim race`: tools/plot_race.py),
// run as `python3 SCRIPT DIR`; it prints one line per file written.
std::string run_figure_script(const std::string& script, const std::string& dir);

}  // namespace sheafsim::cli
