# The cell-mapped netlists the gate-level tests simulate, cached in
# tb/gate/netlists/ (cmake -P script): synthesising all nine (three sets x
# three modes) takes 2.4 CPU-minutes, a stochastic one 36-120 s, too slow for
# every CI run. Each <set>_<quant>_<ovf>.tar.xz holds <name>_netlist.v (as
# rtl/synth.cmake writes it); <name>.stamp next to it, the hash of what made it.
#
#   ACTION=pack     -DNAME=<set>_<quant>_<ovf> -DSYNTH_DIR=<dir of the synth run> -DDEST_DIR=<tb/gate/netlists>
#   ACTION=unpack   -DNAME=... -DSRC_DIR=<tb/gate/netlists> -DOUT_DIR=<dir>
#                   extracts the netlist; fails when its stamp differs from
#                   the current inputs (the cache is stale: regenerate it with
#                   `cmake --build <build dir> --target gate_netlists_update`)
#
# The stamp is the SHA-256 of the RTL sources (comments and spacing
# ignored), the liberty, the Yosys script (rtl/synth_script.cmake) and the
# set's parameters: any other change to them changes it.
cmake_minimum_required(VERSION 3.20)
include(${CMAKE_CURRENT_LIST_DIR}/param_sets.cmake)

function(netlist_stamp var name)
  string(REGEX MATCH "^([a-z0-9]+)_(.+)_([a-z]+)$" m "${name}")
  edge_unit_params(kvs ${CMAKE_MATCH_1} QUANT ${CMAKE_MATCH_2} OVF ${CMAKE_MATCH_3})
  set(text "${kvs}")
  # The RTL without its // comments and with whitespace collapsed: a comment
  # edit leaves the netlist (written without source attributes) unchanged.
  foreach(f ${EDGE_UNIT_RTL})
    file(READ ${f} code)
    string(REGEX REPLACE "//[^\n]*" "" code "${code}")
    string(REGEX REPLACE "[ \t\r\n]+" " " code "${code}")
    string(SHA256 h "${code}")
    get_filename_component(n ${f} NAME)
    string(APPEND text "\n${n} ${h}")
  endforeach()
  foreach(f ${CMAKE_CURRENT_LIST_DIR}/lib/sheafsim45.lib ${CMAKE_CURRENT_LIST_DIR}/synth_script.cmake)
    file(SHA256 ${f} h)
    get_filename_component(n ${f} NAME)
    string(APPEND text "\n${n} ${h}")
  endforeach()
  string(SHA256 stamp "${text}")
  set(${var} ${stamp} PARENT_SCOPE)
endfunction()

netlist_stamp(stamp ${NAME})
if(ACTION STREQUAL "pack")
  set(tmp ${SYNTH_DIR}/pack_${NAME})
  file(REMOVE_RECURSE ${tmp})
  file(MAKE_DIRECTORY ${tmp} ${DEST_DIR})
  file(COPY ${SYNTH_DIR}/${NAME}_netlist.v DESTINATION ${tmp})
  execute_process(COMMAND ${CMAKE_COMMAND} -E tar cJf ${DEST_DIR}/${NAME}.tar.xz --mtime=1970-01-01 ${NAME}_netlist.v
                  WORKING_DIRECTORY ${tmp} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packing ${NAME} failed")
  endif()
  file(REMOVE_RECURSE ${tmp})
  file(WRITE ${DEST_DIR}/${NAME}.stamp "${stamp}\n")
  message(STATUS "cached ${DEST_DIR}/${NAME}.tar.xz")
elseif(ACTION STREQUAL "unpack")
  file(STRINGS ${SRC_DIR}/${NAME}.stamp cached)
  if(NOT cached STREQUAL stamp)
    message(FATAL_ERROR "the cached netlist ${NAME} is stale (RTL, liberty, Yosys script or parameters changed): "
                        "regenerate it with `cmake --build <build dir> --target gate_netlists_update`")
  endif()
  file(MAKE_DIRECTORY ${OUT_DIR})
  file(REMOVE ${OUT_DIR}/${NAME}_netlist.v)
  execute_process(COMMAND ${CMAKE_COMMAND} -E tar xf ${SRC_DIR}/${NAME}.tar.xz
                  WORKING_DIRECTORY ${OUT_DIR} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT EXISTS ${OUT_DIR}/${NAME}_netlist.v)
    message(FATAL_ERROR "cannot extract ${SRC_DIR}/${NAME}.tar.xz")
  endif()
else()
  message(FATAL_ERROR "ACTION must be pack or unpack")
endif()
