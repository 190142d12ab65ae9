#!/usr/bin/env bash
# The progress lines of sheafsim (sw/cli/console.h, docs/cli.md "Progress"):
#   check_progress.sh CASE SHEAFSIM DIR
# CASE:
#   sweep     `compare --sweep` of 4 points, SHEAFSIM_PROGRESS=1, stderr a file:
#             counts points (x/4, not the reference as a fifth), a rate in
#             points/s and an ETA on the first point's line, "done in" on the last
#   simulate  `simulate` names the command, method and mesh, counts steps
#   train     `train` names the method and the arithmetic (sheaf float, sheaf fixed, sgd float, sgd fixed)
#   infer     `infer --tol`: the step total is a bound ("of at most", "ETA at most")
#   quiet     stderr not a terminal and SHEAFSIM_PROGRESS unset (or 0): no progress
#   tty       on a pseudo-terminal (util-linux `script`; exit 77 without it):
#             shown by default, redrawn in place with "\r", cut to the terminal's
#             width; SHEAFSIM_PROGRESS=0 hides it
set -eu
case_=$1 sheafsim=$2 dir=$3/progress-$1
rm -rf "$dir"
mkdir -p "$dir"
err=$dir/err.txt
fail() { echo "FAIL: $*"; echo "--- stderr:"; cat -A "$err" | head -40; exit 1; }
has() { grep -Eq -- "$1" "$err" || fail "no stderr line matches '$1'"; }
hasnt() { ! grep -Eq -- "$1" "$err" || fail "a stderr line matches '$1'"; }
RATE='[0-9.]+[kMG]?'
DUR='([0-9]+\.[0-9]s|[0-9]+s|[0-9]+m[0-9]{2}s|[0-9]+h[0-9]{2}m)'
small=(--task paraboloid --layers 2,4,1 --n-train 20 --n-test 5)

case $case_ in
  sweep)
    SHEAFSIM_PROGRESS=1 "$sheafsim" compare "${small[@]}" --steps 400 --jobs 1 --no-plots \
      --sweep "stalk=Q4.8..Q4.10:2,round=rnd_conv|stoch" >"$dir/out.txt" 2>"$err"
    label='^compare sweep \(bit-accurate, 1 job\): '
    has "${label}0/4 points \(0%\) \| float reference done$"
    has "${label}1/4 points \(25%\), $RATE points/s, ETA $DUR \| last stalk=Q4\.8,round=rnd_conv$"
    has "${label}4/4 points \(100%\), $RATE points/s, done in $DUR \| last stalk=Q4\.10,round=stoch$"
    hasnt 'steps'
    hasnt '/5 '
    ;;
  simulate)
    SHEAFSIM_PROGRESS=1 "$sheafsim" simulate "${small[@]}" --steps 20 --log-every 5 --mesh 2x2 \
      >"$dir/out.txt" 2>"$err"
    has '^simulate \(sheaf, mesh 2x2\): 5/20 steps \(25%\), '"$RATE"' steps/s, ETA '"$DUR"' \| train loss [0-9.e+-]+$'
    has '^simulate \(sheaf, mesh 2x2\): 20/20 steps \(100%\), '"$RATE"' steps/s, done in '"$DUR"' \| train loss '
    hasnt 'train \('
    ;;
  train)
    for m in "sheaf float" "sheaf fixed" "sgd float" "sgd fixed"; do
      set -- $m
      args=(--method "$1" --steps 20 --log-every 10)
      [[ ${2:-} == fixed ]] && args+=(--arith fixed)
      SHEAFSIM_PROGRESS=on "$sheafsim" train "${small[@]}" "${args[@]}" >"$dir/out.txt" 2>"$err"
      label="train \\($1${2:+, $2}\\)"
      has "^$label: 10/20 steps \\(50%\\), $RATE steps/s, ETA $DUR \\| train loss "
      has "^$label: 20/20 steps \\(100%\\), $RATE steps/s, done in $DUR"
    done
    ;;
  infer)
    "$sheafsim" init --layers 2,4,1 --seed 7 --out "$dir/net.json" >/dev/null
    "$sheafsim" data --task paraboloid --n 5 --out "$dir/x.csv" >/dev/null
    SHEAFSIM_PROGRESS=1 "$sheafsim" infer --net "$dir/net.json" --input "$dir/x.csv" --tol 1e-12 --max-steps 100000 \
      --out "$dir/infer.json" >"$dir/out.txt" 2>"$err"
    has "^infer \\(float\\): 1000 of at most 100000 steps, $RATE steps/s, ETA at most $DUR \\| max\\|change\\| "
    has "^infer \\(float\\): [0-9]+ of at most 100000 steps, $RATE steps/s, ended after $DUR"
    ;;
  quiet)
    for v in unset 0 off; do
      if [[ $v == unset ]]; then
        env -u SHEAFSIM_PROGRESS "$sheafsim" train "${small[@]}" --steps 20 --log-every 5 >"$dir/out.txt" 2>"$err"
      else
        SHEAFSIM_PROGRESS=$v "$sheafsim" train "${small[@]}" --steps 20 --log-every 5 >"$dir/out.txt" 2>"$err"
      fi
      [[ ! -s $err ]] || fail "SHEAFSIM_PROGRESS=$v, stderr not a terminal: expected no progress"
    done
    ;;
  tty)
    command -v script >/dev/null || { echo "SKIP: no util-linux script(1) for a pseudo-terminal"; exit 77; }
    cmd="stty cols 200 2>/dev/null; env -u SHEAFSIM_PROGRESS $(printf '%q ' "$sheafsim" train "${small[@]}" --steps 2000 --log-every 100)"
    script -qec "$cmd" /dev/null >"$err" </dev/null
    grep -q $'\rtrain (sheaf, float): 2000/2000 steps (100%), .* done in ' "$err" ||
      fail "on a terminal: no progress line redrawn with \\r"
    # A terminal narrower than the line: cut to its width (a wrapped line cannot be redrawn in place).
    cmd="stty cols 40; $(printf '%q ' "$sheafsim" train "${small[@]}" --steps 2000 --log-every 100)"
    script -qec "$cmd" /dev/null >"$err" </dev/null
    grep -qF $'\rtrain (sheaf, float): 2000/2000 steps (\x1b[K' "$err" || fail "a 40-column terminal: the line is not cut at 39"
    cmd="SHEAFSIM_PROGRESS=0 $(printf '%q ' "$sheafsim" train "${small[@]}" --steps 2000 --log-every 100)"
    script -qec "$cmd" /dev/null >"$err" </dev/null
    grep -q 'sheafsim train ----' "$err" || fail "SHEAFSIM_PROGRESS=0 on a terminal: the run did not finish"
    hasnt 'steps/s'
    ;;
  *) echo "unknown case $case_"; exit 2 ;;
esac
echo "progress $case_: ok"
