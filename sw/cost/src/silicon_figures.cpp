#include "sheafsim/cost/silicon_figures.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "silicon_figures_json.h"

namespace sheafsim::ops {

namespace {

struct Parsed {
  std::vector<SiliconFigures> entries;
  int latency = 0;
  std::string library;
};

// Parsed once; the text is the committed file, so a parse error is a build defect.
const Parsed& parsed() {
  static const Parsed p = [] {
    Parsed out;
    const auto j = nlohmann::json::parse(detail::silicon_json);
    out.latency = j.at("latency_cycles").get<int>();
    out.library = j.at("library").get<std::string>();
    for (const auto& r : j.at("results")) {
      SiliconFigures f;
      f.set = r.at("set").get<std::string>();
      f.quant = r.at("quant").get<std::string>();
      f.overflow = r.at("overflow").get<std::string>();
      f.fmax_mhz = r.at("fmax_mhz").get<double>();
      f.min_period_ns = r.at("min_period_ns").get<double>();
      f.area_um2 = r.at("area_um2").get<double>();
      f.flip_flop_area_um2 = r.at("flip_flop_area_um2").get<double>();
      f.cells = r.at("cells").get<int>();
      f.flip_flops = r.at("flip_flops").get<int>();
      const auto& cp = r.at("critical_path");
      f.critical_start = cp.at("start").get<std::string>();
      f.critical_end = cp.at("end").get<std::string>();
      f.critical_delay_ns = cp.at("delay_ns").get<double>();
      f.critical_levels = cp.at("levels").get<int>();
      out.entries.push_back(std::move(f));
    }
    return out;
  }();
  return p;
}

}  // namespace

std::optional<SiliconFigures> silicon_figures(const std::string& set, const std::string& quant,
                                              const std::string& overflow) {
  for (const auto& f : parsed().entries)
    if (f.set == set && f.quant == quant && f.overflow == overflow) return f;
  return std::nullopt;
}

std::optional<SiliconFigures> silicon_figures(const std::string& set, fx::Quant quant, fx::Overflow overflow) {
  return silicon_figures(set, fx::to_string(quant), fx::to_string(overflow));
}

const std::vector<SiliconFigures>& all_silicon_figures() { return parsed().entries; }

int silicon_latency_cycles() { return parsed().latency; }

const std::string& silicon_library() { return parsed().library; }

PeSilicon pe_silicon(const FixedConfig& cfg, int lanes) {
  PeSilicon r;
  const FixedConfig q16;  // the project's default formats are parameter set q16's
  if (cfg.stalk != q16.stalk || cfg.weight != q16.weight || cfg.bias != q16.bias || cfg.residual != q16.residual ||
      cfg.constant != q16.constant || cfg.acc_bits != q16.acc_bits) {
    r.reason = "the PE is synthesised at the default formats (parameter set q16) only";
    return r;
  }
  static const nlohmann::json pe = nlohmann::json::parse(detail::pe_silicon_json);
  const std::string pq = pe.at("quant").get<std::string>(), po = pe.at("overflow").get<std::string>();
  const auto unit = silicon_figures("q16", cfg.quant, cfg.overflow);
  const auto unit_ref = silicon_figures("q16", pq, po);
  r.set = "q16";
  r.quant = fx::to_string(cfg.quant);
  r.overflow = fx::to_string(cfg.overflow);
  if (!unit || !unit_ref) {
    r.reason = "no 45 nm figures for " + r.quant + "/" + r.overflow + " (synthesised: rnd_conv/sat, stoch/sat, trn/wrap)";
    return r;
  }
  const double pe_area = pe.at("area_um2").get<double>(), pe_fmax = pe.at("timing").at("fmax_mhz").get<double>();
  const int pe_lanes = pe.at("params").at("LANES").get<int>();
  r.available = true;
  if (r.quant == pq && r.overflow == po && lanes == pe_lanes) {
    r.clock_mhz = pe_fmax;
    r.logic_area_um2 = pe_area;
    r.basis = "measured: the synthesised PE (" + pq + "/" + po + ")";
  } else {
    // Per lane: one MAC lane (the measured PE's share) plus one write lane of this mode.
    const double per_lane = pe_area / pe_lanes - unit_ref->area_um2 + unit->area_um2;
    r.logic_area_um2 = per_lane * lanes;
    r.clock_mhz = std::min(pe_fmax, unit->fmax_mhz);
    r.basis = "derived: the synthesised PE (" + pq + "/" + po + ") with " + r.quant + "/" + r.overflow +
              " edge units as write lanes, " + std::to_string(lanes) + " lanes";
  }
  return r;
}

double mesh_area_um2(double pe_logic_um2, long pes, long sram_kib, long vertex_groups, long vertex_sram_kib) {
  const double bit = kSramBitCellUm2 * kSramArrayOverhead;
  return static_cast<double>(pes) * (pe_logic_um2 + static_cast<double>(sram_kib) * 8192.0 * bit) +
         static_cast<double>(vertex_groups) * static_cast<double>(vertex_sram_kib) * 8192.0 * bit;
}

}  // namespace sheafsim::ops

