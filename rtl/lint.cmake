# verilator --lint-only -Wall on rtl/*.sv with rtl/lint_waivers.vlt, for the
# default parameters and every parameter set in the run-time mode and in
# several fixed modes, each without and with the assertions
# (edge_unit_sva.sv), then the formal harness (rtl/formal/) and the
# processing element (pe_core.sv) (cmake -P;
# -DVERILATOR=<verilator>). Fails on any warning or error.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)
set(failed 0)
set(runs 0)

function(lint what)
  execute_process(COMMAND ${VERILATOR} --lint-only -Wall ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  math(EXPR n "${runs} + 1")
  set(runs ${n} PARENT_SCOPE)
  if(NOT rc EQUAL 0 OR out MATCHES "%(Warning|Error)")
    message("lint FAILED: ${what}\n${out}")
    set(failed 1 PARENT_SCOPE)
  else()
    message("lint clean: ${what}")
  endif()
endfunction()

foreach(set default ${EDGE_UNIT_SETS})
  foreach(mode runtime:runtime rnd_conv:sat trn:wrap stoch:sat)
    string(REPLACE ":" ";" qo ${mode})
    list(GET qo 0 q)
    list(GET qo 1 o)
    edge_unit_params(kvs ${set} QUANT ${q} OVF ${o})
    list(TRANSFORM kvs PREPEND -G OUTPUT_VARIABLE gargs)
    lint("set ${set}, mode ${mode}" --top-module edge_unit ${gargs} ${EDGE_UNIT_WAIVERS} ${EDGE_UNIT_RTL})
    lint("set ${set}, mode ${mode}, assertions" --top-module edge_unit ${gargs} ${EDGE_UNIT_SVA_ARGS}
         ${EDGE_UNIT_WAIVERS} ${EDGE_UNIT_RTL} ${EDGE_UNIT_SVA})
  endforeach()
endforeach()
lint("formal harness" --top-module edge_unit_formal ${EDGE_UNIT_SVA_ARGS} +define+EDGE_UNIT_FORMAL
     ${EDGE_UNIT_WAIVERS} ${EDGE_UNIT_RTL} ${EDGE_UNIT_SVA} ${EDGE_UNIT_FORMAL_SOURCES})
# The processing element (rtl/pe_core.sv and its parts, pe_params.cmake) with
# every set's formats, in the run-time modes, with the edge units' assertions.
include(${CMAKE_CURRENT_LIST_DIR}/pe_params.cmake)
foreach(set default ${EDGE_UNIT_SETS})
  edge_unit_params(kvs ${set} QUANT runtime OVF runtime)
  list(APPEND kvs ${PE_CORE_PARAMS})
  list(TRANSFORM kvs PREPEND -G OUTPUT_VARIABLE gargs)
  lint("pe_core, set ${set}" --top-module pe_core ${gargs} ${EDGE_UNIT_SVA_ARGS} ${EDGE_UNIT_WAIVERS} ${PE_CORE_RTL}
       ${EDGE_UNIT_SVA})
endforeach()
if(failed)
  message(FATAL_ERROR "verilator lint found problems")
endif()
message("lint: ${runs} configurations clean")

