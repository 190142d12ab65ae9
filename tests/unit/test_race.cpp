// `sheafsim race`'s figures (race_report.h): the target rule, time and energy
// to a step count by hand, the report's fields and the summary's verdict.
#include <catch2/catch.hpp>

#include "sheafsim/race/race_report.h"

using namespace sheafsim;
using Catch::Matchers::Contains;

namespace {

TrainPoint point(long step, double loss, double acc) {
  TrainPoint p;
  p.step = step;
  p.test.loss = loss;
  p.test.accuracy = acc;
  p.train.loss = loss;
  return p;
}

race::Entry entry(const std::string& method, std::vector<TrainPoint> h, bool on_mesh, double cycles, double arith,
                  double sram, double links, double static_uW) {
  race::Entry e;
  e.method = method;
  e.config_file = method + ".toml";
  e.result.history = std::move(h);
  e.result.steps = e.result.history.back().step;
  e.cost.on_mesh = on_mesh;
  e.cost.cycles_per_step = on_mesh ? cycles : kNaN;
  e.cost.arithmetic_pJ = arith;
  e.cost.sram_pJ = sram;
  e.cost.links_pJ = links;
  e.cost.static_uW = static_uW;
  e.cost.peak_sram_bits_per_pe = 8192 * 10;
  e.cost.mac_utilisation = 0.25;
  e.cost.link_utilisation = 0.125;
  return e;
}

}  // namespace

TEST_CASE("a target is met at the first history point on the test split", "[race]") {
  race::Target acc{true, 0.9};
  CHECK(acc.reached(point(0, 1.0, 0.9)));
  CHECK_FALSE(acc.reached(point(0, 1.0, 0.8999)));
  race::Target loss{false, 0.1};
  CHECK(loss.reached(point(0, 0.1, kNaN)));
  CHECK_FALSE(loss.reached(point(0, 0.1000001, kNaN)));
  CHECK_FALSE(loss.reached(point(0, kNaN, kNaN)));  // a diverged run never meets it
  CHECK(acc.describe() == "test accuracy >= 0.9");
  const race::Entry e = entry("sgd", {point(0, 2, 0.1), point(50, 1, 0.5), point(100, 0.5, 0.92), point(150, 0.4, 0.95)},
                              true, 100, 1, 1, 1, 0);
  CHECK(e.target_step(acc) == 100);
  CHECK(e.target_step(race::Target{true, 0.99}) == -1);
}

TEST_CASE("time and energy to a step count: dynamic per step plus static power over the time", "[race]") {
  // 1000 cycles per step at 200 MHz: 5 us per step. 10 steps: 50 us.
  // Dynamic 1,000,000 pJ per step (1 uJ): 10 uJ; static 2,000 uW x 50 us = 100,000 pJ = 0.1 uJ.
  const race::Entry e = entry("sheaf", {point(0, 1, 0.5), point(10, 0.5, 0.9)}, true, 1000, 600000, 300000, 100000, 2000);
  CHECK(race::time_us(e.cost, 10, 200) == Approx(50.0));
  CHECK(race::energy_uJ(e.cost, 10, 200) == Approx(10.1));
  // Off the mesh: arithmetic only, no time.
  const race::Entry sid = entry("sid", {point(0, 1, 0.5), point(10, 0.5, 0.9)}, false, 0, 500000, 0, 0, 2000);
  CHECK(std::isnan(race::time_us(sid.cost, 10, 200)));
  CHECK(race::energy_uJ(sid.cost, 10, 200) == Approx(5.0));
}

TEST_CASE("the race report and summary give the winner and the ratios", "[race]") {
  race::RaceResult r;
  r.target = {true, 0.9};
  r.clock_mhz = 100;
  r.clock_source = "test";
  r.eval_every = 50;
  r.max_steps = 1000;
  r.network = {{"layers", {2, 3, 1}}};
  // sgd: 100 steps x 200 cycles = 20,000 cycles = 200 us; 100 x 1 uJ + 1,000 uW x 200 us (0.2 uJ) = 100.2 uJ.
  // sheaf: 400 steps x 100 cycles = 40,000 cycles = 400 us; 400 x 0.5 uJ + 1,000 uW x 400 us (0.4 uJ) = 200.4 uJ.
  r.entries.push_back(entry("sheaf", {point(0, 2, 0.1), point(200, 1, 0.5), point(400, 0.5, 0.91)}, true, 100, 250000,
                            200000, 50000, 1000));
  r.entries.push_back(entry("sgd", {point(0, 2, 0.1), point(100, 0.5, 0.93)}, true, 200, 600000, 300000, 100000, 1000));
  r.entries.push_back(entry("sid", {point(0, 2, 0.1), point(50, 0.5, 0.92)}, false, 0, 400000, 0, 0, 0));
  const nlohmann::json j = race::to_json(r);
  REQUIRE(j["methods"].size() == 3);
  const auto& sheaf = j["methods"][0];
  CHECK(sheaf["steps_to_target"] == 400);
  CHECK(sheaf["to_target"]["time_us"].get<double>() == Approx(400.0));
  CHECK(sheaf["to_target"]["energy_uJ"].get<double>() == Approx(200.4));
  CHECK(sheaf["to_target"]["static_uJ"].get<double>() == Approx(0.4));
  CHECK(sheaf["to_target"]["sram_uJ"].get<double>() == Approx(80.0));
  CHECK(sheaf["curve"].size() == 3);
  CHECK(sheaf["curve"][1]["time_us"].get<double>() == Approx(200.0));
  CHECK(j["methods"][1]["to_target"]["energy_uJ"].get<double>() == Approx(100.2));
  CHECK(j["methods"][2]["level"] == "operation counts (no mesh model)");
  CHECK(j["methods"][2]["to_target"]["time_us"].is_null());
  CHECK(j["methods"][2]["to_target"]["energy_uJ"].get<double>() == Approx(20.0));
  CHECK(j["target"]["rule"] == "test accuracy >= 0.9");
  const std::string md = race::summary_markdown(r);
  CHECK_THAT(md, Contains("# Race to test accuracy >= 0.9"));
  CHECK_THAT(md, Contains("**sgd** gets there first: 2x sooner than sheaf (200 us against 400 us)"));
  CHECK_THAT(md, Contains("**sgd** spends less energy: 2x less than sheaf (100 uJ against 200 uJ)"));
  CHECK_THAT(md, Contains("| sid | 50 | no mesh model | 20 uJ (arithmetic only)"));
  CHECK_THAT(md, Contains("10.0 KiB"));

  // A method that misses the target is named, plainly.
  r.entries[0].result.history.back().test.accuracy = 0.85;
  CHECK_THAT(race::summary_markdown(r), Contains("**sheaf** did not reach the target in 400 steps."));
  CHECK(race::to_json(r)["methods"][0]["to_target"].is_null());
}
