#!/usr/bin/env python3
"""Figures of `sheafsim ops` and of training runs priced by it (docs/ops.md "Figures").

    tools/plot_ops.py --ops OPS.json [--train SHEAF.json SGD.json SID.json]
                      [--name NAME] [--figures bars,energy,curves] --out-dir DIR

OPS.json is `sheafsim ops --method all --out` (any subset of the methods works);
the --train files are `sheafsim train --report` reports (one per method, the
method is read from the report). Writes into DIR, as PNG and SVG:
  ops-per-step[-NAME]     operations per training step by action type, one bar
                          per method (log scale)
  energy-per-step[-NAME]  energy per training step by component: stacked
                          microjoules and the share of each component
  loss-vs-ops[-NAME]      (with --train) training loss and test accuracy
                          against the cumulative synapse MACs and energy of
                          the run, every history point priced by OPS.json
and prints, per method, the cumulative MACs and energy at which the training
loss first falls below each --loss-levels value and the test accuracy first
reaches each --accuracy-levels value (as a Markdown table; --summary FILE also
writes it as JSON).

Pricing a run: one `train --steps` unit of sgd and sid is one full-batch step
(`per_training_step`); of sheaf it is one Euler step, and every K-th of them
(K = the report's settings.inner) is a joint step: after s steps the run has
done floor(s/K) joint steps (`per_joint_step`) and s - floor(s/K) stalk-only
steps (`per_diffusion_step`). The batch of OPS.json must be the run's n_train
and the layers the run's. Bad or mismatched input: one line on stderr, exit 2.
Needs matplotlib (python3-matplotlib).
"""
import argparse
import json
import math
import os
import sys

PROG = "plot_ops.py"
METHODS = ["sheaf", "sgd", "sid"]
COLOURS = {"sheaf": "tab:blue", "sgd": "tab:orange", "sid": "tab:green"}
ACTIONS = [  # (COUNTS key, label)
    ("synapse_macs", "synapse MACs"),
    ("update_multiplies", "update\nmultiplies\n(eta, lr)"),
    ("constant_multiplies", "constant\nmultiplies\n(s g; loss, mixing)"),
    ("adds", "adds"),
    ("compares", "compares\n(ReLU)"),
    ("register_writes", "register writes"),
]
ENERGY = [  # (energy_pJ key, label, colour)
    ("synapse_macs_pJ", "synapse MACs", "#4c72b0"),
    ("constant_multiplies_pJ", "constant multiplies", "#dd8452"),
    ("register_writes_pJ", "register writes", "#55a868"),
    ("adds_pJ", "adds", "#c44e52"),
    ("update_multiplies_pJ", "update multiplies", "#8172b3"),
    ("compares_pJ", "compares", "#937860"),
]


class InputError(Exception):
    pass


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(2)


def load_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot open ({e.strerror})")
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: malformed JSON (line {e.lineno}, column {e.colno}: {e.msg})")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file")


def get(obj, path, where, kind=None):
    """obj[path[0]][path[1]]... with a one-line error naming the file and the key."""
    cur = obj
    for key in path:
        if isinstance(key, int):
            ok = isinstance(cur, list) and -len(cur) <= key < len(cur)
        else:
            ok = isinstance(cur, dict) and key in cur
        if not ok:
            raise InputError(f"{where}: missing key '{'.'.join(str(k) for k in path)}'")
        cur = cur[key]
    if kind == "number":
        if isinstance(cur, bool) or not isinstance(cur, (int, float)) or not math.isfinite(cur):
            raise InputError(f"{where}: '{'.'.join(str(k) for k in path)}' = {json.dumps(cur)} is not a finite number")
    elif kind is not None and not isinstance(cur, kind):
        raise InputError(f"{where}: '{'.'.join(str(k) for k in path)}' has the wrong type")
    return cur


def method_label(method, ops, inner=None):
    m = ops["methods"][method]
    if method == "sheaf":
        k = m.get("inner", 1) if inner is None else inner
        return "sheaf (K = 1)" if k == 1 else f"sheaf (K = {k}: {k - 1} stalk-only + 1 joint step)"
    if method == "sgd":
        return "SGD (backprop)"
    a = m.get("architecture", {})
    return f"SID ({a.get('modules', '?')} modules of {a.get('hidden', '?')})"


def check_ops(ops, where):
    if not isinstance(ops, dict) or ops.get("command") != "ops":
        raise InputError(f"{where}: not a `sheafsim ops --out` report (\"command\" is not \"ops\")")
    methods = get(ops, ["methods"], where, dict)
    present = [m for m in METHODS if m in methods]
    if not present:
        raise InputError(f"{where}: no sheaf, sgd or sid counts under 'methods'")
    get(ops, ["batch"], where, "number")
    get(ops, ["network", "layers"], where, list)
    for m in present:
        blocks = ["per_training_step"] + (["per_diffusion_step", "per_joint_step"] if m == "sheaf" else [])
        for block in blocks:
            for key, _ in ACTIONS:
                get(ops, ["methods", m, block, key], where, "number")
            for key, _, _ in ENERGY:
                get(ops, ["methods", m, block, "energy_pJ", key], where, "number")
            get(ops, ["methods", m, block, "energy_pJ", "total_pJ"], where, "number")
    return present


def fmt_count(x):
    for div, suf in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suf}"
    return f"{x:.3g}"


TASK = ""  # --title (default --name): the task the figures name, e.g. "Digits"
CREATOR = "sheafsim tools/plot_ops.py"


def rounded(v, digits=6):
    """v to `digits` significant digits before drawing: last-bit differences between builds and
    machines do not move a coordinate of the SVG."""
    return float(f"{v:.{digits}g}") if isinstance(v, (int, float)) and math.isfinite(v) else v


def network_text(ops):
    """'Digits [64,32,10], batch 1197': the task and the network of every title."""
    layers = ",".join(str(n) for n in ops["network"]["layers"])
    return f"{TASK + ' ' if TASK else ''}[{layers}], batch {ops['batch']}"


def formats_text(ops):
    """The formats the energy is priced at: 'stalks, weights, biases, residuals Q4.12; constants Q1.31; 48-bit accumulator'."""
    f = ops.get("formats")
    if not isinstance(f, dict):
        return ""
    classes = [("stalks", "stalk_format"), ("weights", "weight_format"), ("biases", "bias_format"),
               ("residuals", "residual_format")]
    groups = {}
    for word, key in classes:
        if key in f:
            groups.setdefault(f[key], []).append(word)
    parts = [f"{', '.join(words)} {fmt}" for fmt, words in groups.items()]
    if "constant_format" in f:
        parts.append(f"constants {f['constant_format']}")
    if "acc_bits" in f:
        parts.append(f"{f['acc_bits']}-bit accumulator")
    return "; ".join(parts)


def save(plt, fig, directory, stem):
    for ext in ("png", "svg"):
        path = os.path.join(directory, f"{stem}.{ext}")
        meta = {"Date": None, "Creator": CREATOR} if ext == "svg" else {"Software": CREATOR}
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata=meta)
        print(path)
    plt.close(fig)


def plot_bars(plt, ops, methods, directory, stem):
    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    width = 0.8 / len(methods)
    lo = math.inf
    for i, m in enumerate(methods):
        c = ops["methods"][m]["per_training_step"]
        xs = [j + (i - (len(methods) - 1) / 2) * width for j in range(len(ACTIONS))]
        ys = [c[key] for key, _ in ACTIONS]
        lo = min([lo] + [y for y in ys if y > 0])
        bars = ax.bar(xs, [y if y > 0 else math.nan for y in ys], width, color=COLOURS[m], label=method_label(m, ops))
        for b, y in zip(bars, ys):
            ax.annotate(fmt_count(y), (b.get_x() + b.get_width() / 2, y if y > 0 else lo),
                        xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                        fontsize=6.5, rotation=90)
    ax.set_yscale("log")
    ax.set_ylim(bottom=lo / 3)
    top = max(ops["methods"][m]["per_training_step"][k] for m in methods for k, _ in ACTIONS)
    ax.set_ylim(top=top * 12)
    ax.set_xticks(range(len(ACTIONS)))
    ax.set_xticklabels([label for _, label in ACTIONS], fontsize=8.5)
    ax.set_ylabel("operations per training step (count, whole batch)")
    ax.set_title(f"Operations per training step by action type\n{network_text(ops)}", fontsize=10)
    ax.grid(True, axis="y", which="major", alpha=0.3)
    # Below the action names: no legend over a bar or its count.
    ax.legend(fontsize=8.5, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=len(methods))
    save(plt, fig, directory, stem)


def plot_energy(plt, ops, methods, directory, stem):
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(10.0, 4.4))
    labels = [method_label(m, ops).replace(" (", "\n(", 1) for m in methods]
    xs = list(range(len(methods)))
    steps = [ops["methods"][m]["per_training_step"] for m in methods]
    totals = [rounded(c["energy_pJ"]["total_pJ"] / 1e6) for c in steps]
    others = [rounded(t - c["energy_pJ"]["synapse_macs_pJ"] / 1e6) for t, c in zip(totals, steps)]
    for a, components in ((ax, ENERGY), (ax2, ENERGY[1:])):
        bottom = [0.0] * len(methods)
        for key, label, colour in components:
            vals = [rounded(c["energy_pJ"][key] / 1e6) for c in steps]
            a.bar(xs, vals, 0.6, bottom=bottom, color=colour, label=label)
            bottom = [b + v for b, v in zip(bottom, vals)]
    for x, t, c in zip(xs, totals, steps):
        ax.annotate(f"{t:.3g} µJ\n{c['energy_pJ']['total_pJ'] / c['synapse_macs']:.3g} pJ per MAC", (x, t),
                    xytext=(0, 3), textcoords="offset points", ha="center", va="bottom", fontsize=8)
    for x, o, t in zip(xs, others, totals):
        ax2.annotate(f"{o:.3g} µJ\n({100 * o / t:.1f} % of the step)", (x, o), xytext=(0, 3),
                     textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_ylim(top=max(totals) * 1.2)
    ax2.set_ylim(top=max(others) * 1.2)
    for a in (ax, ax2):
        a.set_xticks(xs)
        a.set_xticklabels(labels, fontsize=8.5)
        a.grid(True, axis="y", alpha=0.3)
    ax.set_ylabel("energy per training step (µJ)")
    ax.set_title("All components", fontsize=10)
    ax2.set_ylabel("energy per training step (µJ)")
    ax2.set_title("Without the synapse MACs (zoom on the rest)", fontsize=10)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles[::-1], names[::-1], loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8.5,
               title="component")
    table = ops.get("energy_table", {})
    formats = formats_text(ops)
    fig.suptitle(f"Energy per training step by component: {network_text(ops)}\n"
                 f"{table.get('name', 'energy table')} ({table.get('technology', '?')}), arithmetic and register "
                 f"writes only{'; operands ' + formats if formats else ''}", fontsize=10)
    fig.tight_layout()
    save(plt, fig, directory, stem)


def run_series(ops, report, where):
    """History of one run with the cumulative MACs and pJ of every history point."""
    if not isinstance(report, dict) or report.get("command") != "train":
        raise InputError(f"{where}: not a `sheafsim train --report` report (\"command\" is not \"train\")")
    method = get(report, ["method"], where, str)
    if method not in METHODS:
        raise InputError(f"{where}: unknown method '{method}'")
    if method not in ops["methods"]:
        raise InputError(f"{where}: the ops report has no '{method}' counts (run `sheafsim ops --method all`)")
    layers = get(report, ["network", "layers"], where, list)
    if layers != ops["network"]["layers"]:
        raise InputError(f"{where}: layers {layers} do not match the ops report's {ops['network']['layers']}")
    n_train = get(report, ["n_train"], where, "number")
    if n_train != ops["batch"]:
        raise InputError(f"{where}: n_train = {n_train} does not match the ops report's batch = {ops['batch']} "
                         f"(run `sheafsim ops --batch {n_train}`)")
    m = ops["methods"][method]
    if method == "sheaf":
        k = get(report, ["settings", "inner"], where, "number")
        if k < 1 or k != int(k):
            raise InputError(f"{where}: settings.inner = {k} must be an integer >= 1")
        k = int(k)
        d, j = m["per_diffusion_step"], m["per_joint_step"]

        def cost(step, key):
            joint = step // k
            return joint * (j[key] if key != "pJ" else j["energy_pJ"]["total_pJ"]) + \
                (step - joint) * (d[key] if key != "pJ" else d["energy_pJ"]["total_pJ"])
        steps = get(report, ["steps"], where, "number")
        updates = get(report, ["param_updates"], where, "number")
        if updates != steps // k:
            raise InputError(f"{where}: param_updates = {updates} is not steps // inner = {steps // k}")
    else:
        t = m["per_training_step"]
        if method == "sid":
            arch = get(report, ["sid", "architecture"], where, dict)
            ops_arch = get(ops, ["methods", "sid", "architecture"], "ops report", dict)
            for key in ("modules", "hidden", "parameters"):
                if arch.get(key) != ops_arch.get(key):
                    raise InputError(f"{where}: SID {key} = {arch.get(key)} does not match the ops report's "
                                     f"{ops_arch.get(key)} (pass the run's --sid-modules / --sid-hidden to ops)")
            macs = get(report, ["sid", "per_step", "synapse_macs"], where, "number")
            if macs != t["synapse_macs"]:
                raise InputError(f"{where}: the trainer counted {macs} MACs per step, the ops report "
                                 f"{t['synapse_macs']}")

        def cost(step, key):
            return step * (t[key] if key != "pJ" else t["energy_pJ"]["total_pJ"])
    history = get(report, ["history"], where, list)
    if not history:
        raise InputError(f"{where}: empty history")
    points = []
    for i, h in enumerate(history):
        step = get(report, ["history", i, "step"], where, "number")
        loss = get(report, ["history", i, "train_loss"], where)
        acc = get(report, ["history", i, "test_accuracy"], where)
        points.append({
            "step": int(step),
            "macs": cost(int(step), "synapse_macs"),
            "uJ": cost(int(step), "pJ") / 1e6,
            "train_loss": loss if isinstance(loss, (int, float)) and math.isfinite(loss) else math.nan,
            "test_accuracy": acc if isinstance(acc, (int, float)) and math.isfinite(acc) else math.nan,
        })
    settings = report.get("settings", {})
    return {"method": method, "file": where, "points": points, "settings": settings,
            "output": report.get("network", {}).get("output"), "n_test": report.get("n_test")}


def first_reaching(points, key, level, below):
    for p in points:
        v = p[key]
        if math.isfinite(v) and (v <= level if below else v >= level):
            return p
    return None


def finite(x):
    return x if math.isfinite(x) else None


def summarise(runs, loss_levels, acc_levels):
    out = []
    for r in runs:
        pts = r["points"]
        row = {"method": r["method"], "final_step": pts[-1]["step"], "final_train_loss": finite(pts[-1]["train_loss"]),
               "final_test_accuracy": finite(pts[-1]["test_accuracy"]), "final_macs": pts[-1]["macs"],
               "final_uJ": pts[-1]["uJ"], "loss": {}, "accuracy": {}}
        for lv in loss_levels:
            p = first_reaching(pts, "train_loss", lv, True)
            row["loss"][str(lv)] = None if p is None else {"step": p["step"], "macs": p["macs"], "uJ": p["uJ"]}
        for lv in acc_levels:
            p = first_reaching(pts, "test_accuracy", lv, False)
            row["accuracy"][str(lv)] = None if p is None else {"step": p["step"], "macs": p["macs"], "uJ": p["uJ"]}
        out.append(row)
    return out


def print_summary(rows, loss_levels, acc_levels):
    head = ["method", "steps", "final train loss", "final test acc."] + \
        [f"loss <= {lv}" for lv in loss_levels] + [f"test acc. >= {lv}" for lv in acc_levels]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        cells = [r["method"], str(r["final_step"]),
                 "n/a" if r["final_train_loss"] is None else f"{r['final_train_loss']:.4g}",
                 "n/a" if r["final_test_accuracy"] is None else f"{r['final_test_accuracy']:.3f}"]
        for group, levels in (("loss", loss_levels), ("accuracy", acc_levels)):
            for lv in levels:
                p = r[group][str(lv)]
                cells.append("not reached" if p is None else
                             f"step {p['step']}: {p['macs']:.3g} MACs, {p['uJ']:.4g} uJ")
        print("| " + " | ".join(cells) + " |")


def minor_label(y, mantissas):
    """Label the minor ticks of a log axis whose mantissa is one of `mantissas`."""
    if y <= 0:
        return ""
    mantissa = y / 10 ** math.floor(math.log10(y) + 1e-9)
    return f"{y:g}" if any(abs(mantissa - m) < 1e-6 for m in mantissas) else ""


def thin(points, key, decades=0.005):
    """Points at least `decades` apart on a log axis (the first and last kept): small SVGs."""
    out = []
    for i, p in enumerate(points):
        if not out or i == len(points) - 1 or math.log10(p[key]) - math.log10(out[-1][key]) >= decades:
            out.append(p)
    return out


def plot_curves(plt, ops, runs, directory, stem, mark_step, accuracy_floor, title):
    import matplotlib.ticker as ticker
    fig, axes = plt.subplots(2, 2, figsize=(11.0, 7.6), sharex="col")
    xkeys = [("macs", "cumulative synapse MACs (count)"),
             ("uJ", "cumulative energy (µJ; 45 nm, arithmetic and register writes)")]
    marked = False
    for col, (xkey, xlabel) in enumerate(xkeys):
        for r in runs:
            m = r["method"]
            pts = thin([p for p in r["points"] if p[xkey] > 0], xkey)
            label = method_label(m, ops, r["settings"].get("inner") if m == "sheaf" else None)
            if m == "sheaf":
                label += f", dt {r['settings'].get('dt', '?'):g}"
            else:
                label += f", lr {r['settings'].get('lr', '?'):g}"
            label += f", {r['points'][-1]['step']} steps"
            xs = [rounded(p[xkey]) for p in pts]
            axes[0][col].plot(xs, [rounded(p["train_loss"]) for p in pts], color=COLOURS[m], label=label,
                              linewidth=1.4)
            axes[1][col].plot(xs, [rounded(p["test_accuracy"]) for p in pts], color=COLOURS[m], label=label,
                              linewidth=1.4)
            at = [p for p in r["points"] if p["step"] == mark_step]
            if at:
                marked = True
                for row, key in ((0, "train_loss"), (1, "test_accuracy")):
                    axes[row][col].plot([rounded(at[0][xkey])], [rounded(at[0][key])], "o", markersize=6, markerfacecolor="white",
                                        markeredgecolor=COLOURS[m], markeredgewidth=1.5, zorder=5)
        axes[1][col].set_xlabel(xlabel)
        axes[0][col].set_xscale("log")
        axes[0][col].set_yscale("log")
        axes[0][col].yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        lo, hi = axes[0][col].get_ylim()
        fives = math.log10(hi / lo) > 3  # many decades: label 0.5, 5 only
        axes[0][col].yaxis.set_minor_formatter(ticker.FuncFormatter(
            lambda y, _pos, fives=fives: minor_label(y, (5,) if fives else (2, 3, 5))))
        axes[0][col].tick_params(axis="y", which="minor", labelsize=7)
        accs = [p["test_accuracy"] for r in runs for p in r["points"]
                if p[xkey] > 0 and math.isfinite(p["test_accuracy"])]
        bottom = max(accuracy_floor, min(accs + [1.0]) - 0.01)
        axes[1][col].set_ylim(bottom=bottom, top=1.0 + (1.0 - bottom) * 0.02)
        for row in (0, 1):
            axes[row][col].grid(True, which="major", alpha=0.3)
    loss_name = "training cross-entropy" if runs[0]["output"] == "softmax" else "training loss"
    axes[0][0].set_ylabel(f"{loss_name} (nats)" if runs[0]["output"] == "softmax" else loss_name)
    bottom = axes[1][0].get_ylim()[0]
    axes[1][0].set_ylabel("test accuracy (fraction" + (f"; axis from {bottom:g})" if bottom > 0 else ")"))
    # SID's targets mix the label with the previous belief: its cross-entropy has a floor (docs/validation.md).
    sid = [r for r in runs if r["method"] == "sid"]
    if sid and runs[0]["output"] == "softmax":
        a = sid[0]["settings"]
        alpha, modules = a.get("sid_alpha"), a.get("sid_modules")
        classes = ops["network"]["layers"][-1]
        if isinstance(alpha, (int, float)) and isinstance(modules, int) and a.get("sid_smoothing", 0) == 0:
            p = 1 - (1 - alpha) ** modules * (1 - 1 / classes)
            floor = -math.log(p)
            for col in (0, 1):
                axes[0][col].axhline(floor, color=COLOURS["sid"], linestyle=":", linewidth=1)
            axes[0][0].annotate(f"SID's floor {floor:.3g}", (0.02, floor), xycoords=("axes fraction", "data"),
                                xytext=(0, 2), textcoords="offset points", fontsize=7.5, color=COLOURS["sid"])
    handles, names = axes[0][0].get_legend_handles_labels()
    if marked:
        handles.append(plt.Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor="white",
                                  markeredgecolor="black"))
        names.append(f"step {mark_step}")
    fig.legend(handles, names, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), fontsize=8.5)
    formats = formats_text(ops)
    fig.suptitle(f"{title}: {network_text(ops)} (full batch)\nevery logged step priced by `sheafsim ops`"
                 f"{' (energy at ' + formats + ')' if formats else ''}; step 0 off the log axis", fontsize=10)
    fig.tight_layout()
    save(plt, fig, directory, stem)


def main():
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--ops", required=True, help="`sheafsim ops --method all --out` report")
    ap.add_argument("--train", nargs="+", default=[], help="`sheafsim train --report` reports, one per method")
    ap.add_argument("--out-dir", required=True, help="directory for the figures (created)")
    ap.add_argument("--name", default="", help="suffix of the file names (e.g. digits)")
    ap.add_argument("--title", default="", help="the task the titles name, e.g. Digits (default: --name)")
    ap.add_argument("--figures", default="", help="comma-separated subset of bars,energy,curves (default: all possible)")
    ap.add_argument("--loss-levels", default="1,0.5,0.2,0.1", help="training-loss levels of the summary")
    ap.add_argument("--accuracy-levels", default="0.9,0.95", help="test-accuracy levels of the summary")
    ap.add_argument("--summary", help="also write the summary as JSON to this file")
    ap.add_argument("--mark-step", type=int, default=5000, help="mark this step on the curves (default 5000)")
    ap.add_argument("--accuracy-floor", type=float, default=0.8,
                    help="lowest test accuracy on the axis (default 0.8; 0 shows everything)")
    args = ap.parse_args()

    try:
        loss_levels = [float(x) for x in args.loss_levels.split(",") if x]
        acc_levels = [float(x) for x in args.accuracy_levels.split(",") if x]
    except ValueError:
        fail("--loss-levels and --accuracy-levels are comma-separated numbers")
    figures = [f for f in args.figures.split(",") if f] or (["bars", "energy"] + (["curves"] if args.train else []))
    for f in figures:
        if f not in ("bars", "energy", "curves"):
            fail(f"--figures: unknown figure '{f}' (bars, energy, curves)")
    if "curves" in figures and not args.train:
        fail("--figures curves needs --train reports")

    try:
        ops = load_json(args.ops)
        methods = check_ops(ops, args.ops)
        runs = []
        for path in args.train:
            run = run_series(ops, load_json(path), path)
            if any(r["method"] == run["method"] for r in runs):
                raise InputError(f"{path}: a second '{run['method']}' run (one report per method)")
            runs.append(run)
        outputs = {r["output"] for r in runs}
        if len(outputs) > 1:
            raise InputError(f"the --train reports have different outputs ({', '.join(sorted(map(str, outputs)))})")
    except InputError as e:
        fail(str(e))
    runs.sort(key=lambda r: METHODS.index(r["method"]))

    try:
        import matplotlib
    except ImportError:
        fail("matplotlib is not available (apt-get install python3-matplotlib)")
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: small SVGs
    matplotlib.rcParams["svg.hashsalt"] = "sheafsim"  # stable ids: reproducible SVGs
    import matplotlib.pyplot as plt

    global TASK
    TASK = args.title or args.name
    os.makedirs(args.out_dir, exist_ok=True)
    suffix = f"-{args.name}" if args.name else ""
    if "bars" in figures:
        plot_bars(plt, ops, methods, args.out_dir, f"ops-per-step{suffix}")
    if "energy" in figures:
        plot_energy(plt, ops, methods, args.out_dir, f"energy-per-step{suffix}")
    if "curves" in figures:
        plot_curves(plt, ops, runs, args.out_dir, f"loss-vs-ops{suffix}", args.mark_step, args.accuracy_floor,
                    "Training loss and test accuracy against cumulative operations")
    if runs:
        rows = summarise(runs, loss_levels, acc_levels)
        print_summary(rows, loss_levels, acc_levels)
        if args.summary:
            with open(args.summary, "w", encoding="utf-8") as f:
                json.dump({"ops": args.ops, "batch": ops["batch"], "layers": ops["network"]["layers"],
                           "runs": rows}, f, indent=1, allow_nan=False, default=str)
                f.write("\n")
            print(args.summary)


if __name__ == "__main__":
    main()
