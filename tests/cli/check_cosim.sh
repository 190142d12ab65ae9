#!/usr/bin/env bash
# simulate --rtl-pe (the verilated RTL PE in every PE) against the pure
# SystemC run of the same command: the trained networks must be byte-identical,
# the RTL must have run, and the cycle counts must agree.
# Usage: check_cosim.sh SHEAFSIM OUT_DIR
set -euo pipefail
sim=$1 out=$2
args=(simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 6 --inner 2 --mesh 2x2
      --time-multiplex true --round stoch --random-stalls 3)
"$sim" "${args[@]}" --rtl-pe --out-net "$out/cosim-rtl.json" --report "$out/cosim-rtl.report.json" > "$out/cosim-rtl.log" 2>&1
"$sim" "${args[@]}" --out-net "$out/cosim-model.json" --report "$out/cosim-model.report.json" > "$out/cosim-model.log" 2>&1
grep -Eq '^rtl_operations: +[1-9][0-9]*$' "$out/cosim-rtl.log" || { echo "no RTL operations reported"; exit 1; }
grep -Eq '^rtl_cycles: +[1-9][0-9]*$' "$out/cosim-rtl.log" || { echo "no RTL cycles reported"; exit 1; }
cmp "$out/cosim-rtl.json" "$out/cosim-model.json"
# The value only: the block's padding depends on its longest row name.
rtl_cycles=$(grep -E '^total_cycles:' "$out/cosim-rtl.log" | awk '{print $2}')
model_cycles=$(grep -E '^total_cycles:' "$out/cosim-model.log" | awk '{print $2}')
[[ "$rtl_cycles" == "$model_cycles" ]] || { echo "cycles differ: $rtl_cycles vs $model_cycles"; exit 1; }
echo "cosim: trained networks identical, total_cycles $rtl_cycles"
