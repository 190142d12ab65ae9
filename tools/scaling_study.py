#!/usr/bin/env python3
"""The mesh scaling study (docs/performance.md "Mesh scaling study").

    tools/scaling_study.py SHEAFSIM OUTDIR [--steps N] [--quick]

Trains two networks on seeded random data with `sheafsim simulate` on meshes
of growing size, under both schedules (barrier, dataflow) and both reductions
(vertex, in-network), and prices each configuration with `sheafsim ops`:

  [784,256,256,10] on 8x8, 16x16, 32x32
  [64,128,128,10]  on 4x4, 8x8, 16x16
  --quick: [64,128,128,10] on 4x4 and 8x8 only (the CI test)

Each run is `--steps N --inner 1` (every step a joint training step; N = 8 by
default: the cycles of a training step are the mean over the N steps). The PE
and vertex-unit SRAM (`--sram-kib`, `--vertex-sram-kib`) is one value per
network, the smallest of SRAM_CANDIDATES_KIB that fits every run of it; the
value is recorded. Writes into OUTDIR:

  scaling.json  every row (every number with its unit in the key name), the
                command lines (the binary written SHEAFSIM, the folder OUTDIR),
                the data seed and the settings
  scaling.md    the table of docs/performance.md
  scaling.png   MAC utilisation and speedup against the number of PEs, one
                line per schedule x reduction, the ideal speedup dashed
  data-*.csv, runs/*.json   the data and every report it read

No wall time goes into these files: the simulator is deterministic, so two
runs write byte-identical scaling.json and scaling.md. Prints one line per
run; a failed run: one line on stderr, exit 1 (bad usage: exit 2). Needs
python3 and matplotlib (python3-matplotlib).
"""
import argparse
import json
import math
import os
import random
import re
import shlex
import subprocess
import sys
import time

PROG = "scaling_study.py"
DATA_SEED = 20261207
SAMPLES = 256
OUTPUTS = 10
SRAM_CANDIDATES_KIB = [256, 1024, 4096, 16384]
SCHEDULES = ["barrier", "dataflow"]
REDUCTIONS = ["vertex", "in-network"]
NETWORKS = [  # (layers, meshes smallest first)
    ([784, 256, 256, 10], ["8x8", "16x16", "32x32"]),
    ([64, 128, 128, 10], ["4x4", "8x8", "16x16"]),
]
QUICK_NETWORKS = [([64, 128, 128, 10], ["4x4", "8x8"])]
COLOURS = {("barrier", "vertex"): "tab:blue", ("barrier", "in-network"): "tab:orange",
           ("dataflow", "vertex"): "tab:green", ("dataflow", "in-network"): "tab:red"}
CREATOR = "sheafsim tools/scaling_study.py"
FIT_ERROR = re.compile(r"SRAM.*--(vertex-)?sram-kib")


class StudyError(Exception):
    pass


def fail(msg, code=1):
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    sys.exit(code)


def layers_text(layers):
    return ",".join(str(n) for n in layers)


def net_name(layers):
    return "[" + ",".join(str(n) for n in layers) + "]"


def mesh_pes(mesh):
    r, c = mesh.split("x")
    return int(r) * int(c)


def write_data(path, n_in, n_out, seed):
    """256 samples: inputs N(0,1), targets 0.5 N(0,1), one generator per file."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(",".join([f"x{i}" for i in range(n_in)] + [f"y{i}" for i in range(n_out)]) + "\n")
        for _ in range(SAMPLES):
            xs = [f"{rng.gauss(0.0, 1.0):.6f}" for _ in range(n_in)]
            ys = [f"{0.5 * rng.gauss(0.0, 1.0):.6f}" for _ in range(n_out)]
            f.write(",".join(xs + ys) + "\n")


def run_tool(argv, what):
    """Runs sheafsim; returns (rc, last stderr line)."""
    try:
        p = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    except OSError as e:
        raise StudyError(f"{what}: cannot run {argv[0]}: {e.strerror}")
    lines = [l for l in p.stderr.splitlines() if l.strip() and "warning" not in l]
    return p.returncode, (lines[-1].strip() if lines else f"exit {p.returncode}")


def load_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise StudyError(f"{what}: cannot read {path}: {e}")


def get(obj, keys, what):
    for k in keys.split("."):
        if not isinstance(obj, dict) or k not in obj:
            raise StudyError(f"{what}: the report has no '{keys}'")
        obj = obj[k]
    return obj


def number(obj, keys, what, positive=False):
    v = get(obj, keys, what)
    if v is None:
        raise StudyError(f"{what}: '{keys}' is null (no joint training step in the run?)")
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or (positive and v <= 0):
        raise StudyError(f"{what}: '{keys}' = {v!r} is not a {'positive ' if positive else ''}number")
    return v


def sig(x, digits=6):
    """Rounded to `digits` significant digits: stable text, no float noise."""
    if x == 0 or isinstance(x, int):
        return x
    r = float(f"{x:.{digits}g}")
    return int(r) if r.is_integer() and abs(r) < 2**53 else r


def display(cmd, sheafsim, outdir):
    words = []
    for w in cmd:
        if w == sheafsim:
            w = "SHEAFSIM"
        elif w.startswith(outdir + os.sep):
            w = "OUTDIR/" + os.path.relpath(w, outdir).replace(os.sep, "/")
        words.append(shlex.quote(w))
    return " ".join(words)


def run_network(layers, meshes, data, sheafsim, outdir, steps, counter, total):
    """Every run of one network at the smallest SRAM size that fits them all."""
    net = net_name(layers)
    start = counter[0]
    for sram in SRAM_CANDIDATES_KIB:
        rows, misfit, counter[0] = [], None, start
        for mesh in meshes:
            for schedule in SCHEDULES:
                for reduction in REDUCTIONS:
                    tag = f"{layers_text(layers).replace(',', '-')}_{mesh}_{schedule}_{reduction}"
                    what = f"{net} on {mesh}, {schedule}, {reduction} reduction"
                    mesh_opts = ["--mesh", mesh, "--schedule", schedule, "--reduction", reduction,
                                 "--sram-kib", str(sram), "--vertex-sram-kib", str(sram)]
                    report = os.path.join(outdir, "runs", f"simulate_{tag}.json")
                    sim = [sheafsim, "simulate", "--layers", layers_text(layers), "--data", data,
                           "--steps", str(steps), "--inner", "1"] + mesh_opts + ["--report", report]
                    t0 = time.monotonic()
                    rc, err = run_tool(sim, what)
                    if rc != 0 and FIT_ERROR.search(err):
                        misfit = f"{what}: {err}"
                        break
                    if rc != 0:
                        raise StudyError(f"{what}: sheafsim simulate failed: {err}")
                    opsfile = os.path.join(outdir, "runs", f"ops_{tag}.json")
                    ops = [sheafsim, "ops", "--layers", layers_text(layers), "--batch", str(SAMPLES),
                           "--inner", "1"] + mesh_opts + ["--out", opsfile]
                    rc, err = run_tool(ops, what)
                    if rc != 0:
                        raise StudyError(f"{what}: sheafsim ops failed: {err}")
                    rows.append(make_row(layers, mesh, schedule, reduction, sram, steps,
                                         load_json(report, what), load_json(opsfile, what), what,
                                         display(sim, sheafsim, outdir), display(ops, sheafsim, outdir)))
                    counter[0] += 1
                    r = rows[-1]
                    print(f"[{counter[0]}/{total}] {net} {mesh} {schedule} {reduction}: "
                          f"{r['cycles_per_training_step']:,} cycles/step, "
                          f"MAC utilisation {r['mac_utilisation_percent']:.1f} %, "
                          f"{r['mesh_energy_per_training_step_uJ']:.1f} uJ/step "
                          f"({time.monotonic() - t0:.1f} s)", flush=True)
                if misfit:
                    break
            if misfit:
                break
        if misfit is None:
            return sram, rows
        print(f"{net}: --sram-kib {sram} does not fit ({misfit}); trying a larger size", flush=True)
    raise StudyError(f"{net}: no SRAM size of {SRAM_CANDIDATES_KIB} KiB fits every mesh: {misfit}")


def make_row(layers, mesh, schedule, reduction, sram, steps, rep, ops, what, sim_cmd, ops_cmd):
    m = get(rep, "mesh", what)
    if m is None:
        raise StudyError(f"{what}: the report's 'mesh' is null")
    ts = get(m, "training_step", what)
    if ts is None:
        raise StudyError(f"{what}: 'mesh.training_step' is null (no joint training step in the run)")
    cycles = number(m, "cycles_per_training_step", what, positive=True)
    number(ts, "cycles", what, positive=True)
    om = get(ops, "mesh", what)
    if om is None:
        raise StudyError(f"{what}: the ops report's 'mesh' is null")
    energy_key = "per_training_step.energy_pJ.total_pJ"
    energy_pj = number(om, energy_key, what + " (ops)")
    mapping = get(m, "mapping", what)
    return {
        "network": net_name(layers),
        "layers": layers,
        "mesh": mesh,
        "pes": mesh_pes(mesh),
        "schedule": schedule,
        "reduction": reduction,
        "sram_kib": sram,
        "vertex_sram_kib": sram,
        "steps": steps,
        "tiles": number(mapping, "tiles", what),
        "tile_rows": number(mapping, "tile_rows", what),
        "tile_cols": number(mapping, "tile_cols", what),
        "vertex_groups": number(mapping, "vertex_groups", what),
        "links": number(mapping, "links", what),
        "chunk_samples": number(mapping, "chunk_samples", what),
        "chunks": number(mapping, "chunks", what),
        "cycles_per_training_step": sig(cycles, 12),
        "bound_cycles": sig(number(ts, "bound_cycles", what, positive=True), 12),
        "cycles_over_bound_ratio": sig(number(ts, "cycles_over_bound", what)),
        "busiest_link_flits": sig(number(ts, "busiest_link_flits", what), 12),
        "cycles_over_resource_bound_ratio": sig(number(ts, "cycles_over_resource_bound", what)),
        "macs_per_training_step": sig(number(ts, "macs", what), 15),
        "mac_utilisation_percent": sig(100.0 * number(ts, "mac_utilisation", what)),
        "flit_hops_per_training_step": sig(number(ts, "flit_hops", what), 15),
        "link_utilisation_percent": sig(100.0 * number(ts, "link_utilisation", what)),
        "time_per_training_step_us": sig(number(ts, "time_us", what)),
        "mesh_energy_per_training_step_uJ": sig(energy_pj * 1e-6),
        "simulate_command": sim_cmd,
        "ops_command": ops_cmd,
    }


def add_speedups(rows):
    smallest = {}
    for r in rows:
        key = (r["network"], r["schedule"], r["reduction"])
        if key not in smallest or r["pes"] < smallest[key]["pes"]:
            smallest[key] = r
    for r in rows:
        base = smallest[(r["network"], r["schedule"], r["reduction"])]
        r["speedup_over_smallest_mesh_ratio"] = sig(base["cycles_per_training_step"] / r["cycles_per_training_step"])
        r["ideal_speedup_ratio"] = sig(r["pes"] / base["pes"])
        r["smallest_mesh"] = base["mesh"]


def fmt_count(x):
    return f"{x:,}" if float(x).is_integer() else f"{x:,.1f}"


def write_markdown(path, study, rows):
    lines = [
        "| network | mesh | schedule | reduction | cycles per training step | speedup over the smallest mesh |"
        " bound cycles | cycles / bound | MAC utilisation % | link utilisation % | flit-hops per step |"
        " mesh energy per step (uJ) |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| `{r['network']}` | {r['mesh']} | {r['schedule']} | {r['reduction']} | "
            f"{fmt_count(r['cycles_per_training_step'])} | {r['speedup_over_smallest_mesh_ratio']:.2f} | "
            f"{fmt_count(r['bound_cycles'])} | {r['cycles_over_bound_ratio']:.2f} | "
            f"{r['mac_utilisation_percent']:.1f} | {r['link_utilisation_percent']:.2f} | "
            f"{fmt_count(r['flit_hops_per_training_step'])} | {r['mesh_energy_per_training_step_uJ']:.1f} |")
    sram = ", ".join(f"`{n}` {k} KiB" for n, k in study["sram_kib_per_network"].items())
    notes = [
        "",
        f"{SAMPLES} samples of seeded random data (seed {study['data_seed']}), `--steps {study['steps']} "
        f"--inner 1` (cycles: the mean of the joint training steps); PE and vertex-unit SRAM: {sram}. "
        "Speedup: cycles on the smallest mesh of the network with the same schedule and reduction over "
        "cycles on this one. Energy: `sheafsim ops` with the same mesh options. "
        f"Regenerate: `{study['command']}`.",
    ]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines + notes) + "\n")


def plot(path, rows, networks):
    try:
        import matplotlib
    except ImportError:
        raise StudyError("matplotlib is not available (apt-get install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    nets = [net_name(layers) for layers, _ in networks]
    fig, axes = plt.subplots(len(nets), 2, figsize=(10.0, 3.8 * len(nets)), squeeze=False)
    for i, net in enumerate(nets):
        mine = [r for r in rows if r["network"] == net]
        pes = sorted({r["pes"] for r in mine})
        ax_u, ax_s = axes[i]
        for schedule in SCHEDULES:
            for reduction in REDUCTIONS:
                line = sorted((r for r in mine if r["schedule"] == schedule and r["reduction"] == reduction),
                              key=lambda r: r["pes"])
                if not line:
                    continue
                xs = [r["pes"] for r in line]
                style = dict(color=COLOURS[(schedule, reduction)], marker="o",
                             label=f"{schedule}, {reduction} reduction")
                ax_u.plot(xs, [r["mac_utilisation_percent"] for r in line], **style)
                ax_s.plot(xs, [r["speedup_over_smallest_mesh_ratio"] for r in line], **style)
        ax_s.plot(pes, [p / pes[0] for p in pes], color="black", linestyle="--", linewidth=1.0,
                  label="ideal (PEs / smallest mesh's PEs)")
        for ax in (ax_u, ax_s):
            ax.set_xscale("log", base=2)
            ax.set_xticks(pes)
            ax.set_xticklabels([f"{p}\n({int(math.isqrt(p))}x{int(math.isqrt(p))})"
                                if math.isqrt(p) ** 2 == p else str(p) for p in pes])
            ax.minorticks_off()
            ax.set_xlabel("PEs (mesh)")
            ax.grid(True, alpha=0.3)
        ax_s.set_yscale("log", base=2)
        ax_s.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax_u.set_ylim(bottom=0)
        ax_u.set_ylabel("MAC utilisation (%)")
        ax_s.set_ylabel("speedup over the smallest mesh")
        ax_u.set_title(f"{net}: MAC utilisation of a training step", fontsize=10)
        ax_s.set_title(f"{net}: speedup of a training step", fontsize=10)
        ax_s.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110, metadata={"Software": CREATOR})
    plt.close(fig)


def find_matplotlib():
    """Before any run: matplotlib here, else re-run under $SHEAFSIM_PYTHON or Debian's python3
    (a pyenv or venv python3 first on PATH often lacks python3-matplotlib)."""
    try:
        import matplotlib  # noqa: F401
        return
    except ImportError:
        pass
    if not os.environ.get("SCALING_STUDY_REEXEC"):
        for p in (os.environ.get("SHEAFSIM_PYTHON", "").split() or []) + ["/usr/bin/python3"]:
            if p and os.path.realpath(p) != os.path.realpath(sys.executable) and os.access(p, os.X_OK):
                ok = subprocess.run([p, "-c", "import matplotlib"], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode == 0
                if ok:
                    os.environ["SCALING_STUDY_REEXEC"] = "1"
                    os.execv(p, [p, os.path.abspath(__file__)] + sys.argv[1:])
    fail("matplotlib is not available (apt-get install python3-matplotlib, or set SHEAFSIM_PYTHON)")


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sheafsim", metavar="SHEAFSIM", help="the sheafsim binary (e.g. build/sw/sheafsim)")
    ap.add_argument("outdir", metavar="OUTDIR", help="output folder (created)")
    ap.add_argument("--steps", type=int, default=8, help="training steps per run (default 8; >= 1)")
    ap.add_argument("--quick", action="store_true", help="the CI subset: [64,128,128,10] on 4x4 and 8x8")
    args = ap.parse_args()
    if args.steps < 1:
        fail(f"--steps = {args.steps} must be >= 1", 2)
    find_matplotlib()
    sheafsim = args.sheafsim
    if os.sep not in sheafsim:
        sheafsim = os.path.join(".", sheafsim) if os.path.exists(sheafsim) else sheafsim
    if os.sep in sheafsim and not (os.path.isfile(sheafsim) and os.access(sheafsim, os.X_OK)):
        fail(f"{args.sheafsim}: not an executable file", 2)
    outdir = os.path.normpath(args.outdir)
    networks = QUICK_NETWORKS if args.quick else NETWORKS
    total = sum(len(m) * len(SCHEDULES) * len(REDUCTIONS) for _, m in networks)
    command = f"tools/scaling_study.py SHEAFSIM OUTDIR --steps {args.steps}" + (" --quick" if args.quick else "")
    try:
        os.makedirs(os.path.join(outdir, "runs"), exist_ok=True)
        rows, srams, data_files = [], {}, {}
        counter = [0]
        for k, (layers, meshes) in enumerate(networks):
            name = f"data-{layers[0]}x{layers[-1]}.csv"
            data = os.path.join(outdir, name)
            seed = DATA_SEED  # each file its own generator: a file does not depend on --quick
            write_data(data, layers[0], layers[-1], seed)
            data_files[net_name(layers)] = {"file": "OUTDIR/" + name, "seed": seed,
                                            "samples": SAMPLES, "inputs": layers[0], "outputs": layers[-1]}
            sram, net_rows = run_network(layers, meshes, data, sheafsim, outdir, args.steps, counter, total)
            srams[net_name(layers)] = sram
            rows += net_rows
        add_speedups(rows)
        study = {
            "study": "sheafsim mesh scaling study",
            "command": command,
            "mode": "quick" if args.quick else "full",
            "data_seed": DATA_SEED,
            "data_rule": "each file its own Python random.Random(data_seed): per sample the inputs "
                         "N(0,1), then the targets 0.5 N(0,1), written with 6 decimals",
            "data": data_files,
            "steps": args.steps,
            "inner": 1,
            "sram_candidates_kib": SRAM_CANDIDATES_KIB,
            "sram_kib_per_network": srams,
            "networks": [{"network": net_name(l), "layers": l, "meshes": m} for l, m in networks],
            "schedules": SCHEDULES,
            "reductions": REDUCTIONS,
            "rows": rows,
        }
        with open(os.path.join(outdir, "scaling.json"), "w", encoding="utf-8", newline="\n") as f:
            json.dump(study, f, indent=1, sort_keys=False)
            f.write("\n")
        write_markdown(os.path.join(outdir, "scaling.md"), study, rows)
        plot(os.path.join(outdir, "scaling.png"), rows, networks)
    except StudyError as e:
        fail(str(e))
    except OSError as e:
        fail(f"{e.filename or outdir}: {e.strerror}")
    for name in ("scaling.json", "scaling.md", "scaling.png"):
        print(os.path.join(outdir, name))


if __name__ == "__main__":
    main()
