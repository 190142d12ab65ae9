# CLI tests of the reports and statistics blocks: fields, units, n/a (included
# from tests/cli/CMakeLists.txt; same helpers and variables).

# Every JSON key, CSV column and statistics row of every command is explained in docs/reports.md.
add_test(NAME cli:reports:keys_documented
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_report_keys.sh ${SHEAFSIM} ${T} ${CMAKE_SOURCE_DIR}/docs/reports.md)

# Issue 15: one script, one case per test (check_reports.sh says what each asserts).
foreach(case not_applicable integers flits ops_mesh lost_updates rtl_cycles spectrum_hint sweep_csv_empty diverged)
  add_test(NAME cli:reports:${case}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_reports.sh ${case} ${SHEAFSIM} ${T} ${CMAKE_SOURCE_DIR})
endforeach()

# Fields that do not apply read n/a, not 0.
cli_ok(reports_train_no_diffusion_step "cycles_per_diffusion_step: +n/a$"
       ${SHEAFSIM} simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 2 --mesh 2x2 --time-multiplex true)
cli_ok(reports_infer_no_training_step "cycles_per_training_step: +n/a$"
       ${SHEAFSIM} simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 2 --mesh 2x2 --time-multiplex true --mode infer)
# A diverging run exits 0 with a warning (docs/reports.md "A run that diverges").
cli_warning(reports_train_diverges "sheaf training diverged: the training loss is not finite by step [0-9]+ \\(the final losses read n/a\\)"
            ${SHEAFSIM} train --task paraboloid --layers 2,30,1 --steps 2000 --dt 1.5)
