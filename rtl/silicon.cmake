# The committed 45 nm figures of the edge unit, rtl/silicon/edge_unit_45nm.json
# (schema sheafsim.edge_unit_silicon/1, docs/edge-unit.md §6): fmax, critical
# path, area and levels per stage for every parameter set and mode, taken
# from the synthesis results of rtl/synth.cmake (cmake -P script).
#
#   ACTION=extract  -DOUT_DIR=<dir> -DRESULTS=<set>_<quant>_<ovf>,... -DOUTPUT=<file.json>
#                   writes the figures of those results (<dir>/<name>.json)
#   ACTION=compare  -DOUT_DIR=<dir> -DRESULTS=... -DCOMMITTED=<file.json>
#                   fails unless each fresh result's figures equal the
#                   committed entry of the same set and mode (Yosys, ABC and
#                   OpenSTA are deterministic, so any difference means the
#                   committed file is stale: regenerate it, docs/edge-unit.md §6)
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)

# num(<var> <value> <decimals>): a number as fixed-point text (CMake's JSON
# reader returns doubles with binary noise: 559.20000000000005).
function(num var value decimals)
  execute_process(COMMAND printf "%.${decimals}f" ${value} OUTPUT_VARIABLE out)
  set(${var} ${out} PARENT_SCOPE)
endfunction()

# path(<var> <path json>): a path object of rtl/sta.tcl, reformatted.
function(path var p)
  string(JSON start GET "${p}" start)
  string(JSON end GET "${p}" end)
  string(JSON levels GET "${p}" levels)
  string(JSON d GET "${p}" delay_ns)
  num(d ${d} 3)
  set(${var} "{\"start\": \"${start}\", \"end\": \"${end}\", \"delay_ns\": ${d}, \"levels\": ${levels}}" PARENT_SCOPE)
endfunction()

# figures(<var> <result json>): the committed entry of one synthesis result.
function(figures var item)
  foreach(k set quant overflow flip_flops cells_45nm area_um2 flip_flop_area_um2)
    string(JSON v_${k} GET "${item}" ${k})
  endforeach()
  num(v_area_um2 ${v_area_um2} 3)
  num(v_flip_flop_area_um2 ${v_flip_flop_area_um2} 3)
  string(JSON t GET "${item}" timing)
  string(JSON fmax GET "${t}" fmax_mhz)
  num(fmax ${fmax} 1)
  string(JSON period GET "${t}" min_period_ns)
  num(period ${period} 3)
  string(JSON cp GET "${t}" critical_path)
  path(cp "${cp}")
  string(JSON n LENGTH "${t}" stages)
  math(EXPR last "${n} - 1")
  set(stages "")
  foreach(i RANGE ${last})
    string(JSON st MEMBER "${t}" stages ${i})
    string(JSON sp GET "${t}" stages ${st})
    path(sp "${sp}")
    list(APPEND stages "\"${st}\": ${sp}")
  endforeach()
  list(JOIN stages ",\n        " stages)
  set(${var} "    {\"set\": \"${v_set}\", \"quant\": \"${v_quant}\", \"overflow\": \"${v_overflow}\",
     \"fmax_mhz\": ${fmax}, \"min_period_ns\": ${period},
     \"area_um2\": ${v_area_um2}, \"flip_flop_area_um2\": ${v_flip_flop_area_um2},
     \"cells\": ${v_cells_45nm}, \"flip_flops\": ${v_flip_flops},
     \"critical_path\": ${cp},
     \"stages\": {${stages}}}" PARENT_SCOPE)
endfunction()

string(REPLACE "," ";" RESULTS "${RESULTS}")
if(ACTION STREQUAL "extract")
  set(items "")
  foreach(r ${RESULTS})
    file(READ ${OUT_DIR}/${r}.json item)
    figures(entry "${item}")
    list(APPEND items "${entry}")
  endforeach()
  list(JOIN items ",\n" body)
  file(WRITE ${OUTPUT}
"{
  \"schema\": \"sheafsim.edge_unit_silicon/1\",
  \"library\": \"rtl/lib/sheafsim45.lib: NanGate FreePDK45 Open Cell Library figures, typical corner, 1.1 V, 25 C; areas exact, delays approximate, no wire load\",
  \"flow\": \"rtl/synth.cmake (Yosys synth -flatten, dfflibmap, abc -liberty) and rtl/sta.tcl (OpenSTA)\",
  \"regenerate\": \"cmake --build <build dir> --target silicon_update\",
  \"latency_cycles\": ${EDGE_UNIT_LATENCY},
  \"results\": [
${body}
  ]
}
")
  message(STATUS "wrote ${OUTPUT}")

elseif(ACTION STREQUAL "compare")
  file(READ ${COMMITTED} committed)
  string(JSON n LENGTH "${committed}" results)
  math(EXPR last "${n} - 1")
  string(JSON latency GET "${committed}" latency_cycles)
  if(NOT latency EQUAL EDGE_UNIT_LATENCY)
    message(FATAL_ERROR "${COMMITTED}: latency_cycles ${latency}, the RTL has ${EDGE_UNIT_LATENCY}: the file is stale")
  endif()
  foreach(r ${RESULTS})
    file(READ ${OUT_DIR}/${r}.json item)
    figures(fresh "${item}")
    string(JSON s GET "${fresh}" set)
    string(JSON q GET "${fresh}" quant)
    string(JSON o GET "${fresh}" overflow)
    set(found "")
    foreach(i RANGE ${last})
      string(JSON c GET "${committed}" results ${i})
      string(JSON cs GET "${c}" set)
      string(JSON cq GET "${c}" quant)
      string(JSON co GET "${c}" overflow)
      if(cs STREQUAL s AND cq STREQUAL q AND co STREQUAL o)
        set(found "${c}")
      endif()
    endforeach()
    if(found STREQUAL "")
      message(FATAL_ERROR "${COMMITTED} has no entry for ${s} ${q}/${o}")
    endif()
    string(JSON same EQUAL "${found}" "${fresh}")
    if(NOT same)
      message(FATAL_ERROR "${COMMITTED} is stale for ${s} ${q}/${o}:\ncommitted ${found}\nfresh     ${fresh}\n"
                          "regenerate: cmake --build <build dir> --target silicon_update")
    endif()
    string(JSON fmax GET "${fresh}" fmax_mhz)
    string(JSON area GET "${fresh}" area_um2)
    message(STATUS "${s} ${q}/${o}: committed figures equal the fresh run (fmax ${fmax} MHz, ${area} um^2)")
  endforeach()
else()
  message(FATAL_ERROR "ACTION must be extract or compare")
endif()
