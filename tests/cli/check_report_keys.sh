#!/usr/bin/env bash
# Runs every command with small settings, writing every kind of report, and
# checks that each JSON key, CSV column and statistics-block row is explained
# in docs/reports.md (check_report_keys.py).
# Usage: check_report_keys.sh SHEAFSIM OUT_DIR DOC
set -euo pipefail
S=$1 d=$2/report-keys doc=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$d" && mkdir -p "$d"
q() { "$S" "$@" 2>>"$d/stderr.log"; }
q init --layers 2,6,1 --seed 1 --out "$d/net.json" > "$d/init.log"
q data --task paraboloid --n-train 24 --n-test 8 --test-out "$d/test.csv" --n-val 4 --val-out "$d/val.csv" --out "$d/train.csv" > "$d/data.log"
q train --net "$d/net.json" --data "$d/train.csv" --test "$d/test.csv" --steps 20 --log-every 10 --report "$d/train.json" --out-net "$d/trained.json" > "$d/train.log"
q train --net "$d/net.json" --data "$d/train.csv" --test "$d/test.csv" --steps 20 --log-every 10 --arith fixed --compare-float --report "$d/train-fixed.json" > "$d/train-fixed.log"
q train --net "$d/net.json" --data "$d/train.csv" --steps 20 --method sgd --report "$d/train-sgd.json" > "$d/train-sgd.log"
q train --net "$d/net.json" --data "$d/train.csv" --steps 20 --method sgd --arith fixed --report "$d/train-sgd-fixed.json" > "$d/train-sgd-fixed.log"
printf 'layers = "2,6,4"\noutput = "softmax"\ntask = "blobs"\nn-train = 24\nn-test = 8\nsteps = 40\nmethod = "%s"\n' sheaf > "$d/race-sheaf.toml"
printf 'layers = "2,6,4"\noutput = "softmax"\ntask = "blobs"\nn-train = 24\nn-test = 8\nsteps = 40\nmethod = "%s"\nlr = 0.5\n' sgd > "$d/race-sgd.toml"
printf 'layers = "2,6,4"\noutput = "softmax"\ntask = "blobs"\nn-train = 24\nn-test = 8\nsteps = 40\nmethod = "%s"\nlr = 0.5\n' sid > "$d/race-sid.toml"
q race --sheaf-config "$d/race-sheaf.toml" --sgd-config "$d/race-sgd.toml" --sid-config "$d/race-sid.toml" --target-accuracy 0.5 \
  --eval-every 10 --mesh 2x2 --time-multiplex true --sim-steps 2 --no-plots --out-dir "$d/race" > "$d/race.log"
q train --task blobs --layers 2,6,4 --output softmax --n-train 24 --n-test 8 --method sid --steps 5 --report "$d/train-sid.json" > "$d/train-sid.log"
q simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 4 --inner 2 --mesh 2x2 --time-multiplex true \
  --report "$d/simulate.json" --counters "$d/counters.csv" --trace "$d/run.vcd" --out-net "$d/sim-net.json" > "$d/simulate.log"
q simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 2 --mesh 2x2 --time-multiplex true --rtl-pe --rtl-timing \
  --report "$d/simulate-rtl.json" > "$d/simulate-rtl.log"
q simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 4 --mesh 2x2 --time-multiplex true --mode infer \
  --report "$d/simulate-infer.json" > "$d/simulate-infer.log"
q simulate --method sgd --lr 0.1 --task paraboloid --layers 2,4,1 --n-train 12 --steps 2 --mesh 2x2 --time-multiplex true \
  --report "$d/simulate-sgd.json" > "$d/simulate-sgd.log"
q infer --net "$d/net.json" --input "$d/test.csv" --steps 50 --out "$d/infer.json" > "$d/infer.log"
echo '{"pins": [{"kind": "free", "stalk": "a", "layer": 0, "coords": [1]}, {"kind": "soft", "stalk": "z", "layer": 1, "coords": "all", "values": 0, "gamma": 1}]}' > "$d/pins.json"
q infer --net "$d/net.json" --input "$d/test.csv" --steps 50 --pins "$d/pins.json" --out "$d/infer-pins.json" > "$d/infer-pins.log"
echo '{"pins": [{"kind": "soft", "stalk": "a", "layer": 1, "coords": "all", "values": 0, "gamma": 1}]}' > "$d/pins-train.json"
q train --net "$d/net.json" --data "$d/train.csv" --steps 20 --pins "$d/pins-train.json" --report "$d/train-pins.json" > "$d/train-pins.log"
q infer --net "$d/net.json" --input "$d/test.csv" --steps 50 --arith fixed --compare-float --out "$d/infer-fixed.json" > "$d/infer-fixed.log"
q spectrum --net "$d/net.json" --input "$d/test.csv" --out "$d/spectrum.json" > "$d/spectrum.log"
q ops --net "$d/net.json" --input "$d/test.csv" --batch 8 --method all --mesh 2x2 --time-multiplex true --out "$d/ops.json" > "$d/ops.log"
q compare --net "$d/net.json" --data "$d/train.csv" --test "$d/test.csv" --steps 20 --no-plots --out "$d/cmp" > "$d/compare.log"
q compare --net "$d/net.json" --data "$d/train.csv" --steps 20 --no-plots --engine systemc --mesh 2x2 --time-multiplex true \
  --out "$d/cmp-mesh" > "$d/compare-mesh.log"
q compare --net "$d/net.json" --data "$d/train.csv" --test "$d/test.csv" --steps 20 --no-plots --sweep "stalk=Q4.10|Q4.12" \
  --jobs 1 --out "$d/sweep" > "$d/sweep.log"
printf '[run]\nlayers = "2,4,1"\ntask = "paraboloid"\nn-train = 12\nn-test = 4\nsteps = 5\n[axes]\nmesh = ["1x1", "2x2"]\n[cost]\nsim-steps = 2\n' > "$d/explore.toml"
q explore --config "$d/explore.toml" --out-dir "$d/explore" --no-plots > "$d/explore.log"
python3 "$here/check_report_keys.py" "$doc" \
  block:init:"$d/init.log" block:data:"$d/data.log" \
  json:train:"$d/train.json" json:train:"$d/train-fixed.json" json:train:"$d/train-sgd.json" json:train:"$d/train-sid.json" \
  block:train:"$d/train.log" block:train:"$d/train-fixed.log" block:train:"$d/train-sgd.log" block:train:"$d/train-sid.log" \
  json:simulate:"$d/simulate.json" json:simulate:"$d/simulate-rtl.json" json:simulate:"$d/simulate-infer.json" json:simulate:"$d/simulate-sgd.json" \
  block:simulate:"$d/simulate.log" block:simulate:"$d/simulate-rtl.log" block:simulate:"$d/simulate-infer.log" block:simulate:"$d/simulate-sgd.log" \
  csv:counters:"$d/counters.csv" \
  json:infer:"$d/infer.json" json:infer:"$d/infer-fixed.json" block:infer:"$d/infer.log" block:infer:"$d/infer-fixed.log" \
  json:infer:"$d/infer-pins.json" block:infer:"$d/infer-pins.log" json:train:"$d/train-pins.json" block:train:"$d/train-pins.log" \
  json:spectrum:"$d/spectrum.json" block:spectrum:"$d/spectrum.log" \
  json:ops:"$d/ops.json" block:ops:"$d/ops.log" \
  json:compare:"$d/cmp/compare.json" json:compare:"$d/cmp-mesh/compare.json" csv:compare:"$d/cmp/trace.csv" \
  block:compare:"$d/compare.log" block:compare:"$d/compare-mesh.log" \
  json:sweep:"$d/sweep/summary.json" csv:sweep:"$d/sweep/sweep.csv" block:sweep:"$d/sweep.log" \
  json:train:"$d/train-sgd-fixed.json" block:train:"$d/train-sgd-fixed.log" \
  json:race:"$d/race/race.json" block:race:"$d/race.log" \
  json:timing:"$d/sweep/timing.json" json:timing:"$d/explore/timing.json" \
  json:explore:"$d/explore/summary.json" csv:explore:"$d/explore/explore.csv" csv:explore:"$d/explore/pareto.csv" \
  block:explore:"$d/explore.log"
