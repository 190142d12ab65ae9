#!/usr/bin/env bash
# `sheafsim explore` (docs/explore.md): one row per point with every setting
# and metric; infeasible points are rows with a reason; the training metrics
# are those of `sheafsim train --arith fixed` at the point's formats, shared
# by the architecture points; the derived figures add up; every front point
# is non-dominated and every feasible point off the fronts is dominated;
# --jobs 1 and --jobs 2 write the same files; a fresh run over an unfinished
# checkpoint is refused and --resume finishes it. python3's json and csv only.
set -eu
sheafsim=$1 dir=$2/explore
rm -rf "$dir"
mkdir -p "$dir"
export SHEAFSIM_DETERMINISTIC=1 SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
cat >"$dir/explore.toml" <<'TOML'
[run]
layers = "2,8,1"
weight-seed = 1
task = "paraboloid"
n-train = 48
n-test = 24
dt = 0.02
steps = 300
stalk-init = "random"
[axes]
stalk = ["Q4.8", "Q4.12"]
round = ["rnd_conv", "stoch"]
mesh = ["1x1", "2x2"]
schedule = ["dataflow", "barrier"]
chunk = [0, 8]
[cost]
sim-steps = 2
TOML
"$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/a" --jobs 1 --no-plots >"$dir/a.txt"
"$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/b" --jobs 2 --no-plots >/dev/null
for f in explore.csv pareto.csv summary.json; do cmp "$dir/a/$f" "$dir/b/$f"; done
grep -qE "^points: +32$" "$dir/a.txt"
grep -qE "^training_runs: +4 " "$dir/a.txt"
[ ! -e "$dir/a/checkpoint" ] || { echo "FAIL: the checkpoint outlived a finished run"; exit 1; }
# The training of one numeric setting, by `train`.
sed -n '/^\[run\]/,/^\[axes\]/p' "$dir/explore.toml" | grep -v '^\[' >"$dir/train.toml"
"$sheafsim" train --config "$dir/train.toml" --arith fixed \
  --stalk-format Q4.12 --round stoch --log-every 300 --report "$dir/train.json" >/dev/null

python3 - "$dir" <<'PY'
import csv, json, math, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/a/explore.csv")))
s = json.load(open(f"{d}/a/summary.json"))
assert len(rows) == 32 == s["points"], len(rows)
for col in ("point", "stalk", "round", "mesh", "lanes", "link_width_bits", "sram_kib", "chunk_samples", "schedule",
            "clock_mhz", "steps", "word_length_bits", "feasible", "reason", "test_loss", "cycles_per_step",
            "time_per_step_us", "energy_per_step_uJ", "energy_to_train_uJ", "time_to_train_us", "area_mm2",
            "static_power_uW", "clock_source"):
    assert col in rows[0], col
f = lambda r, k: float(r[k]) if r[k] != "" else math.nan
infeasible = [r for r in rows if r["feasible"] == "0"]
feasible = [r for r in rows if r["feasible"] == "1"]
# 1x1 cannot hold the tiles without time multiplexing; barrier with chunk 8 is not a design.
assert all(r["reason"] for r in infeasible) and all(r["energy_to_train_uJ"] == "" for r in infeasible)
assert all(r["mesh"] == "1x1" or (r["schedule"] == "barrier" and r["chunk_samples"] == "8") for r in infeasible)
assert any("chunk" in r["reason"] for r in infeasible) and any(r["mesh"] == "1x1" for r in infeasible)
assert len(feasible) == 12, len(feasible)  # 2x2: dataflow x {0, 8} and barrier x {0}, x 4 numeric settings
assert s["feasible_points"] == len(feasible) and s["infeasible_points"] == 32 - len(feasible)
# The derived figures.
for r in feasible:
    steps = f(r, "steps")
    assert abs(f(r, "time_per_step_us") - f(r, "cycles_per_step") / f(r, "clock_mhz")) <= 1e-12 * f(r, "time_per_step_us")
    assert abs(f(r, "energy_to_train_uJ") - steps * f(r, "energy_per_step_uJ")) <= 1e-9 * f(r, "energy_to_train_uJ")
    assert abs(f(r, "time_to_train_us") - steps * f(r, "time_per_step_us")) <= 1e-9 * f(r, "time_to_train_us")
    assert f(r, "area_mm2") > 0 and f(r, "cycles_per_step") > 0 and 0 < f(r, "mac_utilisation") <= 1
# The training metrics are shared by the architecture points of a numeric setting, and are train's.
by_numeric = {}
for r in rows:
    by_numeric.setdefault((r["stalk"], r["round"]), set()).add(r["test_loss"])
assert all(len(v) == 1 for v in by_numeric.values()), by_numeric
t = json.load(open(f"{d}/train.json"))
want = t["history"][-1]["test_loss"] if "history" in t else t["final"]["test_loss"]
got = float(next(iter(by_numeric[("Q4.12", "stoch")])))
assert got == want, (got, want)
# Fronts: non-dominated, and every other eligible point dominated.
q = s["quality"]["column"]; assert q == "test_loss" and s["quality"]["better"] == "lower"
def dominated(a, b):  # b dominates a
    return all(x <= y for x, y in zip(b, a)) and any(x < y for x, y in zip(b, a))
for front, cols in (("accuracy_energy_area", ("energy_to_train_uJ", "area_mm2")), ("accuracy_time", ("time_to_train_us",))):
    elig = [r for r in feasible if r["diverged"] == "0"]
    vec = {int(r["point"]): [f(r, q)] + [f(r, c) for c in cols] for r in elig}
    on = set(s["fronts"][front])
    assert on, front
    for p, v in vec.items():
        dom = any(dominated(v, w) for k, w in vec.items() if k != p)
        assert dom == (p not in on), (front, p)
pareto = list(csv.DictReader(open(f"{d}/a/pareto.csv")))
assert len(pareto) == len(s["fronts"]["accuracy_energy_area"]) + len(s["fronts"]["accuracy_time"])
assert s["sample"]["method"] == "grid" and s["sample"]["grid_size"] == 32
assert "wall_time_s" not in json.dumps(s)
tm = json.load(open(f"{d}/a/timing.json"))
assert tm["tasks"] == 4 + 32 and tm["computed"] == 36, tm
print("explore files ok:", len(feasible), "feasible of", len(rows))
PY

# Random and Latin-hypercube samples of 5 points.
for m in random lhs; do
  sed "s/^\[axes\]/[sample]\nmethod = \"$m\"\npoints = 5\nseed = 3\n[axes]/" "$dir/explore.toml" >"$dir/$m.toml"
  "$sheafsim" explore --config "$dir/$m.toml" --out-dir "$dir/$m" --no-plots >/dev/null
  n=$(($(wc -l <"$dir/$m/explore.csv") - 1))
  [ "$n" -ge 1 ] && [ "$n" -le 5 ] || { echo "FAIL: $m sample has $n rows"; exit 1; }
done

# An unfinished checkpoint: a fresh run is refused, --resume finishes it.
mkdir -p "$dir/r"
"$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/r" --no-plots >/dev/null
python3 - "$dir" <<'PY'
import json, os, sys
d = sys.argv[1]
# Rebuild what an interrupted run leaves: run.json and the first 5 tasks of the finished run's results are not
# kept, so make the checkpoint by running with an interrupt is the MPI test's job; here: a foreign checkpoint.
os.makedirs(f"{d}/r/checkpoint", exist_ok=True)
json.dump({"fingerprint": "{}", "tasks": 36, "format": 1}, open(f"{d}/r/checkpoint/run.json", "w"))
PY
if "$sheafsim" explore --config "$dir/explore.toml" --out-dir "$dir/r" --no-plots >/dev/null 2>"$dir/r.err"; then
  echo "FAIL: a fresh run over a checkpoint was not refused"; exit 1; fi
grep -q "continue it with --resume" "$dir/r.err"
if "$sheafsim" explore --resume "$dir/r" --no-plots >/dev/null 2>"$dir/r2.err"; then
  echo "FAIL: a foreign checkpoint was resumed"; exit 1; fi
grep -q "belongs to another run" "$dir/r2.err"

# Ctrl-C in one process: the finished tasks stay in the checkpoint, exit 130,
# and --resume finishes with the files of an uninterrupted run.
sed 's/^steps = 300/steps = 30000/' "$dir/explore.toml" >"$dir/long.toml"
"$sheafsim" explore --config "$dir/long.toml" --out-dir "$dir/long-full" --jobs 1 --no-plots >/dev/null
"$sheafsim" explore --config "$dir/long.toml" --out-dir "$dir/long" --jobs 1 --no-plots >/dev/null 2>"$dir/long.err" &
pid=$!
for _ in $(seq 1 600); do
  [ "$(ls "$dir/long/checkpoint" 2>/dev/null | grep -c '^task-' || true)" -ge 1 ] && break
  sleep 0.05
done
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
[ "$rc" -eq 130 ] || { cat "$dir/long.err"; echo "FAIL: exit $rc after SIGINT, expected 130"; exit 1; }
grep -q "interrupted by SIGINT with [0-9]* of 36 tasks finished; they are in .*checkpoint: continue with --resume" "$dir/long.err" \
  || { cat "$dir/long.err"; echo "FAIL: no resumable message"; exit 1; }
"$sheafsim" explore --resume "$dir/long" --no-plots >"$dir/long-resumed.txt"
grep -qE "^tasks_from_checkpoint: +[1-9][0-9]* of 36" "$dir/long-resumed.txt"
for f in explore.csv pareto.csv summary.json; do cmp "$dir/long-full/$f" "$dir/long/$f"; done
echo "ok"
