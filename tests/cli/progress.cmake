# CLI tests of progress lines and figures (included from
# tests/cli/CMakeLists.txt; same helpers and variables).

# ---- Progress lines (issue 15 point 9): units, rate, ETA, the command named ----
# SHEAFSIM_PROGRESS=1 forces them onto a non-terminal stderr, one line per update.
foreach(case sweep simulate train infer quiet tty)
  add_test(NAME cli:progress:${case} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_progress.sh ${case} ${SHEAFSIM} ${T})
endforeach()
set_tests_properties(cli:progress:tty PROPERTIES SKIP_RETURN_CODE 77)
cli_error(progress_bad_env "SHEAFSIM_PROGRESS = 'sometimes' must be auto, on \\(1\\) or off \\(0\\)"
          env SHEAFSIM_PROGRESS=sometimes ${SHEAFSIM} train --task paraboloid --layers 2,4,1 --n-train 10 --steps 2)

# ---- Figures (issue 15 point 12): byte-identical when regenerated, words not keys, ----
# the build folder by default. Skipped (77) without python3-matplotlib.
add_test(NAME tools:plot_compare:reproducible COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_figures.sh compare ${SHEAFSIM} ${T})
add_test(NAME tools:ops_figures:reproducible COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_figures.sh ops ${SHEAFSIM} ${T})
# external-tool: what they check is the plot scripts (the runs they plot are
# checked elsewhere), so the sanitizer suite leaves them out.
set_tests_properties(tools:plot_compare:reproducible tools:ops_figures:reproducible PROPERTIES SKIP_RETURN_CODE 77
                     LABELS external-tool)
