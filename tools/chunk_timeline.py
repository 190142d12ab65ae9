#!/usr/bin/env python3
"""A measured timeline of the dataflow schedule: which unit computes what, when.

  tools/chunk_timeline.py SHEAFSIM OUT.png [--schedule dataflow|barrier] [--steps N]

Runs `sheafsim simulate` on a small network ([16,32,32,4] x 64 samples of
seeded random data, 4x4 mesh, chunks of 16) with --trace, reads the VCD and
draws every PE's and vertex unit's busy intervals, coloured by phase, over the
last two training steps. docs/architecture.md ("Schedules") shows the result.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

PHASES = {1: ("forward", "#1f77b4"), 2: ("backward", "#ff7f0e"), 3: ("Hebbian", "#2ca02c"),
          4: ("write-back", "#d62728"), 5: ("residual", "#9467bd"), 6: ("stalk update", "#8c564b"),
          7: ("merge", "#17becf")}
SEED = 20261207


def read_vcd(path):
    ids, changes, scope, t = {}, {}, [], 0
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("$scope"):
                scope.append(line.split()[2])
            elif line.startswith("$upscope"):
                scope.pop()
            elif line.startswith("$var"):
                p = line.split()
                ids.setdefault(p[3], []).append(".".join(scope + [p[4]]))
            elif line.startswith("#"):
                t = int(line[1:])
            elif line and line[0] in "b01x":
                v, i = (line[1:].split() if line[0] == "b" else (line[0], line[1:]))
                for name in ids.get(i, []):
                    changes.setdefault(name, []).append((t, v))
    return changes, t


def value(v):
    return int(v, 2) if v and all(c in "01" for c in v) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sheafsim")
    ap.add_argument("out")
    ap.add_argument("--schedule", default="dataflow", choices=["dataflow", "barrier"])
    ap.add_argument("--steps", type=int, default=4)
    a = ap.parse_args()
    if a.steps < 2:
        sys.exit("chunk_timeline: --steps must be >= 2")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("chunk_timeline: matplotlib is missing (Debian: python3-matplotlib)")
    with tempfile.TemporaryDirectory() as d:
        rng = random.Random(SEED)
        data = os.path.join(d, "data.csv")
        with open(data, "w") as f:
            f.write(",".join([f"x{i}" for i in range(16)] + [f"y{i}" for i in range(4)]) + "\n")
            for _ in range(64):
                f.write(",".join(f"{rng.gauss(0, 1):.6f}" for _ in range(16)) + "," +
                        ",".join(f"{0.5 * rng.gauss(0, 1):.6f}" for _ in range(4)) + "\n")
        vcd = os.path.join(d, "run.vcd")
        cmd = [a.sheafsim, "simulate", "--layers", "16,32,32,4", "--data", data, "--steps", str(a.steps),
               "--inner", "1", "--mesh", "4x4", "--schedule", a.schedule, "--trace", vcd, "--report",
               os.path.join(d, "r.json")]
        if a.schedule == "dataflow":
            cmd += ["--chunk", "16"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"chunk_timeline: {' '.join(cmd)} failed: {r.stderr.strip().splitlines()[-1:]}")
        ch, end = read_vcd(vcd)
    steps = ch.get("mesh.step", [])
    # The window: from the start of the second-to-last step to the end.
    starts = [t for t, v in steps if v not in ("x",)]
    t0 = starts[-2] if len(starts) >= 2 else 0
    units = sorted({n.rsplit(".", 1)[0] for n in ch if n.endswith(".busy") and (".pe_" in n or ".vu_" in n)},
                   key=lambda u: (".vu_" in u, u))
    fig, ax = plt.subplots(figsize=(11, 0.32 * len(units) + 1.4))
    for row, u in enumerate(units):
        # Segments of constant (busy, phase): back-to-back chunks of different phases stay apart.
        events = sorted([(t, "b", v) for t, v in ch.get(u + ".busy", [])] +
                        [(t, "p", v) for t, v in ch.get(u + ".phase", [])])
        busy, ph, since = False, 0, None
        for t, kind, v in events + [(end, "end", "")]:
            if busy and since is not None and t > since and t > t0:
                ax.broken_barh([(max(since, t0), t - max(since, t0))], (row - 0.4, 0.8),
                               facecolors=PHASES.get(ph, ("", "#999999"))[1], linewidth=0)
            if kind == "b":
                busy = v == "1"
            elif kind == "p":
                ph = value(v)
            since = t
    for t, v in steps:
        if t >= t0:
            ax.axvline(t, color="k", lw=0.6, ls=":")
    ax.set_yticks(range(len(units)))
    ax.set_yticklabels([u.split(".", 1)[1] for u in units], fontsize=7)
    ax.set_xlim(t0, end)
    ax.set_xlabel("cycle (dotted: the mesh's last unit finishes a step)")
    ax.set_title(f"[16,32,32,4] x 64 on 4x4, {a.schedule} schedule: busy intervals by phase, last two steps",
                 fontsize=9)
    ax.invert_yaxis()
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for _, c in PHASES.values()]
    ax.legend(handles, [n for n, _ in PHASES.values()], fontsize=7, ncol=7, loc="upper center",
              bbox_to_anchor=(0.5, -0.12), frameon=False)
    fig.tight_layout()
    fig.savefig(a.out, dpi=110, metadata={"Software": None})
    print(f"chunk_timeline: wrote {a.out} ({len(units)} units, cycles {t0}..{end})")


if __name__ == "__main__":
    main()
