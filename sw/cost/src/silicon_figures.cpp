#include "sheafsim/cost/silicon_figures.h"

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

}  // namespace sheafsim::ops
