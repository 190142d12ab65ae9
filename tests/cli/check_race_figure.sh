#!/usr/bin/env bash
# The race's figure (tools/plot_race.py, run by `sheafsim race` itself):
#   check_race_figure.sh SHEAFSIM CFGDIR OUTDIR
# a short paraboloid race without --no-plots writes race.png and race.svg,
# non-empty, and the statistics block names both; the SVG holds the two
# methods' curves in the loss panels. Exit 77 (CTest's SKIP_RETURN_CODE)
# without a python3 that has matplotlib.
set -eu
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sheafsim=$1 cfg=$2 dir=$3/race-figure
source "$here/find_python.sh"
rm -rf "$dir"
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
out=$("$sheafsim" race --sheaf-config "$cfg/paraboloid-reference.toml" --sgd-config "$cfg/paraboloid-sgd.toml" \
  --target-loss 2 --max-steps 300 --eval-every 100 --mesh 2x2 --sim-steps 4 --round stoch --out-dir "$dir")
echo "$out"
for ext in png svg; do
  [[ -s $dir/race.$ext ]] || { echo "missing or empty: $dir/race.$ext"; exit 1; }
done
grep -qE "^figures: +2 files in $dir \(png, svg\)$" <<<"$out" || { echo "the figures are not announced"; exit 1; }
# One labelled curve per method (a legend entry in each of the two loss panels;
# matplotlib's SVG names every text in a comment).
for m in sheaf sgd; do
  n=$(grep -c "<!-- $m -->" "$dir/race.svg" || true)
  [[ $n -ge 2 ]] || { echo "race.svg: $n legend entries for $m, expected >= 2"; exit 1; }
done
echo "ok"
