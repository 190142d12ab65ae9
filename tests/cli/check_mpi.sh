#!/usr/bin/env bash
# Distributed runs on a real Open MPI job (docs/explore.md §5):
#  1. `mpirun -n 3 sheafsim explore` and `mpirun -n 3 sheafsim compare --sweep`
#     write the files of a one-process run (--jobs 1), byte for byte;
#  2. a rank killed with SIGKILL ends the run non-zero, with the finished tasks
#     in the checkpoint and no outputs; `--resume` (under mpirun) finishes it
#     without recomputing them, and its files equal the one-process run's.
# Usage: check_mpi.sh SHEAFSIM OUT_DIR MPIEXEC
set -u
sheafsim=$1 dir=$2/mpi mpiexec=$3
rm -rf "$dir"
mkdir -p "$dir"
export SHEAFSIM_DETERMINISTIC=1 SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
# Three ranks on any machine (two cores here: oversubscribed), as root in CI
# containers; no shared-memory single-copy (ptrace is often not allowed there).
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
mpi=("$mpiexec" --oversubscribe --allow-run-as-root -n 3)
# Under the sanitizers: Open MPI's unloaded components leak (docs/reliability.md, waivers).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
fail() { echo "FAIL: $*"; exit 1; }

cat >"$dir/explore.toml" <<'TOML'
[run]
layers = "2,12,1"
weight-seed = 1
task = "paraboloid"
n-train = 64
n-test = 32
dt = 0.02
steps = 2500
stalk-init = "random"
[axes]
stalk = ["Q4.8", "Q4.10", "Q4.12", "Q4.14"]
round = ["rnd_conv", "stoch"]
mesh = ["2x2", "4x4"]
[cost]
sim-steps = 2
TOML

# 0. Only explore and compare --sweep share out work; another command is refused once, by rank 0.
if "${mpi[@]}" "$sheafsim" train --task paraboloid --layers 2,3,1 --steps 3 >"$dir/train.txt" 2>&1; then
  fail "train under mpirun -n 3 was not refused"; fi
[ "$(grep -c 'sheafsim: error: `sheafsim train` runs in one process' "$dir/train.txt")" -eq 1 ] \
  || { cat "$dir/train.txt"; fail "the refusal is not one line from rank 0"; }

# 1. explore: one process against three ranks.
"$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/serial" --jobs 1 --no-plots >"$dir/serial.txt" \
  || fail "the one-process explore failed"
"${mpi[@]}" "$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/ranks" --no-plots >"$dir/ranks.txt" 2>&1 \
  || { cat "$dir/ranks.txt"; fail "mpirun explore failed"; }
for f in explore.csv pareto.csv summary.json; do cmp "$dir/serial/$f" "$dir/ranks/$f" || fail "explore $f differs"; done
grep -qE "^workers: +3 MPI ranks \(2 workers\)" "$dir/ranks.txt" || { cat "$dir/ranks.txt"; fail "not 3 ranks"; }
[ "$(grep -c -- '---- sheafsim explore ----' "$dir/ranks.txt")" -eq 1 ] || fail "more than one rank reported"
echo "ok: explore, 3 ranks = 1 process"

# compare --sweep: one process against three ranks.
sweep=(compare --task paraboloid --layers 2,8,1 --weight-seed 1 --n-train 48 --n-test 24 --dt 0.02 --steps 400
       --stalk-init random --sweep "stalk=Q4.8..Q4.12:2,round=rnd_conv|stoch" --no-plots)
"$sheafsim" "${sweep[@]}" --jobs 1 --out "$dir/sweep1" >/dev/null || fail "the one-process sweep failed"
"${mpi[@]}" "$sheafsim" "${sweep[@]}" --out "$dir/sweep3" >"$dir/sweep3.txt" 2>&1 || { cat "$dir/sweep3.txt"; fail "mpirun sweep failed"; }
for f in sweep.csv summary.json; do cmp "$dir/sweep1/$f" "$dir/sweep3/$f" || fail "sweep $f differs"; done
echo "ok: compare --sweep, 3 ranks = 1 process"

# 2. A killed rank, then --resume.
sed -i "s/^steps = 2500/steps = 40000/" "$dir/explore.toml"
"$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/long1" --jobs 1 --no-plots >/dev/null || fail "serial long run"
"${mpi[@]}" "$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/killed" --no-plots >"$dir/killed.txt" 2>&1 &
runner=$!
ckpt="$dir/killed/checkpoint"
for _ in $(seq 1 600); do
  n=$(ls "$ckpt" 2>/dev/null | grep -c '^task-' || true)
  [ "$n" -ge 3 ] && break
  sleep 0.1
done
victim=
for p in $(pgrep -f "$sheafsim explore"); do
  tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p
done
[ -n "$victim" ] || { kill "$runner"; fail "no rank 1 to kill"; }
kill -KILL "$victim"
wait "$runner"; rc=$?
[ "$rc" -ne 0 ] || fail "mpirun exited 0 after a rank was killed"
done_tasks=$(ls "$ckpt" | grep -c '^task-')
[ "$done_tasks" -ge 3 ] && [ "$done_tasks" -lt 24 ] || fail "$done_tasks tasks in the checkpoint"
[ ! -e "$dir/killed/explore.csv" ] || fail "outputs written by a run that lost a rank"
echo "killed rank 1: mpirun exit $rc, $done_tasks of 24 tasks checkpointed"
grep -q "rank 1 .*exited on signal 9" "$dir/killed.txt" || { cat "$dir/killed.txt"; fail "no message names the dead rank"; }
grep -E "sheafsim: error|exited on signal" "$dir/killed.txt" | head -3
"${mpi[@]}" "$sheafsim" explore --resume "$dir/killed" --no-plots >"$dir/resumed.txt" 2>&1 \
  || { cat "$dir/resumed.txt"; fail "the resume failed"; }
grep -qE "^tasks_from_checkpoint: +$done_tasks of 24" "$dir/resumed.txt" || { cat "$dir/resumed.txt"; fail "the resume recomputed finished tasks"; }
for f in explore.csv pareto.csv summary.json; do cmp "$dir/long1/$f" "$dir/killed/$f" || fail "resumed $f differs"; done
[ ! -e "$ckpt" ] || fail "the checkpoint outlived the finished run"
echo "ok: resumed from $done_tasks tasks; the files equal the one-process run's"
