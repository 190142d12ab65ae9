#pragma once
// Energy and area from counts (docs/ops.md): a swappable per-action energy
// table (TOML, one entry per action with value, unit and source; the default
// is configs/energy-45nm-horowitz.toml) turns operation counts into
// picojoules, and the RTL synthesis report (docs/edge-unit.md §6) gives the
// area of the edge unit of the matching parameter set. Counts stay the
// primary output: energy is a separate multiply by the table, as Accelergy
// and Timeloop do it.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/cost/op_counts.h"

namespace sheafsim::ops {

struct EnergyEntry {
  double value = 0;     // in `unit`
  std::string unit;     // "pJ" (per operation), "pJ/bit", "pJ/bit/hop"; leakage: "uW", "pW/bit"
  std::string source;   // provenance
};

class EnergyTable {
 public:
  // Every action the pricing needs, with its unit (the table must have exactly these).
  static const std::map<std::string, std::string>& actions();

  // Reads and validates a TOML table; throws InputError with one line naming
  // the file and the key (unknown key, missing entry, wrong unit, negative or
  // non-finite value, missing source).
  static EnergyTable load(const std::string& path);
  static EnergyTable parse(const std::string& text, const std::string& origin);

  const std::string& file() const { return file_; }
  const std::string& name() const { return name_; }
  const std::string& technology() const { return technology_; }
  const EnergyEntry& entry(const std::string& action) const;

  // Pricing rules (docs/ops.md): a multiply or add of w bits costs the entry of
  // the smallest tabulated width (8, 16, 32) >= w; above 32 bits a multiply
  // scales as (w/32)^2 and an add as w/32 from the 32-bit entry.
  double multiply_pJ(int bits) const;
  double add_pJ(int bits) const;
  // One counted item (Mac: multiply of the wider operand plus the accumulator add;
  // Compare: an add of its width; RegisterWrite: bits x register_write_bit).
  double price_pJ(const OpItem& item) const;
  double sram_read_pJ(std::uint64_t bits) const;
  double sram_write_pJ(std::uint64_t bits) const;
  double link_pJ(std::uint64_t flit_hops, int link_width_bits) const;
  // Static (leakage) power of a mesh, in microwatts: every PE's logic, every
  // SRAM bit (PEs and vertex units) and every link, powered for the whole run
  // whether busy or idle. Times the run's time, it is the static energy.
  double static_power_uW(std::uint64_t pes, std::uint64_t sram_bits, std::uint64_t links) const;

  // {"file", "name", "technology", "entries": {action: {value, unit, source}}}
  nlohmann::json to_json() const;

 private:
  std::string file_, name_, technology_, reference_;
  std::map<std::string, EnergyEntry> entries_;
};

// The energy of a bag of counts, per component (units in the names):
// {"synapse_macs_pJ", "update_multiplies_pJ", "constant_multiplies_pJ",
//  "adds_pJ", "compares_pJ", "register_writes_pJ", "total_pJ", "pJ_per_synapse_mac"}.
nlohmann::json energy_json(const OpCounts& counts, const EnergyTable& table);
double energy_total_pJ(const OpCounts& counts, const EnergyTable& table);

// Area of one edge unit (one MAC lane of a PE) from the Yosys synthesis report
// (docs/edge-unit.md §6, schema sheafsim.edge_unit_synth/1) for the parameter
// set whose formats, accumulator and rounding/overflow modes equal `cfg`.
// Returns {"available": false, "reason": ...} when the file is absent or no set
// matches (never an invented number); throws InputError for a malformed report.
nlohmann::json edge_unit_area(const std::string& synth_report, const FixedConfig& cfg);

}  // namespace sheafsim::ops
