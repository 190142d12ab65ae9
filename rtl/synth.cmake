# Yosys synthesis statistics and 45 nm area and timing of the edge unit (cmake -P script).
#
#   ACTION=run      synthesise one parameter set in one fixed mode:
#                   -DSET=q8 -DQUANT=rnd_conv -DOVF=sat -DYOSYS=<yosys> -DOUT_DIR=<dir>
#                   -DLIBERTY=<rtl/lib/sheafsim45.lib> [-DSTA=<sta>]
#                   writes <dir>/<set>_<quant>_<ovf>.json (one result object),
#                   the yosys log, the generic-gate statistics and the netlist
#                   mapped to the liberty's cells (<name>_netlist.v, module
#                   edge_unit_gate) next to it; with STA also the static timing
#                   of that netlist (rtl/sta.tcl: <name>_sta.json, _sta.txt)
#   ACTION=combine  -DOUT_DIR=<dir> -DOUTPUT=<file.json> -DRESULTS=<set>_<quant>_<ovf>,... [-DSTA=<sta>]
#                   merges the result objects into the report (schema in
#                   docs/edge-unit.md) and writes a Markdown table next to it
#   ACTION=check    -DOUTPUT=<file.json> -DEXPECT=<n>: fails unless the report has
#                   n results, each with cells, flip_flops, transistors,
#                   area_um2, flip_flop_area_um2 > 0 and, if timed, fmax_mhz > 0
#                   and levels and delay for every pipeline stage
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/synth_script.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/liberty_area.cmake)

if(ACTION STREQUAL "run")
  set(name ${SET}_${QUANT}_${OVF})
  set(chparam "")
  set(params_json "")
  edge_unit_params(kvs ${SET} QUANT ${QUANT} OVF ${OVF})
  foreach(kv ${kvs})
    string(REPLACE "=" ";" pair ${kv})
    list(GET pair 0 k)
    list(GET pair 1 v)
    string(APPEND chparam " -set ${k} ${v}")
    string(APPEND params_json "\"${k}\": ${v}, ")
  endforeach()
  string(REGEX REPLACE ", $" "" params_json "${params_json}")
  string(REPLACE ";" " " rtl "${EDGE_UNIT_RTL}")
  edge_synth_script(script "${rtl}" "${chparam}" ${LIBERTY} ${OUT_DIR} ${name})
  file(MAKE_DIRECTORY ${OUT_DIR})
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${YOSYS} -q -l ${OUT_DIR}/${name}_yosys.log -p "${script}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  string(TIMESTAMP t1 "%s")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "yosys failed for ${name} (${rc}):\n${out}")
  endif()
  file(READ ${OUT_DIR}/${name}_stat_cmos.json stat)
  string(JSON mod GET "${stat}" modules "\\edge_unit")
  string(JSON cells GET "${mod}" num_cells)
  string(JSON transistors GET "${mod}" estimated_num_transistors)
  set(plus false)
  if(transistors MATCHES "\\+$")
    set(plus true)
    string(REGEX REPLACE "\\+$" "" transistors "${transistors}")
  endif()
  string(JSON ntypes LENGTH "${mod}" num_cells_by_type)
  math(EXPR last "${ntypes} - 1")
  set(ffs 0)
  set(types_json "")
  foreach(i RANGE ${last})
    string(JSON type MEMBER "${mod}" num_cells_by_type ${i})
    string(JSON n GET "${mod}" num_cells_by_type ${type})
    if(type MATCHES "DFF|DLATCH")
      math(EXPR ffs "${ffs} + ${n}")
    endif()
    string(APPEND types_json "\"${type}\": ${n}, ")
  endforeach()
  string(REGEX REPLACE ", $" "" types_json "${types_json}")
  math(EXPR secs "${t1} - ${t0}")

  # 45 nm cells: chip area of all cells and of the flip-flops (stat -liberty).
  liberty_chip_area(area_all ${OUT_DIR}/${name}_stat_45nm.txt)
  liberty_chip_area(area_ff ${OUT_DIR}/${name}_stat_45nm_ff.txt)
  file(READ ${OUT_DIR}/${name}_stat_45nm.json stat45)
  string(JSON mod45 GET "${stat45}" modules "\\edge_unit")
  string(JSON cells45 GET "${mod45}" num_cells)
  string(JSON ntypes45 LENGTH "${mod45}" num_cells_by_type)
  math(EXPR last45 "${ntypes45} - 1")
  set(types45_json "")
  foreach(i RANGE ${last45})
    string(JSON type MEMBER "${mod45}" num_cells_by_type ${i})
    string(JSON n GET "${mod45}" num_cells_by_type ${type})
    string(APPEND types45_json "\"${type}\": ${n}, ")
  endforeach()
  string(REGEX REPLACE ", $" "" types45_json "${types45_json}")
  # Round to 0.001 um^2 (the liberty's resolution) so the figures compare as text.
  foreach(a area_all area_ff)
    execute_process(COMMAND printf "%.3f" ${${a}} OUTPUT_VARIABLE ${a})
  endforeach()

  set(timing_json "null")
  set(sta_secs 0)
  if(STA)
    string(TIMESTAMP t2 "%s")
    execute_process(COMMAND ${CMAKE_COMMAND} -E env STA_SETUP=${CMAKE_CURRENT_LIST_DIR}/sta_setup.tcl STA_LIBERTY=${LIBERTY} STA_NETLIST=${OUT_DIR}/${name}_netlist.v
                            STA_LATENCY=${EDGE_UNIT_LATENCY} STA_OUT=${OUT_DIR}/${name}_sta.json
                            STA_REPORT=${OUT_DIR}/${name}_sta.txt
                            ${STA} -no_init -exit ${CMAKE_CURRENT_LIST_DIR}/sta.tcl
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    string(TIMESTAMP t3 "%s")
    if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT_DIR}/${name}_sta.json)
      message(FATAL_ERROR "sta failed for ${name} (${rc}):\n${out}")
    endif()
    file(READ ${OUT_DIR}/${name}_sta.json timing_json)
    math(EXPR sta_secs "${t3} - ${t2}")
    string(REGEX MATCH "\"fmax_mhz\": ([0-9.]+)" m "${timing_json}")
    set(fmax ${CMAKE_MATCH_1})
  endif()
  file(WRITE ${OUT_DIR}/${name}.json
"    {\"set\": \"${SET}\", \"quant\": \"${QUANT}\", \"overflow\": \"${OVF}\",
     \"params\": {${params_json}},
     \"cells\": ${cells}, \"flip_flops\": ${ffs}, \"transistors\": ${transistors},
     \"transistors_exclude_flip_flops\": ${plus}, \"latency_cycles\": ${EDGE_UNIT_LATENCY}, \"yosys_seconds\": ${secs},
     \"cells_by_type\": {${types_json}},
     \"cells_45nm\": ${cells45}, \"area_um2\": ${area_all}, \"flip_flop_area_um2\": ${area_ff},
     \"cells_45nm_by_type\": {${types45_json}},
     \"sta_seconds\": ${sta_secs},
     \"timing\": ${timing_json}}")
  message(STATUS "${name}: ${cells} cells, ${ffs} flip-flops, ${transistors} transistors; 45 nm: ${area_all} um^2 (flip-flops ${area_ff}), fmax ${fmax} MHz (${secs} s + ${sta_secs} s)")

elseif(ACTION STREQUAL "combine")
  execute_process(COMMAND ${YOSYS} -V OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
  set(sta_version "")
  if(STA)
    execute_process(COMMAND ${STA} -version OUTPUT_VARIABLE sta_version OUTPUT_STRIP_TRAILING_WHITESPACE)
  endif()
  string(REPLACE "," ";" RESULTS "${RESULTS}")
  set(items "")
  set(table "| set | quant | overflow | cells | flip-flops | transistors (excl. FFs) | area um^2 (45 nm) | of which flip-flops | fmax MHz |\n|---|---|---|---:|---:|---:|---:|---:|---:|\n")
  foreach(r ${RESULTS})
    file(READ ${OUT_DIR}/${r}.json item)
    list(APPEND items "${item}")
    string(JSON s GET "${item}" set)
    string(JSON q GET "${item}" quant)
    string(JSON o GET "${item}" overflow)
    string(JSON c GET "${item}" cells)
    string(JSON f GET "${item}" flip_flops)
    string(JSON t GET "${item}" transistors)
    string(JSON a GET "${item}" area_um2)
    string(JSON fa GET "${item}" flip_flop_area_um2)
    string(JSON fmax ERROR_VARIABLE no_timing GET "${item}" timing fmax_mhz)
    if(no_timing)
      set(fmax "-")
    endif()
    string(APPEND table "| ${s} | ${q} | ${o} | ${c} | ${f} | ${t} | ${a} | ${fa} | ${fmax} |\n")
  endforeach()
  list(JOIN items ",\n" body)
  file(WRITE ${OUTPUT}
"{
  \"schema\": \"sheafsim.edge_unit_synth/1\",
  \"tool\": \"${version}\",
  \"sta_tool\": \"OpenSTA ${sta_version}\",
  \"script\": \"read_verilog -sv rtl/edge_round.sv rtl/edge_unit.sv; chparam ... edge_unit; hierarchy; proc; flatten; rename -hide <all but ports and flip-flop outputs>; synth -flatten -top edge_unit; stat; stat -json -tech cmos; dfflibmap -liberty rtl/lib/sheafsim45.lib; abc -liberty ... -script +strash;&get,-n;&dch,-f;&nf;&put;buffer,-N,8;topo; hilomap; stat -liberty ...; write_verilog; sta rtl/sta.tcl\",
  \"results\": [
${body}
  ]
}
")
  get_filename_component(dir ${OUTPUT} DIRECTORY)
  get_filename_component(stem ${OUTPUT} NAME_WE)
  file(WRITE ${dir}/${stem}.md "${table}")
  message(STATUS "wrote ${OUTPUT}\n${table}")

elseif(ACTION STREQUAL "check")
  file(READ ${OUTPUT} report)
  string(JSON n LENGTH "${report}" results)
  if(NOT n EQUAL EXPECT)
    message(FATAL_ERROR "${OUTPUT}: ${n} results, expected ${EXPECT}")
  endif()
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON item GET "${report}" results ${i})
    foreach(key cells flip_flops transistors cells_45nm area_um2 flip_flop_area_um2)
      string(JSON v GET "${item}" ${key})
      if(NOT v GREATER 0)
        message(FATAL_ERROR "${OUTPUT}: result ${i} has ${key} = ${v}")
      endif()
    endforeach()
    string(JSON a GET "${item}" area_um2)
    string(JSON fa GET "${item}" flip_flop_area_um2)
    if(NOT a GREATER fa)
      message(FATAL_ERROR "${OUTPUT}: result ${i}: area ${a} um^2 not above the flip-flop area ${fa}")
    endif()
    string(JSON t GET "${item}" timing)
    string(JSON fmax GET "${t}" fmax_mhz)
    if(NOT fmax GREATER 0)
      message(FATAL_ERROR "${OUTPUT}: result ${i} has fmax_mhz = ${fmax}")
    endif()
    # Every pipeline stage has a worst path with logic levels and a delay.
    set(stages "")
    foreach(k RANGE 1 ${EDGE_UNIT_LATENCY})
      string(JSON lv ERROR_VARIABLE err GET "${t}" stages S${k} levels)
      string(JSON d ERROR_VARIABLE err2 GET "${t}" stages S${k} delay_ns)
      if(err OR err2 OR NOT lv GREATER 0 OR NOT d GREATER 0)
        message(FATAL_ERROR "${OUTPUT}: result ${i} has no levels/delay for stage S${k}")
      endif()
      string(APPEND stages " S${k} ${lv}/${d}")
    endforeach()
    string(JSON s GET "${item}" set)
    string(JSON q GET "${item}" quant)
    string(JSON c GET "${item}" cells)
    string(JSON f GET "${item}" flip_flops)
    message(STATUS "${s} ${q}: ${c} cells, ${f} flip-flops, ${a} um^2 (flip-flops ${fa}), fmax ${fmax} MHz, levels/ns:${stages}")
  endforeach()
else()
  message(FATAL_ERROR "ACTION must be run, combine or check")
endif()
