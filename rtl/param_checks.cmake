# The parameter legality checks of edge_unit.sv and edge_round.sv
# (docs/edge-unit.md §2) refuse illegal sets (cmake -P; ctest rtl:param_checks).
#   -DVERILATOR=<verilator> [-DYOSYS=<yosys>]
# Each illegal case, the q8 set with one change, must FAIL verilator
# --lint-only with the expected message; the legal q8 set must pass. With
# YOSYS, some cases are also elaborated by Yosys, which must refuse them too.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)
edge_unit_params(q8 q8 PORT_WIDTHS QUANT runtime OVF runtime)

# <top>|<parameter overrides, comma-separated>|<regex of the expected message>
set(CASES
  "edge_unit|ACC_W=15|edge_unit: ACC_W must be >= every product width"            # q8 products are 16 bits
  "edge_unit|ACC_W=-4|edge_unit: ACC_W must be >= 2"                              # a negative width
  "edge_unit|S_I=-6|edge_unit: S_I \\+ S_F \\(stalk width\\) must be >= 2"
  "edge_unit|W_I=1,W_F=0|edge_unit: W_I \\+ W_F \\(weight width\\) must be >= 2"
  "edge_unit|B_I=0,B_F=1|edge_unit: B_I \\+ B_F \\(bias width\\) must be >= 2"
  "edge_unit|R_I=-5,R_F=5|edge_unit: R_I \\+ R_F \\(residual width\\) must be >= 2"
  "edge_unit|C_I=2,C_F=31|edge_unit: C_I \\+ C_F \\(constant width\\) must be in 2..32"
  "edge_unit|W_F=30,ACC_W=40|edge_unit: DW = C_F \\+ R_F \\+ S_F - W_F must be >= 0"
  "edge_unit|B_F=21,B_I=0,ACC_W=40|edge_unit: DB = C_F \\+ R_F - B_F must be >= 0"
  "edge_unit|QUANT=7|edge_unit: QUANT must be in 0..6"
  "edge_unit|OVF=3|edge_unit: OVF must be in 0..2"
  "edge_unit|IDX_W=49|edge_unit: IDX_W must be in 1..48"
  "edge_unit|TAG_W=0|edge_unit: TAG_W must be >= 1"
  "edge_unit|STEP_W=65|edge_unit: STEP_W must be in 1..64"
  "edge_unit|STEP_W=0|edge_unit: STEP_W must be in 1..64"
  "edge_round|D=-1|edge_round: D \\(fractional bits to drop\\) must be >= 0"
  "edge_round|OW=1|edge_round: OW \\(register width\\) must be >= 2"
  "edge_round|VW=16,D=16|edge_round: VW \\(input width\\) must be > D"
  "edge_round|QUANT=7|edge_round: QUANT must be in 0..6"
  "edge_round|OVF=-1|edge_round: OVF must be in 0..2")
# Yosys: the same message as an ERROR for these (chparam takes no negative numbers).
set(YOSYS_CASES 1 8 10 18)

set(failed 0)
set(refused 0)

function(overrides out top changes)
  string(REPLACE "," ";" changes "${changes}")
  set(kvs "")
  if(top STREQUAL "edge_unit")
    set(kvs ${q8})
  endif()
  foreach(c ${changes})
    string(REGEX REPLACE "=.*" "" k "${c}")
    list(FILTER kvs EXCLUDE REGEX "^${k}=")
    list(APPEND kvs ${c})
  endforeach()
  set(${out} ${kvs} PARENT_SCOPE)
endfunction()

# The legal set elaborates cleanly.
list(TRANSFORM q8 PREPEND -G OUTPUT_VARIABLE gargs)
execute_process(COMMAND ${VERILATOR} --lint-only -Wall --top-module edge_unit ${gargs} ${EDGE_UNIT_WAIVERS} ${EDGE_UNIT_RTL}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR out MATCHES "%(Warning|Error)")
  message("FAILED: the legal q8 set does not elaborate:\n${out}")
  set(failed 1)
else()
  message("legal q8 set: elaborates")
endif()

set(i 0)
foreach(case ${CASES})
  math(EXPR i "${i} + 1")
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 top)
  list(GET parts 1 changes)
  list(GET parts 2 expect)
  overrides(kvs ${top} "${changes}")
  list(TRANSFORM kvs PREPEND -G OUTPUT_VARIABLE gargs)
  execute_process(COMMAND ${VERILATOR} --lint-only -Wall --top-module ${top} ${gargs} ${EDGE_UNIT_WAIVERS} ${EDGE_UNIT_RTL}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message("FAILED: case ${i} (${top} ${changes}) elaborated")
    set(failed 1)
  elseif(NOT out MATCHES "%Warning-USERERROR: [^\n]*${expect}")
    message("FAILED: case ${i} (${top} ${changes}) failed without the message '${expect}':\n${out}")
    set(failed 1)
  else()
    math(EXPR refused "${refused} + 1")
    message("case ${i} (${top} ${changes}): refused by Verilator")
  endif()

  if(YOSYS AND i IN_LIST YOSYS_CASES)
    set(chparam "")
    foreach(kv ${kvs})
      string(REPLACE "=" " " kv "${kv}")
      string(APPEND chparam " -set ${kv}")
    endforeach()
    string(REPLACE ";" " " rtl "${EDGE_UNIT_RTL}")
    execute_process(COMMAND ${YOSYS} -q -p "read_verilog -sv ${rtl}; chparam${chparam} ${top}; hierarchy -top ${top}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(rc EQUAL 0 OR NOT out MATCHES "ERROR: ${expect}")
      message("FAILED: case ${i} (${top} ${changes}): Yosys did not refuse it with '${expect}':\n${out}")
      set(failed 1)
    else()
      math(EXPR refused "${refused} + 1")
      message("case ${i} (${top} ${changes}): refused by Yosys")
    endif()
  endif()
endforeach()

if(failed)
  message(FATAL_ERROR "parameter checks: a case was not handled as expected")
endif()
message("parameter checks: ${refused} refusals as expected, the legal set elaborates")
