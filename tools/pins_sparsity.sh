#!/usr/bin/env bash
# The worked example of docs/validation.md "Partial clamping": sheaf training
# of the paraboloid network [2,30,1] (configs/paraboloid-reference.toml, 20k
# steps) with a soft pin of the hidden activations a_1 toward 0 at strength
# gamma; for each gamma the train and test MSE and the fraction of hidden
# activations of the trained network's forward pass on the test inputs that
# are near zero (|a| < 1e-3). Prints a markdown table. About 6 s.
#   tools/pins_sparsity.sh build/sw/sheafsim build/pins-sparsity
set -euo pipefail
S=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
"$S" data --task paraboloid --n-train 300 --n-test 100 --data-seed 42 --out "$out/train.csv" --test-out "$out/test.csv" >/dev/null
echo "| gamma | train MSE | test MSE | hidden activations near 0 (test inputs) | mean \|a_1\| |"
echo "|---|---|---|---|---|"
for g in 0 0.03 0.1 0.3 1 3; do
  pins=()
  if [[ $g != 0 ]]; then
    echo "{\"pins\": [{\"kind\": \"soft\", \"stalk\": \"a\", \"layer\": 1, \"coords\": \"all\", \"values\": 0.0, \"gamma\": $g}]}" > "$out/pins-$g.json"
    pins=(--pins "$out/pins-$g.json")
  fi
  "$S" train --config "$root/configs/paraboloid-reference.toml" --steps 20000 --log-every 20000 "${pins[@]}" \
    --out-net "$out/net-$g.json" --report "$out/train-$g.json" >/dev/null 2>&1
  "$S" infer --net "$out/net-$g.json" --input "$out/test.csv" --stalk-init forward --steps 1 --out "$out/fwd-$g.json" >/dev/null
  python3 - "$out" "$g" <<'PY'
import json, sys
out, g = sys.argv[1], sys.argv[2]
t = json.load(open(f"{out}/train-{g}.json"))
h = t["history"][-1]
acts = [v for s in json.load(open(f"{out}/fwd-{g}.json"))["samples"] for v in s["a"][0]]
near = sum(1 for v in acts if abs(v) < 1e-3) / len(acts)
mean = sum(abs(v) for v in acts) / len(acts)
print(f"| {g} | {h['train_loss']:.4f} | {h['test_loss']:.4f} | {100 * near:.1f} % | {mean:.3f} |")
PY
done
