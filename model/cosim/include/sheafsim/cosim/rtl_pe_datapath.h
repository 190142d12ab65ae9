#pragma once
// Co-simulation: the verilated RTL processing element (rtl/pe_core.sv: MAC
// lanes with their accumulators, the bias path, the chunk sequencer and the
// edge units' write path) as the arithmetic of every PE of the mesh. Each PE
// gets its own instance, clocked cycle by cycle by the PE's thread
// (pe_core_driver.h), and runs every chunk of every phase as the RTL
// command it is. Values always come from the RTL. With `timing`, each chunk
// also takes the RTL's cycle count in the mesh instead of the model's
// annotation (pe_phase_cost.h); either way both counts are recorded per chunk.
#include <cstdint>
#include <string>
#include <vector>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/arch/mesh_config.h"
#include "sheafsim/mesh/pe_datapath.h"

namespace sheafsim::mesh {

// One chunk of one PE: the model's annotated cycles and the RTL's.
struct RtlChunkRecord {
  std::uint64_t step = 0;
  int pe = 0, tile = 0, phase = 0, chunk = 0;  // phase: kPhase* of mesh_trace.h
  std::uint64_t model_cycles = 0, rtl_cycles = 0;
};

// The model's and the RTL's cycles of one mesh step, summed over its PE chunks.
struct RtlStepTiming {
  std::uint64_t step = 0;
  std::uint64_t chunks = 0, differing_chunks = 0;
  std::uint64_t model_chunk_cycles = 0, rtl_chunk_cycles = 0;
};

// What the RTL PEs did over a run, summed over PEs.
struct RtlPeStats {
  std::uint64_t operations = 0;     // terms and writes the RTL computed values for
  std::uint64_t rtl_cycles = 0;     // RTL clock cycles, every PE (values, timing-only chunks, reset)
  std::uint64_t timing_only_chunks = 0;  // chunks run only for their cycles (operands not yet in the model)
  std::uint64_t acc_wraps = 0;      // Hebbian sums whose exact value left the accumulator
  std::vector<RtlStepTiming> steps; // per mesh step
  bool keep_chunks = false;         // fill `chunks` (one record per PE chunk)
  std::vector<RtlChunkRecord> chunks;
};

// The formats, accumulator width and parameter-set name the PE was verilated with.
FixedConfig rtl_pe_formats();
std::string rtl_pe_parameter_set();

// Throws InputError naming the first format (or the accumulator width) of
// `cfg` that differs from the verilated PE's.
void check_rtl_pe_config(const FixedConfig& cfg);
// Throws InputError naming the first mesh option (--lanes, --sram-latency,
// --mac-pipeline, --update-pipeline) that differs from the RTL PE's: with
// --rtl-timing the mesh times the RTL, so its timing parameters must be the RTL's.
void check_rtl_pe_timing(const MeshConfig& m);

// A datapath factory for MeshEngine: one RTL PE per PE. `stats`, when given,
// accumulates what the PEs did; it must outlive the engine. With `timing`, every
// chunk of PE work takes the RTL's cycles.
PeDatapathFactory rtl_pe_datapath(RtlPeStats* stats = nullptr, bool timing = false);

}  // namespace sheafsim::mesh
