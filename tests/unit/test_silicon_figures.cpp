// The edge unit's committed 45 nm figures (sheafsim/cost/silicon_figures.h):
// every set and mode present with sane numbers, the embedded copy equal to
// rtl/silicon/edge_unit_45nm.json, lookups by name and by mode enum.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "sheafsim/cost/silicon_figures.h"

using namespace sheafsim;
using namespace sheafsim::ops;

TEST_CASE("every parameter set and synthesised mode has figures") {
  REQUIRE(all_silicon_figures().size() == 9);
  for (const char* set : {"q8", "q12", "q16"}) {
    for (auto [q, o] : {std::pair{fx::Quant::RndConv, fx::Overflow::Sat}, std::pair{fx::Quant::Stoch, fx::Overflow::Sat},
                        std::pair{fx::Quant::Trn, fx::Overflow::Wrap}}) {
      const auto f = silicon_figures(set, q, o);
      REQUIRE(f.has_value());
      CHECK(f->fmax_mhz > 50);
      CHECK(f->fmax_mhz < 2000);
      CHECK(f->fmax_mhz == Approx(1000.0 / f->min_period_ns).epsilon(1e-3));
      CHECK(f->area_um2 > f->flip_flop_area_um2);
      CHECK(f->flip_flop_area_um2 > 0);
      // DFF_X1 is 4.522 um^2: the flip-flop area counts every flip-flop.
      CHECK(f->flip_flop_area_um2 == Approx(4.522 * f->flip_flops).epsilon(1e-6));
      CHECK(f->critical_levels > 0);
      CHECK(f->critical_delay_ns > 0);
      CHECK(f->critical_delay_ns < f->min_period_ns);
      CHECK_FALSE(f->critical_start.empty());
      CHECK_FALSE(f->critical_end.empty());
    }
  }
  CHECK(silicon_latency_cycles() == 5);
  CHECK_THAT(silicon_library(), Catch::Matchers::Contains("FreePDK45"));
}

TEST_CASE("the stochastic hash dominates area and sets fmax") {
  for (const char* set : {"q8", "q12", "q16"}) {
    const auto det = silicon_figures(set, "rnd_conv", "sat");
    const auto sto = silicon_figures(set, "stoch", "sat");
    REQUIRE(det.has_value());
    REQUIRE(sto.has_value());
    CHECK(sto->area_um2 > 3 * det->area_um2);
    CHECK(sto->fmax_mhz < det->fmax_mhz);
  }
  // Wider formats cost area.
  CHECK(silicon_figures("q16", "trn", "wrap")->area_um2 > silicon_figures("q8", "trn", "wrap")->area_um2);
}

TEST_CASE("sets and modes without figures give nothing") {
  CHECK_FALSE(silicon_figures("q4", "trn", "wrap").has_value());
  CHECK_FALSE(silicon_figures("q8", fx::Quant::Rnd, fx::Overflow::Sat).has_value());
  CHECK_FALSE(silicon_figures("q8", "trn", "sat").has_value());
}

TEST_CASE("the embedded figures equal the committed file") {
  std::ifstream in(std::string(SHEAFSIM_SOURCE_DIR) + "/rtl/silicon/edge_unit_45nm.json");
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const auto j = nlohmann::json::parse(text.str());
  REQUIRE(j.at("results").size() == all_silicon_figures().size());
  for (const auto& r : j.at("results")) {
    const auto f = silicon_figures(r.at("set").get<std::string>(), r.at("quant").get<std::string>(),
                                   r.at("overflow").get<std::string>());
    REQUIRE(f.has_value());
    CHECK(f->fmax_mhz == r.at("fmax_mhz").get<double>());
    CHECK(f->area_um2 == r.at("area_um2").get<double>());
    CHECK(f->flip_flop_area_um2 == r.at("flip_flop_area_um2").get<double>());
    CHECK(f->critical_levels == r.at("critical_path").at("levels").get<int>());
  }
}

TEST_CASE("the PE's clock and area: measured in its mode, derived in the others", "[silicon]") {
  FixedConfig cfg;  // the default formats: parameter set q16
  cfg.quant = fx::Quant::RndConv;
  cfg.overflow = fx::Overflow::Sat;
  const PeSilicon measured = pe_silicon(cfg, 4);
  REQUIRE(measured.available);
  REQUIRE(measured.basis.rfind("measured", 0) == 0);
  REQUIRE(measured.clock_mhz > 50);
  REQUIRE(measured.clock_mhz <= silicon_figures("q16", "rnd_conv", "sat")->fmax_mhz);
  // Four MAC lanes and four write lanes: more than four edge units.
  REQUIRE(measured.logic_area_um2 > 4 * silicon_figures("q16", "rnd_conv", "sat")->area_um2);

  cfg.quant = fx::Quant::Stoch;
  const PeSilicon stoch = pe_silicon(cfg, 4);
  REQUIRE(stoch.available);
  REQUIRE(stoch.basis.rfind("derived", 0) == 0);
  const auto unit = silicon_figures("q16", "stoch", "sat"), ref = silicon_figures("q16", "rnd_conv", "sat");
  REQUIRE(stoch.clock_mhz == Approx(std::min(measured.clock_mhz, unit->fmax_mhz)));
  REQUIRE(stoch.logic_area_um2 == Approx(measured.logic_area_um2 + 4 * (unit->area_um2 - ref->area_um2)));
  // Eight lanes: twice the per-lane area.
  cfg.quant = fx::Quant::RndConv;
  REQUIRE(pe_silicon(cfg, 8).logic_area_um2 == Approx(2 * measured.logic_area_um2));

  cfg.overflow = fx::Overflow::Wrap;  // rnd_conv/wrap was not synthesised
  REQUIRE_FALSE(pe_silicon(cfg, 4).available);
  cfg = FixedConfig{};
  cfg.stalk = {4, 10};
  const PeSilicon other = pe_silicon(cfg, 4);
  REQUIRE_FALSE(other.available);
  REQUIRE(other.reason.find("q16") != std::string::npos);
}
