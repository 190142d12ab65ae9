# cmake -DSOURCE_DIR=<repo> -P check_header_table.cmake
# Every public header (sw/<layer>/include/sheafsim/<layer>/*.h and
# model/<part>/include/sheafsim/<dir>/*.h) must appear in docs/architecture.md
# as `sheafsim/<dir>/<name>.h`; the docs must name no header that is gone.
file(READ ${SOURCE_DIR}/docs/architecture.md doc)
file(GLOB headers RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/sw/*/include/sheafsim/*/*.h
     ${SOURCE_DIR}/model/*/include/sheafsim/*/*.h)
list(LENGTH headers n)
if(n LESS 40)
  message(FATAL_ERROR "found only ${n} public headers: is SOURCE_DIR (${SOURCE_DIR}) the repository?")
endif()
set(missing "")
set(names "")
foreach(h ${headers})
  string(REGEX REPLACE "^.*/include/" "" inc "${h}")
  list(APPEND names "${inc}")
  string(FIND "${doc}" "`${inc}`" at)
  if(at EQUAL -1)
    list(APPEND missing "${inc} (${h})")
  endif()
endforeach()
# Headers the document names in the table form that no longer exist.
string(REGEX MATCHALL "`sheafsim/[a-z_]+/[a-z_0-9]+\\.h`" named "${doc}")
set(stale "")
foreach(m ${named})
  string(REPLACE "`" "" m "${m}")
  list(FIND names "${m}" i)
  if(i EQUAL -1)
    list(APPEND stale "${m}")
  endif()
endforeach()
list(REMOVE_DUPLICATES stale)
if(missing OR stale)
  string(REPLACE ";" "\n  " missing "${missing}")
  string(REPLACE ";" "\n  " stale "${stale}")
  message(FATAL_ERROR "docs/architecture.md and the public headers disagree.\n"
                      "Headers missing from its table:\n  ${missing}\n"
                      "Named but not found:\n  ${stale}")
endif()
message(STATUS "docs/architecture.md names all ${n} public headers")
