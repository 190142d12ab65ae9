// The VCD waveform of the mesh (--trace): it never changes a value, a counter
// or a cycle; the file is a well-formed VCD in 1 ns with every PE, vertex unit
// and used link declared and timestamps in increasing order; over the whole
// run the busy / wait / stall time of every unit and the busy / queue time of
// every link add up to the counters exactly; a window records exactly the
// whole-run waveform's values inside it and nothing outside.
// Every MeshEngine elaborates into its own SystemC context (KernelScope).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include "mesh_support.h"
#include "sheafsim/base/error.h"
#include "sheafsim/base/file_io.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/train/sheaf_trainer.h"

using namespace sheafsim;
using namespace sheafsim::mesh;
using Catch::Matchers::Contains;

namespace {

// ---- a small VCD reader: declarations and value changes ----
struct Vcd {
  std::string timescale;
  std::map<std::string, std::string> id;  // "mesh.pe_r0_c1.busy" -> identifier code
  std::map<std::string, int> width;       // by identifier code
  std::vector<std::uint64_t> times;       // every "#t", in file order
  // by identifier code: (cycle, value) in file order; x is -1
  std::map<std::string, std::vector<std::pair<std::uint64_t, std::int64_t>>> changes;
  bool dumpvars = false;

  bool has(const std::string& name) const { return id.count(name) != 0; }
  const std::vector<std::pair<std::uint64_t, std::int64_t>>& of(const std::string& name) const {
    static const std::vector<std::pair<std::uint64_t, std::int64_t>> none;
    const auto it = changes.find(id.at(name));
    return it == changes.end() ? none : it->second;
  }
  std::int64_t value_at(const std::string& name, std::uint64_t t) const {
    std::int64_t v = -1;
    for (const auto& [ct, cv] : of(name)) {
      if (ct > t) break;
      v = cv;
    }
    return v;
  }
  // The integral of the value (x counts as 0) over [a, b), b clipped to the last timestamp.
  std::uint64_t integral(const std::string& name, std::uint64_t a = 0, std::uint64_t b = ~std::uint64_t{0}) const {
    const auto& ch = of(name);
    b = std::min(b, times.back());
    std::uint64_t sum = 0;
    for (size_t k = 0; k < ch.size(); ++k) {
      const std::uint64_t t0 = std::max(ch[k].first, a);
      const std::uint64_t t1 = std::min(k + 1 < ch.size() ? ch[k + 1].first : times.back(), b);
      if (t1 > t0 && ch[k].second > 0) sum += static_cast<std::uint64_t>(ch[k].second) * (t1 - t0);
    }
    return sum;
  }
};

Vcd read_vcd(const std::string& path) {
  std::istringstream in(read_text_file(path));
  Vcd v;
  std::vector<std::string> scope;
  std::string tok;
  bool body = false;
  std::uint64_t now = 0;
  while (in >> tok) {
    if (!body) {
      if (tok == "$timescale") {
        for (std::string t; in >> t && t != "$end";) v.timescale += t;
      } else if (tok == "$scope") {
        std::string kind, name, end;
        in >> kind >> name >> end;
        REQUIRE(end == "$end");
        scope.push_back(name);
      } else if (tok == "$upscope") {
        in >> tok;
        REQUIRE(!scope.empty());
        scope.pop_back();
      } else if (tok == "$var") {
        std::string type, code, name, end;
        int width = 0;
        in >> type >> width >> code >> name >> end;
        REQUIRE(end == "$end");
        std::string full;
        for (const auto& s : scope) full += s + ".";
        REQUIRE(v.id.count(full + name) == 0);
        v.id[full + name] = code;
        v.width[code] = width;
      } else if (tok == "$enddefinitions") {
        in >> tok;
        REQUIRE(scope.empty());
        body = true;
      } else if (tok == "$comment" || tok == "$version" || tok == "$date") {
        while (in >> tok && tok != "$end") {
        }
      } else {
        FAIL("unexpected header token " << tok);
      }
      continue;
    }
    if (tok[0] == '#') {
      now = std::stoull(tok.substr(1));
      v.times.push_back(now);
    } else if (tok == "$dumpvars") {
      REQUIRE(v.times.size() == 1);
      v.dumpvars = true;
    } else if (tok == "$end") {
    } else {
      std::int64_t value = 0;
      std::string code;
      if (tok[0] == 'b') {
        in >> code;
        value = tok[1] == 'x' ? -1 : static_cast<std::int64_t>(std::stoull(tok.substr(1), nullptr, 2));
        REQUIRE(static_cast<int>(tok.size()) - 1 <= v.width.at(code));
      } else {
        code = tok.substr(1);
        REQUIRE(v.width.at(code) == 1);
        value = tok[0] == 'x' ? -1 : tok[0] - '0';
      }
      REQUIRE(!v.times.empty());
      v.changes[code].push_back({now, value});
    }
  }
  REQUIRE(body);
  REQUIRE(!v.times.empty());
  return v;
}

// ---- the counters CSV, by name ----
struct CsvRow {
  std::string kind, name;
  std::map<std::string, std::uint64_t> n;
};
std::vector<CsvRow> read_counters(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  for (std::stringstream h(line); std::getline(h, line, ',');) header.push_back(line);
  std::vector<CsvRow> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::string cur;
    bool quoted = false;
    for (char ch : line) {
      if (ch == '"') quoted = !quoted;
      else if (ch == ',' && !quoted) f.push_back(std::exchange(cur, {}));
      else cur += ch;
    }
    f.push_back(cur);
    REQUIRE(f.size() == header.size());
    CsvRow r{f[0], f[1], {}};
    for (size_t k = 2; k < f.size(); ++k)
      if (!f[k].empty()) r.n[header[k]] = std::stoull(f[k]);  // empty: the column does not apply to this row
    rows.push_back(r);
  }
  return rows;
}

// The trace name of a counters row: pe_1_2 -> mesh.pe_r1_c2, (0,0)->(0,1) -> mesh.links.link_r0_c0_east.
std::string trace_name(const CsvRow& r) {
  if (r.kind == "vertex") return "mesh." + r.name;
  int a = 0, b = 0, c = 0, d = 0;
  if (r.kind == "pe") {
    REQUIRE(std::sscanf(r.name.c_str(), "pe_%d_%d", &a, &b) == 2);
    return fmt::format("mesh.pe_r{}_c{}", a, b);
  }
  REQUIRE(std::sscanf(r.name.c_str(), "(%d,%d)->(%d,%d)", &a, &b, &c, &d) == 4);
  const char* dir = d > b ? "east" : d < b ? "west" : c > a ? "south" : "north";
  return fmt::format("mesh.links.link_r{}_c{}_{}", a, b, dir);
}

// ---- runs ----
struct Run {
  Network net;
  SheafState state;
  FixedRunInfo info;
  std::shared_ptr<MeshEngine> engine;
  TraceSummary trace;
};

// A time-multiplexed 2x3 mesh with random stalls: every signal has something to show.
MeshConfig busy_mesh() {
  MeshConfig m;
  m.rows = 2;
  m.cols = 3;
  m.tile_rows = 3;
  m.tile_cols = 2;
  m.time_multiplex = true;
  m.random_stalls = 5;
  m.max_stall = 6;
  m.link_width = 8;  // long messages: link contention
  return m;
}

std::string temp_vcd(const std::string& tag) {
  return (std::filesystem::temp_directory_path() / fmt::format("sheafsim_trace_{}_{}.vcd", tag, ::getpid())).string();
}

Run train(const MeshConfig& m, const MeshTraceOptions& trace, long steps = 7, int inner = 3) {
  const test::MeshCase c = test::deep_case(12);
  Run r;
  r.net = Network::he_init(c.layers, OutputKind::Identity, 3);
  const SheafTrainOptions opt = test::train_options(steps, inner);
  FixedConfig cfg;
  cfg.quant = fx::Quant::Stoch;
  train_sheaf_fixed(r.net, c.data, nullptr, opt, cfg, {}, &r.info, &r.state, mesh_stepper(m, &r.engine, {}, trace));
  r.trace = r.engine->finish_trace();
  return r;
}

MeshTraceOptions to(const std::string& path, const std::string& window = "") {
  return {path, parse_trace_window(window)};
}

void require_identical(const Run& a, const Run& b) {
  test::require_same_state(a, b);
  REQUIRE(a.engine->timing().total_cycles == b.engine->timing().total_cycles);
  REQUIRE(a.engine->timing().joint_cycles == b.engine->timing().joint_cycles);
  REQUIRE(a.engine->counters_csv() == b.engine->counters_csv());  // every unit's and link's counters
}

}  // namespace

TEST_CASE("trace windows parse, and bad ones are named", "[trace][options]") {
  const TraceWindow all = parse_trace_window("");
  CHECK(all.start == 0);
  CHECK(all.end == TraceWindow::kOpen);
  const TraceWindow w = parse_trace_window("100:5000");
  CHECK(w.start == 100);
  CHECK(w.end == 5000);
  CHECK(parse_trace_window("100:").start == 100);
  CHECK(parse_trace_window("100:").end == TraceWindow::kOpen);
  CHECK(parse_trace_window(":5000").start == 0);
  CHECK(parse_trace_window(":5000").end == 5000);
  REQUIRE_THROWS_WITH(parse_trace_window("10:5"), Contains("--trace-window '10:5' is empty") &&
                                                      Contains("END (5) must be greater than START (10)"));
  REQUIRE_THROWS_WITH(parse_trace_window("7:7"), Contains("is empty"));
  for (const char* bad : {"abc", "5", ":", "1:2:3", "-1:5", "1e3:2000", "1:99999999999999999999"})
    REQUIRE_THROWS_WITH(parse_trace_window(bad),
                        Contains(fmt::format("--trace-window '{}' must be START:END in cycles", bad)));
}

TEST_CASE("an unwritable trace file is an input error naming it, and an unfinished one is removed", "[trace][errors]") {
  MeshConfig m = busy_mesh();
  REQUIRE_THROWS_AS(train(m, to("/nonexistent-dir/t.vcd")), InputError);
  REQUIRE_THROWS_WITH(train(m, to("/nonexistent-dir/t.vcd")),
                      Contains("/nonexistent-dir/t.vcd: cannot open the trace file for writing"));
  const std::string dir = std::filesystem::temp_directory_path().string();
  REQUIRE_THROWS_WITH(train(m, to(dir)), Contains("is a directory"));
  // An engine destroyed before finish_trace() (a failed run) leaves no file behind.
  const std::string path = temp_vcd("unfinished");
  {
    std::shared_ptr<MeshEngine> engine;
    const test::MeshCase c = test::deep_case(4);
    Network net = Network::he_init(c.layers, OutputKind::Identity, 3);
    SheafTrainOptions opt;
    opt.steps = 2;
    train_sheaf_fixed(net, c.data, nullptr, opt, FixedConfig{}, {}, nullptr, nullptr, mesh_stepper(m, &engine, {}, to(path)));
    CHECK(std::filesystem::exists(path + ".tmp"));
  }
  CHECK(!std::filesystem::exists(path));
  CHECK(!std::filesystem::exists(path + ".tmp"));
}

TEST_CASE("tracing leaves values, counters and cycles bit-identical", "[trace][exact]") {
  const MeshConfig m = busy_mesh();
  const Run plain = train(m, {});
  CHECK(plain.trace.path.empty());
  const std::string full = temp_vcd("identical_full"), part = temp_vcd("identical_part");
  const Run traced = train(m, to(full));
  require_identical(plain, traced);
  const Run windowed = train(m, to(part, "200:900"));
  require_identical(plain, windowed);
  CHECK(traced.trace.changes > windowed.trace.changes);
  CHECK(std::filesystem::file_size(full) == traced.trace.bytes);
  CHECK(!std::filesystem::exists(full + ".tmp"));
  // The same run writes the same file.
  const std::string again = temp_vcd("identical_again");
  train(m, to(again));
  CHECK(read_text_file(full) == read_text_file(again));
  for (const auto& f : {full, part, again}) std::filesystem::remove(f);
}

TEST_CASE("the VCD declares every PE, vertex unit and used link, in 1 ns and time order", "[trace][format]") {
  const MeshConfig m = busy_mesh();
  const std::string path = temp_vcd("format");
  const Run r = train(m, to(path));
  const Vcd v = read_vcd(path);
  CHECK(v.timescale == "1ns");
  CHECK(v.dumpvars);
  for (const char* s : {"step", "joint", "pes_busy", "vus_busy", "links_busy"}) CHECK(v.has(std::string("mesh.") + s));
  for (int p = 0; p < m.rows * m.cols; ++p)
    for (const char* s : {"busy", "wait", "stall", "phase", "tile"})
      CHECK(v.has(fmt::format("mesh.pe_r{}_c{}.{}", p / m.cols, p % m.cols, s)));
  for (const VertexGroup& g : r.engine->mapping().groups())
    for (const char* s : {"busy", "wait", "stall", "phase"}) CHECK(v.has(fmt::format("mesh.vu_l{}_n{}.{}", g.layer, g.n0, s)));
  int links = 0;
  for (const CsvRow& row : read_counters(r.engine->counters_csv())) {
    if (row.kind != "link") continue;
    ++links;
    for (const char* s : {"", "_src", "_dst", "_queue"}) CHECK(v.has(trace_name(row) + s));
  }
  CHECK(links > 0);
  // Timestamps strictly increase, from cycle 0 to the end of the run; the file is what finish() said.
  CHECK(v.times.front() == 0);
  CHECK(v.times.back() == r.engine->timing().total_cycles);
  for (size_t k = 1; k < v.times.size(); ++k) REQUIRE(v.times[k] > v.times[k - 1]);
  CHECK(r.trace.timestamps == v.times.size());
  CHECK(r.trace.first == 0);
  CHECK(r.trace.last == r.engine->timing().total_cycles);
  CHECK(r.trace.signals == v.id.size());
  std::filesystem::remove(path);
}

TEST_CASE("busy, wait and stall in the VCD add up to the counters", "[trace][counters]") {
  MeshConfig m = busy_mesh();
  // The step and joint signals delimit every unit's work only under the barrier
  // schedule; under dataflow a unit starts the next step while others finish this one.
  m.schedule = GENERATE(Schedule::Dataflow, Schedule::Barrier);
  const bool barrier = m.schedule == Schedule::Barrier;
  INFO("schedule " << to_string(m.schedule));
  const std::string path = temp_vcd("counters");
  const Run r = train(m, to(path));
  const Vcd v = read_vcd(path);
  std::uint64_t pe_busy = 0, vu_busy = 0, link_busy = 0, units = 0;
  for (const CsvRow& row : read_counters(r.engine->counters_csv())) {
    const std::string n = trace_name(row);
    INFO(n);
    if (row.kind == "link") {
      CHECK(v.integral(n) == row.n.at("busy_cycles"));
      CHECK(v.integral(n + "_queue") == row.n.at("wait_cycles"));  // waiting heads x cycles
      link_busy += row.n.at("busy_cycles");
      continue;
    }
    ++units;
    CHECK(v.integral(n + ".busy") == row.n.at("busy_cycles"));
    CHECK(v.integral(n + ".wait") + v.integral(n + ".stall") == row.n.at("stall_cycles"));
    (row.kind == "pe" ? pe_busy : vu_busy) += row.n.at("busy_cycles");
  }
  CHECK(units == static_cast<std::uint64_t>(m.rows * m.cols) + r.engine->mapping().groups().size());
  CHECK(pe_busy == r.engine->pe_totals().busy_cycles);
  CHECK(pe_busy > 0);
  CHECK(v.integral("mesh.pes_busy") == pe_busy);
  CHECK(v.integral("mesh.vus_busy") == vu_busy);
  CHECK(v.integral("mesh.links_busy") == link_busy);
  CHECK(v.integral("mesh.joint") == r.engine->timing().joint_cycles);
  // The random stalls and the 8-bit links leave something in every kind of signal.
  CHECK(v.integral("mesh.links_busy") > 0);
  std::uint64_t stalls = 0, waits = 0, queued = 0;
  for (const auto& [name, code] : v.id) {
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".stall") == 0) stalls += v.integral(name);
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".wait") == 0) waits += v.integral(name);
    if (name.size() > 6 && name.compare(name.size() - 6, 6, "_queue") == 0) queued += v.integral(name);
  }
  CHECK(stalls > 0);
  CHECK(waits > 0);
  CHECK(queued > 0);
  // Phases: PEs 1..4 and 7, vertex units 5..6; Hebbian sums and weight writes only in joint steps;
  // the step signal counts the steps.
  std::set<std::int64_t> pe_phases, vu_phases;
  for (const auto& [name, code] : v.id) {
    if (name.size() < 6 || name.compare(name.size() - 6, 6, ".phase") != 0) continue;
    const bool pe = name.rfind("mesh.pe_", 0) == 0;
    for (const auto& [t, val] : v.of(name)) {
      (pe ? pe_phases : vu_phases).insert(val);
      if (barrier && (val == kPhaseHebbian || val == kPhaseUpdate)) REQUIRE(v.value_at("mesh.joint", t) == 1);
    }
  }
  // Whenever a unit computes, waits or stalls it shows the phase (and a PE the tile) of that chunk.
  std::uint64_t labelled = 0;
  for (const auto& [name, code] : v.id) {
    if (name.size() < 6 || name.compare(name.size() - 6, 6, ".phase") != 0) continue;
    const std::string unit = name.substr(0, name.size() - 6);
    const bool pe = name.rfind("mesh.pe_", 0) == 0;
    for (const char* s : {".busy", ".wait", ".stall"})
      for (const auto& [t, val] : v.of(unit + s)) {
        if (val != 1) continue;
        INFO(unit << s << " at " << t);
        const std::int64_t ph = v.value_at(name, t);
        REQUIRE((pe ? ((ph >= kPhaseForward && ph <= kPhaseUpdate) || ph == kPhaseMerge) : (ph == kPhaseResidual || ph == kPhaseStalk)));
        if (pe) REQUIRE(v.value_at(unit + ".tile", t) >= 0);
        ++labelled;
      }
  }
  CHECK(labelled > 100);
  CHECK(pe_phases == std::set<std::int64_t>{0, 1, 2, 3, 4, 7});
  CHECK(vu_phases == std::set<std::int64_t>{0, 5, 6});
  const auto& steps = v.of("mesh.step");
  REQUIRE(steps.size() == 8);  // 7 steps, then x at the end of the run
  for (std::int64_t k = 0; k < 7; ++k) CHECK(steps[static_cast<size_t>(k)].second == k);
  CHECK(steps.back().second == -1);
  std::filesystem::remove(path);
}

TEST_CASE("a trace window records exactly the whole run's waveform inside it", "[trace][window]") {
  const MeshConfig m = busy_mesh();
  const std::string full_path = temp_vcd("window_full"), part_path = temp_vcd("window_part");
  const Run full_run = train(m, to(full_path));
  const std::uint64_t total = full_run.engine->timing().total_cycles;
  const std::uint64_t w0 = total / 3, w1 = 2 * total / 3;
  const Run part_run = train(m, to(part_path, fmt::format("{}:{}", w0, w1)));
  const Vcd full = read_vcd(full_path), part = read_vcd(part_path);
  REQUIRE(part.id == full.id);
  // Every timestamp inside the window, its ends included; fewer of them.
  CHECK(part.times.front() == w0);
  CHECK(part.times.back() == w1);
  for (std::uint64_t t : part.times) REQUIRE((t >= w0 && t <= w1));
  CHECK(part.times.size() < full.times.size());
  CHECK(part_run.trace.changes < full_run.trace.changes);
  CHECK(std::filesystem::file_size(part_path) < std::filesystem::file_size(full_path));
  // Inside the window every signal has the whole run's value at every change, and the same time integrals.
  std::uint64_t busy = 0;
  for (const auto& [name, code] : full.id) {
    INFO(name);
    for (const auto& [t, val] : part.of(name)) REQUIRE(full.value_at(name, t) == val);
    CHECK(part.integral(name) == full.integral(name, w0, w1));
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".busy") == 0) busy += part.integral(name);
  }
  CHECK(busy > 0);
  CHECK(busy < full_run.engine->pe_totals().busy_cycles + full_run.engine->vertex_totals().busy_cycles);
  // START: runs to the end of the run, :END from cycle 0.
  const Run from = train(m, to(part_path, fmt::format("{}:", w0)));
  CHECK(from.trace.first == w0);
  CHECK(from.trace.last == total);
  const Run until = train(m, to(part_path, fmt::format(":{}", w1)));
  CHECK(until.trace.first == 0);
  CHECK(until.trace.last == w1);
  // A window after the run: only the initial values.
  const Run after = train(m, to(part_path, fmt::format("{}:", total + 10)));
  CHECK(after.trace.timestamps == 1);
  CHECK(after.trace.changes == 0);
  CHECK(read_vcd(part_path).times == std::vector<std::uint64_t>{total + 10});
  std::filesystem::remove(full_path);
  std::filesystem::remove(part_path);
}

TEST_CASE("an inference trace has no Hebbian or update phases", "[trace][infer]") {
  const test::MeshCase c = test::deep_case(8);
  const Network net = Network::he_init(c.layers, OutputKind::Identity, 5);
  InferenceOptions opt;
  opt.fixed_steps = 5;
  opt.dt = 0.1;
  std::shared_ptr<MeshEngine> engine;
  MeshConfig m = busy_mesh();
  const std::string path = temp_vcd("infer");
  run_inference_fixed(net, c.data.X, opt, FixedConfig{}, nullptr, {}, 1000, mesh_stepper(m, &engine, {}, to(path)));
  engine->finish_trace();
  const Vcd v = read_vcd(path);
  CHECK(v.integral("mesh.joint") == 0);
  for (const auto& [name, code] : v.id)
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".phase") == 0)
      for (const auto& [t, val] : v.of(name)) REQUIRE((val != kPhaseHebbian && val != kPhaseUpdate));
  CHECK(v.times.back() == engine->timing().total_cycles);
  CHECK(v.integral("mesh.pes_busy") == engine->pe_totals().busy_cycles);
  std::filesystem::remove(path);
}
