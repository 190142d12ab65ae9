// `sheafsim explore`'s pure part (sheafsim/explore/): the explore.toml parser
// and its messages, grid, random and Latin-hypercube samples, the derived
// metrics by hand, exact JSON round trips, Pareto fronts and the tables.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "sheafsim/base/error.h"
#include "sheafsim/explore/design_sample.h"
#include "sheafsim/explore/design_space.h"
#include "sheafsim/explore/explore_tables.h"
#include "sheafsim/explore/pareto.h"
#include "sheafsim/explore/point_outcome.h"

using namespace sheafsim;
using namespace sheafsim::explore;
using Catch::Matchers::Contains;

namespace {

const double inf = std::numeric_limits<double>::infinity();

DesignSpace parse(const std::string& text) { return parse_design_space(text, "x.toml"); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

const Axis& axis(const DesignSpace& s, const std::string& key) {
  for (const Axis& a : s.axes)
    if (a.key == key) return a;
  FAIL("no axis " << key);
  return s.axes.front();
}

std::vector<std::string> values(const DesignSpace& s, const std::string& key) { return axis(s, key).values; }

// A space of the given axis sizes (values "0", "1", ...), sampled by `method`.
DesignSpace space_of(const std::vector<size_t>& sizes, SampleMethod method, size_t points, std::uint64_t seed) {
  DesignSpace s;
  for (size_t a = 0; a < sizes.size(); ++a) {
    Axis ax{"a" + std::to_string(a), AxisKind::Architecture, {}};
    for (size_t v = 0; v < sizes[a]; ++v) ax.values.push_back(std::to_string(v));
    s.axes.push_back(ax);
  }
  s.method = method;
  s.sample_points = points;
  s.sample_seed = seed;
  return s;
}

}  // namespace

// ---- parse_design_space ----

TEST_CASE("parse: axes of every kind, canonical and in file order", "[explore]") {
  const DesignSpace s = parse(R"(
[run]
task = "blobs"
[sample]
method = "grid"
[axes]
stalk = ["Q4.10..Q4.14:2", "Q6.8"]
acc = "24..40:8"
round = ["rnd_conv", "stoch"]
mesh = ["2x2", "4X8"]
lanes = [4, "8"]
chunk = [0, 16]
clock-mhz = [200, 198.8, "1e3"]
steps = [100, "1e4", 2e3]
schedule = "barrier"
reduction = ["in-network", "vertex"]
[cost]
sim-steps = 3
energy-table = "t.toml"
)");
  std::vector<std::string> keys;
  for (const Axis& a : s.axes) keys.push_back(a.key);
  CHECK(keys == std::vector<std::string>{"stalk", "acc", "round", "mesh", "lanes", "chunk", "clock-mhz", "steps",
                                         "schedule", "reduction"});
  CHECK(values(s, "stalk") == std::vector<std::string>{"Q4.10", "Q4.12", "Q4.14", "Q6.8"});
  CHECK(values(s, "acc") == std::vector<std::string>{"24", "32", "40"});
  CHECK(values(s, "mesh") == std::vector<std::string>{"2x2", "4x8"});
  CHECK(values(s, "lanes") == std::vector<std::string>{"4", "8"});
  CHECK(values(s, "chunk") == std::vector<std::string>{"0", "16"});
  CHECK(values(s, "clock-mhz") == std::vector<std::string>{"200", "198.8", "1000"});
  CHECK(values(s, "steps") == std::vector<std::string>{"100", "10000", "2000"});
  CHECK(values(s, "schedule") == std::vector<std::string>{"barrier"});
  CHECK(axis(s, "stalk").kind == AxisKind::Numeric);
  CHECK(axis(s, "mesh").kind == AxisKind::Architecture);
  CHECK(axis(s, "steps").kind == AxisKind::Training);
  CHECK(s.grid_size() == 4 * 3 * 2 * 2 * 2 * 2 * 3 * 3 * 1 * 2);
  CHECK(s.method == SampleMethod::Grid);
  CHECK(s.sim_steps == 3);
  CHECK(s.energy_table == "t.toml");
}

TEST_CASE("parse: defaults, an empty file is one point, sample settings", "[explore]") {
  const DesignSpace empty = parse("");
  CHECK(empty.axes.empty());
  CHECK(empty.grid_size() == 1);
  CHECK(empty.method == SampleMethod::Grid);
  CHECK(empty.sample_seed == 1);
  CHECK(empty.sim_steps == 0);
  CHECK(parse("[axes]\n").axes.empty());
  const DesignSpace r = parse("[sample]\nmethod = \"lhs\"\npoints = 12\nseed = 7\n[axes]\nlanes = [1, 2]\n");
  CHECK(r.method == SampleMethod::LatinHypercube);
  CHECK(r.sample_points == 12);
  CHECK(r.sample_seed == 7);
  CHECK(to_string(SampleMethod::Random) == "random");
}

TEST_CASE("parse: every error names the file, the table and the key", "[explore]") {
  CHECK_THAT(error_of("[axes\nstalk = 1"), Contains("x.toml: invalid TOML at line 1"));
  CHECK(error_of("[foo]\n") == "x.toml: unknown table [foo] (expected [run], [sample], [axes], [cost])");
  CHECK_THAT(error_of("[sampel]\n"), Contains("unknown table [sampel]") && Contains("did you mean 'sample'?"));
  CHECK_THAT(error_of("bar = 1\n"), Contains("x.toml: unknown key 'bar' at the top level"));
  CHECK_THAT(error_of("[axes]\nlane = [1]\n"),
             Contains("x.toml: [axes] unknown axis 'lane'") && Contains("did you mean 'lanes'?"));
  CHECK_THAT(error_of("[axes]\nvertex_lanes = [1]\n"), Contains("did you mean 'vertex-lanes'?"));
  CHECK(error_of("[axes]\nstalk = []\n") == "x.toml: [axes] stalk: is an empty array (give at least one value)");
  CHECK(error_of("[axes]\nstalk = [\"Q4.10\", \"Q4.8..Q4.12:2\"]\n") ==
        "x.toml: [axes] stalk: value 'Q4.10' appears twice");
  CHECK(error_of("[axes]\nlanes = [4, \"4\"]\n") == "x.toml: [axes] lanes: value '4' appears twice");
  CHECK(error_of("[axes]\nclock-mhz = [200, 200.0]\n") == "x.toml: [axes] clock-mhz: value '200' appears twice");
  CHECK_THAT(error_of("[axes]\nstalk = [\"Q4\"]\n"), Contains("x.toml: [axes] stalk 'Q4': not of the form Q<i>.<f>"));
  CHECK_THAT(error_of("[axes]\nacc = [\"40..24\"]\n"), Contains("x.toml: [axes] acc: range '40..24' is empty"));
  CHECK_THAT(error_of("[axes]\nround = [\"nearest\"]\n"),
             Contains("x.toml: [axes] round: unknown rounding mode 'nearest'"));
  CHECK_THAT(error_of("[axes]\noverflow = [\"sat|wrap\"]\n"), Contains("x.toml: [axes] overflow: 'sat|wrap' is not one value or range"));
  CHECK_THAT(error_of("[axes]\nmesh = [\"4by4\"]\n"), Contains("x.toml: [axes] mesh: mesh '4by4' must be RxC"));
  CHECK_THAT(error_of("[axes]\nlanes = [0]\n"), Contains("x.toml: [axes] lanes: lanes '0' must be a whole number"));
  CHECK_THAT(error_of("[axes]\nchunk = [-1]\n"), Contains("x.toml: [axes] chunk: chunk '-1' must be a whole number in 0.."));
  CHECK_THAT(error_of("[axes]\nlanes = [2.5]\n"), Contains("x.toml: [axes] lanes: lanes values must be strings or integers"));
  CHECK_THAT(error_of("[axes]\nschedule = [\"eager\"]\n"), Contains("x.toml: [axes] schedule: unknown --schedule 'eager'"));
  CHECK_THAT(error_of("[axes]\nclock-mhz = [0]\n"), Contains("x.toml: [axes] clock-mhz: clock-mhz '0' must be a finite number > 0"));
  CHECK_THAT(error_of("[axes]\nclock-mhz = [nan]\n"), Contains("clock-mhz 'nan' must be a finite number > 0"));
  CHECK_THAT(error_of("[axes]\nsteps = [0]\n"), Contains("x.toml: [axes] steps: steps '0' must be a whole number >= 1"));
  CHECK_THAT(error_of("[axes]\nsteps = [\"1.5e0\"]\n"), Contains("steps '1.5e0' must be a whole number >= 1"));
  CHECK(error_of("[sample]\nmethod = \"sobol\"\n") == "x.toml: [sample] method must be \"grid\", \"random\" or \"lhs\"");
  CHECK_THAT(error_of("[sample]\nmethod = \"random\"\n"), Contains("x.toml: [sample] points is missing"));
  CHECK_THAT(error_of("[sample]\nmethod = \"lhs\"\npoints = 0\n"), Contains("x.toml: [sample] points = 0 must be in 1..100000"));
  CHECK_THAT(error_of("[sample]\npoints = 4\n"), Contains("x.toml: [sample] points is for method \"random\" or \"lhs\""));
  CHECK_THAT(error_of("[sample]\nsize = 4\n"), Contains("x.toml: [sample] unknown key 'size'"));
  CHECK_THAT(error_of("[sample]\nseed = -1\n"), Contains("x.toml: [sample] seed must be an integer >= 0"));
  CHECK_THAT(error_of("[cost]\nsim-step = 4\n"),
             Contains("x.toml: [cost] unknown key 'sim-step'") && Contains("did you mean 'sim-steps'?"));
  CHECK_THAT(error_of("[cost]\nsim-steps = -1\n"), Contains("x.toml: [cost] sim-steps must be an integer in 0.."));
  // 11 x 11 x 11 x 11 x 11 = 161051 grid points: refused for the grid, fine for a sample.
  const std::string big = "[axes]\nlanes = \"1..11\"\n";
  const std::string axes5 =
      "[axes]\nlanes=[1,2,3,4,5,6,7,8,9,10,11]\nvertex-lanes=[1,2,3,4,5,6,7,8,9,10,11]\n"
      "link-width=[1,2,3,4,5,6,7,8,9,10,11]\nsram-kib=[1,2,3,4,5,6,7,8,9,10,11]\nchunk=[1,2,3,4,5,6,7,8,9,10,11]\n";
  CHECK_THAT(error_of(axes5), Contains("x.toml: [axes] the grid has 161051 points, more than 100000"));
  CHECK(parse("[sample]\nmethod = \"random\"\npoints = 10\n" + axes5).grid_size() == 161051);
  CHECK_THAT(error_of(big), Contains("lanes '1..11' must be a whole number"));
  // Past 2^64 points a grid index does not fit: refused even for a sample.
  std::string many = "1";
  for (int v = 2; v <= 1000; ++v) many += "," + std::to_string(v);
  CHECK_THAT(error_of("[sample]\nmethod = \"random\"\npoints = 3\n[axes]\nacc = \"1..1000\"\nstalk = \"Q1.0..Q1.63\"\n"
                      "weight = \"Q1.0..Q1.63\"\nlanes = [" + many + "]\nvertex-lanes = [" + many + "]\nlink-width = [" +
                      many + "]\nsram-kib = [" + many + "]\nchunk = [" + many + "]\n"),
             Contains("x.toml: [axes] the design space has too many points to index"));
}

TEST_CASE("axis_kind and axis_keys", "[explore]") {
  CHECK(axis_keys().size() == 19);
  CHECK(axis_keys().front() == "stalk");
  CHECK(axis_keys().back() == "steps");
  CHECK(axis_kind("acc") == AxisKind::Numeric);
  CHECK(axis_kind("link-width") == AxisKind::Architecture);
  CHECK(axis_kind("steps") == AxisKind::Training);
  CHECK_THROWS_WITH(axis_kind("stalks"), Contains("unknown axis 'stalks'") && Contains("did you mean 'stalk'?"));
  CHECK(design_column("acc") == "acc_bits");
  CHECK(design_column("vertex-sram-kib") == "vertex_sram_kib");
  for (const std::string& k : axis_keys()) CHECK_NOTHROW(design_column(k));
}

// ---- sample_design ----

TEST_CASE("sample: the grid, last axis fastest", "[explore]") {
  const DesignSpace s = parse("[axes]\nmesh = [\"2x2\", \"4x4\"]\nlanes = [1, 2, 4]\n");
  const Sample g = sample_design(s);
  REQUIRE(g.points.size() == 6);
  CHECK(g.duplicates_removed == 0);
  CHECK(g.points[0] == DesignPoint{{"mesh", "2x2"}, {"lanes", "1"}});
  CHECK(g.points[1] == DesignPoint{{"mesh", "2x2"}, {"lanes", "2"}});
  CHECK(g.points[3] == DesignPoint{{"mesh", "4x4"}, {"lanes", "1"}});
  CHECK(g.points[5] == DesignPoint{{"mesh", "4x4"}, {"lanes", "4"}});
  const Sample one = sample_design(parse(""));
  REQUIRE(one.points.size() == 1);
  CHECK(one.points[0].empty());
}

TEST_CASE("sample: random points are distinct, deterministic per seed", "[explore]") {
  const DesignSpace s = space_of({5, 4, 3}, SampleMethod::Random, 20, 42);
  const Sample a = sample_design(s), b = sample_design(s);
  REQUIRE(a.points.size() == 20);
  CHECK(std::set<DesignPoint>(a.points.begin(), a.points.end()).size() == 20);
  CHECK(a.points == b.points);
  DesignSpace other = s;
  other.sample_seed = 43;
  CHECK(sample_design(other).points != a.points);
  // The whole grid once the sample reaches it, in grid order.
  DesignSpace all = s;
  all.sample_points = 1000;
  DesignSpace grid = s;
  grid.method = SampleMethod::Grid;
  CHECK(sample_design(all).points == sample_design(grid).points);
  // Every grid point is drawn with the same frequency over many seeds (here: every one appears).
  std::set<DesignPoint> seen;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    DesignSpace t = s;
    t.sample_seed = seed;
    t.sample_points = 5;
    for (const DesignPoint& p : sample_design(t).points) seen.insert(p);
  }
  CHECK(seen.size() == 60);
  // A grid far beyond memory: the sparse shuffle draws from it anyway.
  const Sample huge = sample_design(space_of({1000, 1000, 1000, 1000}, SampleMethod::Random, 50, 9));
  CHECK(std::set<DesignPoint>(huge.points.begin(), huge.points.end()).size() == 50);
}

TEST_CASE("sample: Latin hypercube strata, duplicates removed", "[explore]") {
  // 10 points over axes of 10, 5, 3 and 4 values: before deduplication every
  // value appears floor or ceil of 10 / len times; the 10-value axis makes all
  // points distinct, so the counts hold on the result.
  const std::vector<size_t> sizes = {10, 5, 3, 4};
  const DesignSpace s = space_of(sizes, SampleMethod::LatinHypercube, 10, 5);
  const Sample a = sample_design(s);
  REQUIRE(a.points.size() == 10);
  CHECK(a.duplicates_removed == 0);
  for (size_t ax = 0; ax < sizes.size(); ++ax) {
    std::map<std::string, size_t> count;
    for (const DesignPoint& p : a.points) ++count[p[ax].second];
    CHECK(count.size() == sizes[ax]);
    for (const auto& [v, n] : count) {
      CHECK(n >= 10 / sizes[ax]);
      CHECK(n <= (10 + sizes[ax] - 1) / sizes[ax]);
    }
  }
  CHECK(sample_design(s).points == a.points);
  DesignSpace other = s;
  other.sample_seed = 6;
  CHECK(sample_design(other).points != a.points);
  // 7 points on a 2 x 2 grid: at most 4 distinct; each value appears 3 or 4 times before deduplication.
  const Sample d = sample_design(space_of({2, 2}, SampleMethod::LatinHypercube, 7, 3));
  CHECK(d.points.size() <= 4);
  CHECK(d.points.size() + d.duplicates_removed == 7);
  CHECK(d.duplicates_removed >= 3);
  CHECK(std::set<DesignPoint>(d.points.begin(), d.points.end()).size() == d.points.size());
  // One axis of one value: every point identical.
  const Sample same = sample_design(space_of({1}, SampleMethod::LatinHypercube, 5, 1));
  CHECK(same.points.size() == 1);
  CHECK(same.duplicates_removed == 4);
}

// ---- derive, JSON ----

TEST_CASE("derive: time and energy by hand", "[explore]") {
  TrainingOutcome t;
  t.steps = 1000;
  ArchOutcome a;
  a.cycles_per_step = 2400;
  a.clock_mhz = 200;
  a.static_uW = 1000;
  a.arithmetic_pJ_per_step = 3e6;
  a.sram_pJ_per_step = 1e6;
  a.links_pJ_per_step = 0.5e6;
  const PointMetrics m = derive(t, a);
  CHECK(m.time_per_step_us == Approx(12.0));                   // 2400 cycles at 200 MHz
  CHECK(m.static_energy_per_step_uJ == Approx(0.012));         // 1000 uW over 12 us
  CHECK(m.dynamic_energy_per_step_uJ == Approx(4.5));          // 4.5e6 pJ
  CHECK(m.energy_per_step_uJ == Approx(4.512));
  CHECK(m.time_to_train_us == Approx(12000.0));
  CHECK(m.energy_to_train_uJ == Approx(4512.0));
  a.feasible = false;
  CHECK(std::isnan(derive(t, a).time_per_step_us));
  CHECK(std::isnan(derive(t, a).energy_per_step_uJ));
  a.feasible = true;
  a.cycles_per_step = std::nan("");
  CHECK(std::isnan(derive(t, a).time_to_train_us));
  CHECK(derive(t, a).dynamic_energy_per_step_uJ == Approx(4.5));
  t.error = "constant quantises to zero";
  a.cycles_per_step = 2400;
  CHECK(std::isnan(derive(t, a).energy_to_train_uJ));
  CHECK(derive(t, a).time_per_step_us == Approx(12.0));
}

TEST_CASE("JSON round trips are exact, NaN and inf included", "[explore]") {
  TrainingOutcome t;
  t.steps = 12345;
  t.train_loss = 0.1 + 0.2;
  t.test_loss = 1.0 / 3.0;
  t.train_accuracy = inf;
  t.test_accuracy = std::nan("");
  t.diverged = true;
  t.saturations = std::numeric_limits<std::uint64_t>::max();
  t.lost_updates = 7;
  t.error = "a \"quoted\", reason";
  const auto text = to_json(t).dump();
  const TrainingOutcome u = training_outcome_from_json(nlohmann::json::parse(text));
  CHECK(u.steps == t.steps);
  CHECK(u.train_loss == t.train_loss);
  CHECK(u.test_loss == t.test_loss);
  CHECK(u.train_accuracy == inf);
  CHECK(std::isnan(u.test_accuracy));
  CHECK(u.diverged);
  CHECK(u.saturations == t.saturations);
  CHECK(u.lost_updates == 7);
  CHECK(u.error == t.error);
  CHECK(to_json(u).dump() == text);

  ArchOutcome a;
  a.feasible = false;
  a.reason = "needs 46 tiles";
  a.cycles_per_step = 2400.000000000001;
  a.mac_utilisation = 5e-324;  // the smallest subnormal
  a.link_utilisation = -inf;
  a.simulated_steps = 3;
  a.pes = 16;
  a.links = 48;
  a.sram_bits = 1ULL << 40;
  a.peak_sram_bits_per_pe = 81920;
  a.arithmetic_pJ_per_step = 1.7976931348623157e308;
  a.sram_pJ_per_step = 0.1;
  a.links_pJ_per_step = -0.0;
  a.static_uW = 123.456;
  a.clock_mhz = 198.8;
  a.clock_source = "edge unit fmax";
  a.area_mm2 = 2.5e-3;
  a.area_basis = "45 nm";
  const auto atext = to_json(a).dump();
  const ArchOutcome b = arch_outcome_from_json(nlohmann::json::parse(atext));
  CHECK(to_json(b).dump() == atext);
  CHECK(b.cycles_per_step == a.cycles_per_step);
  CHECK(b.mac_utilisation == a.mac_utilisation);
  CHECK(b.link_utilisation == -inf);
  CHECK(b.arithmetic_pJ_per_step == a.arithmetic_pJ_per_step);
  CHECK(std::signbit(b.links_pJ_per_step));
  CHECK(b.sram_bits == a.sram_bits);
  CHECK(b.clock_mhz == 198.8);
  CHECK(b.area_basis == "45 nm");
  CHECK(!b.feasible);
  // Integers where doubles are expected are read; missing or mistyped fields are refused.
  auto j = to_json(a);
  j["cycles_per_step"] = 2400;
  CHECK(arch_outcome_from_json(j).cycles_per_step == 2400.0);
  j.erase("pes");
  CHECK_THROWS_WITH(arch_outcome_from_json(j), "architecture outcome: missing field 'pes'");
  auto k = to_json(t);
  k["train_loss"] = "NaN!";
  CHECK_THROWS_WITH(training_outcome_from_json(k), Contains("'train_loss' must be a number"));
}

// ---- pareto_front ----

TEST_CASE("pareto_front: dominated out, ties kept, non-finite excluded", "[explore]") {
  const double nan = std::nan("");
  CHECK(pareto_front({}).empty());
  CHECK(pareto_front({{1, 5}, {2, 2}, {3, 3}, {5, 1}}) == std::vector<size_t>{0, 1, 3});    // (3,3) beaten by (2,2)
  CHECK(pareto_front({{2, 2}, {2, 2}, {2, 3}}) == std::vector<size_t>{0, 1});               // identical: both kept
  CHECK(pareto_front({{0, 0}, {nan, -1}, {1, inf}}) == std::vector<size_t>{0});             // non-finite never on it
  CHECK(pareto_front({{nan, 0}}).empty());
  CHECK(pareto_front({{3, 1}, {nan, nan}}) == std::vector<size_t>{0});
  // 3-D: (2,2,2) is beaten by (1,2,2); (1,1,9), (9,1,1) and (1,2,2) trade off.
  CHECK(pareto_front({{2, 2, 2}, {1, 1, 9}, {9, 1, 1}, {1, 2, 2}, {9, 9, 9}}) == std::vector<size_t>{1, 2, 3});
  // Equal in one objective, better in another: dominated.
  CHECK(pareto_front({{1, 1, 1}, {1, 1, 2}}) == std::vector<size_t>{0});
}

// ---- make_tables ----

namespace {

DesignPoint full_settings(const std::string& mesh, const std::string& stalk, const std::string& steps) {
  DesignPoint p;
  for (const std::string& k : axis_keys()) {
    std::string v = "x";
    if (k == "stalk" || k == "weight" || k == "bias" || k == "residual") v = "Q4.12";
    if (k == "stalk") v = stalk;
    if (k == "constant") v = "Q1.31";
    if (k == "acc") v = "48";
    if (k == "round") v = "rnd_conv";
    if (k == "overflow") v = "sat";
    if (k == "mesh") v = mesh;
    if (k == "lanes" || k == "vertex-lanes") v = "4";
    if (k == "link-width") v = "32";
    if (k == "sram-kib") v = "64";
    if (k == "vertex-sram-kib") v = "256";
    if (k == "chunk") v = "0";
    if (k == "schedule") v = "dataflow";
    if (k == "reduction") v = "in-network";
    if (k == "clock-mhz") v = "200";
    if (k == "steps") v = steps;
    p.emplace_back(k, v);
  }
  return p;
}

ExploreRow row(size_t point, const std::string& mesh, const std::string& stalk, double acc, double cycles,
               double area) {
  ExploreRow r;
  r.point = point;
  r.settings = full_settings(mesh, stalk, "100");
  r.training_key = stalk;
  r.training.steps = 100;
  r.training.train_loss = 0.5;
  r.training.test_loss = 0.25 + 0.125 * (1 - acc);
  r.training.train_accuracy = acc;
  r.training.test_accuracy = acc;
  r.training.saturations = 3;
  r.arch.cycles_per_step = cycles;
  r.arch.mac_utilisation = 0.5;
  r.arch.link_utilisation = 0.25;
  r.arch.simulated_steps = 2;
  r.arch.pes = 4;
  r.arch.links = 8;
  r.arch.sram_bits = 4 * 64 * 8192;
  r.arch.peak_sram_bits_per_pe = 1000;
  r.arch.arithmetic_pJ_per_step = cycles * 100;
  r.arch.sram_pJ_per_step = 50;
  r.arch.links_pJ_per_step = 25;
  r.arch.static_uW = 1000;
  r.arch.clock_mhz = 200;
  r.arch.clock_source = "clock-mhz";
  r.arch.area_mm2 = area;
  r.arch.area_basis = "45 nm";
  return r;
}

struct Fixture {
  DesignSpace space;
  Sample sample;
  std::vector<ExploreRow> rows;
  ExploreContext ctx;
};

// Four points: 0 accurate but slow and big, 1 cheaper and less accurate,
// 2 infeasible (a reason with a comma and quotes), 3 dominated by 1.
Fixture four_points() {
  Fixture f;
  f.space = parse("[axes]\nmesh = [\"2x2\", \"4x4\"]\nstalk = [\"Q4.12\", \"Q4.8\"]\n");
  f.sample = sample_design(f.space);
  f.rows = {row(0, "2x2", "Q4.12", 0.9, 2400, 2.0), row(1, "2x2", "Q4.8", 0.8, 1200, 1.0),
            row(2, "4x4", "Q4.12", 0.95, 100, 0.5), row(3, "4x4", "Q4.8", 0.7, 1300, 1.5)};
  f.rows[2].arch.feasible = false;
  f.rows[2].arch.reason = "needs 46 tiles, the \"4x4\" mesh has 16";
  f.rows[2].arch.cycles_per_step = std::nan("");
  f.ctx.config = {{"axes", {{"mesh", {"2x2", "4x4"}}}}};
  f.ctx.run = {{"task", "blobs"}};
  f.ctx.base_fixed = {{"stalk_format", "Q4.12"}, {"weight_format", "Q4.12"}};
  f.ctx.base_mesh = {{"rows", 4}};
  f.ctx.classification = true;
  f.ctx.has_test = true;
  f.ctx.energy_table = {{"name", "45nm"}};
  f.ctx.training_runs = 2;
  return f;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("make_tables: explore.csv, pareto.csv and the summary of four points", "[explore]") {
  Fixture f = four_points();
  std::vector<ExploreRow> shuffled = {f.rows[3], f.rows[1], f.rows[0], f.rows[2]};  // arrival order does not matter
  const ExploreTables t = make_tables(f.space, f.sample, shuffled, f.ctx);
  const auto csv = lines(t.explore_csv);
  REQUIRE(csv.size() == 5);
  CHECK(csv[0] ==
        "point,stalk,weight,bias,residual,constant,acc_bits,round,overflow,mesh,lanes,vertex_lanes,link_width_bits,"
        "sram_kib,vertex_sram_kib,chunk_samples,schedule,reduction,clock_mhz,steps,word_length_bits,feasible,reason,"
        "train_loss,test_loss,train_accuracy,test_accuracy,diverged,saturations,lost_updates,cycles_per_step,"
        "time_per_step_us,mac_utilisation,link_utilisation,pes,links,sram_bits,peak_sram_bits_per_pe,"
        "arithmetic_pJ_per_step,sram_pJ_per_step,links_pJ_per_step,dynamic_energy_per_step_uJ,static_power_uW,"
        "static_energy_per_step_uJ,energy_per_step_uJ,time_to_train_us,energy_to_train_uJ,area_mm2,clock_source,area_basis");
  CHECK_THAT(csv[1], Catch::StartsWith("0,Q4.12,Q4.12,Q4.12,Q4.12,Q1.31,48,rnd_conv,sat,2x2,4,4,32,64,256,0,dataflow,"
                                       "in-network,200,100,32,1,,0.5,"));
  CHECK_THAT(csv[2], Catch::StartsWith("1,Q4.8,") && Contains(",200,100,28,1,,"));
  // 2400 cycles at 200 MHz: 12 us per step, 1200 us for 100 steps.
  CHECK_THAT(csv[1], Contains(",2400,12,0.5,0.25,4,8,2097152,1000,240000,50,25,0.24007499999999998,1000,0.012,"
                              "0.25207499999999999,1200,25.2075,2,clock-mhz"));
  CHECK_THAT(csv[3], Catch::StartsWith("2,") &&
                         Contains(",0,\"needs 46 tiles, the \"\"4x4\"\" mesh has 16\",0.5,") &&
                         Contains(",0.94999999999999996,0,3,0,,,0.5,0.25,"));
  // Front 1 (accuracy up, energy and area down): 0 and 1 (3 is beaten by 1; 2 is infeasible).
  const auto pareto = lines(t.pareto_csv);
  REQUIRE(pareto.size() == 5);
  CHECK(pareto[0] == "front,point,test_accuracy,energy_to_train_uJ,area_mm2,time_to_train_us,stalk,weight,bias,"
                     "residual,constant,acc_bits,round,overflow,mesh,lanes,vertex_lanes,link_width_bits,sram_kib,"
                     "vertex_sram_kib,chunk_samples,schedule,reduction,clock_mhz,steps");
  CHECK_THAT(pareto[1], Catch::StartsWith("accuracy_energy_area,0,0.90000000000000002,25.2075,2,1200,Q4.12,"));
  CHECK_THAT(pareto[2], Catch::StartsWith("accuracy_energy_area,1,"));
  CHECK_THAT(pareto[3], Catch::StartsWith("accuracy_time,0,"));
  CHECK_THAT(pareto[4], Catch::StartsWith("accuracy_time,1,"));
  const nlohmann::json& s = t.summary;
  CHECK(s["command"] == "explore");
  CHECK(s["config"] == f.ctx.config);
  CHECK(s["run"]["task"] == "blobs");
  CHECK(s["base_mesh"]["rows"] == 4);
  CHECK(s["energy_table"]["name"] == "45nm");
  CHECK(s["sample"]["method"] == "grid");
  CHECK(s["sample"]["grid_size"] == 4);
  CHECK(s["sample"]["points"] == 4);
  CHECK(s["sample"]["seed"].is_null());
  CHECK(s["sample"]["duplicates_removed"] == 0);
  CHECK(s["axes"]["mesh"] == nlohmann::json{"2x2", "4x4"});
  CHECK(s["axes"]["stalk"] == nlohmann::json{"Q4.12", "Q4.8"});
  CHECK(s["axis_order"] == nlohmann::json{"mesh", "stalk"});
  CHECK(s["points"] == 4);
  CHECK(s["feasible_points"] == 3);
  CHECK(s["infeasible_points"] == 1);
  CHECK(s["diverged_points"] == 0);
  CHECK(s["training_runs"] == 2);
  CHECK(s["quality"] == nlohmann::json{{"column", "test_accuracy"}, {"better", "higher"}});
  CHECK(s["fronts"]["accuracy_energy_area"] == nlohmann::json{0, 1});
  CHECK(s["fronts"]["accuracy_time"] == nlohmann::json{0, 1});
  CHECK(s["best"]["quality"] == 0);
  CHECK(s["best"]["energy_to_train"] == 1);
  CHECK(s["best"]["time_to_train"] == 1);
  CHECK(s["best"]["area"] == 1);
  CHECK(s["units"]["energy_to_train_uJ"] == "uJ: energy_per_step_uJ x steps");
  CHECK(s["units"].size() == 29);
  // Byte-identical for the same input, whatever the arrival order.
  const ExploreTables again = make_tables(f.space, f.sample, f.rows, f.ctx);
  CHECK(again.explore_csv == t.explore_csv);
  CHECK(again.pareto_csv == t.pareto_csv);
  CHECK(again.summary.dump(2) == t.summary.dump(2));
}

TEST_CASE("make_tables: training failures, divergence, regression quality, no feasible point", "[explore]") {
  Fixture f = four_points();
  f.rows[0].training.error = "constant quantises to zero";
  f.rows[1].training.diverged = true;
  f.ctx.classification = false;
  f.ctx.has_test = false;
  const ExploreTables t = make_tables(f.space, f.sample, f.rows, f.ctx);
  const auto csv = lines(t.explore_csv);
  CHECK_THAT(csv[1], Contains(",32,0,constant quantises to zero,"));
  CHECK(t.summary["quality"] == nlohmann::json{{"column", "train_loss"}, {"better", "lower"}});
  CHECK(t.summary["feasible_points"] == 2);
  CHECK(t.summary["diverged_points"] == 1);
  CHECK(t.summary["fronts"]["accuracy_energy_area"] == nlohmann::json{3});
  CHECK(t.summary["best"]["quality"] == 3);
  CHECK_THAT(t.pareto_csv, Catch::StartsWith("front,point,train_loss,"));
  // Nothing feasible: empty fronts, null bests.
  for (ExploreRow& r : f.rows) r.arch.feasible = false;
  const ExploreTables none = make_tables(f.space, f.sample, f.rows, f.ctx);
  CHECK(lines(none.pareto_csv).size() == 1);
  CHECK(none.summary["best"]["quality"].is_null());
  CHECK(none.summary["best"]["energy_to_train"].is_null());
  CHECK(none.summary["fronts"]["accuracy_time"].empty());
  // Rows whose settings disagree are refused.
  f.rows[1].settings.pop_back();
  CHECK_THROWS_WITH(make_tables(f.space, f.sample, f.rows, f.ctx), Contains("point 1 has other settings keys"));
}

// The fixture of the CTest explore:plot_script (tests/explore/fixtures/plot/):
// make_tables' output for eight points. SHEAFSIM_WRITE_EXPLORE_FIXTURE=1 rewrites it.
TEST_CASE("make_tables: the plot script's fixture is current", "[explore]") {
  Fixture f = four_points();
  f.space = parse("[axes]\nmesh = [\"2x2\", \"4x4\"]\n"
                  "stalk = [\"Q4.12\", \"Q4.8\"]\nlanes = [4, 8]\n");
  f.sample = sample_design(f.space);
  f.rows.push_back(row(4, "2x2", "Q4.10", 0.85, 1800, 1.2));
  f.rows.push_back(row(5, "4x4", "Q4.10", 0.88, 900, 2.5));
  f.rows.push_back(row(6, "4x4", "Q4.6", 0.6, 700, 0.8));
  f.rows.push_back(row(7, "2x2", "Q4.6", 0.3, 700, 0.9));
  f.rows[7].training.diverged = true;
  const ExploreTables t = make_tables(f.space, f.sample, f.rows, f.ctx);
  const std::string dir = std::string(SHEAFSIM_SOURCE_DIR) + "/tests/explore/fixtures/plot/";
  const std::string summary = t.summary.dump(2) + "\n";
  if (const char* w = std::getenv("SHEAFSIM_WRITE_EXPLORE_FIXTURE"); w != nullptr && std::string(w) == "1") {
    std::ofstream(dir + "explore.csv", std::ios::binary) << t.explore_csv;
    std::ofstream(dir + "pareto.csv", std::ios::binary) << t.pareto_csv;
    std::ofstream(dir + "summary.json", std::ios::binary) << summary;
  }
  CHECK(read_file(dir + "explore.csv") == t.explore_csv);
  CHECK(read_file(dir + "pareto.csv") == t.pareto_csv);
  CHECK(read_file(dir + "summary.json") == summary);
}
