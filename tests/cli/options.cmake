# CLI tests of the options: overrides, refusals, help, names (included from
# tests/cli/CMakeLists.txt; same helpers and variables: SHEAFSIM, FIX, T,
# cli_error, cli_ok, cli_warning).
set(CFG ${PROJECT_SOURCE_DIR}/configs)
set(NET231 --net ${FIX}/net-2-3-1.json --data ${FIX}/xy.csv)
set(TASK231 --task paraboloid --layers 2,3,1 --n-train 10 --n-test 0)

# ---- 1. The command line wins over --config, network and data source included ----
# (mesh-paraboloid.toml and paraboloid-reference.toml give --layers 2,30,1 and --task paraboloid.)
cli_ok(override:simulate_net_data "layers: +2,3,1" ${SHEAFSIM} simulate --config ${CFG}/mesh-paraboloid.toml ${NET231} --steps 2 --mesh 2x2)
cli_ok(override:simulate_data_samples "train_samples: +2" ${SHEAFSIM} simulate --config ${CFG}/mesh-paraboloid.toml ${NET231} --steps 2 --mesh 2x2)
cli_ok(override:train_net_data "layers: +2,3,1" ${SHEAFSIM} train --config ${CFG}/paraboloid-reference.toml ${NET231} --steps 2)
cli_ok(override:compare_net_data "layers: +2,3,1" ${SHEAFSIM} compare --config ${CFG}/paraboloid-reference.toml ${NET231} --steps 2 --no-plots)
# A config that names files, overridden by a shape and a task.
file(WRITE ${T}/files.toml "net = \"${FIX}/net-2-3-1.json\"\ndata = \"${FIX}/xy.csv\"\ntest = \"${FIX}/xy.csv\"\nsteps = 2\n")
cli_ok(override:train_layers_task "layers: +2,4,1" ${SHEAFSIM} train --config ${T}/files.toml --layers 2,4,1 --task saddle --n-train 7)
cli_ok(override:train_task_samples "train_samples: +7" ${SHEAFSIM} train --config ${T}/files.toml --layers 2,4,1 --task saddle --n-train 7)
cli_ok(override:simulate_layers_task "layers: +2,4,1" ${SHEAFSIM} simulate --config ${T}/files.toml --layers 2,4,1 --task saddle --n-train 7 --mesh 2x2)
# A typed --task replaces the config's digits task; its digits file is then unused (a warning).
file(WRITE ${T}/digits.toml "task = \"digits\"\ndigits-file = \"${T}/no-digits.csv.gz\"\nlayers = \"64,32,10\"\noutput = \"softmax\"\nsteps = 1\n")
cli_warning(override:digits_file_unused "digits.toml: digits-file not used by this run \\(goes with --task digits\\); ignored" ${SHEAFSIM} train --config ${T}/digits.toml --task paraboloid --layers 2,3,1 --output identity --n-train 10)
# Settings of train's family that a subcommand does not take are skipped in a
# config (paraboloid-reference.toml has method and lr; mesh-paraboloid.toml the mesh) ...
cli_ok(config:simulate_skips_train_keys "total_cycles" ${SHEAFSIM} simulate --config ${CFG}/paraboloid-reference.toml --steps 2 --n-train 10 --mesh 4x4 --time-multiplex true)
cli_ok(config:compare_skips_mesh_keys "engine: +bit-accurate" ${SHEAFSIM} compare --config ${CFG}/mesh-paraboloid.toml --steps 2 --n-train 10 --n-test 2 --no-plots)
cli_warning(config:sibling_keys_named "mesh-paraboloid.toml: chunk, clock-mhz, .*vertex-placement, vertex-sram-kib not used by `sheafsim train`" ${SHEAFSIM} train --config ${CFG}/mesh-paraboloid.toml --steps 1 --n-train 10 --arith fixed)
# A setting of the config that the run does not use is named in one warning line.
cli_warning(config:unused_setting_named "paraboloid-reference.toml: lr not used by this run \\(belongs to --method sgd or sid" ${SHEAFSIM} train --config ${CFG}/paraboloid-reference.toml --steps 1 --n-train 10)
cli_warning(config:fixed_settings_of_float_run "fixed-16bit.toml: stalk-format, .*stoch-seed not used by this run \\(applies to the fixed-point model: add --arith fixed" ${SHEAFSIM} train ${TASK231} --steps 1 --config ${CFG}/fixed-16bit.toml)
# ... and a config's method is simulate's too (backprop SGD on the mesh).
cli_ok(config:simulate_sgd "method: +sgd" ${SHEAFSIM} simulate --config ${CFG}/digits-sgd.toml --task paraboloid --layers 2,30,1 --output identity --n-train 64 --n-test 0 --steps 1 --mesh 2x2 --time-multiplex true)

# ---- 2. Options that do not apply: an error naming where they belong ----
cli_error(na:train_fixed_config_float "--fixed-config applies to the fixed-point model: add --arith fixed" ${SHEAFSIM} train ${TASK231} --steps 5 --fixed-config ${CFG}/fixed-16bit.toml)
cli_error(na:train_compare_float_float "--compare-float compares a fixed-point run with its float reference: add --arith fixed" ${SHEAFSIM} train ${TASK231} --steps 5 --compare-float)
cli_error(na:infer_round_float "--round applies to the fixed-point model: add --arith fixed" ${SHEAFSIM} infer --net ${FIX}/net-2-3-1.json --input ${FIX}/x2.csv --round stoch)
cli_error(na:train_n_train_with_data "--n-train goes with --task \\(generate the data\\); with --data FILE the samples are the file's rows" ${SHEAFSIM} train ${NET231} --steps 5 --n-train 5)
cli_error(na:train_output_with_net "--output goes with --layers" ${SHEAFSIM} train ${NET231} --steps 5 --output sigmoid)
cli_error(na:train_lr_sheaf "--lr belongs to --method sgd or sid" ${SHEAFSIM} train ${TASK231} --steps 5 --lr 0.1)
cli_error(na:train_dt_sgd "--dt belongs to --method sheaf \\(--method sgd steps with --lr\\)" ${SHEAFSIM} train ${TASK231} --steps 5 --method sgd --dt 0.1)
cli_error(na:train_sid_option_sheaf "--sid-modules belongs to --method sid" ${SHEAFSIM} train ${TASK231} --steps 5 --sid-modules 2)
cli_error(na:simulate_infer_beta "--beta applies to --mode train" ${SHEAFSIM} simulate --mode infer ${NET231} --steps 2 --mesh 2x2 --beta 0.1)
cli_error(na:ops_lanes_without_mesh "--lanes applies with --mesh RxC" ${SHEAFSIM} ops --layers 2,3,1 --batch 4 --lanes 8)
cli_error(na:ops_tol_without_input "--tol applies with --net FILE --input FILE" ${SHEAFSIM} ops --layers 2,3,1 --batch 4 --tol 1e-3)
cli_error(na:ops_mode "--mode belongs to `sheafsim simulate`, not to `sheafsim ops`" ${SHEAFSIM} ops --layers 2,3,1 --batch 4 --mode infer)
# Harmless where the subcommand always does it: a warning.
cli_warning(na:simulate_arith_fixed "--arith fixed: `sheafsim simulate` always runs this; the option is not needed \\(ignored\\)" ${SHEAFSIM} simulate ${TASK231} --steps 1 --mesh 2x2 --arith fixed)
cli_warning(na:compare_compare_float "--compare-float: `sheafsim compare` always does this" ${SHEAFSIM} compare ${TASK231} --steps 1 --no-plots --compare-float)
cli_warning(na:sgd_seed "--seed: --method sgd draws no random numbers" ${SHEAFSIM} train ${TASK231} --steps 1 --method sgd --seed 3)
# The statistics block shows the samples used.
cli_ok(na:train_samples_row "train_samples: +10" ${SHEAFSIM} train ${TASK231} --steps 2)

# ---- 3. --help lists exactly what the subcommand accepts, with the program's name ----
cli_ok(help:usage "Usage: sheafsim \\[OPTIONS\\] SUBCOMMAND" ${SHEAFSIM} --help)
cli_ok(help:init_usage "Usage: sheafsim init \\[OPTIONS\\]" ${SHEAFSIM} init --help)
cli_ok(help:train_steps_required "--steps INT REQUIRED" ${SHEAFSIM} train --help)
cli_ok(help:boolean "--time-multiplex true\\|false=false" ${SHEAFSIM} simulate --help)
function(cli_help_lacks sub regex)
  add_test(NAME cli:help:${sub}_lists_only_its_options
           COMMAND bash -c "out=$(\"$0\" ${sub} --help) || exit 1; if grep -E -- '${regex}' <<<\"$out\"; then echo \"FAIL: ${sub} --help lists an option it rejects\"; exit 1; fi; echo ok"
                   ${SHEAFSIM})
endfunction()
cli_help_lacks(simulate "--(arith|sid-[a-z]+) ")
cli_help_lacks(compare "--(report|out-net|mode|compare-float|method|lr|arith) ")
cli_help_lacks(ops "--(counters|trace|trace-window|rtl-pe|rtl-timing|rtl-chunks|mode) ")

# ---- 4. Counts and unknown options ----
cli_error(count:steps_negative "--steps = -5 must be >= 1" ${SHEAFSIM} train ${TASK231} --steps -5)
cli_error(count:steps_zero "--steps = 0 must be >= 1" ${SHEAFSIM} train ${TASK231} --steps 0)
cli_error(count:steps_fraction "--steps = 1e-3 is not a whole number" ${SHEAFSIM} train ${TASK231} --steps 1e-3)
cli_error(count:steps_text "--steps = many is not an integer \\(write 100000 or 1e5\\)" ${SHEAFSIM} train ${TASK231} --steps many)
cli_error(count:steps_missing "--steps is required" ${SHEAFSIM} train ${TASK231})
cli_ok(count:steps_exponent "steps: +100$" ${SHEAFSIM} train ${TASK231} --steps 1e2)
cli_ok(count:n_train_exponent "train_samples: +15$" ${SHEAFSIM} train --task paraboloid --layers 2,3,1 --n-train 1.5e1 --steps 1)
cli_error(unknown:suggestion "unknown option --stpes for `sheafsim train`; did you mean --steps\\?" ${SHEAFSIM} train ${TASK231} --stpes 5)
cli_error(unknown:other_subcommand "--mesh belongs to `sheafsim simulate`" ${SHEAFSIM} train ${TASK231} --steps 5 --mesh 4x4)
cli_error(unknown:no_match "unknown option --frobnicate for `sheafsim spectrum` \\(sheafsim spectrum --help lists its options\\)" ${SHEAFSIM} spectrum --net ${FIX}/net-2-3-1.json --input ${FIX}/x2.csv --frobnicate)

# ---- 5. One name per concept; the old names are deprecated aliases ----
cli_ok(names:init_weight_seed "seed: +7" ${SHEAFSIM} init --layers 2,3,1 --weight-seed 7 --out ${T}/ws.json)
cli_warning(names:init_seed_alias "--seed is a deprecated alias of --weight-seed" ${SHEAFSIM} init --layers 2,3,1 --seed 7 --out ${T}/ws-alias.json)
cli_warning(names:train_init_seed_alias "--init-seed is a deprecated alias of --weight-seed" ${SHEAFSIM} train ${TASK231} --steps 1 --init-seed 3)
cli_ok(names:data_n_train "test_samples: +3" ${SHEAFSIM} data --task paraboloid --n-train 5 --n-test 3 --test-out ${T}/nt.csv --data-seed 1 --out ${T}/n.csv)
cli_warning(names:data_n_alias "--n is a deprecated alias of --n-train" ${SHEAFSIM} data --task paraboloid --n 5 --out ${T}/n-alias.csv)
cli_error(names:seed_and_alias "give --stalk-seed or its deprecated alias --seed, not both" ${SHEAFSIM} train ${TASK231} --steps 1 --seed 1 --stalk-seed 2)
cli_ok(names:infer_without_out "report: +not written \\(no --out FILE\\)" ${SHEAFSIM} infer --net ${FIX}/net-2-3-1.json --input ${FIX}/x2.csv --steps 3)
# The alias and the new name are the same setting: the same run.
function(cli_same_run name)
  cmake_parse_arguments(A "" "" "A;B" ${ARGN})
  string(REPLACE ";" " " a "${A_A}")
  string(REPLACE ";" " " b "${A_B}")
  add_test(NAME cli:names:${name}
           COMMAND bash -c "a=$(\"$0\" ${a} | grep -v wall_time | grep -v us_per_step) && b=$(\"$0\" ${b} 2>/dev/null | grep -v wall_time | grep -v us_per_step) && [ \"$a\" = \"$b\" ] && echo same || { echo \"FAIL: the runs differ\"; diff <(echo \"$a\") <(echo \"$b\"); exit 1; }"
                   ${SHEAFSIM})
endfunction()
cli_same_run(stalk_seed_alias A train ${TASK231} --steps 20 --stalk-seed 5 B train ${TASK231} --steps 20 --seed 5)
cli_same_run(sid_seed_alias A train --task blobs --layers 2,5,4 --output softmax --n-train 20 --method sid --steps 5 --sid-seed 5
                            B train --task blobs --layers 2,5,4 --output softmax --n-train 20 --method sid --steps 5 --seed 5)
cli_same_run(weight_seed_alias A train ${TASK231} --steps 20 --weight-seed 4 B train ${TASK231} --steps 20 --init-seed 4)
# A misspelt config key gets the same suggestion as a misspelt option.
file(WRITE ${T}/typo.toml "stpes = 5\n")
cli_error(unknown:config_key_suggestion "typo.toml: key 'stpes' is not an option of 'sheafsim train'; did you mean 'steps'\\?" ${SHEAFSIM} train --config ${T}/typo.toml)
# A value of the wrong kind, in the words of the option's type.
cli_error(count:float_text "--dt = abc is not a number" ${SHEAFSIM} train ${TASK231} --steps 1 --dt abc)
cli_error(count:boolean_text "--time-multiplex = maybe must be true or false" ${SHEAFSIM} simulate ${TASK231} --steps 1 --time-multiplex maybe)
cli_error(count:int_range "--inner = 1000000000000 is out of range for this integer option" ${SHEAFSIM} train ${TASK231} --steps 1 --inner 1e12)
# A flag set by the config is turned off on the command line (mesh-paraboloid.toml sets compare-float).
add_test(NAME cli:override:flag_off
         COMMAND bash -c "out=$(\"$0\" simulate --config \"$1\" --steps 2 --n-train 10 --compare-float=false) || exit 1; if grep -q float_train_loss <<<\"$out\"; then echo 'FAIL: --compare-float=false did not override the config'; exit 1; fi; echo ok"
                 ${SHEAFSIM} ${CFG}/mesh-paraboloid.toml)
cli_ok(override:flag_false_on_float_run "arith: +float" ${SHEAFSIM} train ${TASK231} --steps 1 --compare-float=false)
cli_error(na:compare_jobs_without_sweep "--jobs applies with --sweep SPEC" ${SHEAFSIM} compare ${TASK231} --steps 1 --jobs 2)
cli_error(na:compare_trace_every_with_sweep "--trace-every applies to a single run" ${SHEAFSIM} compare ${TASK231} --steps 1 --sweep "round=trn|stoch" --trace-every 5)
# The mesh's schedule and reduction: --chunk belongs to the dataflow schedule; unknown names are refused naming the option.
set(MESH241 --layers 2,4,1 --task paraboloid --n-train 20 --steps 2)
cli_error(mesh:barrier_chunk "--chunk applies to --schedule dataflow" ${SHEAFSIM} simulate ${MESH241} --schedule barrier --chunk 8)
cli_error(mesh:schedule_unknown "unknown --schedule 'foo' \\(expected dataflow or barrier\\)" ${SHEAFSIM} simulate ${MESH241} --schedule foo)
cli_error(mesh:reduction_unknown "unknown --reduction 'foo' \\(expected in-network or vertex\\)" ${SHEAFSIM} simulate ${MESH241} --reduction foo)
cli_ok(mesh:simulate_barrier_vertex "total_cycles" ${SHEAFSIM} simulate ${MESH241} --schedule barrier --reduction vertex)
