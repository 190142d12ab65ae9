#!/usr/bin/env bash
# tools/plot_ops.py (docs/ops.md "Figures") on small inputs written here:
#   check_plot_ops.sh figures SHEAFSIM DIR   an `ops --method all` report of a tiny
#       network and three short `train` runs (sheaf with K = 2, sgd, sid); the
#       script writes all four figures as non-empty PNG and SVG files and the
#       summary. Exit 77 (CTest's SKIP_RETURN_CODE) without matplotlib.
#   check_plot_ops.sh errors SHEAFSIM DIR    a malformed report and a mismatched
#       pair (ops batch != the run's n_train) end with one line on stderr and
#       exit 2, before any figure is drawn (needs python3 only).
set -eu
mode=$1 sheafsim=$2 dir=$3/plot-ops-$1
script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/plot_ops.py
rm -rf "$dir"
mkdir -p "$dir"

# The python3 on PATH first, then Debian's; $SHEAFSIM_PYTHON wins (as `sheafsim compare`).
python=
for p in ${SHEAFSIM_PYTHON:-python3 /usr/bin/python3}; do
  if [[ $mode == errors ]] && "$p" -c '' 2>/dev/null; then python=$p; break; fi
  if "$p" -c 'import matplotlib' 2>/dev/null; then python=$p; break; fi
done
if [[ -z $python ]]; then
  echo "SKIP: no python3 with matplotlib (apt-get install python3-matplotlib)"
  exit 77
fi

net=(--task blobs --layers 2,5,4 --output softmax --n-train 30 --n-test 10)
"$sheafsim" ops --layers 2,5,4 --batch 30 --method all --sid-modules 2 --sid-hidden 4 --out "$dir/ops.json" >/dev/null
"$sheafsim" train "${net[@]}" --steps 20 --inner 2 --log-every 5 --report "$dir/sheaf.json" >/dev/null

if [[ $mode == errors ]]; then
  expect_error() {  # REGEX ARGS...: exit 2, exactly one line on stderr matching REGEX, no figure
    local regex=$1 rc=0; shift
    "$python" "$script" "$@" --out-dir "$dir/figs" >"$dir/out.txt" 2>"$dir/err.txt" || rc=$?
    [[ $rc == 2 ]] || { echo "expected exit 2, got $rc: $*"; cat "$dir/err.txt"; exit 1; }
    [[ $(wc -l <"$dir/err.txt") == 1 ]] || { echo "expected one line on stderr:"; cat "$dir/err.txt"; exit 1; }
    grep -Eq "^plot_ops.py: error: .*$regex" "$dir/err.txt" || { echo "stderr does not match '$regex':"; cat "$dir/err.txt"; exit 1; }
    [[ ! -e $dir/figs ]] || { echo "figures written despite the error"; exit 1; }
  }
  head -c 200 "$dir/ops.json" >"$dir/truncated.json"
  expect_error "truncated.json: malformed JSON \\(line [0-9]+" --ops "$dir/truncated.json"
  "$sheafsim" ops --layers 2,5,4 --batch 31 --method all --out "$dir/ops-31.json" >/dev/null
  expect_error "sheaf.json: n_train = 30 does not match the ops report's batch = 31" \
    --ops "$dir/ops-31.json" --train "$dir/sheaf.json"
  expect_error "sheaf.json: not a \`sheafsim ops --out\` report" --ops "$dir/sheaf.json"
  echo "errors: ok"
  exit 0
fi

"$sheafsim" train "${net[@]}" --method sgd --lr 0.5 --steps 20 --log-every 5 --report "$dir/sgd.json" >/dev/null
"$sheafsim" train "${net[@]}" --method sid --lr 0.5 --sid-modules 2 --sid-hidden 4 --steps 10 --log-every 5 \
  --report "$dir/sid.json" >/dev/null
"$python" "$script" --ops "$dir/ops.json" --train "$dir/sheaf.json" "$dir/sgd.json" "$dir/sid.json" \
  --name tiny --out-dir "$dir/figs" --summary "$dir/summary.json" >"$dir/out.txt"
for stem in ops-per-step-tiny energy-per-step-tiny loss-vs-ops-tiny; do
  for ext in png svg; do
    [[ -s $dir/figs/$stem.$ext ]] || { echo "missing or empty: $dir/figs/$stem.$ext"; exit 1; }
  done
done
grep -q '^| sheaf | 20 |' "$dir/out.txt" || { echo "no summary row for sheaf:"; cat "$dir/out.txt"; exit 1; }
# The pricing: sheaf with K = 2 after 20 steps is 10 joint + 10 stalk-only steps.
"$python" - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
ops = json.load(open(f"{d}/ops.json"))["methods"]
runs = {r["method"]: r for r in json.load(open(f"{d}/summary.json"))["runs"]}
s = ops["sheaf"]
want = 10 * s["per_joint_step"]["synapse_macs"] + 10 * s["per_diffusion_step"]["synapse_macs"]
assert runs["sheaf"]["final_macs"] == want, (runs["sheaf"]["final_macs"], want)
assert runs["sgd"]["final_macs"] == 20 * ops["sgd"]["per_training_step"]["synapse_macs"]
assert runs["sid"]["final_macs"] == 10 * ops["sid"]["per_training_step"]["synapse_macs"]
PY
echo "figures: ok"
