#!/usr/bin/env bash
# Interrupts (docs/reliability.md): a long run that gets SIGINT or SIGTERM stops
# at the next step boundary, writes a valid partial report with
# "interrupted": true and "interrupted_at_step", and exits 128 + signal.
# Usage: check_interrupt.sh SHEAFSIM OUT_DIR
set -uo pipefail
sim=$1 out=$2/interrupt
mkdir -p "$out"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

# check NAME SIGNAL EXPECTED_RC ARGS...
check() {
  local name=$1 sig=$2 want=$3; shift 3
  rm -f "$out/$name.json" "$out/$name".json.*tmp "$out/$name.net.json"
  "$sim" "$@" --report "$out/$name.json" --out-net "$out/$name.net.json" >"$out/$name.log" 2>&1 &
  local pid=$!
  # Let it get past start-up into the step loop (it would run for hours).
  sleep "${INTERRUPT_DELAY:-3}"
  kill -"$sig" "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 120 ]; do sleep 1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "FAIL: $name did not stop within 120 s of SIG$sig"; exit 1; fi
  wait "$pid"; local rc=$?
  [ "$rc" -eq "$want" ] || { echo "FAIL: $name exit code $rc, expected $want"; cat "$out/$name.log"; exit 1; }
  grep -q "sheafsim: warning: interrupted by SIG$sig" "$out/$name.log" || { echo "FAIL: no interrupt warning"; cat "$out/$name.log"; exit 1; }
  ! compgen -G "$out/$name.*tmp" >/dev/null || { echo "FAIL: temporary file left behind"; exit 1; }
  python3 - "$out/$name.json" "$out/$name.net.json" <<'PY' || { cat "$out/$name.log"; exit 1; }
import json, sys
r = json.load(open(sys.argv[1]))          # a complete, valid JSON document
json.load(open(sys.argv[2]))              # and so is the trained network
assert r["interrupted"] is True, "interrupted is not true"
step = r["interrupted_at_step"]
assert isinstance(step, int) and 0 <= step < r["settings"]["steps"], f"interrupted_at_step = {step}"
assert r["steps"] == step, "steps != interrupted_at_step"
assert r["history"][-1]["step"] == step and r["final"]["step"] == step, "history does not end at the interrupted step"
print(f"interrupted at step {step} of {r['settings']['steps']}")
PY
  echo "ok: $name (SIG$sig, exit $rc)"
}

check train_sigint INT 130 train --task paraboloid --layers 2,30,1 --n-train 300 --steps 1000000000 --log-every 1000
check train_fixed_sigterm TERM 143 train --task paraboloid --layers 2,30,1 --n-train 300 --steps 1000000000 \
      --log-every 1000 --arith fixed --round stoch
check sgd_sigint INT 130 train --method sgd --task paraboloid --layers 2,30,1 --n-train 300 --steps 1000000000 --log-every 1000
check simulate_sigint INT 130 simulate --task paraboloid --layers 2,4,1 --n-train 12 --steps 1000000000 --mesh 2x2 \
      --time-multiplex true --log-every 10
echo "interrupt: every run stopped at a step boundary with a valid partial report"
