#!/usr/bin/env bash
# tools/tune_digits.sh: choose the step sizes of sheaf, SGD and SID training on
# the handwritten-digits task ([64,32,10], softmax) on the VALIDATION split.
#
#   tools/tune_digits.sh                   # the grid of docs/validation.md ("Digits")
#   SHEAF_DT="0.05 0.1" SGD_LR="0.5" tools/tune_digits.sh    # another grid
#
# It writes the training split (1197 images) and the validation split (300) of
# the fixed digits split (docs/file-formats.md, "Digits"; data seed 42) as CSV,
# trains on the first and evaluates on the second (`--test val.csv`): the test
# split is never written, read or looked at here. For every grid point it
# prints the final validation accuracy and cross-entropy, then the best point
# per method (highest validation accuracy; ties go to the lower validation
# cross-entropy). The chosen values go into configs/digits-sheaf.toml,
# configs/digits-sgd.toml and configs/digits-sid.toml by hand; the final runs
# (docs/validation.md) train with them and report the test split once.
#
# Needs python3-sklearn (or SHEAFSIM_DIGITS / DIGITS_FILE naming digits.csv.gz).
# Environment (defaults in brackets):
#   SHEAFSIM    the binary [build/sw/sheafsim]
#   OUT         working directory for the CSVs, reports and the table [build/tune-digits]
#   DIGITS_FILE passed as --digits-file when set
#   STEPS       steps per run, both methods [5000]
#   SHEAF_DT    sheaf --dt values [0.02 0.05 0.1 0.15 0.2 0.3]
#   SHEAF_BETA_X sheaf --beta values as multiples of 1/n_train [0.25 0.5 1 2 4]
#   SGD_LR      SGD --lr values [0.05 0.1 0.2 0.5 1 2]
#   SID_LR      SID --lr values [0.05 0.1 0.2 0.3 0.4 0.5] (alpha, modules, width: sid.md's defaults)
#   (an empty list skips that method: SGD_LR= tools/tune_digits.sh)
#   ARITH_ARGS  extra options for the sheaf runs, e.g. "--arith fixed --fixed-config configs/fixed-16bit.toml"
# About 30 sheaf, 6 SGD and 6 SID runs of 5000 steps: 5 to 10 minutes on two cores for
# sheaf and SGD; a SID run costs about 11 SGD runs (a larger network: `sheafsim ops --method sid`).
# A run that diverges (non-finite loss) is listed as "diverged" with its accuracy.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
S=${SHEAFSIM:-$here/build/sw/sheafsim}
OUT=${OUT:-$here/build/tune-digits}
STEPS=${STEPS:-5000}
SHEAF_DT=${SHEAF_DT-"0.02 0.05 0.1 0.15 0.2 0.3"}
SHEAF_BETA_X=${SHEAF_BETA_X-"0.25 0.5 1 2 4"}
SGD_LR=${SGD_LR-"0.05 0.1 0.2 0.5 1 2"}
SID_LR=${SID_LR-"0.05 0.1 0.2 0.3 0.4 0.5"}
ARITH_ARGS=${ARITH_ARGS:-}
[ -x "$S" ] || { echo "tune_digits: $S is not an executable (build first or set SHEAFSIM)" >&2; exit 2; }
mkdir -p "$OUT"

# The same network and seeds as configs/digits-*.toml.
NET=(--layers 64,32,10 --output softmax --weight-seed 0)  # stalk / SID seeds 42 per method below
N_TRAIN=1197
file_args=()
[ -n "${DIGITS_FILE:-}" ] && file_args=(--digits-file "$DIGITS_FILE")

# The training and validation splits only (no --test-out).
"$S" data --task digits "${file_args[@]}" --data-seed 42 --n-train "$N_TRAIN" --n-val 300 \
     --val-out "$OUT/val.csv" --out "$OUT/train.csv" >"$OUT/data.txt"

table="$OUT/table.tsv"
printf 'method\tsetting\tval_accuracy\tval_cross_entropy\ttrain_accuracy\twall_time_s\n' >"$table"

# run METHOD SETTING ARGS...: one training run; appends a row to the table.
run() {
  local method=$1 setting=$2
  shift 2
  local tag=${setting// /_}
  local log="$OUT/$method-${tag//\//_}.txt"
  "$S" train --data "$OUT/train.csv" --test "$OUT/val.csv" "${NET[@]}" --steps "$STEPS" \
       --log-every "$STEPS" "$@" >"$log" 2>&1 || { echo "tune_digits: run failed, see $log" >&2; exit 1; }
  local acc ce tacc wall
  acc=$(awk '/^test_accuracy_final:/ {print $2}' "$log")
  ce=$(awk '/^test_cross_entropy_final:/ {print $2}' "$log")
  [ "$ce" = "n/a" ] && ce=diverged
  tacc=$(awk '/^train_accuracy_final:/ {print $2}' "$log")
  wall=$(awk '/^wall_time_s:/ {print $2}' "$log")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$method" "$setting" "$acc" "$ce" "$tacc" "$wall" | tee -a "$table"
}

echo "# validation split, $STEPS steps per run (method, setting, val accuracy, val CE, train accuracy, wall s)"
for dt in $SHEAF_DT; do
  for bx in $SHEAF_BETA_X; do
    beta=$(awk -v x="$bx" -v n="$N_TRAIN" 'BEGIN {printf "%.17g", x / n}')
    # shellcheck disable=SC2086
    run sheaf "dt=$dt beta=${bx}/n" --method sheaf --stalk-seed 42 --dt "$dt" --beta "$beta" $ARITH_ARGS
  done
done
for lr in $SGD_LR; do
  run sgd "lr=$lr" --method sgd --lr "$lr"
done
for lr in $SID_LR; do
  run sid "lr=$lr" --method sid --sid-seed 42 --lr "$lr"
done

echo "# best per method (validation accuracy, then validation cross-entropy)"
for m in sheaf sgd sid; do
  awk -F'\t' -v m="$m" 'NR > 1 && $1 == m && $4 != "diverged"' "$table" | sort -t$'\t' -k3,3gr -k4,4g | head -1 |
    awk -F'\t' '{printf "best %s: %s  (validation accuracy %s, cross-entropy %s)\n", $1, $2, $3, $4}'
done
echo "# table: $table"
