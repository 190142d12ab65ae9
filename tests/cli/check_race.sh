#!/usr/bin/env bash
# `sheafsim race`: race.json and race.md have the documented shape
# (docs/file-formats.md "Race report"), the energy split adds up, the steps to
# target are those of the separate `train` runs, SID joins at the
# operation-count level, and a rerun is byte-identical. python3's json only.
set -eu
sheafsim=$1 dir=$2/race
rm -rf "$dir"
mkdir -p "$dir"
export SHEAFSIM_DETERMINISTIC=1 SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
common='layers = "2,8,1"
output = "identity"
weight-seed = 1
task = "paraboloid"
n-train = 64
n-test = 32
data-seed = 42
steps = 3000
log-every = 1000'
printf '%s\nmethod = "sheaf"\ndt = 0.02\nstalk-init = "random"\n' "$common" >"$dir/sheaf.toml"
printf '%s\nmethod = "sgd"\nlr = 0.02\n' "$common" >"$dir/sgd.toml"
race=(race --sheaf-config "$dir/sheaf.toml" --sgd-config "$dir/sgd.toml" --target-loss 1.5 --eval-every 50
      --round stoch --mesh 2x2 --sim-steps 8 --no-plots)
"$sheafsim" "${race[@]}" --out-dir "$dir/a" >"$dir/a.txt"
"$sheafsim" "${race[@]}" --out-dir "$dir/b" >/dev/null
cmp "$dir/a/race.json" "$dir/b/race.json"
cmp "$dir/a/race.md" "$dir/b/race.md"
grep -qE "^sgd_steps_to_target: +[0-9]+$" "$dir/a.txt"
# The separate fixed-point runs, evaluated every 50 steps.
"$sheafsim" train --config "$dir/sgd.toml" --arith fixed --round stoch --log-every 50 --report "$dir/sgd.json" >/dev/null
"$sheafsim" train --config "$dir/sheaf.toml" --arith fixed --round stoch --log-every 50 --report "$dir/sheaf.json" >/dev/null
# SID joins a classification race at the operation-count level (blobs, softmax).
blobs='layers = "2,12,4"
output = "softmax"
weight-seed = 0
task = "blobs"
n-train = 96
n-test = 48
data-seed = 42
steps = 2000
log-every = 1000'
printf '%s\nmethod = "sheaf"\ndt = 0.1\n' "$blobs" >"$dir/b-sheaf.toml"
printf '%s\nmethod = "sgd"\nlr = 0.5\n' "$blobs" >"$dir/b-sgd.toml"
printf '%s\nmethod = "sid"\nlr = 0.5\n' "$blobs" >"$dir/b-sid.toml"
"$sheafsim" race --sheaf-config "$dir/b-sheaf.toml" --sgd-config "$dir/b-sgd.toml" --sid-config "$dir/b-sid.toml" \
  --target-accuracy 0.8 --eval-every 50 --mesh 2x2 --sim-steps 4 --no-plots --out-dir "$dir/c" >"$dir/c.txt"

# A step budget caps a run that cannot reach its target; a 1x1 time-multiplexed
# mesh has no links; a target the initial network already meets ends at step 0.
"$sheafsim" "${race[@]}" --target-loss 1e-9 --max-steps 200 --out-dir "$dir/cap" >"$dir/cap.txt"
grep -qE "^sheaf_steps_to_target: +not reached$" "$dir/cap.txt"
"$sheafsim" race --sheaf-config "$dir/sheaf.toml" --sgd-config "$dir/sgd.toml" --target-loss 1.5 --eval-every 50 \
  --round stoch --mesh 1x1 --time-multiplex true --sim-steps 4 --no-plots --out-dir "$dir/one" >/dev/null
"$sheafsim" "${race[@]}" --target-loss 1000 --out-dir "$dir/zero" >/dev/null

python3 - "$dir" <<'PY'
import json, math, sys
d = sys.argv[1]

def close(a, b, rel=1e-9):
    assert abs(a - b) <= rel * max(abs(a), abs(b), 1e-300), (a, b)

j = json.load(open(f"{d}/a/race.json"))
assert j["command"] == "race" and j["target"]["rule"] == "test loss <= 1.5", j["target"]
assert [m["method"] for m in j["methods"]] == ["sheaf", "sgd"]
clock = j["clock_mhz"]
assert j["clock_source"].startswith("the RTL PE's fmax"), j["clock_source"]
for m in j["methods"]:
    assert m["level"] == "mesh simulation"
    # steps to target: the first history point of the separate run that meets the target.
    hist = json.load(open(f"{d}/{m['method']}.json"))["history"]
    first = next(h["step"] for h in hist if h["test_loss"] <= 1.5)
    assert m["steps_to_target"] == first, (m["method"], m["steps_to_target"], first)
    assert m["curve"][-1]["step"] == first  # the run stops at the target
    n, ps, t = first, m["per_step"], m["to_target"]
    close(t["cycles"], n * ps["cycles"])
    close(t["time_us"], n * ps["cycles"] / clock)
    close(t["static_uJ"], m["static_power_uW"] * t["time_us"] * 1e-6)
    close(t["energy_uJ"], t["arithmetic_uJ"] + t["sram_uJ"] + t["links_uJ"] + t["static_uJ"])
    close(ps["dynamic_pJ"], ps["arithmetic_pJ"] + ps["sram_pJ"] + ps["links_pJ"])
    assert ps["simulated_steps"] == 8 and ps["cycles"] > 0 and 0 < ps["mac_utilisation"] <= 1
    assert m["peak_sram_bits_per_pe"] > 0 and m["static_power_uW"] > 0
    assert m["mesh_report"]["method"] == m["method"], m["mesh_report"].get("method")
    assert m["settings"], m["method"]
    # Static power: every PE's logic, every SRAM bit (PEs and vertex units) and every link, from the table.
    mp, en = m["mesh_report"]["mapping"], j["energy_table"]["entries"]
    bits = mp["pes"] * mp["sram_bits_per_pe"] + mp["vertex_groups"] * mp["vertex_sram_bits_per_unit"]
    assert en["leakage_sram_bit"]["unit"] == "pW/bit" and en["leakage_pe"]["unit"] == en["leakage_link"]["unit"] == "uW"
    close(m["static_power_uW"], mp["pes"] * en["leakage_pe"]["value"] + bits * en["leakage_sram_bit"]["value"] * 1e-6
          + mp["links"] * en["leakage_link"]["value"])
    assert m["config"] == f"{d}/{m['method']}.toml" and m["config_comment"] == "", m["config_comment"]
md = open(f"{d}/a/race.md").read()
assert md.startswith("# Race to test loss <= 1.5"), md[:40]
assert "| sheaf |" in md and "| sgd |" in md and "Static power of the mesh" in md
# Provenance: each method's hyper-parameters and file, and the leakage entries with their sources.
assert f"- **sgd**: lr 0.02 from `{d}/sgd.toml`. The file does not say how they were chosen." in md, md
assert "- **sheaf**: alpha 1, beta 0.015625, dt 0.02, inner 1, stalk_init random" in md, md
assert "  - leakage_pe: 1677 uW (DERIVED from an ASSUMPTION" in md, md

cap = json.load(open(f"{d}/cap/race.json"))
for m in cap["methods"]:
    assert m["reached_target"] is False and m["to_target"] is None and m["steps_run"] == 200, m["steps_run"]
    assert m["curve"][-1]["step"] == 200
assert cap["max_steps"] == 200
assert "- **sheaf** did not reach the target in 200 steps." in open(f"{d}/cap/race.md").read()

one = json.load(open(f"{d}/one/race.json"))
for m in one["methods"]:
    assert m["mesh_report"]["mapping"]["links"] == 0 and m["per_step"]["link_utilisation"] is None
    assert m["per_step"]["links_pJ"] == 0 and m["to_target"]["links_uJ"] == 0

zero = open(f"{d}/zero/race.md").read()
assert "nan" not in zero and "- **sheaf** meets the target at step 0, before any training" in zero, zero
assert "gets there first" not in zero and "| sheaf | 0 | 0 us | 0 nJ | n/a |" in zero, zero
for m in json.load(open(f"{d}/zero/race.json"))["methods"]:
    assert m["steps_to_target"] == 0 and m["to_target"]["energy_uJ"] == 0

c = json.load(open(f"{d}/c/race.json"))
assert [m["method"] for m in c["methods"]] == ["sheaf", "sgd", "sid"]
sid = c["methods"][2]
assert sid["level"] == "operation counts (no mesh model)" and sid["per_step"]["cycles"] is None
assert sid["static_power_uW"] is None and sid["per_step"]["arithmetic_pJ"] > 0
if sid["to_target"] is not None:
    assert sid["to_target"]["time_us"] is None
    close(sid["to_target"]["energy_uJ"], sid["steps_to_target"] * sid["per_step"]["arithmetic_pJ"] * 1e-6)
print("race files ok")
PY
