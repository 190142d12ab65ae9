#!/usr/bin/env bash
# tools/scaling_study.py --quick (docs/performance.md "Mesh scaling study"):
#   check_scaling_study.sh SHEAFSIM DIR
# runs the CI subset ([64,128,128,10] on 4x4 and 8x8, both schedules and both
# reductions) twice into two folders: scaling.json has the 8 expected rows,
# every cycles value a positive number, every energy and utilisation a number;
# scaling.json and scaling.md are byte-identical between the two runs (no wall
# times in them); scaling.png is written. A bad binary: one line, non-zero exit.
# Exit 77 (CTest's SKIP_RETURN_CODE) without a python3 that has matplotlib.
set -eu
sheafsim=$1 dir=$2/scaling-study
script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/scaling_study.py
rm -rf "$dir"
mkdir -p "$dir"

source "$(dirname "${BASH_SOURCE[0]}")/find_python.sh"

for run in a b; do
  "$python" "$script" "$sheafsim" "$dir/$run" --quick >"$dir/$run.log" 2>"$dir/$run.err" \
    || { echo "run $run failed:"; cat "$dir/$run.err"; exit 1; }
  [[ $(grep -c '^\[[0-9]*/8\] ' "$dir/$run.log") == 8 ]] || { echo "expected 8 progress lines:"; cat "$dir/$run.log"; exit 1; }
  [[ -s $dir/$run/scaling.png ]] || { echo "missing or empty: $dir/$run/scaling.png"; exit 1; }
done
for f in scaling.json scaling.md; do
  cmp "$dir/a/$f" "$dir/b/$f" || { echo "$f differs between two runs"; diff "$dir/a/$f" "$dir/b/$f" | head -n 20; exit 1; }
done

"$python" - "$dir/a/scaling.json" "$dir/a/scaling.md" <<'PY'
import json, math, sys
study = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
def fail(msg):
    print(msg); sys.exit(1)
rows = study["rows"]
want = {("[64,128,128,10]", m, s, r) for m in ("4x4", "8x8")
        for s in ("barrier", "dataflow") for r in ("vertex", "in-network")}
got = [(r["network"], r["mesh"], r["schedule"], r["reduction"]) for r in rows]
if len(got) != len(want) or set(got) != want:
    fail(f"rows {got}, expected {sorted(want)}")
def num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
for r in rows:
    for k, v in r.items():
        if "cycles" in k and not (num(v) and v > 0):
            fail(f"{got[rows.index(r)]}: {k} = {v!r} is not a positive number")
    for k in ("mac_utilisation_percent", "link_utilisation_percent", "flit_hops_per_training_step",
              "mesh_energy_per_training_step_uJ", "speedup_over_smallest_mesh_ratio"):
        if not (num(r[k]) and r[k] > 0):
            fail(f"{got[rows.index(r)]}: {k} = {r[k]!r} is not a positive number")
    if r["mesh"] == "4x4" and r["speedup_over_smallest_mesh_ratio"] != 1:
        fail(f"{got[rows.index(r)]}: the smallest mesh's speedup is {r['speedup_over_smallest_mesh_ratio']}")
if not isinstance(study.get("data_seed"), int) or not study["sram_kib_per_network"].get("[64,128,128,10]"):
    fail("no data_seed or SRAM size recorded")
if md.count("\n| `[64,128,128,10]` |") != 8:
    fail("scaling.md does not have 8 table rows")
PY

# A binary that is not there: one line on stderr, non-zero exit, before any run.
rc=0
"$python" "$script" "$dir/no-such-sheafsim" "$dir/c" --quick >/dev/null 2>"$dir/c.err" || rc=$?
[[ $rc != 0 && $(wc -l <"$dir/c.err") == 1 ]] && grep -q '^scaling_study.py: error: ' "$dir/c.err" \
  || { echo "a missing binary: expected one error line and a non-zero exit (rc=$rc):"; cat "$dir/c.err"; exit 1; }
echo "scaling study: ok"
