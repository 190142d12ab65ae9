#pragma once
// `sheafsim race` (docs/cli.md, docs/validation.md "Race"): who reaches a
// target loss or accuracy first, and with less energy, on one mesh. Each
// method trains in the bit-accurate model until its test metric meets the
// target; the mesh simulation of the same method gives its cycles and
// counters per step; the energy table prices them, and the mesh's static
// power runs for the whole time to target. This header holds the figures and
// their reports (race.json, the markdown summary); cmd_race.cpp runs them.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sheafsim/train/training.h"

namespace sheafsim::race {

// A test-split target: loss <= value, or accuracy >= value.
struct Target {
  bool accuracy = false;
  double value = 0;
  bool reached(const TrainPoint& p) const;
  std::string describe() const;  // "test accuracy >= 0.9"
};

// What one step of a method costs. On the mesh: the simulated cycles and the
// priced counters; off the mesh (SID): the arithmetic only.
struct StepCost {
  bool on_mesh = false;
  double cycles_per_step = kNaN;  // mean over the simulated steps
  long simulated_steps = 0;
  double arithmetic_pJ = 0, sram_pJ = 0, links_pJ = 0;  // dynamic energy per step
  double static_uW = 0;                                 // the whole mesh, busy or idle
  long peak_sram_bits_per_pe = 0;                       // weights, accumulators and stored activations
  std::uint64_t pes = 0, links = 0, sram_bits = 0;      // the mesh leaking static_uW (SRAM: PEs and vertex units)
  double mac_utilisation = kNaN, link_utilisation = kNaN;
  std::string basis;            // how the figures were obtained
  nlohmann::json mesh_report;   // the simulation's report (null off the mesh)
  double dynamic_pJ() const { return arithmetic_pJ + sram_pJ + links_pJ; }
};

struct Entry {
  std::string method;       // sheaf, sgd, sid
  std::string config_file;  // where the hyper-parameters came from
  std::string config_comment;  // that file's leading comment: how they were chosen
  nlohmann::json settings;  // the method's settings as run
  TrainResult result;       // evaluated every eval_every steps on the test split
  StepCost cost;
  // The first history step meeting the target, -1 if none.
  long target_step(const Target& t) const;
};

struct RaceResult {
  Target target;
  std::vector<Entry> entries;
  double clock_mhz = 0;
  std::string clock_source;
  long eval_every = 0, max_steps = 0;
  nlohmann::json task, network, formats, mesh, energy_table;
};

// The time (us) and energy (uJ: dynamic plus static) of `steps` steps of a method on the mesh.
double time_us(const StepCost& c, double steps, double clock_mhz);
double energy_uJ(const StepCost& c, double steps, double clock_mhz);

// race.json (docs/file-formats.md, "Race report"); units in every field name.
nlohmann::json to_json(const RaceResult& r);
// A short markdown summary: the target, a table per method, who wins and by how much.
std::string summary_markdown(const RaceResult& r);

}  // namespace sheafsim::race
