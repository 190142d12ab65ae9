# liberty_chip_area(<var> <file>): the chip area in um^2, to 0.001 (the
# liberty's resolution, so figures compare as text), of a `stat -liberty` report.
function(liberty_chip_area var file)
  file(STRINGS ${file} line REGEX "Chip area for module")
  if(NOT line MATCHES ": *([0-9.]+)")
    message(FATAL_ERROR "${file}: no chip area")
  endif()
  execute_process(COMMAND printf "%.3f" ${CMAKE_MATCH_1} OUTPUT_VARIABLE area)
  set(${var} ${area} PARENT_SCOPE)
endfunction()
