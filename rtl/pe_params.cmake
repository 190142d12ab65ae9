# The processing element (rtl/pe_core.sv: LANES MAC lanes of rtl/pe_mac_lane.sv,
# the sequencer rtl/pe_chunk_seq.sv, LANES edge units rtl/edge_unit.sv for the
# writes): the one list of its parameters that the RTL, its testbench, the
# co-simulation, synthesis and the mesh's timing model (the defaults of
# MeshConfig, through the generated sheafsim/arch/pe_rtl_params.h) share.
# The formats are those of an edge-unit parameter set (param_sets.cmake).
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)

set(PE_LANES 4)      # MAC lanes (MACs per cycle) and write lanes
set(PE_SRAM_LAT 1)   # cycles from an SRAM read address to its data
set(PE_GUARD_W 16)   # accumulator bits above ACC_W: chains of up to 2^16 terms flag a final overflow exactly
set(PE_CNT_W 24)     # width of the chunk's output and term counters

# Pipeline depths read from the RTL: the MAC lane's (operands, product,
# accumulator) and the edge unit's (a write's latency).
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/pe_mac_lane.sv _pe_mac_pipe REGEX "localparam int MAC_PIPELINE = [0-9]+;")
if(NOT _pe_mac_pipe MATCHES "MAC_PIPELINE = ([0-9]+)")
  message(FATAL_ERROR "rtl/pe_mac_lane.sv has no 'localparam int MAC_PIPELINE = <cycles>;'")
endif()
set(PE_MAC_PIPELINE ${CMAKE_MATCH_1})
set(PE_UPDATE_PIPELINE ${EDGE_UNIT_LATENCY})
if(NOT CMAKE_SCRIPT_MODE_FILE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/pe_mac_lane.sv)
endif()

set(PE_CORE_RTL ${EDGE_UNIT_RTL}
  ${CMAKE_CURRENT_LIST_DIR}/pe_mac_lane.sv
  ${CMAKE_CURRENT_LIST_DIR}/pe_chunk_seq.sv
  ${CMAKE_CURRENT_LIST_DIR}/pe_core.sv)
set(PE_CORE_PARAMS LANES=${PE_LANES} SRAM_LAT=${PE_SRAM_LAT} GUARD_W=${PE_GUARD_W} CNT_W=${PE_CNT_W})

# pe_core_verilate(<target> <set> PREFIX <class> HEADER_DIR <dir> [<verilate() options>...])
#   Verilates pe_core (in C++, not SystemC: its owner clocks it) with the
#   formats of edge-unit set <set> and the PE parameters above, and writes
#   <dir>/pe_core_set.h from pe_core_set.h.in.
function(pe_core_verilate target set)
  rtl_verilate_set(${target} ${set} TOP pe_core SOURCES ${PE_CORE_RTL} PARAMS ${PE_CORE_PARAMS}
    TEMPLATE ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/pe_core_set.h.in ${ARGN})
endfunction()
