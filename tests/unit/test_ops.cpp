// Operation counts, energy and area (docs/ops.md): the closed forms on hand
// cases, energy = sum of count x table entry, bad energy tables, and the
// area lookup in a synthesis report. The mesh's analytic counts against the
// simulator are in test_ops_mesh.cpp.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sheafsim/cost/energy_table.h"
#include "mesh_support.h"
#include "sheafsim/base/error.h"
#include "sheafsim/train/inference.h"
#include "sheafsim/mesh/mesh_engine.h"
#include "sheafsim/arch/mesh_op_counts.h"
#include "sheafsim/cost/op_counts.h"
#include "sheafsim/train/report_json.h"
#include "sheafsim/train/sheaf_trainer.h"
#include "sheafsim/reference/tasks.h"

using namespace sheafsim;
using namespace sheafsim::ops;
using Catch::Matchers::Contains;

namespace {

const std::vector<int> k231 = {2, 3, 1};

// A table of round numbers, so that energies can be added up by hand.
const char* kHandTable = R"(
name = "hand"
technology = "none"
[mult_int8]
value = 1
unit = "pJ"
source = "test"
[mult_int16]
value = 2
unit = "pJ"
source = "test"
[mult_int32]
value = 4
unit = "pJ"
source = "test"
[add_int8]
value = 0.1
unit = "pJ"
source = "test"
[add_int16]
value = 0.2
unit = "pJ"
source = "test"
[add_int32]
value = 0.4
unit = "pJ"
source = "test"
[sram_read_bit]
value = 0.01
unit = "pJ/bit"
source = "test"
[sram_write_bit]
value = 0.02
unit = "pJ/bit"
source = "test"
[register_write_bit]
value = 0.001
unit = "pJ/bit"
source = "test"
[link_bit_hop]
value = 0.005
unit = "pJ/bit/hop"
source = "test"
[leakage_pe]
value = 100
unit = "uW"
source = "test"
[leakage_sram_bit]
value = 2
unit = "pW/bit"
source = "test"
[leakage_link]
value = 3
unit = "uW"
source = "test"
)";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE(at != std::string::npos);
  return s.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("closed forms: sheaf steps on [2,3,1], batch 4, by hand", "[ops][sheaf]") {
  const OpWidths w;  // 16-bit registers, 32-bit constants, 48-bit accumulator
  const OpCounts d = sheaf_step(k231, 4, w, SheafStep::Diffusion);
  const OpCounts j = sheaf_step(k231, 4, w, SheafStep::Joint);
  const OpCounts inf = sheaf_step(k231, 4, w, SheafStep::Inference);
  // P = 2*3 + 3*1 = 9 weights, n0 n1 = 6.
  CHECK(num_weights(k231) == 9);
  CHECK(synapse_macs_per_sample(k231, false) == 12);  // 2P - n0 n1
  CHECK(synapse_macs_per_sample(k231, true) == 21);   // 3P - n0 n1
  // Diffusion: W a on both layers (9 x 4), W^T u on layer 2 only (3 x 4), no gradient.
  CHECK(d.macs(MacRole::Forward) == 36);
  CHECK(d.macs(MacRole::Backward) == 12);
  CHECK(d.macs(MacRole::Gradient) == 0);
  CHECK(d.synapse_macs() == 48);
  CHECK(j.synapse_macs() == 84);
  CHECK(j.macs(MacRole::Gradient) == 36);
  // Adds: layer 1 (3 neurons x 4 samples = 12 each): + b, z - (Wa+b), q, g_z, g_a, z - s g_z, a - s g_a = 84;
  // layer 2 (4 each): + b, z - (Wa+b), g_out, g, z - s g = 20.
  CHECK(d.total(Op::Add) == 104);
  CHECK(inf.total(Op::Add) == 96);  // no output edge: no g_out, no u + g_out
  // Joint: + h = sum u (12 + 4), W + eta H (6 + 3), b + eta h (3 + 1).
  CHECK(j.total(Op::Add) == 104 + 29);
  CHECK(d.total(Op::Compare) == 12);
  CHECK(d.total(Op::ConstantMultiply) == 28);  // s g_z, s g_a per hidden value, s g per output value
  CHECK(d.total(Op::UpdateMultiply) == 0);
  CHECK(j.total(Op::UpdateMultiply) == 13);  // P + sum n_l, once per step
  // Register writes: u 12 + z, a 24; u 4 + z 4. Joint: + 9 weights + 4 biases.
  CHECK(d.total(Op::RegisterWrite) == 44);
  CHECK(d.register_write_bits() == 44 * 16);
  CHECK(j.total(Op::RegisterWrite) == 57);
  // Per layer: layer 1 = W a (24) + u a^T (24); layer 2 = 12 + 12 + 12.
  CHECK(j.layer(1).synapse_macs() == 48);
  CHECK(j.layer(2).synapse_macs() == 36);
  // Inner K = 3: two diffusion steps and a joint step.
  const OpCounts t3 = sheaf_training_step(k231, 4, w, 3);
  CHECK(t3.synapse_macs() == 2 * 48 + 84);
  CHECK(t3.total(Op::RegisterWrite) == 2 * 44 + 57);
  CHECK(sheaf_training_step(k231, 4, w, 1).synapse_macs() == 84);
  // Widths: adds at 16 (q, g_z, g_out, g), 48 (acc; and 32 + 16 for z - s g), 80 (32 + 48 for a - s g_a).
  const nlohmann::json jd = d.to_json();
  CHECK(jd["adds_by_bits"]["16"] == 32);
  CHECK(jd["adds_by_bits"]["48"] == 60);
  CHECK(jd["adds_by_bits"]["80"] == 12);
  CHECK(jd["macs_by_operand_bits"]["16x16"] == 48);
  // The 64-32-10 example of field-notes §2.1: 5,056 MACs per sample.
  CHECK(synapse_macs_per_sample({64, 32, 10}, true) == 5056);
  CHECK(sheaf_training_step({64, 32, 10}, 256, w, 1).synapse_macs() == 5056u * 256u);
  CHECK_THROWS_WITH(sheaf_training_step(k231, 4, w, 0), Contains("--inner 0"));
}

TEST_CASE("closed forms: one full-batch SGD step on [2,3,1], batch 4, by hand", "[ops][sgd]") {
  const OpWidths w;
  const OpCounts s = sgd_step(k231, 4, w);
  CHECK(s.macs(MacRole::Forward) == 36);   // W a
  CHECK(s.macs(MacRole::Gradient) == 36);  // delta a^T
  CHECK(s.macs(MacRole::Backward) == 12);  // W_2^T delta_2 only
  CHECK(s.synapse_macs() == 84);           // (3P - n0 n1) B, as the sheaf joint step
  // Adds: layer 1: + b 12, sum delta 12, W 6, b 3; layer 2: + b 4, z - y 4, sum delta 4, W 3, b 1.
  CHECK(s.total(Op::Add) == 49);
  CHECK(s.total(Op::Compare) == 24);  // max(z, 0) and the ReLU derivative of layer 1
  CHECK(s.total(Op::ConstantMultiply) == 4);
  CHECK(s.total(Op::UpdateMultiply) == 13);
  // Writes: z 12 + a 12 + delta_1 12 + W 6 + b 3; z 4 + delta 4 + W 3 + b 1.
  CHECK(s.total(Op::RegisterWrite) == 57);
  CHECK(s.layer(1).total(Op::RegisterWrite) == 45);
}

TEST_CASE("closed forms: one SID step on [2,3,2], batch 4, 2 modules of 4, by hand", "[ops][sid]") {
  // phi = [2 -> 3] (affine, h = z_1, d = 3), C = 2 classes, modules Linear(5 -> 4) - ReLU - Linear(4 -> 2).
  const SidCounts s = sid_step({2, 3, 2}, 4, OpWidths{}, 2, 4);
  CHECK(s.features == 3);
  CHECK(s.classes == 2);
  CHECK(s.hidden == 4);
  CHECK(s.parameters == 9 + 2 * (20 + 8 + 4 + 2));
  // Per sample: phi forward 6; phase 1: 2 x (20 + 8) forward; phase 2: 2 x (28 forward + 28 gradient
  // (e r^T 8, delta [t; h]^T 20) + 20 backward (W2^T e 8, W1_h^T delta 12)); phi backward: 6 gradient.
  CHECK(s.extractor_forward.synapse_macs() == 24);
  CHECK(s.phase1.synapse_macs() == 4 * 56);
  CHECK(s.phase2.synapse_macs() == 4 * 152);
  CHECK(s.extractor_backward.synapse_macs() == 24);
  const OpCounts t = s.total();
  CHECK(t.synapse_macs() == 880);
  CHECK(t.macs(MacRole::Forward) == 472);
  CHECK(t.macs(MacRole::Gradient) == 248);
  CHECK(t.macs(MacRole::Backward) == 160);
  // Adds per sample: phi + b 3; phase 1 2 x (+ b1 4, + b2 2); phase 2 2 x (6 + error 4 + sum e 2 + sum delta 4 +
  // sum_k dL/dh 3); phi bias gradient 3. Plus the update of the 77 parameters.
  CHECK(t.total(Op::Add) == 4 * 56 + 77);
  CHECK(t.total(Op::Compare) == 4 * 24);
  CHECK(t.total(Op::ConstantMultiply) == 4 * 8);
  CHECK(t.total(Op::UpdateMultiply) == 77);
  CHECK(t.total(Op::RegisterWrite) == 4 * 42 + 77);
  CHECK(s.softmax_evaluations == 32);  // 2 phases x 2 modules x 2 classes x 4 samples
  CHECK(t.layer(2).synapse_macs() == t.layer(3).synapse_macs());  // the two modules cost the same
  // Without an extractor ([3,2]: h = x) nothing flows back into h.
  const SidCounts bare = sid_step({3, 2}, 1, OpWidths{}, 1, 4);
  CHECK(bare.extractor_forward.synapse_macs() == 0);
  CHECK(bare.total().macs(MacRole::Backward) == 8);  // W2^T e only
  CHECK_THROWS_WITH(sid_step({2, 3, 2}, 4, OpWidths{}, 0, 4), Contains("--sid-modules 0"));
}

TEST_CASE("energy is the sum of count x table entry", "[ops][energy]") {
  const EnergyTable t = EnergyTable::parse(kHandTable, "hand.toml");
  CHECK(t.multiply_pJ(8) == 1.0);
  CHECK(t.multiply_pJ(12) == 2.0);
  CHECK(t.multiply_pJ(32) == 4.0);
  CHECK(t.multiply_pJ(48) == Approx(9.0));  // 4 x (48/32)^2
  CHECK(t.add_pJ(48) == Approx(0.6));       // 0.4 x 48/32
  CHECK(t.add_pJ(80) == Approx(1.0));
  const OpCounts d = sheaf_step(k231, 4, OpWidths{}, SheafStep::Diffusion);
  // 48 MACs x (2 + 0.6); s g_z 12 x 4, s g_a 12 x 9, s g 4 x 4; adds 60 x 0.6 + 32 x 0.2 + 12 x 1.0;
  // compares 12 x 0.2; register writes 704 bits x 0.001.
  const double hand = 48 * 2.6 + (48 + 108 + 16) + (36 + 6.4 + 12) + 2.4 + 0.704;
  CHECK(energy_total_pJ(d, t) == Approx(hand).epsilon(1e-12));
  const nlohmann::json e = energy_json(d, t);
  CHECK(e["synapse_macs_pJ"].get<double>() == Approx(124.8));
  CHECK(e["constant_multiplies_pJ"].get<double>() == Approx(172.0));
  CHECK(e["adds_pJ"].get<double>() == Approx(54.4));
  CHECK(e["compares_pJ"].get<double>() == Approx(2.4));
  CHECK(e["register_writes_pJ"].get<double>() == Approx(0.704));
  CHECK(e["total_pJ"].get<double>() == Approx(hand));
  CHECK(e["pJ_per_synapse_mac"].get<double>() == Approx(hand / 48));
  CHECK(t.sram_read_pJ(1000) == Approx(10.0));
  CHECK(t.sram_write_pJ(1000) == Approx(20.0));
  CHECK(t.link_pJ(10, 32) == Approx(1.6));
  // The default table: Horowitz 45 nm, a 16 x 16 MAC into 48 bits = 0.7833 + 1.5 x 0.1 pJ.
  const EnergyTable h = EnergyTable::load(SHEAFSIM_SOURCE_DIR "/configs/energy-45nm-horowitz.toml");
  CHECK(h.name() == "horowitz-45nm");
  CHECK(h.entry("mult_int8").value == 0.2);
  CHECK(h.entry("add_int32").value == 0.1);
  CHECK_THAT(h.entry("mult_int16").source, Contains("not a table entry"));
  OpCounts one;
  one.add({Op::Mac, 1, MacRole::Forward, 16, 16, 48, "W a", 1});
  CHECK(energy_total_pJ(one, h) == Approx(0.9333));
}

TEST_CASE("bad energy tables give one line naming the key", "[ops][energy]") {
  const std::string good = kHandTable;
  CHECK_NOTHROW(EnergyTable::parse(good, "t.toml"));
  auto error_of = [](const std::string& text) {
    try {
      EnergyTable::parse(text, "t.toml");
    } catch (const InputError& e) {
      const std::string m = e.what();
      CHECK(m.find('\n') == std::string::npos);
      return m;
    }
    FAIL("no error");
    return std::string();
  };
  CHECK_THAT(error_of(good + "[mult_int64]\nvalue = 1\nunit = \"pJ\"\nsource = \"x\"\n"),
             Contains("t.toml: unknown key 'mult_int64'"));
  CHECK_THAT(error_of("voltage = 0.9\n" + good), Contains("t.toml: unknown key 'voltage'"));
  CHECK_THAT(error_of(good + "voltage = 0.9\n"), Contains("unknown key 'leakage_link.voltage'"));
  CHECK_THAT(error_of(replace(good, "[add_int8]\nvalue = 0.1\nunit = \"pJ\"\nsource = \"test\"\n", "")),
             Contains("t.toml: missing entry 'add_int8'"));
  CHECK_THAT(error_of(replace(good, "value = 0.1", "value = -0.1")),
             Contains("t.toml: add_int8.value = -0.1 must be a finite number >= 0"));
  CHECK_THAT(error_of(replace(good, "value = 0.1", "value = nan")), Contains("add_int8.value = nan must be"));
  CHECK_THAT(error_of(replace(good, "value = 0.1", "value = inf")), Contains("add_int8.value = inf must be"));
  CHECK_THAT(error_of(replace(good, "value = 0.1", "value = \"cheap\"")), Contains("add_int8.value must be a number"));
  CHECK_THAT(error_of(replace(good, "value = 0.1\nunit = \"pJ\"", "cost = 0.1\nunit = \"pJ\"")),
             Contains("unknown key 'add_int8.cost'"));
  CHECK_THAT(error_of(replace(good, "value = 0.01\nunit = \"pJ/bit\"", "value = 0.01\nunit = \"fJ/bit\"")),
             Contains("sram_read_bit.unit = 'fJ/bit' must be 'pJ/bit'"));
  CHECK_THAT(error_of(replace(good, "value = 0.1\nunit = \"pJ\"\nsource = \"test\"", "value = 0.1\nunit = \"pJ\"")),
             Contains("add_int8.source is missing"));
  CHECK_THAT(error_of(replace(good, "name = \"hand\"\n", "")), Contains("missing key 'name'"));
  CHECK_THAT(error_of("value = [1,"), Contains("t.toml: invalid TOML"));
  CHECK_THROWS_WITH(EnergyTable::load("/nonexistent/table.toml"), Contains("/nonexistent/table.toml"));
}

TEST_CASE("area comes from the synthesis report of the matching parameter set", "[ops][area]") {
  const auto path = (std::filesystem::temp_directory_path() / "sheafsim_test_ops_synth.json").string();
  {
    std::ofstream f(path);
    f << R"({"schema": "sheafsim.edge_unit_synth/1", "tool": "Yosys 0.23", "results": [
      {"set": "q8", "quant": "rnd_conv", "overflow": "sat",
       "params": {"S_I": 3, "S_F": 5, "W_I": 2, "W_F": 6, "B_I": 4, "B_F": 4, "R_I": 3, "R_F": 5, "C_I": 1, "C_F": 15, "ACC_W": 18},
       "cells": 3635, "flip_flops": 238, "transistors": 25484, "transistors_exclude_flip_flops": true, "latency_cycles": 4},
      {"set": "q16", "quant": "rnd_conv", "overflow": "sat",
       "params": {"S_I": 4, "S_F": 12, "W_I": 4, "W_F": 12, "B_I": 4, "B_F": 12, "R_I": 4, "R_F": 12, "C_I": 1, "C_F": 31, "ACC_W": 48},
       "cells": 14815, "flip_flops": 470, "transistors": 108056, "transistors_exclude_flip_flops": true, "latency_cycles": 4},
      {"set": "q16", "quant": "trn", "overflow": "wrap",
       "params": {"S_I": 4, "S_F": 12, "W_I": 4, "W_F": 12, "B_I": 4, "B_F": 12, "R_I": 4, "R_F": 12, "C_I": 1, "C_F": 31, "ACC_W": 48},
       "cells": 14436, "flip_flops": 470, "transistors": 105438, "transistors_exclude_flip_flops": true, "latency_cycles": 4}]})";
  }
  FixedConfig cfg;  // the project default: q16, rnd_conv / sat
  nlohmann::json a = edge_unit_area(path, cfg);
  REQUIRE(a["available"] == true);
  CHECK(a["parameter_set"] == "q16");
  CHECK(a["area_cells"] == 14815);
  CHECK(a["flip_flops"] == 470);
  CHECK(a["transistors"] == 108056);
  cfg.quant = fx::Quant::Trn;
  cfg.overflow = fx::Overflow::Wrap;
  CHECK(edge_unit_area(path, cfg)["area_cells"] == 14436);
  cfg.quant = fx::Quant::Stoch;
  cfg.overflow = fx::Overflow::Sat;
  a = edge_unit_area(path, cfg);
  CHECK(a["available"] == false);
  CHECK_THAT(a["reason"].get<std::string>(), Contains("rnd_conv/sat, trn/wrap only, not --round stoch"));
  cfg.acc_bits = 40;
  a = edge_unit_area(path, cfg);
  CHECK(a["available"] == false);
  CHECK_THAT(a["reason"].get<std::string>(), Contains("no parameter set with these formats"));
  a = edge_unit_area("/nonexistent/synth.json", FixedConfig{});
  CHECK(a["available"] == false);
  CHECK_THAT(a["reason"].get<std::string>(), Contains("no synthesis report"));
  CHECK(!a.contains("area_cells"));  // never an invented number
  {
    std::ofstream f(path);
    f << "{\"results\": 3}";
  }
  CHECK_THROWS_WITH(edge_unit_area(path, FixedConfig{}), Contains("not a synthesis report"));
  std::remove(path.c_str());
}

// ---- Analytic mesh counts against the SystemC model's counters ----
