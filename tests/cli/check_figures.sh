#!/usr/bin/env bash
# The figures of tools/ (issue 15 point 12):
#   check_figures.sh CASE SHEAFSIM DIR
# CASE:
#   compare  `sheafsim compare --sweep` and a single `compare`, each run twice
#            into two folders: every PNG and SVG byte-identical; the SVG text
#            has no raw keys (cross_entropy, max_abs_diff, ...: words only);
#            the titles name the task, the network and the formats
#   ops      tools/ops_figures.sh with tiny step counts on a made-up digits
#            file, without --out: the figures land in OUT/figures (the build
#            folder), docs/figures/ops is untouched, no raw keys in the SVG
#            text; redrawn from the same reports with --out DIR (relative),
#            they land in DIR, byte-identical
# Exit 77 (CTest's SKIP_RETURN_CODE) without a python3 that has matplotlib.
set -eu
case_=$1 sheafsim=$(realpath "$2") dir=$3/figures-$1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rm -rf "$dir"
mkdir -p "$dir"

source "$(dirname "${BASH_SOURCE[0]}")/find_python.sh"
export SHEAFSIM_PYTHON=$python

fail() { echo "FAIL: $*"; exit 1; }

same() {  # A B: the same figure files, byte for byte
  local a=$1 b=$2 n=0 f
  for f in "$a"/*.svg "$a"/*.png; do
    [[ -e $f ]] || continue
    n=$((n + 1))
    cmp -s "$f" "$b/$(basename "$f")" || {
      diff <(tr '>' '\n' <"$f") <(tr '>' '\n' <"$b/$(basename "$f")") | head -10
      fail "$(basename "$f") differs between two runs ($a, $b)"
    }
  done
  [[ $n -gt 0 ]] || fail "no figures in $a"
  echo "$n files byte-identical: $a"
}

words() {  # SVG...: every text element in words; prints all of it for the regexes below
  "$python" - "$@" <<'PY'
import html, re, sys
bad = []
for path in sys.argv[1:]:
    svg = open(path, encoding="utf-8").read()
    texts = [re.sub(r"<[^>]+>", "", t) for t in re.findall(r"<text\b[^>]*>(.*?)</text>", svg, re.S)]
    texts = [html.unescape(" ".join(t.split())) for t in texts]
    if not texts:
        sys.exit(f"{path}: no <text> elements (svg.fonttype must be 'none')")
    for t in texts:
        # A raw key: a word with an underscore, unless quoted in brackets or backquotes, e.g. "(rnd_conv)".
        for m in re.finditer(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+", t):
            if m.start() == 0 or t[m.start() - 1] not in "(`":
                bad.append(f"{path}: raw key '{m.group()}' in '{t}'")
    print(" | ".join(texts))
if bad:
    sys.exit("\n".join(bad))
PY
}

case $case_ in
  compare)
    net=(--task paraboloid --layers 2,4,1 --n-train 20 --n-test 10 --steps 200)
    for run in a b; do
      "$sheafsim" compare "${net[@]}" --jobs 2 --sweep "stalk=Q4.8..Q4.12:2,round=rnd_conv|stoch" \
        --out "$dir/sweep-$run" >"$dir/sweep-$run.txt"
      "$sheafsim" compare "${net[@]}" --round stoch --out "$dir/single-$run" >"$dir/single-$run.txt"
    done
    same "$dir/sweep-a" "$dir/sweep-b"
    same "$dir/single-a" "$dir/single-b"
    text=$(words "$dir"/sweep-a/*.svg "$dir"/single-a/*.svg) || fail "raw keys in the figures"
    for want in "final test mean squared error \(target units²\)" "total word length: stalk \+ weight \(bits\)" \
      "paraboloid \[2,4,1\], 20/10 samples" "swept: stalk Q4.8 to Q4.12 \(step 2\), rounding nearest, ties to even \(rnd_conv\) or stochastic \(stoch\)" \
      "fixed: weight Q4.12, bias Q4.12, residual Q4.12, constants Q1.31, 48-bit accumulator, saturation" \
      "round to nearest, ties to even \(rnd_conv\)" "training step" \
      "formats: stalk Q4.12, weight Q4.12, .*stochastic rounding \(stoch\)"; do
      grep -Eq -- "$want" <<<"$text" || fail "no figure text matches '$want'"
    done
    ! grep -q "dc:date" "$dir"/sweep-a/*.svg "$dir"/single-a/*.svg || fail "a date in the SVG metadata"
    ;;
  ops)
    export SHEAFSIM_DIGITS=$dir/fake-digits.csv.gz
    bash "$here/tests/cli/fixtures/make-fake-digits.sh" "$SHEAFSIM_DIGITS"
    export MLP_STEPS=20 SID_STEPS=4 BLOBS_MLP_STEPS=20 BLOBS_SID_STEPS=4 MLP_EVERY=5 SID_EVERY=1 BLOBS_SID_EVERY=1
    before=$(cd "$here" && find docs/figures/ops -type f -exec sha256sum {} + | sort)
    OUT=$dir/a bash "$here/tools/ops_figures.sh" "$sheafsim" >"$dir/a.txt" 2>&1 ||
      { cat "$dir/a.txt"; fail "tools/ops_figures.sh failed"; }
    after=$(cd "$here" && find docs/figures/ops -type f -exec sha256sum {} + | sort)
    [[ $before == "$after" ]] || fail "tools/ops_figures.sh without --out changed docs/figures/ops"
    for stem in ops-per-step-digits energy-per-step-digits loss-vs-ops-digits loss-vs-ops-blobs; do
      [[ -s $dir/a/figures/$stem.svg && -s $dir/a/figures/$stem.png ]] || fail "missing $dir/a/figures/$stem"
    done
    grep -q "figures in $dir/a/figures (docs/figures/ops unchanged" "$dir/a.txt" || fail "no line naming the folder"
    text=$(words "$dir"/a/figures/*.svg) || fail "raw keys in the figures"
    for want in "Digits \[64,32,10\], batch 1197" "Blobs \[2,25,4\], batch 300" \
      "stalks, weights, biases, residuals Q4.12; constants Q1.31; 48-bit accumulator" \
      "operations per training step \(count, whole batch\)" "energy per training step \(µJ\)"; do
      grep -Eq -- "$want" <<<"$text" || fail "no figure text matches '$want'"
    done
    # --out DIR, relative to the caller's folder; PLOT_ONLY redraws from the reports of OUT.
    (cd "$dir" && OUT=$dir/a PLOT_ONLY=1 bash "$here/tools/ops_figures.sh" --out chosen "$sheafsim" >"$dir/c.txt" 2>&1) ||
      { cat "$dir/c.txt"; fail "tools/ops_figures.sh --out failed"; }
    same "$dir/a/figures" "$dir/chosen"
    rc=0
    bash "$here/tools/ops_figures.sh" --out >"$dir/err.txt" 2>&1 || rc=$?
    [[ $rc == 2 ]] && grep -q "ops_figures.sh: --out needs a directory" "$dir/err.txt" || fail "--out without a directory: $rc"
    ;;
  *) echo "unknown case $case_"; exit 2 ;;
esac
echo "figures $case_: ok"
