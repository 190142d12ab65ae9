# `sheafsim explore` (docs/explore.md): bad configs are refused with one line
# naming the file, table and key; a small grid runs; the files, the fronts,
# --jobs and the checkpoint (check_explore.sh); MPI runs (check_mpi.sh).
set(XF ${FIX}/explore)
cli_error(explore:no_config "--config explore.toml is required" ${SHEAFSIM} explore)
cli_error(explore:missing_file "nope.toml: cannot open file" ${SHEAFSIM} explore --config nope.toml)
cli_error(explore:not_toml "not-toml.toml.*TOML" ${SHEAFSIM} explore --config ${XF}/not-toml.toml --out-dir ${T}/x)
cli_error(explore:unknown_table "unknown table \\[bogus\\]" ${SHEAFSIM} explore --config ${XF}/unknown-table.toml --out-dir ${T}/x)
cli_error(explore:unknown_axis "widget" ${SHEAFSIM} explore --config ${XF}/unknown-axis.toml --out-dir ${T}/x)
cli_error(explore:bad_lanes "lanes" ${SHEAFSIM} explore --config ${XF}/bad-lanes.toml --out-dir ${T}/x)
cli_error(explore:bad_format "Q4.x" ${SHEAFSIM} explore --config ${XF}/bad-format.toml --out-dir ${T}/x)
cli_error(explore:no_run "no \\[run\\] table" ${SHEAFSIM} explore --config ${XF}/no-run.toml --out-dir ${T}/x)
cli_error(explore:sid "explore runs sheaf or sgd" ${SHEAFSIM} explore --config ${XF}/sid.toml --out-dir ${T}/x)
cli_error(explore:lhs_points "points" ${SHEAFSIM} explore --config ${XF}/lhs-no-points.toml --out-dir ${T}/x)
cli_error(explore:sim_steps "sim-steps = 3 must be a multiple of 2K = 2" ${SHEAFSIM} explore --config ${XF}/odd-sim-steps.toml --out-dir ${T}/x)
cli_error(explore:run_report "report and out-net are not used" ${SHEAFSIM} explore --config ${XF}/run-report.toml --out-dir ${T}/x)
cli_error(explore:run_unknown_key "frobnicate" ${SHEAFSIM} explore --config ${XF}/run-unknown-key.toml --out-dir ${T}/x)
cli_error(explore:jobs "--jobs = -1 must be >= 1" ${SHEAFSIM} explore --config ${XF}/tiny.toml --jobs -1 --out-dir ${T}/x)
cli_error(explore:resume_nothing "no checkpoint" ${SHEAFSIM} explore --config ${XF}/tiny.toml --resume ${T}/explore-none)
cli_error(explore:resume_other_out "names another" ${SHEAFSIM} explore --config ${XF}/tiny.toml --resume ${T}/a --out-dir ${T}/b)
cli_ok(explore:tiny "infeasible_points: +1$" ${SHEAFSIM} explore --config ${XF}/tiny.toml --out-dir ${T}/explore-tiny --no-plots)
cli_error(sweep:resume_without_sweep "--resume applies with --sweep" ${SHEAFSIM} compare ${TASK231} --steps 1 --resume ${T}/x)
add_test(NAME cli:explore:files COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_explore.sh ${SHEAFSIM} ${T})
set_tests_properties(cli:explore:files PROPERTIES TIMEOUT 600)
# The README's example grid, as the README runs it (and its figure).
add_test(NAME cli:explore:readme_example
         COMMAND ${SHEAFSIM} explore --config ${PROJECT_SOURCE_DIR}/configs/explore-paraboloid.toml --out-dir ${T}/explore-readme)
set_tests_properties(cli:explore:readme_example PROPERTIES TIMEOUT 600
  ENVIRONMENT "SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1"
  PASS_REGULAR_EXPRESSION "feasible_points: +16")
if(SHEAFSIM_WITH_MPI AND MPIEXEC_EXECUTABLE)
  add_test(NAME cli:mpi:explore_sweep_kill_resume
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_mpi.sh ${SHEAFSIM} ${T} ${MPIEXEC_EXECUTABLE})
  set_tests_properties(cli:mpi:explore_sweep_kill_resume PROPERTIES TIMEOUT 900 RESOURCE_LOCK mpi PROCESSORS 2)
endif()
# The Slurm recipe: valid bash, and docs/explore.md shows the committed script.
add_test(NAME tools:explore_sbatch
         COMMAND bash -c "bash -n \"$0\" && python3 -c 'import sys; d = open(sys.argv[1]).read(); f = open(sys.argv[2]).read(); sys.exit(0 if \"```sh\\n\" + f + \"```\" in d else \"docs/explore.md does not show tools/explore.sbatch as committed\")' \"$1\" \"$0\""
                 ${PROJECT_SOURCE_DIR}/tools/explore.sbatch ${PROJECT_SOURCE_DIR}/docs/explore.md)
# Backprop SGD explored on the same mesh; pins are refused (explore prices unpinned training).
cli_ok(explore:sgd "feasible_points: +8$" ${SHEAFSIM} explore --config ${XF}/sgd.toml --out-dir ${T}/explore-sgd --no-plots)
cli_error(explore:pins "explore prices unpinned training" ${SHEAFSIM} explore --config ${XF}/pins.toml --out-dir ${T}/x)
