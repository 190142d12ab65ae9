#pragma once
// The mesh's counters (MeshEngine::counters_csv() and its totals) against the
// analytic counts of the same run (mesh_op_counts.h), every counter the
// analytic model predicts, per PE, per vertex unit and per link; and the two
// fixed-point configurations the mesh tests share. Used by test_ops_mesh.cpp,
// test_mesh_schedules.cpp and test_mesh_outputs.cpp.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/mesh/mesh_engine.h"

namespace sheafsim::test {

// Splits a CSV line, keeping quoted fields (the link names hold commas).
inline std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) out.emplace_back();
    else out.back() += ch;
  }
  return out;
}

// The rows of counters_csv() without its header.
inline std::vector<std::vector<std::string>> csv_rows(const mesh::MeshEngine& engine) {
  std::istringstream csv(engine.counters_csv());
  std::string line;
  std::getline(csv, line);  // header
  std::vector<std::vector<std::string>> rows;
  while (std::getline(csv, line)) rows.push_back(split_csv(line));
  return rows;
}

// A unit row of counters_csv(): columns 4..14, then stall 15, idle 16, wait 17, saturations 18, lost 19.
inline mesh::UnitCounters from_row(const std::vector<std::string>& f) {
  auto n = [&](size_t i) { return static_cast<std::uint64_t>(std::stoull(f.at(i))); };
  mesh::UnitCounters c;
  c.macs_forward = n(4);
  c.macs_backward = n(5);
  c.macs_hebbian = n(6);
  c.adds = n(7);
  c.register_writes = n(8);
  c.sram_read_bits = n(9);
  c.sram_write_bits = n(10);
  c.flits_sent = n(11);
  c.flit_hops = n(12);
  c.messages_sent = n(13);
  c.busy_cycles = n(14);
  return c;
}

// Every counter the analytic model predicts (not stalls, waits, saturations).
inline void require_same(const mesh::UnitCounters& sim, const mesh::UnitCounters& ana, const std::string& who) {
  INFO(who);
  CHECK(sim.macs_forward == ana.macs_forward);
  CHECK(sim.macs_backward == ana.macs_backward);
  CHECK(sim.macs_hebbian == ana.macs_hebbian);
  CHECK(sim.adds == ana.adds);
  CHECK(sim.register_writes == ana.register_writes);
  CHECK(sim.sram_read_bits == ana.sram_read_bits);
  CHECK(sim.sram_write_bits == ana.sram_write_bits);
  CHECK(sim.flits_sent == ana.flits_sent);
  CHECK(sim.flit_hops == ana.flit_hops);
  CHECK(sim.messages_sent == ana.messages_sent);
  CHECK(sim.busy_cycles == ana.busy_cycles);
  CHECK(sim.lookups == ana.lookups);  // the output unit's operations (not in the CSV)
  CHECK(sim.multiplies == ana.multiplies);
  CHECK(sim.divides == ana.divides);
}

// The simulator's counters (per PE, per vertex unit, per link, and the totals
// and the report's traffic) against the analytic counts of the same run.
inline void compare_counts(const mesh::MeshEngine& engine, const mesh::MeshStepCounts& a) {
  size_t pe = 0, grp = 0;
  std::map<std::string, std::uint64_t> link_rows;
  for (const std::vector<std::string>& f : csv_rows(engine)) {
    REQUIRE(f.size() == 20);
    if (f[0] == "pe") {
      REQUIRE(pe < a.pes.size());
      mesh::UnitCounters ana = a.pes[pe];
      ana.lookups = ana.multiplies = ana.divides = 0;  // not columns of the CSV
      require_same(from_row(f), ana, "PE " + f[1]);
      ++pe;
    } else if (f[0] == "vertex") {
      REQUIRE(grp < a.groups.size());
      mesh::UnitCounters ana = a.groups[grp];
      ana.lookups = ana.multiplies = ana.divides = 0;
      require_same(from_row(f), ana, "vertex unit " + f[1]);
      ++grp;
    } else {
      REQUIRE(f[0] == "link");
      // A link's flits carried are flit-hops (column flit_hops); the unit columns are empty.
      link_rows[f[1]] = std::stoull(f[12]);
      CHECK(f[12] == f[14]);  // a link is busy one cycle per flit
      CHECK(f[11].empty());   // flits (sent) does not apply to a link
      CHECK(f[4].empty());
    }
  }
  CHECK(pe == a.pes.size());
  CHECK(grp == a.groups.size());
  std::map<std::string, std::uint64_t> link_ana;
  for (size_t l = 0; l < a.link_flits.size(); ++l)
    if (a.link_flits[l] > 0) link_ana[engine.mapping().link_name(static_cast<int>(l))] = a.link_flits[l];
  CHECK(link_rows == link_ana);
  require_same(engine.pe_totals(), a.pe_totals(), "PE totals");
  require_same(engine.vertex_totals(), a.vertex_totals(), "vertex totals");
  const nlohmann::json r = engine.report();
  CHECK(r["link_totals"]["flit_hops"].get<std::uint64_t>() == a.link_flits_total());
  CHECK(a.link_flits_total() == a.pe_totals().flit_hops + a.vertex_totals().flit_hops);
  // The report's totals: flits sent and their link traversals, as `ops --mesh` names them.
  CHECK(r["flit_hops"].get<std::uint64_t>() == a.link_flits_total());
  CHECK(r["flits"].get<std::uint64_t>() == a.pe_totals().flits_sent + a.vertex_totals().flits_sent);
  CHECK(r["messages"].get<std::uint64_t>() == a.pe_totals().messages_sent + a.vertex_totals().messages_sent);
}

// Q4.12 everywhere (the project default) with rounding q.
inline FixedConfig q16(fx::Quant q = fx::Quant::RndConv) {
  FixedConfig cfg;
  cfg.quant = q;
  return cfg;
}

// Narrower registers of other splits (every bit count follows the formats;
// saturations and lost updates occur).
inline FixedConfig q12(fx::Quant q = fx::Quant::RndConv) {
  FixedConfig cfg;
  cfg.stalk = {4, 8};
  cfg.weight = {3, 9};
  cfg.bias = {5, 11};
  cfg.residual = {2, 12};
  cfg.constant = {1, 23};
  cfg.acc_bits = 30;
  cfg.quant = q;
  cfg.validate();
  return cfg;
}

}  // namespace sheafsim::test
