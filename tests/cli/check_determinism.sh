#!/usr/bin/env bash
# Determinism (docs/reliability.md): the same command with the same seeds
# writes byte-identical JSON and CSV outputs. With SHEAFSIM_DETERMINISTIC=1 the
# reports' wall-clock fields are null, so whole files compare with cmp.
# Usage: check_determinism.sh SHEAFSIM OUT_DIR
set -euo pipefail
sim=$1 out=$2/determinism
mkdir -p "$out"
export SHEAFSIM_DETERMINISTIC=1 SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

# run NAME ARGS...: the command twice, into $out/NAME.1.* and $out/NAME.2.*
run() {
  local name=$1; shift
  for i in 1 2; do
    local args=()
    for a in "$@"; do args+=("${a//@/$out/$name.$i}"); done
    "$sim" "${args[@]}" >"$out/$name.$i.log" 2>&1 || { echo "FAIL: $name run $i exited $?"; cat "$out/$name.$i.log"; exit 1; }
  done
}
same() {  # same FILE_A FILE_B: byte-identical
  cmp "$1" "$2" || { echo "FAIL: $1 and $2 differ"; diff <(head -c 20000 "$1") <(head -c 20000 "$2") | head -20; exit 1; }
  echo "identical: $(basename "$1") $(basename "$2") ($(wc -c <"$1") bytes)"
}
pair() { for ext in "$@"; do same "$out/$name.1.$ext" "$out/$name.2.$ext"; done; }

name=train_float
run $name train --task paraboloid --layers 2,8,1 --n-train 40 --n-test 10 --steps 300 --log-every 100 \
    --report @.report.json --out-net @.net.json
pair report.json net.json
grep -q '"wall_time_s": null' "$out/$name.1.report.json" || { echo "FAIL: wall_time_s is not null"; exit 1; }

name=train_fixed_stoch
run $name train --task paraboloid --layers 2,8,1 --n-train 40 --n-test 10 --steps 300 --log-every 100 \
    --arith fixed --round stoch --stoch-seed 5 --compare-float --report @.report.json --out-net @.net.json
pair report.json net.json

name=train_sgd
run $name train --method sgd --task circular --layers 2,6,1 --output sigmoid --n-train 40 --steps 100 --log-every 50 \
    --report @.report.json --out-net @.net.json
pair report.json net.json

sim_args=(simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 6 --inner 2 --mesh 2x2 --time-multiplex true
          --round stoch --log-every 3)
name=simulate
run $name "${sim_args[@]}" --report @.report.json --counters @.counters.csv --out-net @.net.json
pair report.json counters.csv net.json
name=simulate_stalls
run $name "${sim_args[@]}" --random-stalls 3 --report @.report.json --counters @.counters.csv --out-net @.net.json
pair report.json counters.csv net.json
name=simulate_stalls_rtl
run $name "${sim_args[@]}" --random-stalls 3 --rtl-pe --report @.report.json --counters @.counters.csv --out-net @.net.json
pair report.json counters.csv net.json
# The verilated edge unit computes the same bits and the timing model the same cycles.
same "$out/simulate_stalls.1.net.json" "$out/simulate_stalls_rtl.1.net.json"
same "$out/simulate_stalls.1.counters.csv" "$out/simulate_stalls_rtl.1.counters.csv"
name=simulate_rtl
run $name "${sim_args[@]}" --rtl-pe --report @.report.json --counters @.counters.csv --out-net @.net.json
pair report.json counters.csv net.json
same "$out/simulate.1.net.json" "$out/simulate_rtl.1.net.json"
same "$out/simulate.1.counters.csv" "$out/simulate_rtl.1.counters.csv"
grep -q '"sim_cycles_per_wall_second": null' "$out/simulate.1.report.json" || { echo "FAIL: mesh timing not null"; exit 1; }

# The other report writers: data, init, infer, spectrum, ops.
"$sim" data --task paraboloid --n 16 --seed 3 --out "$out/data.csv" >/dev/null
"$sim" init --layers 2,5,1 --seed 3 --out "$out/net.json" >/dev/null
name=infer
run $name infer --net "$out/net.json" --input "$out/data.csv" --tol 1e-10 --out @.json
pair json
name=infer_fixed
run $name infer --net "$out/net.json" --input "$out/data.csv" --steps 50 --arith fixed --round stoch --out @.json
pair json
name=spectrum
run $name spectrum --net "$out/net.json" --input "$out/data.csv" --out @.json
pair json
name=ops
run $name ops --layers 2,5,1 --batch 16 --method all --mesh 2x2 --time-multiplex true --out @.json
pair json
echo "determinism: every output byte-identical across runs"
