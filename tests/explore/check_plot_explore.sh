#!/usr/bin/env bash
# tools/plot_explore.py on a fixture (tests/explore/fixtures/plot/: make_tables'
# output for eight points, kept current by the unit test explore:"make_tables:
# the plot script's fixture is current"):
#   check_plot_explore.sh DIR
# copies it into DIR, draws it, and checks that explore.png and explore.svg are
# written, non-empty, and announced; then the same with no feasible point (a
# figure with a note). Exit 77 (CTest's SKIP_RETURN_CODE) without a python3 that
# has matplotlib.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
script=$here/../../tools/plot_explore.py
dir=$1/plot-explore
source "$here/../cli/find_python.sh"
rm -rf "$dir"
mkdir -p "$dir/front" "$dir/none"
cp "$here"/fixtures/plot/explore.csv "$here"/fixtures/plot/pareto.csv "$here"/fixtures/plot/summary.json "$dir/front/"
# No feasible point: every row's feasible field (the 22nd column) set to 0, the fronts emptied.
awk -F, 'BEGIN { OFS = "," } NR > 1 { $22 = 0 } { print }' "$here/fixtures/plot/explore.csv" > "$dir/none/explore.csv"
head -1 "$here/fixtures/plot/pareto.csv" > "$dir/none/pareto.csv"
cp "$here/fixtures/plot/summary.json" "$dir/none/"
for d in front none; do
  out=$("$python" "$script" "$dir/$d")
  echo "$out"
  for ext in png svg; do
    [[ -s $dir/$d/explore.$ext ]] || { echo "missing or empty: $dir/$d/explore.$ext"; exit 1; }
    [[ $out == *"wrote $dir/$d/explore.$ext"* ]] || { echo "not announced: explore.$ext"; exit 1; }
  done
done
echo "ok"
