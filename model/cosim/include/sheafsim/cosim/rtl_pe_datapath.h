#pragma once
// Co-simulation: the verilated RTL edge unit (rtl/edge_unit.sv, verilated as
// a SystemC module) as the arithmetic of every PE of the mesh. Each PE gets
// its own instance and streams its multiply-accumulates and weight and bias
// writes through the unit's valid/ready interface, one operation per RTL
// clock. The RTL clock is toggled in delta cycles, so the co-simulation
// takes no simulated time: the PE's annotated timing, and thus every cycle
// count of the mesh, stays that of the model, while every value comes from
// the RTL.
#include <cstdint>
#include <memory>
#include <string>

#include "sheafsim/fixed/fixed_config.h"
#include "sheafsim/mesh/pe_datapath.h"

namespace sheafsim::mesh {

// What the RTL units did over a run, summed over PEs.
struct RtlPeStats {
  std::uint64_t operations = 0;   // operations accepted (MAC_FWD, MAC_BWD, MAC_HEB, UPD_W, UPD_B)
  std::uint64_t rtl_cycles = 0;   // RTL clock cycles (including pipeline fill and back-pressure)
  std::uint64_t backpressure_cycles = 0;  // cycles with out_ready held low
  std::uint64_t acc_wraps = 0;    // MAC operations that raised out_acc_wrapped
};

// The formats, accumulator width and parameter-set name the edge unit was verilated with.
FixedConfig rtl_pe_formats();
std::string rtl_pe_parameter_set();

// Throws InputError naming the first format (or the accumulator width) of
// `cfg` that differs from the verilated unit's.
void check_rtl_pe_config(const FixedConfig& cfg);

// A datapath factory for MeshEngine: one RTL edge unit per PE. With the
// mesh's random stalls on, the unit's out_ready is also dropped at random
// (keyed by that seed), so the handshake is exercised. `stats`, when given,
// accumulates what the units did; it must outlive the engine.
PeDatapathFactory rtl_pe_datapath(RtlPeStats* stats = nullptr);

}  // namespace sheafsim::mesh
