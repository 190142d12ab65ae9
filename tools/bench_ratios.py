#!/usr/bin/env python3
"""The performance targets of docs/performance.md as ratios measured in one run.

Absolute times on a shared machine vary 2x from day to day; a ratio of two
benchmarks measured in the same run, interleaved, does not. This script runs
bench_step and bench_mesh in ROUNDS rounds (each round runs every binary once,
the order alternating between rounds), takes the median CPU time of each
benchmark over the rounds and prints the ratio tables of docs/performance.md.

  tools/bench_ratios.py [--build build] [--rounds 5] [--min-time 0.5]
                        [--baseline DIR] [--json out.json]

--baseline DIR: DIR holds bench_step and bench_mesh of another build (e.g. the
commit before a refactoring); every benchmark is then also reported as
this build / baseline, measured interleaved with it in the same rounds.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def run(binary, min_time):
    out = subprocess.run(
        [binary, f"--benchmark_min_time={min_time}", "--benchmark_format=json"],
        check=True, capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
        res[b["name"]] = b["cpu_time"] * scale  # microseconds
    return res


def mesh_name(net, stoch, mesh):
    return f"BM_JointStep/net:{net}/stoch:{stoch}/mesh:{mesh}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5)
    ap.add_argument("--baseline")
    ap.add_argument("--json")
    a = ap.parse_args()
    if a.rounds < 1 or a.min_time <= 0:
        sys.exit("bench_ratios: --rounds must be >= 1 and --min-time > 0")
    binaries = {}
    for which, d in [("this", os.path.join(a.build, "bench"))] + ([("base", a.baseline)] if a.baseline else []):
        for prog in ("bench_step", "bench_mesh"):
            path = os.path.join(d, prog)
            if not os.access(path, os.X_OK):
                sys.exit(f"bench_ratios: {path} is not an executable (build the benchmarks first)")
            binaries[(which, prog)] = path
    samples = {}
    keys = list(binaries)
    for r in range(a.rounds):
        order = keys if r % 2 == 0 else list(reversed(keys))
        for k in order:
            for name, t in run(binaries[k], a.min_time).items():
                samples.setdefault((k[0], name), []).append(t)
        print(f"bench_ratios: round {r + 1}/{a.rounds} done", file=sys.stderr)
    med = {k: statistics.median(v) for k, v in samples.items()}
    t = {name: v for (which, name), v in med.items() if which == "this"}

    rows = []
    def ratio(label, num, den, target=None):
        rows.append({"ratio": label, "value": t[num] / t[den], "numerator_us": t[num], "denominator_us": t[den],
                     "target": target})

    ratio("fixed joint step / float joint step ([2,30,1] x 300, Q4.12, rnd_conv)",
          "BM_FixedJointStep", "BM_SheafJointStep", "<= 2 (issue 3)")
    ratio("float joint step / SGD step ([2,30,1] x 300)", "BM_SheafJointStep", "BM_SgdStep")
    ratio("float stalk-only step / float joint step", "BM_SheafStalkOnlyStep", "BM_SheafJointStep")
    for net, meshes, target_mesh in [(0, (2, 4, 8), 4), (1, (8, 16), 16)]:
        shape = "[2,30,1] x 300" if net == 0 else "[64,128,128,10] x 256"
        for stoch in (0, 1):
            mode = "stoch" if stoch else "rnd_conv"
            for m in meshes:
                ratio(f"mesh {m}x{m} / bit-accurate model ({shape}, {mode})", mesh_name(net, stoch, m),
                      mesh_name(net, stoch, 0), "<= 3 (issue 4)" if m == target_mesh else None)

    print(f"{'ratio':78s} {'value':>7s}   {'context (us)':>22s}  target")
    for r in rows:
        ctx = f"{r['numerator_us']:.1f} / {r['denominator_us']:.1f}"
        print(f"{r['ratio']:78s} {r['value']:7.2f}   {ctx:>22s}  {r['target'] or ''}")
    base_rows = []
    if a.baseline:
        print(f"\n{'benchmark':48s} {'this / baseline':>16s}")
        for name in sorted(t):
            if ("base", name) in med:
                v = t[name] / med[("base", name)]
                base_rows.append({"benchmark": name, "this_over_baseline": v})
                print(f"{name:48s} {v:16.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rounds": a.rounds, "min_time_s": a.min_time, "median_cpu_us": t, "ratios": rows,
                       "baseline": base_rows}, f, indent=1)


if __name__ == "__main__":
    main()
