#!/usr/bin/env bash
# tools/chunk_timeline.py (docs/architecture.md "Schedules"):
#   check_chunk_timeline.sh SHEAFSIM DIR
# draws the measured timeline for both schedules: exit 0, a non-empty PNG, and
# every PE and vertex unit of the 4x4 mapping drawn (26 units); --steps 1 is
# refused with a one-line error. Exit 77 (CTest's SKIP_RETURN_CODE) without a
# python3 that has matplotlib.
set -eu
sheafsim=$1 dir=$2/chunk-timeline
script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/chunk_timeline.py
rm -rf "$dir"
mkdir -p "$dir"
source "$(dirname "${BASH_SOURCE[0]}")/find_python.sh"
for s in dataflow barrier; do
  out=$("$python" "$script" "$sheafsim" "$dir/$s.png" --schedule "$s")
  echo "$out"
  [[ $out == *"(26 units,"* ]] || { echo "expected 26 units"; exit 1; }
  [[ -s $dir/$s.png ]] || { echo "missing or empty: $dir/$s.png"; exit 1; }
done
if err=$("$python" "$script" "$sheafsim" "$dir/x.png" --steps 1 2>&1); then
  echo "--steps 1 was accepted"; exit 1
fi
[[ $(echo "$err" | wc -l) == 1 && $err == *"--steps must be >= 2"* ]] || { echo "bad error: $err"; exit 1; }
echo "ok"
