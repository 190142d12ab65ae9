# The processing element (pe_core.sv) mapped to the 45 nm cells and timed:
#   cmake -DYOSYS=<yosys> -DSTA=<sta> -DOUT_DIR=<dir> [-DSET=q16] [-DQUANT=rnd_conv] [-DOVF=sat]
#         [-DOUTPUT=<file.json>] [-DCHECK=<committed.json>] -P rtl/pe_synth.cmake
# Writes <dir>/pe_core_<set>_<quant>_<ovf>.json (or OUTPUT): area (every
# cell, flip-flops included) and flip-flop area in um^2, cells, flip-flops,
# fmax and the worst path (schema sheafsim.pe_core_silicon/1,
# docs/edge-unit.md §10); with CHECK, fails unless every figure equals
# CHECK's (ctest rtl:pe_silicon_matches_committed). The flow is the edge unit's (synth_script.cmake):
# Yosys synth -flatten, dfflibmap, abc -liberty with the same script, OpenSTA
# with the same constraints (pe_sta.tcl). The PE's parameters, including the
# rounding and overflow mode, are set as the defaults of a copy of
# pe_core.sv (Yosys 0.23's chparam derives a second module, and its
# hierarchy -chparam asserts, on this design). The nets are split to bits
# before the netlist is written: OpenSTA reads no concatenations on the left.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/pe_params.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/liberty_area.cmake)
foreach(v SET QUANT OVF)
  if(NOT DEFINED ${v})
    set(SET q16)
    set(QUANT rnd_conv)
    set(OVF sat)
  endif()
endforeach()
set(name pe_core_${SET}_${QUANT}_${OVF})
if(NOT DEFINED OUTPUT)
  set(OUTPUT ${OUT_DIR}/${name}.json)
endif()
file(MAKE_DIRECTORY ${OUT_DIR})
set(L ${CMAKE_CURRENT_LIST_DIR}/lib/sheafsim45.lib)

edge_unit_params(kvs ${SET} PORT_WIDTHS QUANT ${QUANT} OVF ${OVF})
list(APPEND kvs ${PE_CORE_PARAMS})
file(READ ${CMAKE_CURRENT_LIST_DIR}/pe_core.sv src)
set(params_json "")
foreach(kv ${kvs})
  string(REPLACE "=" ";" pair ${kv})
  list(GET pair 0 k)
  list(GET pair 1 v)
  string(REGEX REPLACE "parameter int ${k} = [0-9]+" "parameter int ${k} = ${v}" src "${src}")
  string(APPEND params_json "\"${k}\": ${v}, ")
endforeach()
string(REGEX REPLACE ", $" "" params_json "${params_json}")
file(WRITE ${OUT_DIR}/${name}.sv "${src}")

string(REPLACE ";" " " rtl "${EDGE_UNIT_RTL};${CMAKE_CURRENT_LIST_DIR}/pe_mac_lane.sv;${CMAKE_CURRENT_LIST_DIR}/pe_chunk_seq.sv")
file(WRITE ${OUT_DIR}/${name}.ys "read_verilog -sv ${rtl} ${OUT_DIR}/${name}.sv
hierarchy -top pe_core
proc
flatten
rename -hide w:* x:* %d t:$*dff* %co:+[Q] w:* %i %d
synth -flatten -top pe_core
dfflibmap -liberty ${L}
abc -liberty ${L} -script \"+strash;&get,-n;&dch,-f;&nf;&put;buffer,-N,8;topo\"
opt_clean
hilomap -singleton -hicell LOGIC1_X1 Z -locell LOGIC0_X1 Z
opt_clean -purge
tee -q -o ${OUT_DIR}/${name}_stat.txt stat -liberty ${L}
tee -q -o ${OUT_DIR}/${name}_stat_ff.txt stat -liberty ${L} t:DFF_X1
splitnets -ports
opt_clean -purge
write_verilog -noattr -noexpr ${OUT_DIR}/${name}_netlist.v
")
string(TIMESTAMP t0 "%s")
execute_process(COMMAND ${YOSYS} -q -l ${OUT_DIR}/${name}_yosys.log -s ${OUT_DIR}/${name}.ys
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "yosys failed (${name}):\n${out}")
endif()
string(TIMESTAMP t1 "%s")
liberty_chip_area(area_all ${OUT_DIR}/${name}_stat.txt)
liberty_chip_area(area_ff ${OUT_DIR}/${name}_stat_ff.txt)
file(STRINGS ${OUT_DIR}/${name}_stat.txt cells_line REGEX "Number of cells:")
list(GET cells_line 0 cells_line)
string(REGEX MATCH "[0-9]+" cells "${cells_line}")
file(STRINGS ${OUT_DIR}/${name}_stat.txt ff_line REGEX "DFF_X1 +[0-9]+")
string(REGEX MATCH "[0-9]+$" ffs "${ff_line}")

set(ENV{STA_SETUP} ${CMAKE_CURRENT_LIST_DIR}/sta_setup.tcl)
set(ENV{STA_LIBERTY} ${L})
set(ENV{STA_NETLIST} ${OUT_DIR}/${name}_netlist.v)
set(ENV{STA_OUT} ${OUT_DIR}/${name}_sta.json)
execute_process(COMMAND ${STA} -no_init -exit ${CMAKE_CURRENT_LIST_DIR}/pe_sta.tcl
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT_DIR}/${name}_sta.json)
  message(FATAL_ERROR "sta failed (${name}):\n${out}")
endif()
file(READ ${OUT_DIR}/${name}_sta.json sta)
string(STRIP "${sta}" sta)
math(EXPR secs "${t1} - ${t0}")
file(WRITE ${OUTPUT} "{
  \"schema\": \"sheafsim.pe_core_silicon/1\",
  \"regenerate\": \"cmake -DYOSYS=yosys -DSTA=sta -DOUT_DIR=build/pe_synth -DSET=${SET} -DQUANT=${QUANT} -DOVF=${OVF} -DOUTPUT=rtl/silicon/${name}_45nm.json -P rtl/pe_synth.cmake\",
  \"set\": \"${SET}\", \"quant\": \"${QUANT}\", \"overflow\": \"${OVF}\",
  \"params\": {${params_json}},
  \"area_um2\": ${area_all},
  \"flip_flop_area_um2\": ${area_ff},
  \"cells\": ${cells},
  \"flip_flops\": ${ffs},
  \"timing\": ${sta},
  \"yosys_seconds\": ${secs}
}
")
message("${name}: ${area_all} um^2 (flip-flops ${area_ff}), ${cells} cells, ${ffs} flip-flops; ${sta}")
if(DEFINED CHECK)
  file(READ ${OUTPUT} fresh)
  file(READ ${CHECK} committed)
  foreach(key area_um2 flip_flop_area_um2 cells flip_flops "timing;fmax_mhz" "timing;min_period_ns" "timing;critical_start")
    string(JSON a GET "${fresh}" ${key})
    string(JSON b GET "${committed}" ${key})
    if(NOT a STREQUAL b)
      message(FATAL_ERROR "${key}: ${a} now, ${b} in ${CHECK}: regenerate it (docs/edge-unit.md §10)")
    endif()
  endforeach()
  message("the PE's figures equal ${CHECK}")
endif()

