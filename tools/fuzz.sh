#!/usr/bin/env bash
# Build the libFuzzer targets (CMakePresets.json "fuzz": clang,
# -fsanitize=fuzzer,address,undefined, in build-fuzz/) and run each for a
# bounded time from its seed corpus fuzz/corpus/<target>/.
#   tools/fuzz.sh [SECONDS_PER_TARGET]   default: about a minute for all targets
# Environment: JOBS (build jobs, default nproc), FUZZ_TARGETS (space-separated
# subset, e.g. "data_csv toml_config"), FUZZ_ARGS (extra libFuzzer flags),
# FUZZ_NO_BUILD=1 (run the targets already built).
# New inputs the fuzzer finds go to build-fuzz/corpus/<target>/ (the committed
# seeds are only read); a crash leaves build-fuzz/artifacts/<target>/crash-*
# and makes the script exit 1. Longer runs: docs/reliability.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
jobs=${JOBS:-$(nproc)}
build=build-fuzz

if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  [ -f "$build/build.ninja" ] || cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs"
fi

if [ -n "${FUZZ_TARGETS:-}" ]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for d in fuzz/corpus/*/; do
    t=$(basename "$d")
    [ -x "$build/fuzz/fuzz_$t" ] && targets+=("$t")
  done
fi
per=${1:-$(( (60 + ${#targets[@]} - 1) / ${#targets[@]} ))}

summary="$build/fuzz-summary.txt"
: >"$summary"
failed=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t" art="$build/artifacts/$t/" log="$build/fuzz-$t.log"
  mkdir -p "$work" "$art"
  echo "fuzz: $t for ${per}s"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  rc=0
  # shellcheck disable=SC2086
  "$build/fuzz/fuzz_$t" -max_total_time="$per" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 -artifact_prefix="$art" "${dict[@]}" ${FUZZ_ARGS:-} "$work" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
  cov=$( (grep -Eo 'cov: [0-9]+' "$log" || true) | tail -1 | cut -d' ' -f2)
  units=$(find "$work" -type f | wc -l)
  line=$(printf '%-14s %3ss  executions %10s  exec/s %7s  coverage %5s  work corpus files %5s  exit %s' \
         "$t" "$per" "${runs:-?}" "${speed:-?}" "${cov:-?}" "$units" "$rc")
  echo "$line" | tee -a "$summary"
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "fuzz: $t FAILED; log $log, artifacts:" >&2
    ls "$art" >&2 || true
    grep -E 'ERROR|fuzz: |SUMMARY|==[0-9]+==' "$log" | head -20 >&2 || true
  fi
done
echo "fuzz: summary in $summary"
exit "$failed"
