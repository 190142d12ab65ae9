// Robustness (docs/reliability.md): the memory estimator and index checks,
// the timing scrub of deterministic reports, the interrupt flag, and one
// regression test per crash the fuzzers (fuzz/) found in a parser.
#include <csignal>
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "sheafsim/reference/dataset.h"
#include "sheafsim/base/error.h"
#include "sheafsim/reference/network_io.h"
#include "sheafsim/base/resource_limits.h"
#include "sheafsim/base/run_control.h"

using namespace sheafsim;

TEST_CASE("the memory estimate grows with the network and the batch", "[robust][memory]") {
  const RunSize small{{2, 30, 1}, 300, 100, false, false, 0};
  RunSize big = small;
  big.samples = 30000;
  CHECK(run_bytes(big) > run_bytes(small));
  RunSize fixed = small;
  fixed.fixed = true;
  CHECK(run_bytes(fixed) > run_bytes(small));
  RunSize mesh = small;
  mesh.mesh_pes = 64;
  CHECK(run_bytes(mesh) > run_bytes(small));
  // [65536, 65536]: 2^32 weights, 4 doubles each = 128 GiB and more.
  CHECK(network_bytes({65536, 65536}) > 128.0 * 1024 * 1024 * 1024);
  // The reference run needs well under a GiB.
  CHECK(run_bytes(small) < 1024.0 * 1024 * 1024);
}

TEST_CASE("the memory limit refuses with one line naming the sizes and the limit", "[robust][memory]") {
  set_memory_limit_gib(0.5);
  CHECK(memory_limit().source == "--max-memory-gib");
  CHECK_NOTHROW(check_memory(0.4 * 1024 * 1024 * 1024, "small"));
  try {
    check_memory(2.0 * 1024 * 1024 * 1024, "training [2,30,1] on 9 samples");
    FAIL("no refusal");
  } catch (const InputError& e) {
    const std::string m = e.what();
    CHECK(m.find("training [2,30,1] on 9 samples needs about 2 GiB") != std::string::npos);
    CHECK(m.find("above the limit of 0.5 GiB (--max-memory-gib)") != std::string::npos);
    CHECK(m.find('\n') == std::string::npos);
  }
  CHECK_THROWS_AS(set_memory_limit_gib(0.0), InputError);
  CHECK_THROWS_AS(set_memory_limit_gib(-1.0), InputError);
  CHECK_THROWS_AS(set_memory_limit_gib(std::nan("")), InputError);
}

TEST_CASE("element counts beyond the index types are refused", "[robust][memory]") {
  CHECK_NOTHROW(check_index_range({{2, 30, 1}, 300, 100, false, false, 0}));
  CHECK_THROWS_AS(check_index_range({{2, 30, 1}, 3000000000LL, 0, false, false, 0}), InputError);
  CHECK_THROWS_AS(check_index_range({{2, 30, 1}, -1, 0, false, false, 0}), InputError);
}

TEST_CASE("deterministic reports null every wall-clock field at any depth", "[robust][determinism]") {
  nlohmann::json j = {{"steps", 10},
                      {"wall_time_s", 1.5},
                      {"us_per_step", 3.0},
                      {"mesh", {{"kernel_wall_s", 0.2}, {"sim_cycles_per_wall_second", 1e6}, {"total_cycles", 99}}},
                      {"runs", {{{"wall_time_s", 2.0}, {"loss", 0.1}}}}};
  scrub_timing(j);
  CHECK(j["wall_time_s"].is_null());
  CHECK(j["us_per_step"].is_null());
  CHECK(j["mesh"]["kernel_wall_s"].is_null());
  CHECK(j["mesh"]["sim_cycles_per_wall_second"].is_null());
  CHECK(j["mesh"]["total_cycles"] == 99);
  CHECK(j["runs"][0]["wall_time_s"].is_null());
  CHECK(j["runs"][0]["loss"] == 0.1);
  CHECK(j["steps"] == 10);
}

TEST_CASE("the interrupt flag records the signal", "[robust][interrupt]") {
  CHECK_FALSE(interrupt_requested());
  request_interrupt(SIGTERM);
  CHECK(interrupt_requested());
  CHECK(interrupt_signal_name() == "SIGTERM");
  request_interrupt(0);
  CHECK_FALSE(interrupt_requested());
}

// ---- Parser crashes found by fuzzing and review (docs/reliability.md §1) ----

TEST_CASE("a wide CSV header over blank lines is refused before allocating", "[robust][fuzz][csv]") {
  // 100,001 columns and a million blank lines (1.7 MB) made parse_csv ask for
  // 100,001 x 1,000,001 doubles (745 GiB): std::bad_alloc (exit code 3), or an
  // AddressSanitizer abort, before the short row was noticed.
  std::string text;
  for (int i = 0; i < 100000; ++i) text += (i ? ",x" : "x") + std::to_string(i);
  text += ",y0\n";
  text += std::string(1000000, '\n');
  text += "1\n";
  try {
    parse_csv(text, "wide.csv");
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "wide.csv: line 2 has 1 fields, header has 100001");
  }
}

TEST_CASE("a network whose rows are short is refused before allocating its matrix", "[robust][fuzz][json]") {
  // layers [65536, 65536] with 65536 empty rows (a 200 KB file) allocated the
  // 32 GiB W_1 before checking row 0.
  std::string rows;
  for (int i = 0; i < 65536; ++i) rows += i ? ",[]" : "[]";
  const std::string text = R"({"layers":[65536,65536],"weights":[[)" + rows + R"(]],"biases":[[]]})";
  try {
    network_from_json(parse_json_text(text, "wide.json"), "wide.json");
    FAIL("accepted");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()) == "wide.json: W_1 row 0 must have 65536 entries, got 0");
  }
}
