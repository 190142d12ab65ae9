#!/usr/bin/env bash
# The infer result JSON has the documented shape and the relaxed output equals
# the forward pass. Uses python3's json module only (no third-party packages).
set -eu
sheafsim=$1 dir=$2
"$sheafsim" infer --net "$dir/net.json" --input "$dir/test.csv" --tol 1e-12 --out "$dir/schema.json" >/dev/null
python3 - "$dir/schema.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert isinstance(r["steps"], int) and r["steps"] > 0, r["steps"]
assert r["converged"] is True
assert len(r["samples"]) == 5, len(r["samples"])
for s in r["samples"]:
    assert len(s["z"]) == 2 and len(s["z"][0]) == 3 and len(s["z"][1]) == 1
    assert len(s["a"]) == 1 and len(s["a"][0]) == 3
    # the tolerance stop bounds the step, not the error: error ~ tol / (alpha dt lambda_min)
    assert abs(s["output"][0] - s["forward_output"][0]) < 1e-8, s
    assert s["output"][0] == s["z"][1][0]
print("infer JSON schema ok:", r["steps"], "steps")
PY
