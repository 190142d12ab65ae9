#!/usr/bin/env bash
# Checks of the reports and statistics blocks (issue 15; docs/reports.md).
# Usage: check_reports.sh CASE SHEAFSIM OUT_DIR [SOURCE_DIR]; one CASE per test (tests/cli/reports.cmake).
set -euo pipefail
case_=$1 S=$2 d=$3/reports-$1 src=${4:-}
rm -rf "$d" && mkdir -p "$d"
fail() { echo "FAIL ($case_): $*"; exit 1; }
row() { sed -n "s/^$1: *//p" "$2" | head -1; }  # the value of a statistics row
small=(--task paraboloid --layers 2,4,1 --n-train 12 --n-test 4 --mesh 2x2 --time-multiplex true)
small_infer=(--task paraboloid --layers 2,4,1 --n-train 12 --mesh 2x2 --time-multiplex true)  # no test set: --mode infer refuses --n-test

case "$case_" in
not_applicable)
  # A field that does not apply: n/a in the block, null in JSON; never 0.
  "$S" simulate "${small[@]}" --steps 4 --inner 1 --report "$d/train.json" > "$d/train.log"
  "$S" simulate "${small_infer[@]}" --steps 4 --mode infer --report "$d/infer.json" > "$d/infer.log"
  "$S" simulate "${small[@]}" --steps 4 --inner 2 --report "$d/inner2.json" > "$d/inner2.log"
  [[ $(row cycles_per_diffusion_step "$d/train.log") == n/a ]] || fail "training (inner 1): cycles_per_diffusion_step is not n/a"
  [[ $(row cycles_per_training_step "$d/infer.log") == n/a ]] || fail "--mode infer: cycles_per_training_step is not n/a"
  [[ $(row cycles_per_diffusion_step "$d/inner2.log") =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "inner 2: cycles_per_diffusion_step not a number"
  [[ $(row cycles_per_training_step "$d/inner2.log") =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "inner 2: cycles_per_training_step not a number"
  python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
t, i, k = (json.load(open(f"{d}/{n}.json"))["mesh"] for n in ("train", "infer", "inner2"))
assert t["cycles_per_diffusion_step"] is None and t["diffusion_steps"] == 0, t
assert i["cycles_per_training_step"] is None and i["joint_steps"] == 0, i
assert k["cycles_per_training_step"] is not None and k["cycles_per_diffusion_step"] is not None, k
PY
  ;;
integers)
  # Integers print as integers: the 8x8 demo's cycles (1.142e+04 before), counts in block, JSON and CSV.
  "$S" simulate --config "$src/configs/mesh-paraboloid.toml" --mesh 8x8 --steps 6 --log-every 3 \
    --report "$d/r.json" --counters "$d/c.csv" > "$d/b.log"
  for r in total_cycles cycles_per_step cycles_per_training_step macs_total flits flit_hops messages lost_updates \
           update_register_writes saturations steps param_updates sim_cycles_per_wall_second; do
    [[ $(row "$r" "$d/b.log") =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "$r is not written as a number without exponent: $(row "$r" "$d/b.log")"
  done
  python3 - "$d" <<'PY'
import csv, json, sys
d = sys.argv[1]
m = json.load(open(f"{d}/r.json"))["mesh"]
for k in ("total_cycles", "steps", "joint_steps", "macs", "flits", "flit_hops", "messages", "register_writes"):
    assert isinstance(m[k], int), (k, m[k])
assert isinstance(m["cycles_per_training_step"], (int, float))
for group in ("pe_totals", "vertex_totals", "link_totals"):
    for k, v in m[group].items():
        assert isinstance(v, int), (group, k, v)
for row in csv.DictReader(open(f"{d}/c.csv")):
    for k, v in row.items():
        if k in ("kind", "name"):
            continue
        assert v == "" or v.isdigit(), (k, v)
PY
  ;;
flits)
  # flits (sent) and flit_hops (link traversals): block, JSON and counters CSV agree.
  # (Snake placement: routes of several links, so the two counts differ.)
  "$S" simulate "${small[@]}" --tile-order snake --steps 3 --inner 1 --report "$d/r.json" --counters "$d/c.csv" > "$d/b.log"
  python3 - "$d" "$(row flits "$d/b.log")" "$(row flit_hops "$d/b.log")" "$(row messages "$d/b.log")" <<'PY'
import csv, json, sys
d, flits, hops, msgs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
m = json.load(open(f"{d}/r.json"))["mesh"]
rows = list(csv.DictReader(open(f"{d}/c.csv")))
units = [r for r in rows if r["kind"] != "link"]
links = [r for r in rows if r["kind"] == "link"]
assert links and all(r["flits"] == "" and r["messages"] == "" for r in links), "link rows: flits/messages must be empty"
assert all(r["wait_cycles"] == "" for r in units), "unit rows: wait_cycles must be empty"
sent = sum(int(r["flits"]) for r in units)
unit_hops = sum(int(r["flit_hops"]) for r in units)
link_hops = sum(int(r["flit_hops"]) for r in links)
assert m["flits"] == flits == sent, (m["flits"], flits, sent)
assert m["flit_hops"] == hops == unit_hops == link_hops == m["link_totals"]["flit_hops"], (m["flit_hops"], hops, unit_hops, link_hops)
assert m["messages"] == msgs == sum(int(r["messages"]) for r in units)
assert "flits" not in m["link_totals"], "link_totals.flits was the flit-hops: renamed flit_hops"
assert flits < hops, "flits routed over more than one link: hops exceed flits"
PY
  ;;
ops_mesh)
  # ops --mesh (analytic) uses the simulator's names and numbers: flits, flit_hops, messages.
  "$S" simulate "${small[@]}" --steps 3 --inner 1 --report "$d/r.json" > /dev/null
  "$S" ops --layers 2,4,1 --batch 12 --mesh 2x2 --time-multiplex true --out "$d/ops.json" > "$d/ops.log"
  grep -qE '^mesh_flits_per_training_step: +[0-9]+$' "$d/ops.log" || fail "ops block: no mesh_flits_per_training_step"
  python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
m = json.load(open(f"{d}/r.json"))["mesh"]
o = json.load(open(f"{d}/ops.json"))["mesh"]["per_training_step"]
assert "link_flits" not in o, "link_flits renamed: flits (sent), flit_hops"
for k in ("flits", "flit_hops", "messages", "register_writes"):
    ana = o[k] if k in o else o["pe_totals"][k] + o["vertex_totals"][k]
    assert m[k] == 3 * ana, (k, m[k], ana)
PY
  ;;
lost_updates)
  # lost_updates with its denominator; update writes + residual writes = the mesh's register writes.
  "$S" simulate "${small[@]}" --steps 4 --inner 2 --report "$d/r.json" > "$d/b.log"
  [[ $(row update_register_writes "$d/b.log") =~ ^[1-9][0-9]*$ ]] || fail "no update_register_writes row"
  [[ $(row lost_updates_fraction "$d/b.log") =~ ^[0-9.e-]+\ \(of\ update_register_writes\)$ ]] || fail "lost_updates_fraction row"
  [[ $(row train_samples "$d/b.log") == 12 && $(row test_samples "$d/b.log") == 4 ]] || fail "the sample counts are not in the block"
  row s_used "$d/b.log" | grep -q 'alpha\*dt rounded to Q1.31' || fail "s_used is not explained"
  row eta_used "$d/b.log" | grep -q 'beta\*dt rounded to Q1.31' || fail "eta_used is not explained"
  python3 - "$d" <<'PY'
import json, sys
j = json.load(open(f"{sys.argv[1]}/r.json"))
c, m = j["fixed"]["counters"], j["mesh"]
residual_writes = 12 * (4 + 1) * j["steps"]            # one u per neuron of layers 1..L, sample and step
assert c["update_register_writes"] + residual_writes == m["register_writes"], (c, m["register_writes"])
assert abs(c["lost_updates_fraction"] - c["lost_updates_total"] / c["update_register_writes"]) < 1e-15
PY
  ;;
rtl_cycles)
  "$S" simulate "${small[@]}" --steps 2 --rtl-pe --rtl-timing --report "$d/r.json" > "$d/b.log"
  [[ $(row rtl_cycles "$d/b.log") =~ ^[1-9][0-9]*$ ]] || fail "no rtl_cycles row"
  row rtl_timing "$d/b.log" | grep -q "^rtl (PE chunks take the RTL's cycles)" || fail "rtl_timing does not say whose cycles the mesh took"
  [[ $(row rtl_differing_chunks "$d/b.log") == 0 ]] || fail "PE chunks differ from the annotation"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['rtl_pe']; assert r['rtl_cycles'] > 0 and r['timing'] == 'rtl' and len(r['steps']) == 2 and r['rtl_chunk_cycles'] == r['model_chunk_cycles'] > 0, r" "$d/r.json"
  ;;
spectrum_hint)
  "$S" init --layers 2,5,1 --out "$d/n.json" > /dev/null
  "$S" data --task paraboloid --n 25 --out "$d/x.csv" > /dev/null
  "$S" spectrum --net "$d/n.json" --input "$d/x.csv" > "$d/a.log"
  grep -q '15 more samples not shown: add --out FILE' "$d/a.log" || fail "without --out: no hint how to get the samples"
  "$S" spectrum --net "$d/n.json" --input "$d/x.csv" --out "$d/s.json" > "$d/b.log"
  grep -q "15 more samples in $d/s.json" "$d/b.log" || fail "with --out: the file is not named"
  python3 -c "import json,sys; assert len(json.load(open(sys.argv[1]))['samples']) == 25" "$d/s.json"
  ;;
sweep_csv_empty)
  # A regression's accuracy: empty in sweep.csv and trace.csv, as null in summary.json; never nan.
  "$S" compare "${small[@]:0:8}" --steps 20 --no-plots --sweep "stalk=Q4.10|Q4.12" --jobs 1 --out "$d/s" > /dev/null
  "$S" compare "${small[@]:0:8}" --steps 20 --no-plots --out "$d/c" > /dev/null
  if grep -qi 'nan' "$d/s/sweep.csv" "$d/c/trace.csv"; then fail "nan in a CSV"; fi
  python3 - "$d" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/s/sweep.csv")))
for r in rows:
    for k in ("float_train_accuracy", "fixed_train_accuracy", "float_test_accuracy", "fixed_test_accuracy"):
        assert r[k] == "", (k, r[k])
    float(r["fixed_train_loss"])
s = json.load(open(f"{d}/s/summary.json"))
assert all(t["float_test_accuracy"] is None for t in s["tasks"].values())
PY
  ;;
diverged)
  # A diverging run: exit 0, one warning, n/a in the block, null in JSON (docs/reports.md "A run that diverges").
  set +e
  "$S" train --task paraboloid --layers 2,30,1 --steps 2000 --dt 1.5 --report "$d/t.json" > "$d/t.log" 2> "$d/t.err"
  rc=$?
  set -e
  [[ $rc == 0 ]] || fail "a diverging train exits $rc, not 0"
  grep -q 'warning: sheaf training diverged' "$d/t.err" || fail "no divergence warning"
  [[ $(row train_mse_final "$d/t.log") == n/a ]] || fail "final loss is not n/a"
  python3 -c "import json,sys; f=json.load(open(sys.argv[1]))['final']; assert f['train_loss'] is None, f" "$d/t.json"
  "$S" init --layers 2,30,1 --out "$d/n.json" > /dev/null
  "$S" data --task paraboloid --n 8 --out "$d/x.csv" > /dev/null
  "$S" infer --net "$d/n.json" --input "$d/x.csv" --dt 1.9 --steps 3000 --out "$d/i.json" > "$d/i.log" 2> "$d/i.err"
  grep -q 'warning: inference diverged' "$d/i.err" || fail "infer: no divergence warning"
  [[ $(row converged "$d/i.log") == no* ]] || fail "a diverged inference reads converged"
  python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['diverged'] is True and j['converged'] is False and j['last_max_change'] is None, j['converged']" "$d/i.json"
  ;;
*) fail "unknown case" ;;
esac
echo "reports: $case_ ok"
