#!/usr/bin/env bash
# The race study of docs/validation.md ("Race: sheaf against SGD on one
# mesh"): digits [64,32,10] softmax and the paraboloid [2,30,1], each at
# 16-bit stochastic rounding and at 24-bit round-to-nearest, on two mesh
# sizes; then, on the digits 16-bit race, one change of the sheaf setting at a
# time (dt, beta, inner K, batch, chunk, formats), to find the one that
# narrows the gap most. Writes OUTDIR/<race>/race.{json,md,png} and OUTDIR/study.md (the
# tables of docs/validation.md). About 3 minutes on 2 cores.
#   tools/race_study.sh build/sw/sheafsim build/race-study
set -euo pipefail
S=$1 out=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cfg=$root/configs
mkdir -p "$out"
q16=(--round stoch)
# 24-bit words (Q8.16) with round to nearest; no RTL figure exists for them: the
# q16 round-to-nearest PE's clock, 244.1 MHz, is taken (optimistic for 24 bits).
q24=(--stalk-format Q8.16 --weight-format Q8.16 --bias-format Q8.16 --residual-format Q8.16 --round rnd --clock-mhz 244.1)
digits=(--sheaf-config "$cfg/digits-sheaf.toml" --sgd-config "$cfg/digits-sgd.toml" --target-accuracy 0.9 --eval-every 50)
para=(--sheaf-config "$cfg/paraboloid-reference.toml" --sgd-config "$cfg/paraboloid-sgd.toml" --target-loss 0.25 --eval-every 100)
run() {  # name, then the race's arguments
  local name=$1
  shift
  "$S" race "$@" --out-dir "$out/$name" > "$out/$name.log" 2> "$out/$name.err" || { cat "$out/$name.err"; exit 1; }
}
for mesh in 8x8 16x16; do
  run "digits-q16-$mesh" "${digits[@]}" "${q16[@]}" --mesh "$mesh"
  run "digits-q24-$mesh" "${digits[@]}" "${q24[@]}" --mesh "$mesh"
done
for mesh in 4x4 8x8; do
  run "para-q16-$mesh" "${para[@]}" "${q16[@]}" --mesh "$mesh"
  run "para-q24-$mesh" "${para[@]}" "${q24[@]}" --mesh "$mesh"
done
# One change of the sheaf setting at a time, digits 16-bit on 8x8 (SGD unchanged).
variant() {  # name, sed expression on the sheaf config, extra race arguments
  local name=$1 expr=$2
  shift 2
  sed -e "$expr" "$cfg/digits-sheaf.toml" > "$out/$name.toml"
  run "$name" --sheaf-config "$out/$name.toml" --sgd-config "$cfg/digits-sgd.toml" --target-accuracy 0.9 \
    --eval-every 50 "${q16[@]}" --mesh 8x8 "$@"
}
variant sheaf-dt0.3 's/^dt = .*/dt = 0.3/'
variant sheaf-beta2x 's/^beta = .*/beta = 0.0016708437761069339/'
variant sheaf-dt0.3-beta2x 's/^dt = .*/dt = 0.3/; s/^beta = .*/beta = 0.0016708437761069339/'
variant sheaf-inner2 's/^inner = .*/inner = 2/'
variant sheaf-chunk64 's/^x//' --chunk 64
variant sheaf-q12 's/^x//' --stalk-format Q4.8 --weight-format Q4.8 --bias-format Q4.8 --residual-format Q4.8 \
  --clock-mhz 198.8
# The batch (the training samples of every full-batch step) is the task's: both methods take it.
for n in 600 300; do
  sed -e "s/^n-train = .*/n-train = $n/; s/^beta = .*//" "$cfg/digits-sheaf.toml" > "$out/batch$n-sheaf.toml"
  sed -e "s/^n-train = .*/n-train = $n/" "$cfg/digits-sgd.toml" > "$out/batch$n-sgd.toml"
  run "batch$n" --sheaf-config "$out/batch$n-sheaf.toml" --sgd-config "$out/batch$n-sgd.toml" --target-accuracy 0.9 \
    --eval-every 50 "${q16[@]}" --mesh 8x8
done

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]

def load(name):
    return json.load(open(os.path.join(out, name, "race.json")))

def fmt_t(us):
    return "n/a" if us is None else (f"{us/1e6:.3g} s" if us >= 1e6 else f"{us/1e3:.3g} ms" if us >= 1e3 else f"{us:.3g} us")

def fmt_e(uj):
    return "n/a" if uj is None else (f"{uj/1e3:.3g} mJ" if uj >= 1e3 else f"{uj:.3g} uJ")

def row(name, label):
    r = load(name)
    m = {x["method"]: x for x in r["methods"]}
    sh, sg = m["sheaf"], m["sgd"]
    def tt(x, k):
        return None if x["to_target"] is None else x["to_target"][k]
    def ratio(a, b):
        return "n/a" if a is None or b is None else f"{a / b:.2f}x"
    def split(x):
        t = x["to_target"]
        if t is None:
            return "n/a"
        e = t["energy_uJ"]
        return "/".join(f"{100 * t[k] / e:.0f}" for k in ("arithmetic_uJ", "sram_uJ", "links_uJ", "static_uJ"))
    return (f"| {label} | {sh['steps_to_target'] if sh['reached_target'] else 'not in ' + str(sh['steps_run'])} "
            f"/ {sg['steps_to_target'] if sg['reached_target'] else 'not in ' + str(sg['steps_run'])} "
            f"| {sh['per_step']['cycles']:.0f} / {sg['per_step']['cycles']:.0f} "
            f"| {fmt_t(tt(sh, 'time_us'))} / {fmt_t(tt(sg, 'time_us'))} | {ratio(tt(sh, 'time_us'), tt(sg, 'time_us'))} "
            f"| {fmt_e(tt(sh, 'energy_uJ'))} / {fmt_e(tt(sg, 'energy_uJ'))} | {ratio(tt(sh, 'energy_uJ'), tt(sg, 'energy_uJ'))} "
            f"| {split(sh)} / {split(sg)} "
            f"| {100 * sh['per_step']['mac_utilisation']:.0f} / {100 * sg['per_step']['mac_utilisation']:.0f} % "
            f"| {r['clock_mhz']:.4g} |")

head = ("| race | steps to target, sheaf / sgd | cycles per step | time to target | sheaf / sgd time "
        "| energy to target | sheaf / sgd energy | energy split % (arith/SRAM/links/static), sheaf / sgd "
        "| MAC utilisation | clock MHz |\n|---|---|---|---|---|---|---|---|---|---|")
lines = ["## The eight races", "", head]
for task, meshes, tgt in (("digits", ("8x8", "16x16"), "accuracy >= 0.9"), ("para", ("4x4", "8x8"), "loss <= 0.25")):
    for fmt in ("q16", "q24"):
        for mesh in meshes:
            label = f"{'digits' if task == 'digits' else 'paraboloid'}, {'16-bit stoch' if fmt == 'q16' else '24-bit rnd'}, {mesh} (test {tgt})"
            lines.append(row(f"{task}-{fmt}-{mesh}", label))
lines += ["", "## One change of the sheaf setting (digits, 16-bit stoch, 8x8; SGD unchanged)", "", head,
          row("digits-q16-8x8", "as tuned (dt 0.15, beta 1/1197, K 1, chunk 16)")]
for name, label in (("sheaf-dt0.3", "dt 0.3"), ("sheaf-beta2x", "beta 2/1197"), ("sheaf-dt0.3-beta2x", "dt 0.3 and beta 2/1197"),
                    ("sheaf-inner2", "inner K 2"), ("sheaf-chunk64", "chunk 64 (both methods)"),
                    ("sheaf-q12", "12-bit formats Q4.8, clock kept at 198.8 MHz (both methods)"),
                    ("batch600", "batch 600 (n-train; both methods, beta 1/600)"),
                    ("batch300", "batch 300 (n-train; both methods, beta 1/300)")):
    lines.append(row(name, label))
open(os.path.join(out, "study.md"), "w").write("\n".join(lines) + "\n")
print(os.path.join(out, "study.md"))
PY
