#!/usr/bin/env bash
# expect.sh error|warning|ok REGEX -- COMMAND...
#   error:   COMMAND exits non-zero, prints exactly one line on stderr, matching REGEX
#   warning: COMMAND exits 0 and stderr matches REGEX
#   ok:      COMMAND exits 0 and stdout matches REGEX
set -u
mode=$1 regex=$2
shift 3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
rc=$?
fail() { echo "FAIL: $*"; echo "--- exit code: $rc"; echo "--- stdout:"; cat "$out"; echo "--- stderr:"; cat "$err"; exit 1; }
case "$mode" in
  error)
    [ "$rc" -ne 0 ] || fail "expected a non-zero exit"
    [ "$rc" -lt 128 ] || fail "crashed (signal)"
    [ "$(wc -l <"$err")" -eq 1 ] || fail "expected exactly one line on stderr"
    grep -qE -- "$regex" "$err" || fail "stderr does not match '$regex'"
    ;;
  warning)
    [ "$rc" -eq 0 ] || fail "expected exit 0"
    grep -qE -- "$regex" "$err" || fail "stderr does not match '$regex'"
    ;;
  ok)
    [ "$rc" -eq 0 ] || fail "expected exit 0"
    grep -qE -- "$regex" "$out" || fail "stdout does not match '$regex'"
    ;;
  *) echo "unknown mode $mode"; exit 2 ;;
esac
echo "ok: $mode matched '$regex'"
