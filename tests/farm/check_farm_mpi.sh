#!/bin/bash
# The task farm under mpirun (ctest farm:mpi:*):
#   check_farm_mpi.sh MODE FARM_DRIVER WORK_DIR MPIRUN [MPIRUN ARGS...]
# MODE same_as_serial: 3 ranks write the same results.txt as one process.
# MODE task_error:     a task that throws ends every rank (no hang), naming the task.
# MODE kill_and_resume: a worker killed with SIGKILL ends the run with a whole
#                      checkpoint; --resume finishes it with the serial bytes.
set -u
mode=$1 driver=$2 work=$3
shift 3
mpi=("$@")
fail() { echo "FAIL: $*" >&2; exit 1; }
# Under the sanitizers: Open MPI's components (dlopen'ed, and unloaded by
# MPI_Finalize, so no module name is left for an LSan suppression) never free
# some of their memory. The farm's own code is leak-checked by test_farm.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
rm -rf "$work" && mkdir -p "$work" || fail "cannot create $work"

serial() {  # serial N DIR [ARGS]: the one-process reference
  "$driver" --tasks "$1" --out "$2" --jobs 1 "${@:3}" > /dev/null || fail "the serial run failed"
}
task_files() { ls "$1/checkpoint" 2>/dev/null | grep -c '^task-.*\.json$'; }

case $mode in
same_as_serial)
  # Task 3's result is 4 MiB: a message past MPI's eager limit.
  serial 25 "$work/serial" --big-task 3
  "$driver" --tasks 25 --out "$work/jobs4" --jobs 4 --big-task 3 > /dev/null || fail "--jobs 4 failed"
  out=$(timeout 50 "${mpi[@]}" "$driver" --tasks 25 --out "$work/mpi" --sleep-ms 20 --big-task 3) || fail "mpirun failed"
  echo "$out"
  grep -q "^tasks 25 from_checkpoint 0 computed 25 ranks 3$" <<<"$out" || fail "unexpected summary: $out"
  cmp "$work/serial/results.txt" "$work/mpi/results.txt" || fail "3 ranks differ from one process"
  cmp "$work/serial/results.txt" "$work/jobs4/results.txt" || fail "--jobs 4 differs from --jobs 1"
  [ "$(stat -c %s "$work/mpi/results.txt")" -gt 4000000 ] || fail "task 3's big result is missing"
  [ ! -e "$work/mpi/checkpoint" ] || fail "the checkpoint was not removed"
  # mpirun -n 1: an MPI job of one rank runs the tasks itself.
  out=$(timeout 50 "${mpi[0]}" --allow-run-as-root -n 1 "$driver" --tasks 25 --out "$work/one" --jobs 2 --big-task 3) \
    || fail "mpirun -n 1 failed"
  grep -q "ranks 1$" <<<"$out" || fail "mpirun -n 1: unexpected summary: $out"
  cmp "$work/serial/results.txt" "$work/one/results.txt" || fail "mpirun -n 1 differs from one process"
  ;;
task_error)
  timeout 50 "${mpi[@]}" "$driver" --tasks 20 --out "$work/err" --sleep-ms 20 --fail-at 7 \
    > "$work/out.txt" 2> "$work/err.txt"
  rc=$?
  cat "$work/err.txt"
  [ $rc -ne 124 ] || fail "mpirun hung after a task error"
  [ $rc -ne 0 ] || fail "mpirun exited 0 after a task error"
  grep -q "farm_driver: error: task 7: bad point" "$work/err.txt" || fail "stderr does not name task 7"
  [ ! -e "$work/err/results.txt" ] || fail "results.txt written despite the error"
  ;;
kill_and_resume)
  serial 40 "$work/serial"
  dir=$work/run
  "${mpi[@]}" "$driver" --tasks 40 --out "$dir" --sleep-ms 150 > "$work/out1.txt" 2> "$work/err1.txt" &
  mpirun_pid=$!
  for _ in $(seq 1 400); do
    [ "$(task_files "$dir")" -ge 4 ] && break
    sleep 0.05
  done
  [ "$(task_files "$dir")" -ge 4 ] || { kill "$mpirun_pid"; fail "no 4 finished tasks after 20 s"; }
  # The rank-1 worker: its environment names its rank.
  worker=
  for p in $(pgrep -f -- "--out $dir"); do
    if tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then worker=$p; fi
  done
  [ -n "$worker" ] || { kill "$mpirun_pid"; fail "rank 1 not found"; }
  kill -9 "$worker"
  wait "$mpirun_pid"
  rc=$?
  n=$(task_files "$dir")
  echo "killed rank 1 (pid $worker): mpirun exit $rc, $n task files in the checkpoint"
  cat "$work/err1.txt"
  [ $rc -ne 0 ] || fail "mpirun exited 0 although a rank was killed"
  [ "$n" -ge 4 ] && [ "$n" -lt 40 ] || fail "$n task files in the checkpoint (expected 4..39)"
  [ ! -e "$dir/results.txt" ] || fail "results.txt written by a killed run"
  out=$(timeout 50 "${mpi[@]}" "$driver" --tasks 40 --out "$dir" --sleep-ms 150 --resume) || fail "the resume failed"
  echo "$out"
  k=$(sed -n 's/^tasks 40 from_checkpoint \([0-9]*\) computed [0-9]* ranks 3$/\1/p' <<<"$out")
  [ -n "$k" ] && [ "$k" -ge 4 ] || fail "the resume took $k tasks from the checkpoint (expected >= 4)"
  cmp "$work/serial/results.txt" "$dir/results.txt" || fail "the resumed results differ from one process"
  timeout 50 "${mpi[@]}" "$driver" --tasks 40 --out "$dir" --resume > /dev/null 2> "$work/err3.txt" \
    && fail "a second resume of a finished run succeeded"
  grep -q "no checkpoint" "$work/err3.txt" || fail "the second resume did not say 'no checkpoint'"
  ;;
*) fail "unknown mode $mode" ;;
esac
echo "farm:mpi:$mode: ok"
