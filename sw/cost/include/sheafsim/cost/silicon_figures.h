#pragma once
// The edge unit's 45 nm figures (docs/edge-unit.md §6, "Timing and area"):
// fmax, critical path and area per parameter set (rtl/param_sets.cmake) and
// rounding/overflow mode, from the committed rtl/silicon/edge_unit_45nm.json,
// which the build embeds at configure time (no file is read at run time).
#include <optional>
#include <string>
#include <vector>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/fixed/fixed_point.h"

namespace sheafsim::ops {

struct SiliconFigures {
  std::string set;                // "q8", "q12", "q16"
  std::string quant;              // "rnd_conv", "stoch", "trn"
  std::string overflow;           // "sat", "wrap"
  double fmax_mhz = 0;            // 1000 / min_period_ns
  double min_period_ns = 0;       // worst path plus setup
  double area_um2 = 0;            // every cell, flip-flops included
  double flip_flop_area_um2 = 0;  // of which flip-flops
  int cells = 0;
  int flip_flops = 0;
  std::string critical_start;     // register (Q net) or input port
  std::string critical_end;       // register or output port
  double critical_delay_ns = 0;   // arrival at the end point
  int critical_levels = 0;        // combinational cells on the path
};

// The figures of one set and mode; nullopt when the file has none (only
// rnd_conv/sat, stoch/sat and trn/wrap are synthesised).
std::optional<SiliconFigures> silicon_figures(const std::string& set, fx::Quant quant, fx::Overflow overflow);
std::optional<SiliconFigures> silicon_figures(const std::string& set, const std::string& quant,
                                              const std::string& overflow);

// Every entry, in the file's order.
const std::vector<SiliconFigures>& all_silicon_figures();

// The processing element at a run's formats and modes, from the synthesised
// RTL PE (rtl/pe_core.sv, q16 rnd_conv/sat: rtl/silicon/pe_core_*.json) and
// the edge unit's figures: in another mode the PE's write lanes are that
// mode's edge units, so its logic area is the measured PE's plus `lanes` times
// the edge units' difference, and its clock is at most that edge unit's fmax.
// available is false (with the reason) for formats other than q16 (the only
// set whose formats are the project's defaults) or a mode without figures.
struct PeSilicon {
  bool available = false;
  std::string reason;
  std::string set, quant, overflow;
  double clock_mhz = 0;          // the PE's fmax (45 nm, no wire load)
  double logic_area_um2 = 0;     // one PE's logic, flip-flops included (no SRAM)
  std::string basis;             // measured, or derived from the measured PE and the edge units
};
PeSilicon pe_silicon(const FixedConfig& cfg, int lanes);

// SRAM area per bit at 45 nm (docs/edge-unit.md §10): a 6T cell of 0.346 um^2
// (Mistry et al., IEDM 2007, Intel 45 nm) times 1.5 for the array periphery
// (an assumed factor).
inline constexpr double kSramBitCellUm2 = 0.346;
inline constexpr double kSramArrayOverhead = 1.5;

// A mesh's area, um^2: its PEs (logic and SRAM) and its vertex units' SRAM
// (vertex-unit logic, the output unit and links are not counted).
double mesh_area_um2(double pe_logic_um2, long pes, long sram_kib, long vertex_groups, long vertex_sram_kib);

// The pipeline latency the figures were made with, and the library's provenance line.
int silicon_latency_cycles();
const std::string& silicon_library();

}  // namespace sheafsim::ops
