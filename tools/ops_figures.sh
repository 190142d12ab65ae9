#!/usr/bin/env bash
# tools/ops_figures.sh: regenerate the figures of docs/ops.md ("Figures").
#
#   tools/ops_figures.sh [--out DIR] [SHEAFSIM]    # default binary: build/sw/sheafsim
#
# The figures go to DIR, by default the build folder (OUT/figures, i.e.
# build/ops-figures/figures beside build/sw/sheafsim): a plain run never
# touches the repository. The committed figures are regenerated only when
# asked: `tools/ops_figures.sh --out docs/figures/ops`. The same reports give
# byte-identical PNG and SVG files (tools/plot_ops.py: fixed SVG ids and
# metadata, values rounded before drawing; `ctest -R tools:ops_figures`).
#
# 1. `sheafsim ops --method all` for digits [64,32,10] at batch 1197 (the whole
#    digits training set: one training step of each method) and for blobs
#    [2,25,4] at batch 300;
# 2. training runs with the tuned configs (configs/digits-sheaf.toml,
#    digits-sgd.toml, digits-sid.toml; blobs: configs/blobs-sid.toml and the
#    settings of docs/validation.md "SID"), the history logged every 10 steps
#    (sheaf, SGD), 2 (SID on digits) or 1 (SID on blobs), about the same MACs
#    apart;
# 3. tools/plot_ops.py: ops-per-step-digits, energy-per-step-digits,
#    loss-vs-ops-digits and loss-vs-ops-blobs, PNG and SVG, into DIR,
#    and the tables of docs/ops.md (cumulative MACs and energy at which each
#    method reaches a loss or an accuracy) on stdout.
#
# Step counts: SID runs its tuned 5000 steps on digits (10.8x the MACs of an
# MLP step), sheaf and SGD 10x their tuned 5000 so that the three runs spend
# about the same MACs (3.0e11 against 3.3e11); on blobs SID runs 1000 steps
# (64x an MLP step) and sheaf and SGD 50,000 (6.0e9 against 7.7e9 MACs). About
# 3 minutes on two idle cores (the SID run on digits, ~130 s, beside the others).
# Environment (defaults in brackets):
#   OUT        working directory for the reports [the binary's build dir/ops-figures]
#   MLP_STEPS  sheaf and SGD steps on digits [50000]; SID_STEPS SID steps on digits [5000]
#   BLOBS_MLP_STEPS [50000], BLOBS_SID_STEPS [1000]
#   MLP_EVERY [10], SID_EVERY [2], BLOBS_SID_EVERY [1]: the history interval (--log-every)
#   SHEAFSIM_PYTHON  the python3 with matplotlib [python3, else /usr/bin/python3]
#   PLOT_ONLY=1  redraw from the reports already in OUT (no sheafsim runs)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
usage="usage: tools/ops_figures.sh [--out DIR] [SHEAFSIM]"
FIGURES= S=
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) [[ $# -ge 2 && -n $2 ]] || { echo "ops_figures.sh: --out needs a directory; $usage" >&2; exit 2; }
           FIGURES=$2; shift 2 ;;
    --out=*) FIGURES=${1#--out=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "ops_figures.sh: unknown option '$1'; $usage" >&2; exit 2 ;;
    *) [[ -z $S ]] || { echo "ops_figures.sh: one binary only; $usage" >&2; exit 2; }
       S=$1; shift ;;
  esac
done
S=${S:-$here/build/sw/sheafsim}
[[ -f $S && -x $S ]] || { echo "ops_figures.sh: $S is not an executable (build it, or pass the binary's path)" >&2; exit 2; }
S=$(cd "$(dirname "$S")" && pwd)/$(basename "$S")   # the paths below are relative to the repository
[[ -z ${OUT:-} || $OUT == /* ]] || OUT=$PWD/$OUT
[[ -z ${FIGURES:-} || $FIGURES == /* ]] || FIGURES=$PWD/$FIGURES
cd "$here"
OUT=${OUT:-$(cd "$(dirname "$S")/.." && pwd)/ops-figures}
FIGURES=${FIGURES:-$OUT/figures}
MLP_STEPS=${MLP_STEPS:-50000}
SID_STEPS=${SID_STEPS:-5000}
BLOBS_MLP_STEPS=${BLOBS_MLP_STEPS:-50000}
BLOBS_SID_STEPS=${BLOBS_SID_STEPS:-1000}
MLP_EVERY=${MLP_EVERY:-10}
SID_EVERY=${SID_EVERY:-2}
BLOBS_SID_EVERY=${BLOBS_SID_EVERY:-1}
mkdir -p "$OUT" "$FIGURES"

# The python3 on PATH first, then Debian's (python3-matplotlib installs there
# even when PATH leads to another interpreter); $SHEAFSIM_PYTHON wins.
python=
for p in ${SHEAFSIM_PYTHON:-python3 /usr/bin/python3}; do
  if "$p" -c 'import matplotlib' 2>/dev/null; then python=$p; break; fi
done
[[ -n $python ]] || { echo "ops_figures.sh: no python3 with matplotlib (apt-get install python3-matplotlib)" >&2; exit 2; }

run() {  # NAME ARGS...: one train run, its log kept
  local name=$1; shift
  "$S" train "$@" --report "$OUT/$name.json" >"$OUT/$name.log" 2>&1 ||
    { echo "ops_figures.sh: sheafsim train ($name) failed; see $OUT/$name.log" >&2; tail -3 "$OUT/$name.log" >&2; return 1; }
  echo "$OUT/$name.json"
}

if [[ ${PLOT_ONLY:-0} != 1 ]]; then
  "$S" ops --layers 64,32,10 --batch 1197 --method all --out "$OUT/ops-digits.json" >"$OUT/ops-digits.txt"
  "$S" ops --layers 2,25,4 --batch 300 --method all --out "$OUT/ops-blobs.json" >"$OUT/ops-blobs.txt"

  # The long SID run beside the others (two cores); stopped if the script stops early.
  "$S" train --config configs/digits-sid.toml --steps "$SID_STEPS" --log-every "$SID_EVERY" \
    --report "$OUT/digits-sid.json" >"$OUT/digits-sid.log" 2>&1 &
  sid_pid=$!
  trap 'kill "$sid_pid" 2>/dev/null || true' EXIT
  run digits-sheaf --config configs/digits-sheaf.toml --steps "$MLP_STEPS" --log-every "$MLP_EVERY"
  run digits-sgd --config configs/digits-sgd.toml --steps "$MLP_STEPS" --log-every "$MLP_EVERY"
  blobs=(--task blobs --layers 2,25,4 --output softmax --n-train 300 --n-test 100 --data-seed 42 --weight-seed 0)
  run blobs-sid --config configs/blobs-sid.toml --steps "$BLOBS_SID_STEPS" --log-every "$BLOBS_SID_EVERY"
  run blobs-sgd "${blobs[@]}" --method sgd --lr 0.5 --steps "$BLOBS_MLP_STEPS" --log-every "$MLP_EVERY"
  run blobs-sheaf "${blobs[@]}" --steps "$BLOBS_MLP_STEPS" --log-every "$MLP_EVERY"
  wait "$sid_pid" ||
    { echo "ops_figures.sh: sheafsim train (digits-sid) failed; see $OUT/digits-sid.log" >&2; tail -3 "$OUT/digits-sid.log" >&2; exit 1; }
  trap - EXIT
  echo "$OUT/digits-sid.json"
fi

"$python" tools/plot_ops.py --ops "$OUT/ops-digits.json" \
  --train "$OUT/digits-sheaf.json" "$OUT/digits-sgd.json" "$OUT/digits-sid.json" \
  --name digits --title "Digits" --out-dir "$FIGURES" --summary "$OUT/summary-digits.json"
"$python" tools/plot_ops.py --ops "$OUT/ops-blobs.json" --figures curves \
  --train "$OUT/blobs-sheaf.json" "$OUT/blobs-sgd.json" "$OUT/blobs-sid.json" \
  --name blobs --title "Blobs" --accuracy-levels 0.95,0.99 --out-dir "$FIGURES" --summary "$OUT/summary-blobs.json"
if [[ $FIGURES -ef $here/docs/figures/ops ]]; then
  echo "ops_figures.sh: figures in $FIGURES (the committed ones: review with git diff)"
else
  echo "ops_figures.sh: figures in $FIGURES (docs/figures/ops unchanged; --out docs/figures/ops updates it)"
fi
