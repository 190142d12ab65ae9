#!/usr/bin/env bash
# `sheafsim compare`: the files it writes have the documented shape and the
# numbers they should (docs/file-formats.md "compare.json", "trace.csv",
# "sweep.csv", "summary.json"). Uses python3's json and csv modules only.
set -eu
sheafsim=$1 dir=$2/compare
rm -rf "$dir"
mkdir -p "$dir"
net=(--task paraboloid --layers 2,6,1 --n-train 40 --n-test 10)

# 1. One run: 40 steps sampled every 10 -> 5 samples x 7 quantities (z1 a1 W1 b1 z2 W2 b2).
"$sheafsim" compare "${net[@]}" --steps 40 --trace-every 10 --out "$dir/one" --no-plots >"$dir/one.txt"
# 2. Wide formats with step constants exact in Q1.23 (dt = 2^-7, beta dt = 2^-7/16): float to 1e-9.
"$sheafsim" compare --task paraboloid --layers 2,6,1 --n-train 16 --n-test 0 --dt 0.0078125 --steps 60 \
  --stalk-format Q8.40 --weight-format Q8.40 --bias-format Q8.40 --residual-format Q8.40 --acc-bits 96 --constant-format Q1.23 \
  --trace-every 20 --out "$dir/wide" --no-plots >/dev/null
# 3. The SystemC mesh computes the bit-accurate model's bits: the same trace, byte for byte.
"$sheafsim" compare "${net[@]}" --steps 40 --trace-every 10 --round stoch --out "$dir/ba" --no-plots >/dev/null
"$sheafsim" compare "${net[@]}" --steps 40 --trace-every 10 --round stoch --engine systemc --mesh 2x2 \
  --time-multiplex true --out "$dir/sc" --no-plots >/dev/null
cmp "$dir/ba/trace.csv" "$dir/sc/trace.csv"
# 4. A sweep, with 1 and with 2 jobs: byte-identical sweep.csv.
sweep="stalk=Q4.6..Q4.10:2,weight=Q4.8|Q4.12,round=rnd_conv|stoch"
"$sheafsim" compare "${net[@]}" --steps 300 --sweep "$sweep" --jobs 1 --out "$dir/s1" --no-plots >"$dir/s1.txt"
"$sheafsim" compare "${net[@]}" --steps 300 --sweep "$sweep" --jobs 2 --out "$dir/s2" --no-plots >/dev/null
cmp "$dir/s1/sweep.csv" "$dir/s2/sweep.csv"
# 5. Narrow stalks clip the hidden layer (|z_1| reaches 2.5); wide weights waste integer bits: both named.
"$sheafsim" compare "${net[@]}" --steps 40 --stalk-format Q2.10 --weight-format Q8.8 --out "$dir/range" --no-plots \
  >"$dir/range.txt" 2>"$dir/range.err"
grep -q "clips" "$dir/range.txt"
grep -q "sheafsim: warning: layer1_z clips" "$dir/range.err"
grep -qE "layer1_W_range: +wastes [0-9]+ integer bits" "$dir/range.txt"

python3 - "$dir" <<'PY'
import csv, json, math, sys
d = sys.argv[1]

# compare.json
j = json.load(open(f"{d}/one/compare.json"))
assert j["command"] == "compare" and j["engine"] == "bit-accurate", j["command"]
assert j["steps"] == 40 and j["trace_every_steps"] == 10 and j["trace_samples"] == 5, j
for side in ("float", "fixed"):
    f = j["final"][side]
    assert set(f) == {"train_loss", "test_loss", "train_accuracy", "test_accuracy"}, f
    assert f["train_loss"] > 0 and f["test_loss"] > 0 and f["train_accuracy"] is None
assert abs(j["final"]["train_loss_relative_gap"] -
           (j["final"]["fixed"]["train_loss"] - j["final"]["float"]["train_loss"]) / j["final"]["float"]["train_loss"]) < 1e-12
assert [l["layer"] for l in j["layers"]] == [1, 2]
assert sorted(j["layers"][0]["quantities"]) == ["W", "a", "b", "z"] and sorted(j["layers"][1]["quantities"]) == ["W", "b", "z"]
q = j["layers"][0]["quantities"]["W"]
for key in ("format", "format_min", "format_max", "float", "fixed", "saturations", "lost_updates", "verdict",
            "clips", "needed_int_bits", "unused_int_bits", "max_abs_diff", "max_rel_rms_diff"):
    assert key in q, key
assert q["format"] == "Q4.12" and q["format_min"] == -8 and q["format_max"] == 8 - 2**-12
assert q["float"]["min"] <= q["float"]["max"] and q["max_abs_diff"] > 0
assert set(j["layers"][0]["saturations"]) >= {"z", "a", "weight", "bias", "residual", "accumulator", "input"}
assert j["diverged"] == {"float": False, "fixed": False}

# trace.csv: one row per sampled step x layer x quantity
rows = list(csv.DictReader(open(f"{d}/one/trace.csv")))
header = open(f"{d}/one/trace.csv").readline().strip().split(",")
assert header == ["step", "layer", "quantity", "format", "max_abs_diff", "rms_diff", "rel_rms_diff",
                  "float_min", "float_max", "fixed_min", "fixed_max"], header
assert len(rows) == 5 * 7, len(rows)
assert sorted({int(r["step"]) for r in rows}) == [0, 10, 20, 30, 40]
assert [r["quantity"] for r in rows[:7]] == ["z", "a", "W", "b", "z", "W", "b"]
assert any(float(r["max_abs_diff"]) > 1e-6 for r in rows)  # Q4.12 differs from float

wide = list(csv.DictReader(open(f"{d}/wide/trace.csv")))
assert len(wide) == 4 * 7, len(wide)
worst = max(float(r["max_abs_diff"]) for r in wide)
assert worst < 1e-9, worst

# SystemC: same final fixed losses
a, b = json.load(open(f"{d}/ba/compare.json")), json.load(open(f"{d}/sc/compare.json"))
assert a["final"] == b["final"] and b["engine"] == "systemc" and "mesh" in b

# sweep.csv
srows = list(csv.DictReader(open(f"{d}/s1/sweep.csv")))
sheader = open(f"{d}/s1/sweep.csv").readline().strip().split(",")
assert sheader == ["point", "stalk", "weight", "bias", "residual", "constant", "acc_bits", "round", "overflow",
                   "word_length_bits", "float_train_loss", "fixed_train_loss", "float_test_loss", "fixed_test_loss",
                   "float_train_accuracy", "fixed_train_accuracy", "float_test_accuracy", "fixed_test_accuracy",
                   "loss_relative_gap", "saturations", "lost_updates", "diverged"], sheader
assert len(srows) == 3 * 2 * 2, len(srows)
assert [r["stalk"] for r in srows[::4]] == ["Q4.6", "Q4.8", "Q4.10"]
assert [int(r["word_length_bits"]) for r in srows[:4]] == [22, 22, 26, 26]
for r in srows:
    gap = (float(r["fixed_test_loss"]) - float(r["float_test_loss"])) / float(r["float_test_loss"])
    assert abs(gap - float(r["loss_relative_gap"])) < 1e-12
assert len({r["float_test_loss"] for r in srows}) == 1  # one float reference

# summary.json: the smallest word length within 5 %, from the rows
s = json.load(open(f"{d}/s1/summary.json"))
t = s["tasks"]["paraboloid"]
assert t["loss"] == "test" and t["loss_tolerance"] == 0.05 and t["points"] == 12
ok = [r for r in srows if float(r["loss_relative_gap"]) <= 0.05]
if ok:
    best = min(int(r["word_length_bits"]) for r in ok)
    assert t["smallest"]["word_length_bits"] == best, (t["smallest"], best)
    assert t["smallest"]["round"] in t["smallest"]["modes_within"]
else:
    assert t["smallest"] is None
assert set(t["smallest_per_round"]) == {"rnd_conv", "stoch"}

# the range verdicts
r = json.load(open(f"{d}/range/compare.json"))
z1 = r["layers"][0]["quantities"]["z"]
assert z1["clips"] is True and z1["verdict"] == "clips" and z1["float"]["max"] > z1["format_max"], z1
w1 = r["layers"][0]["quantities"]["W"]
assert w1["clips"] is False and w1["unused_int_bits"] >= 4 and w1["verdict"].startswith("wastes"), w1
assert any(f.startswith("layer1_z: clips") for f in r["findings"]), r["findings"]
print("compare files ok: worst wide-format difference", worst)
PY
