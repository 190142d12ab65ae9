# Parameter sets of the edge unit (rtl/edge_unit.sv): the one list the
# Verilator testbenches (tb/), the co-simulation (model/), the lint test and
# the synthesis report use, through edge_unit_params() and
# edge_unit_verilate() below.
# Formats are Q<X_I>.<X_F> (docs/fixed-point.md §1) of stalk S, weight W,
# bias B, residual R and constant C; ACC_W is the accumulator width.
#
#   q8   8-bit registers with different binary points per class (so an operand
#        taken from the wrong class shows), 2 guard bits in an 18-bit accumulator
#   q12  12- to 16-bit registers, every class a different format and width
#   q16  the project default: Q4.12 everywhere, constant Q1.31, ACC_W 48
set(EDGE_UNIT_SETS q8 q12 q16)
set(EDGE_UNIT_PARAMS_q8  S_I=3 S_F=5  W_I=2 W_F=6  B_I=4 B_F=4   R_I=3 R_F=5   C_I=1 C_F=15 ACC_W=18)
set(EDGE_UNIT_PARAMS_q12 S_I=4 S_F=8  W_I=3 W_F=9  B_I=5 B_F=11  R_I=2 R_F=12  C_I=1 C_F=23 ACC_W=30)
set(EDGE_UNIT_PARAMS_q16 S_I=4 S_F=12 W_I=4 W_F=12 B_I=4 B_F=12  R_I=4 R_F=12  C_I=1 C_F=31 ACC_W=48)

# Widths of the hash-key and tag ports (the RTL defaults, passed explicitly so
# the C++ side, which reads them from the generated headers, cannot disagree).
set(EDGE_UNIT_COMMON STEP_W=32 IDX_W=16 TAG_W=8)

# Mode encodings of the QUANT / OVF parameters (the fx::Quant / fx::Overflow
# order); QUANT 6 / OVF 2 select the mode per operation from cfg_quant / cfg_ovf.
set(EDGE_UNIT_QUANT_trn 0)
set(EDGE_UNIT_QUANT_trn_zero 1)
set(EDGE_UNIT_QUANT_rnd 2)
set(EDGE_UNIT_QUANT_rnd_zero 3)
set(EDGE_UNIT_QUANT_rnd_conv 4)
set(EDGE_UNIT_QUANT_stoch 5)
set(EDGE_UNIT_QUANT_runtime 6)
set(EDGE_UNIT_OVF_sat 0)
set(EDGE_UNIT_OVF_wrap 1)
set(EDGE_UNIT_OVF_runtime 2)

# The modes the synthesis report covers (quant:overflow).
set(EDGE_UNIT_SYNTH_MODES rnd_conv:sat stoch:sat trn:wrap)

# The RTL sources, in compile order.
set(EDGE_UNIT_RTL
  ${CMAKE_CURRENT_LIST_DIR}/edge_round.sv
  ${CMAKE_CURRENT_LIST_DIR}/edge_unit.sv)
set(EDGE_UNIT_WAIVERS ${CMAKE_CURRENT_LIST_DIR}/lint_waivers.vlt)
# The handshake assertions (edge_unit_sva.sv, docs/edge-unit.md §9): the
# define makes edge_unit.sv include edge_unit_sva_attach.svh, which
# instantiates them inside the unit. Compiled into every verilated model
# (with --assert) and linted; not in EDGE_UNIT_RTL, so synthesis and the
# gate-level netlist stay free of them.
set(EDGE_UNIT_SVA ${CMAKE_CURRENT_LIST_DIR}/edge_unit_sva.sv)
set(EDGE_UNIT_SVA_ARGS +define+EDGE_UNIT_SVA -I${CMAKE_CURRENT_LIST_DIR})
# The formal harness (rtl/formal/, with EDGE_UNIT_FORMAL defined too), top
# edge_unit_formal, after EDGE_UNIT_RTL and EDGE_UNIT_SVA.
set(EDGE_UNIT_FORMAL_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/formal/edge_unit_formal_tags.sv
  ${CMAKE_CURRENT_LIST_DIR}/formal/edge_unit_formal.sv)
set(EDGE_UNIT_SET_TEMPLATE ${CMAKE_CURRENT_LIST_DIR}/edge_unit_set.h.in)

# The pipeline latency in cycles, read from the RTL (localparam LATENCY of
# edge_unit.sv): the generated headers and the synthesis report take it from
# here, and the testbenches' handshake model checks the RTL against it every
# cycle.
file(STRINGS ${CMAKE_CURRENT_LIST_DIR}/edge_unit.sv _edge_unit_latency REGEX "localparam int LATENCY = [0-9]+;")
if(NOT _edge_unit_latency MATCHES "LATENCY = ([0-9]+)")
  message(FATAL_ERROR "rtl/edge_unit.sv has no 'localparam int LATENCY = <cycles>;'")
endif()
set(EDGE_UNIT_LATENCY ${CMAKE_MATCH_1})
if(NOT CMAKE_SCRIPT_MODE_FILE)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/edge_unit.sv)
endif()

# edge_unit_params(<var> <set> [PORT_WIDTHS] [QUANT <mode>] [OVF <mode>])
#   Sets <var> to the parameters NAME=value of <set> (none for "default"),
#   then with PORT_WIDTHS those of EDGE_UNIT_COMMON, then QUANT and OVF
#   encoded from mode names (trn ... stoch, runtime; sat, wrap, runtime).
function(edge_unit_params var set)
  cmake_parse_arguments(PARSE_ARGV 2 arg "PORT_WIDTHS" "QUANT;OVF" "")
  if(NOT set STREQUAL "default" AND NOT DEFINED EDGE_UNIT_PARAMS_${set})
    message(FATAL_ERROR "edge unit: no parameter set '${set}' (sets: ${EDGE_UNIT_SETS})")
  endif()
  set(kvs ${EDGE_UNIT_PARAMS_${set}})
  if(arg_PORT_WIDTHS)
    list(APPEND kvs ${EDGE_UNIT_COMMON})
  endif()
  foreach(p QUANT OVF)
    if(DEFINED arg_${p})
      if(NOT DEFINED EDGE_UNIT_${p}_${arg_${p}})
        message(FATAL_ERROR "edge unit: no ${p} mode '${arg_${p}}'")
      endif()
      list(APPEND kvs ${p}=${EDGE_UNIT_${p}_${arg_${p}}})
    endif()
  endforeach()
  set(${var} ${kvs} PARENT_SCOPE)
endfunction()

# rtl_verilate_set(<target> <set> TOP <module> SOURCES <files> TEMPLATE <file.h.in>
#                  PREFIX <class> HEADER_DIR <dir> [PARAMS <NAME=value>...] [<verilate() options>...])
#   Verilates <module> into <target> as <class> with the formats of <set>
#   (port widths explicit, rounding and overflow modes chosen at run time),
#   the extra PARAMS and the edge unit's assertions (a failing one stops the
#   simulation with an error), and configures <dir>/<template name without .in>
#   with P_<NAME> for every parameter, SET, MODEL and LATENCY (the edge unit's).
function(rtl_verilate_set target set)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "PREFIX;HEADER_DIR;TOP;TEMPLATE" "SOURCES;PARAMS")
  edge_unit_params(kvs ${set} PORT_WIDTHS QUANT runtime OVF runtime)
  list(APPEND kvs ${arg_PARAMS})
  set(gargs "")
  foreach(kv ${kvs})
    list(APPEND gargs -G${kv})
    string(REPLACE "=" ";" pair ${kv})
    list(GET pair 0 k)
    list(GET pair 1 v)
    set(P_${k} ${v})
  endforeach()
  verilate(${target} ${arg_UNPARSED_ARGUMENTS}
    PREFIX ${arg_PREFIX}
    TOP_MODULE ${arg_TOP}
    SOURCES ${EDGE_UNIT_WAIVERS} ${arg_SOURCES} ${EDGE_UNIT_SVA}
    VERILATOR_ARGS -Wall ${gargs} -x-assign unique -x-initial unique --assert ${EDGE_UNIT_SVA_ARGS})
  set(SET ${set})
  set(MODEL ${arg_PREFIX})
  set(LATENCY ${EDGE_UNIT_LATENCY})
  get_filename_component(header ${arg_TEMPLATE} NAME)
  string(REGEX REPLACE "\\.in$" "" header ${header})
  configure_file(${arg_TEMPLATE} ${arg_HEADER_DIR}/${header} @ONLY)
endfunction()

# edge_unit_verilate(<target> <set> PREFIX <class> HEADER_DIR <dir> [<verilate() options>...])
#   The unit, with <dir>/edge_unit_set.h from edge_unit_set.h.in: the same
#   parameters, the latency and the set's FixedConfig for the C++ side.
function(edge_unit_verilate target set)
  rtl_verilate_set(${target} ${set} TOP edge_unit SOURCES ${EDGE_UNIT_RTL} TEMPLATE ${EDGE_UNIT_SET_TEMPLATE} ${ARGN})
endfunction()
