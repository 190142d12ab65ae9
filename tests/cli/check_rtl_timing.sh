#!/usr/bin/env bash
# simulate --rtl-pe --rtl-timing (the verilated PE computes every PE's values
# and times every PE chunk) against the model's own run of the same command,
# over 3 networks x 3 meshes x both schedules: the trained networks must be
# byte-identical, every PE chunk must take the RTL's cycles exactly as the
# model's annotation says (rtl_differing_chunks 0), and so must every step
# (total_cycles equal). Prints one line per run.
# Usage: check_rtl_timing.sh SHEAFSIM OUT_DIR
set -euo pipefail
sim=$1 out=$2
mkdir -p "$out"
nets=("--task paraboloid --layers 2,4,1 --n-train 12 --steps 4 --inner 2 --round stoch --random-stalls 3"
      "--task paraboloid --layers 2,30,1 --n-train 40 --steps 3"
      "--task digits --layers 64,32,10 --output softmax --n-train 24 --n-test 8 --steps 2 --round stoch")
meshes=("2x2 --time-multiplex true" "4x4" "3x5 --chunk 6")
row() { grep -E "^$1:" "$2" | awk '{print $2}'; }
runs=0
for n in "${!nets[@]}"; do
  for m in "${meshes[@]}"; do
    for sched in dataflow barrier; do
      # --chunk belongs to the dataflow schedule.
      mesh_args=$m
      [[ $sched == barrier ]] && mesh_args=${m% --chunk *}
      # shellcheck disable=SC2206
      args=(simulate ${nets[$n]} --mesh $mesh_args --schedule "$sched")
      tag="net$n-${m%% *}-$sched"
      "$sim" "${args[@]}" --out-net "$out/$tag-model.json" > "$out/$tag-model.log" 2>&1 ||
        { cat "$out/$tag-model.log"; exit 1; }
      "$sim" "${args[@]}" --rtl-pe --rtl-timing --out-net "$out/$tag-rtl.json" > "$out/$tag-rtl.log" 2>&1 ||
        { cat "$out/$tag-rtl.log"; exit 1; }
      cmp "$out/$tag-model.json" "$out/$tag-rtl.json" || { echo "$tag: trained networks differ"; exit 1; }
      mc=$(row total_cycles "$out/$tag-model.log") rc=$(row total_cycles "$out/$tag-rtl.log")
      chunks=$(row rtl_chunks "$out/$tag-rtl.log") diff=$(row rtl_differing_chunks "$out/$tag-rtl.log")
      [[ $chunks =~ ^[1-9][0-9]*$ ]] || { echo "$tag: no RTL chunks"; exit 1; }
      [[ $diff == 0 ]] || { echo "$tag: $diff of $chunks PE chunks differ from the annotation"; exit 1; }
      [[ $mc == "$rc" ]] || { echo "$tag: total_cycles model $mc, RTL $rc"; exit 1; }
      echo "$tag: networks identical; total_cycles $mc (model) = $rc (RTL); $chunks PE chunks, 0 differ"
      runs=$((runs + 1))
    done
  done
done
echo "rtl timing: $runs runs, every one bit-identical and cycle-exact"
[[ $runs == 18 ]]
