#pragma once
// The options of `train` (network, data, method and step settings, fixed
// point, mesh), shared with `simulate` and `compare`, which accept the same
// settings so that their runs are the same run. Registration and the loaders
// live in cmd_train.cpp; make_sheaf_options in train_options.cpp.
#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "fixed_options.h"
#include "mesh_options.h"
#include "sheafsim/reference/dataset.h"
#include "sheafsim/reference/network.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/run/train_run.h"
#include "sheafsim/train/training.h"

namespace sheafsim::mesh {
class MeshEngine;
}

namespace sheafsim::cli {

struct TrainOpts {
  // network: a file, or a shape to He-initialise
  std::string net, layers, output = "identity";
  std::uint64_t init_seed = 0;
  // data: files, or a synthetic task
  std::string data, test, task, digits_file;
  long n_train = 300, n_test = 100;
  std::uint64_t data_seed = 42;
  // method and its settings
  std::string method = "sheaf", stalk_init = "auto", reinit = "auto";
  double alpha = 1.0, beta = kNaN, dt = 0.005, lr = 0.005;
  long steps = -1, epoch_steps = 1000, log_every = 1000;
  int inner = 1;
  std::uint64_t seed = 42;            // --stalk-seed (sheaf)
  std::uint64_t sid_seed = 42;        // --sid-seed (sid: the modules' initialisation)
  std::uint64_t seed_alias = 42;      // --seed: deprecated alias of both (check_train_options)
  // sid (sid_trainer.h): fidelity weight, label smoothing, modules M, hidden width H (0: 2 d)
  double sid_alpha = 0.5, sid_smoothing = 0.0;
  int sid_modules = 4, sid_hidden = 0;
  std::string out_net, report;
  std::string pins;  // --pins FILE (sheaf): partial clamping
  FixedOptions fx;
  bool simulate = false;  // `simulate`: the same run on the SystemC mesh
  MeshOptions mesh;
};

// The network (--net or --layers) and the data (--data/--test or --task);
// `source` receives their description for the report.
Network load_network(const TrainOpts& o, nlohmann::json& source);
void load_data(const TrainOpts& o, Dataset& train, Dataset& test, nlohmann::json& source);
// Both, the data checked against the network (`training`: its targets, and the test data).
TrainData load_train_data(const TrainOpts& o, bool training);
// --steps given, 0..1e9.
void require_steps(const TrainOpts& o);

// The request of `train` (and of `simulate`'s training mode, whose stepper
// runs the mesh: *engine receives it when the run starts; null: not simulated).
TrainSpec make_train_spec(const TrainOpts& o, std::shared_ptr<mesh::MeshEngine>* engine);

// `train`, and `simulate --mode train`: the run, its files and its statistics block.
void run_train_command(const TrainOpts& o);

// The subcommands that share train's options: each registers those it accepts.
enum class TrainCommand { Train, Simulate, Compare };

// Registers the options of `train` that `cmd` accepts on `sub` (train: all;
// simulate and compare: no --method, --lr, --sid-*, --arith; compare: no
// --report, --out-net, --compare-float).
void add_train_options(CLI::App* sub, const std::shared_ptr<TrainOpts>& o, TrainCommand cmd);

// A settings file of `cmd` (TOML `text`, keys as in its --config file) parsed
// as `sheafsim train|simulate --config` would: `cmd`'s options (simulate's
// include the mesh's), validated, then check_train_options; settings that do
// not apply are named after `origin` in the deferred warnings, and a bad value
// or key throws InputError prefixed with `origin`. `base` holds the defaults
// the file overrides (explore's [run] starts fixed-point).
std::shared_ptr<TrainOpts> parse_train_config(const std::string& text, const std::string& origin, TrainCommand cmd,
                                              const TrainOpts& base = TrainOpts{});

// After parsing: applies the deprecated --seed to --stalk-seed or --sid-seed,
// and refuses options typed on the command line that this run does not use
// (method, arithmetic, network or data source, simulate's mode), naming
// where they belong. Settings from --config that do not apply are ignored.
void check_train_options(TrainOpts& o, const CLI::App& sub);

// The sheaf training options `train` builds from its settings, validated the
// same way (warnings for step sizes beyond the stability bound); `settings`
// receives them for the report.
SheafTrainOptions make_sheaf_options(const TrainOpts& o, const Network& net, Eigen::Index n_train,
                                     nlohmann::json& settings);

// A warning when a run's loss became non-finite (it diverged): names the
// first history point with a non-finite training loss and what to change.
// Empty when every loss is finite.
std::string divergence_message(const TrainResult& r, const std::string& run);

}  // namespace sheafsim::cli
