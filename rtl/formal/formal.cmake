# Formal proof of the edge unit's handshake (docs/edge-unit.md §9), cmake -P.
#   -DYOSYS=<yosys> -DSMTBMC=<yosys-smtbmc> -DOUT_DIR=<dir> -DMODE=<mode> [-DSOLVER=z3] [-DDEPTH=<n>]
#   MODE bmc        bounded model check of DEPTH steps from reset: must pass
#        induction  temporal induction of DEPTH steps (yosys-smtbmc -i): must succeed
#        mutants    each control mutant of MUTANTS below must fail the bounded check
#                   on the expected assertion (the proof can fail)
#        induction_without_invariants  the induction without I1, I2 must fail (P6):
#                   why the invariants are there
# Every mode first checks that the model holds every assertion: a checker
# that did not elaborate would make a proof pass vacuously.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/../param_sets.cmake)
if(NOT DEFINED SOLVER)
  set(SOLVER z3)
endif()
file(MAKE_DIRECTORY ${OUT_DIR})

# Assertions: P1-P5 of edge_unit_sva.sv (9), P6 and I2 (2), I1 (one per stage
# but the output register); without the invariants 9 + P6.
math(EXPR expect_asserts "11 + ${EDGE_UNIT_LATENCY} - 1")
set(read "read_verilog -D EDGE_UNIT_SVA -D EDGE_UNIT_FORMAL -I${CMAKE_CURRENT_LIST_DIR}/.. -formal -sv")
if(MODE STREQUAL "induction_without_invariants")
  set(read "read_verilog -D EDGE_UNIT_SVA -D EDGE_UNIT_FORMAL -D EDGE_UNIT_FORMAL_NO_INVARIANTS -I${CMAKE_CURRENT_LIST_DIR}/.. -formal -sv")
  math(EXPR expect_asserts "10")
endif()
foreach(f ${EDGE_UNIT_RTL} ${EDGE_UNIT_SVA} ${EDGE_UNIT_FORMAL_SOURCES})
  string(APPEND read " ${f}")
endforeach()

# The control properties do not depend on data: the unit's arithmetic (its
# rounders and its multipliers, adders, comparisons and shifts) is cut into free
# values (yosys cutpoint), which leaves every control path and every register
# intact and keeps the solver's problem small (uncut, a 30-step check of the
# 5-stage unit takes minutes). The assertions' own counters are not cut.
set(cut "cutpoint *edge_round/c:*; cutpoint *\\edge_unit/t:$mul *\\edge_unit/t:$add *\\edge_unit/t:$sub *\\edge_unit/t:$eq *\\edge_unit/t:$ne *\\edge_unit/t:$lt *\\edge_unit/t:$reduce_and *\\edge_unit/t:$reduce_or *\\edge_unit/t:$reduce_bool *\\edge_unit/t:$shl *\\edge_unit/t:$sshl *\\edge_unit/t:$sshr;")

# build(<name> <extra yosys commands>): <OUT_DIR>/<name>.smt2 from the harness
# (one name per mode: the ctests may run in parallel).
function(build name extra)
  set(smt2 ${OUT_DIR}/${name}.smt2)
  set(stat ${OUT_DIR}/${name}_stat.txt)
  execute_process(COMMAND ${YOSYS} -q -l ${OUT_DIR}/${name}_yosys.log -p
                          "${read}; prep -top edge_unit_formal; ${cut} flatten; ${extra} opt -full; opt_clean; async2sync; dffunmap; tee -q -o ${stat} stat; write_smt2 -stbv -wires ${smt2}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "yosys failed (${name}):\n${out}")
  endif()
  file(READ ${stat} s)
  if(NOT s MATCHES "\\$assert +([0-9]+)")
    message(FATAL_ERROR "${name}: the model has no assertions")
  endif()
  if(NOT CMAKE_MATCH_1 EQUAL expect_asserts)
    message(FATAL_ERROR "${name}: ${CMAKE_MATCH_1} assertions in the model, expected ${expect_asserts}")
  endif()
  message("${name}: ${CMAKE_MATCH_1} assertions")
endfunction()

# smtbmc(<out var> <rc var> <smt2> <args>...)
function(smtbmc outvar rcvar smt2)
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${SMTBMC} -s ${SOLVER} ${ARGN} ${smt2}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(TIMESTAMP t1 "%s")
  math(EXPR dt "${t1} - ${t0}")
  string(REPLACE ";" " " args "${ARGN}")
  message("${out}yosys-smtbmc -s ${SOLVER} ${args}: exit ${rc}, about ${dt} s")
  set(${outvar} "${out}" PARENT_SCOPE)
  set(${rcvar} ${rc} PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "bmc")
  build(handshake_bmc "")
  math(EXPR last "${DEPTH} - 1")
  smtbmc(out rc ${OUT_DIR}/handshake_bmc.smt2 -t ${DEPTH})
  if(NOT rc EQUAL 0 OR NOT out MATCHES "Status: PASSED" OR NOT out MATCHES "Checking assertions in step ${last}\\.\\.")
    message(FATAL_ERROR "bounded check of ${DEPTH} steps did not pass")
  endif()
  message("formal bmc: PASSED, ${expect_asserts} assertions, ${DEPTH} steps")
elseif(MODE STREQUAL "induction")
  build(handshake_induction "")
  smtbmc(out rc ${OUT_DIR}/handshake_induction.smt2 -i -t ${DEPTH})
  if(NOT rc EQUAL 0 OR NOT out MATCHES "Temporal induction successful" OR NOT out MATCHES "Status: PASSED")
    message(FATAL_ERROR "induction of depth ${DEPTH} did not succeed")
  endif()
  message("formal induction: PASSED, ${expect_asserts} assertions, depth ${DEPTH}")
elseif(MODE STREQUAL "induction_without_invariants")
  build(handshake_noinv "")
  smtbmc(out rc ${OUT_DIR}/handshake_noinv.smt2 -i -t ${DEPTH})
  if(rc EQUAL 0 OR NOT out MATCHES "Temporal induction failed" OR NOT out MATCHES "Assert failed in edge_unit_formal: [^\n]*p6_tags_in_order")
    message(FATAL_ERROR "induction without the invariants I1, I2 did not fail on P6")
  endif()
  message("formal induction without I1, I2: fails on P6, as it must")
elseif(MODE STREQUAL "mutants")
  # <wire of u_dut>=<new driver>=<regex of the assertion that must fail>
  # (the names of the enables en<k> and loads ld<k> of stage k, k = 1..LATENCY)
  set(L ${EDGE_UNIT_LATENCY})
  math(EXPR before_last "${L} - 2")
  set(MUTANTS
    "en2=1'1=p1_ready_rule"                        # stage 2 loads while stage 3 is stalled
    "ld2=u_dut.vld[0]=u_formal_tags"               # stage 2's data overwritten while stalled (I1/P6)
    "ld${L}=u_dut.vld[${before_last}]=p4_output_stable")  # the output register changes while blocked
  set(n 0)
  foreach(m ${MUTANTS})
    string(REPLACE "=" ";" parts "${m}")
    list(GET parts 0 wire)
    list(GET parts 1 driver)
    list(GET parts 2 expect)
    math(EXPR n "${n} + 1")
    build(mutant${n} "connect -unset u_dut.${wire}; connect -set u_dut.${wire} ${driver};")
    smtbmc(out rc ${OUT_DIR}/mutant${n}.smt2 -t ${DEPTH})
    if(rc EQUAL 0 OR NOT out MATCHES "BMC failed" OR NOT out MATCHES "Assert failed in edge_unit_formal: [^\n]*${expect}")
      message(FATAL_ERROR "mutant ${wire} := ${driver} was not caught by ${expect}")
    endif()
    message("mutant ${n} (${wire} := ${driver}): caught by ${expect}")
  endforeach()
  message("formal mutants: ${n} of ${n} caught")
else()
  message(FATAL_ERROR "MODE must be bmc, induction or mutants")
endif()
