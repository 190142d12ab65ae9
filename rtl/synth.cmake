# Yosys synthesis statistics of the edge unit (cmake -P script).
#
#   ACTION=run      synthesise one parameter set in one fixed mode:
#                   -DSET=q8 -DQUANT=rnd_conv -DOVF=sat -DYOSYS=<yosys> -DOUT_DIR=<dir>
#                   writes <dir>/<set>_<quant>_<ovf>.json (one result object),
#                   plus the yosys log and the gate-level netlist (module
#                   edge_unit_gate, yosys internal cells) next to it
#   ACTION=combine  -DOUT_DIR=<dir> -DOUTPUT=<file.json> -DRESULTS=<set>_<quant>_<ovf>,...
#                   merges the result objects into the report (schema in
#                   docs/edge-unit.md) and writes a Markdown table next to it
#   ACTION=check    -DOUTPUT=<file.json> -DEXPECT=<n>: fails unless the report has
#                   n results, each with cells > 0, flip_flops > 0, transistors > 0
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)

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
  set(script "read_verilog -sv ${rtl}; chparam${chparam} edge_unit; synth -flatten -top edge_unit; \
tee -q -o ${OUT_DIR}/${name}_stat.txt stat; tee -q -o ${OUT_DIR}/${name}_stat_cmos.json stat -json -tech cmos; \
rename edge_unit edge_unit_gate; write_verilog -noattr ${OUT_DIR}/${name}_netlist.v")
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
  file(WRITE ${OUT_DIR}/${name}.json
"    {\"set\": \"${SET}\", \"quant\": \"${QUANT}\", \"overflow\": \"${OVF}\",
     \"params\": {${params_json}},
     \"cells\": ${cells}, \"flip_flops\": ${ffs}, \"transistors\": ${transistors},
     \"transistors_exclude_flip_flops\": ${plus}, \"latency_cycles\": ${EDGE_UNIT_LATENCY}, \"yosys_seconds\": ${secs},
     \"cells_by_type\": {${types_json}}}")
  message(STATUS "${name}: ${cells} cells, ${ffs} flip-flops, ${transistors} transistors (${secs} s)")

elseif(ACTION STREQUAL "combine")
  execute_process(COMMAND ${YOSYS} -V OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REPLACE "," ";" RESULTS "${RESULTS}")
  set(items "")
  set(table "| set | quant | overflow | cells | flip-flops | transistors (excl. FFs) |\n|---|---|---|---:|---:|---:|\n")
  foreach(r ${RESULTS})
    file(READ ${OUT_DIR}/${r}.json item)
    list(APPEND items "${item}")
    string(JSON s GET "${item}" set)
    string(JSON q GET "${item}" quant)
    string(JSON o GET "${item}" overflow)
    string(JSON c GET "${item}" cells)
    string(JSON f GET "${item}" flip_flops)
    string(JSON t GET "${item}" transistors)
    string(APPEND table "| ${s} | ${q} | ${o} | ${c} | ${f} | ${t} |\n")
  endforeach()
  list(JOIN items ",\n" body)
  file(WRITE ${OUTPUT}
"{
  \"schema\": \"sheafsim.edge_unit_synth/1\",
  \"tool\": \"${version}\",
  \"script\": \"read_verilog -sv rtl/edge_round.sv rtl/edge_unit.sv; chparam ... edge_unit; synth -flatten -top edge_unit; stat; stat -json -tech cmos\",
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
    foreach(key cells flip_flops transistors)
      string(JSON v GET "${report}" results ${i} ${key})
      if(NOT v GREATER 0)
        message(FATAL_ERROR "${OUTPUT}: result ${i} has ${key} = ${v}")
      endif()
    endforeach()
    string(JSON s GET "${report}" results ${i} set)
    string(JSON q GET "${report}" results ${i} quant)
    string(JSON c GET "${report}" results ${i} cells)
    string(JSON f GET "${report}" results ${i} flip_flops)
    message(STATUS "${s} ${q}: ${c} cells, ${f} flip-flops")
  endforeach()
else()
  message(FATAL_ERROR "ACTION must be run, combine or check")
endif()
