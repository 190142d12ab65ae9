#!/usr/bin/env python3
"""Figures of `sheafsim compare` (docs/cli.md "compare", docs/file-formats.md).

    tools/plot_compare.py DIR [--title TEXT]

Reads whichever of DIR/sweep.csv, DIR/trace.csv and DIR/compare.json exist and
writes, next to them, as PNG and SVG:
  sweep_loss.{png,svg}     final loss versus total word length, one curve per
                           rounding mode, the float loss as a horizontal line
  trace_error.{png,svg}    per layer: max |fixed - float| of z, a, W, b over steps
  value_ranges.{png,svg}   per layer: the value range of z, a, W, b (float and
                           fixed runs) over the representable range of the format
Prints the path of every file written. Needs matplotlib (python3-matplotlib).

    tools/plot_compare.py DIR --table

prints instead, from DIR/sweep.csv, the Markdown table of docs/validation.md:
per word length and rounding mode, the best point's final loss, its gap to
float (and accuracy for classification). Needs no matplotlib.
"""
import argparse
import csv
import json
import math
import os
import sys

matplotlib = None  # imported only when drawing
plt = None  # matplotlib.pyplot, imported only when drawing

QUANTITIES = ["z", "a", "W", "b"]
COLOURS = {"z": "tab:blue", "a": "tab:orange", "W": "tab:green", "b": "tab:red"}


def num(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def save(fig, directory, stem):
    for ext in ("png", "svg"):
        path = os.path.join(directory, f"{stem}.{ext}")
        fig.savefig(path, dpi=110, bbox_inches="tight")
        print(path)
    plt.close(fig)


def best_per_length(rows, kind):
    """{(word length, mode): the row with the smallest finite fixed loss}."""
    best = {}
    for r in rows:
        key = (int(r["word_length_bits"]), r["round"])
        loss = num(r[f"fixed_{kind}_loss"])
        if math.isfinite(loss) and (key not in best or loss < num(best[key][f"fixed_{kind}_loss"])):
            best[key] = r
    return best


def print_table(directory):
    rows = list(csv.DictReader(open(os.path.join(directory, "sweep.csv"))))
    kind = "test" if any(math.isfinite(num(r["fixed_test_loss"])) for r in rows) else "train"
    cls = any(math.isfinite(num(r["fixed_test_accuracy"])) for r in rows)
    modes = list(dict.fromkeys(r["round"] for r in rows))
    best = best_per_length(rows, kind)
    f = rows[0]
    head = f"float: {kind} loss {num(f[f'float_{kind}_loss']):.4g}"
    if cls:
        head += f", test accuracy {num(f['float_test_accuracy']):.3f}"
    print(head + "\n")
    print("| word length (stalk + weight) | " + " | ".join(f"`{m}`: best formats, {kind} loss (gap)" for m in modes) + " |")
    print("|---|" + "---|" * len(modes))
    for w in sorted({int(r["word_length_bits"]) for r in rows}):
        cells = []
        for m in modes:
            r = best.get((w, m))
            if r is None:
                cells.append("diverged" if any(int(x["word_length_bits"]) == w and x["round"] == m for x in rows) else "")
                continue
            gap = num(r["loss_relative_gap"])
            cell = f"{r['stalk']} / {r['weight']}: {num(r[f'fixed_{kind}_loss']):.4g} ({gap:+.1%})"
            if cls:
                cell += f", acc {num(r['fixed_test_accuracy']):.3f}"
            cells.append(f"**{cell}**" if gap <= 0.05 else cell)
        print(f"| {w} bits | " + " | ".join(cells) + " |")


def plot_sweep(directory, title):
    rows = list(csv.DictReader(open(os.path.join(directory, "sweep.csv"))))
    if not rows:
        return
    has_test = any(not math.isnan(num(r["fixed_test_loss"])) for r in rows)
    kind = "test" if has_test else "train"
    summary_path = os.path.join(directory, "summary.json")
    tolerance, metric = 0.05, "loss"
    if os.path.exists(summary_path):
        tasks = json.load(open(summary_path))["tasks"]
        task = next(iter(tasks.values()))
        tolerance, metric = task["loss_tolerance"], task["metric"]
    float_loss = num(rows[0][f"float_{kind}_loss"])
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    modes = []
    for r in rows:
        if r["round"] not in modes:
            modes.append(r["round"])
    finite = [num(r[f"fixed_{kind}_loss"]) for r in rows if math.isfinite(num(r[f"fixed_{kind}_loss"]))]
    top = max(finite + [float_loss]) * 1.5 if finite else 1.0
    for i, mode in enumerate(modes):
        pts = [(int(r["word_length_bits"]), num(r[f"fixed_{kind}_loss"])) for r in rows if r["round"] == mode]
        colour = f"C{i}"
        # Every point faintly; the curve through the best point of each word length.
        xs = [w for w, l in pts if math.isfinite(l)]
        ys = [l for w, l in pts if math.isfinite(l)]
        ax.scatter(xs, ys, s=10, alpha=0.3, color=colour)
        best = {}
        for w, l in pts:
            if math.isfinite(l):
                best[w] = min(best.get(w, math.inf), l)
        ws = sorted(best)
        ax.plot(ws, [best[w] for w in ws], marker="o", color=colour, label=f"fixed, {mode} (best per word length)")
        bad = sorted({w for w, l in pts if not math.isfinite(l)})
        if bad:
            ax.scatter(bad, [top] * len(bad), marker="x", color=colour, label=f"{mode}: diverged")
    if math.isfinite(float_loss):
        ax.axhline(float_loss, color="black", linewidth=1.2, label=f"float ({float_loss:.4g})")
        ax.axhline(float_loss * (1 + tolerance), color="black", linestyle=":", linewidth=1,
                   label=f"float + {tolerance:.0%}")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    ax.set_xlabel("total word length (stalk + weight bits)")
    ax.set_ylabel(f"final {kind} {metric}")
    ax.set_title(title or "Fixed-point sweep: final loss versus word length")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    save(fig, directory, "sweep_loss")


def plot_trace(directory, title):
    rows = list(csv.DictReader(open(os.path.join(directory, "trace.csv"))))
    if not rows:
        return
    layers = sorted({int(r["layer"]) for r in rows})
    fig, axes = plt.subplots(1, len(layers), figsize=(4.2 * len(layers), 3.6), squeeze=False, sharey=True)
    floor = min([num(r["max_abs_diff"]) for r in rows if num(r["max_abs_diff"]) > 0] + [1e-12])
    for ax, layer in zip(axes[0], layers):
        for q in QUANTITIES:
            pts = [(int(r["step"]), num(r["max_abs_diff"])) for r in rows
                   if int(r["layer"]) == layer and r["quantity"] == q]
            if not pts:
                continue
            fmt = next(r["format"] for r in rows if int(r["layer"]) == layer and r["quantity"] == q)
            # Zero differences sit on the floor of the log axis.
            ax.plot([s for s, _ in pts], [d if d > 0 else floor / 2 for _, d in pts], color=COLOURS[q],
                    label=f"{q} ({fmt})")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"layer {layer}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("max |fixed - float|")
    fig.suptitle(title or "Fixed-point error per layer over the run")
    fig.tight_layout()
    save(fig, directory, "trace_error")


def plot_ranges(directory, title):
    report = json.load(open(os.path.join(directory, "compare.json")))
    layers = report["layers"]
    fig, axes = plt.subplots(len(layers), 1, figsize=(7.0, 1.2 + 1.3 * len(layers)), squeeze=False)
    for ax, layer in zip(axes[:, 0], layers):
        names = [q for q in QUANTITIES if q in layer["quantities"]]
        for y, q in enumerate(names):
            d = layer["quantities"][q]
            lo, hi = d["format_min"], d["format_max"]
            ax.barh(y, hi - lo, left=lo, height=0.8, color="lightgrey", edgecolor="grey")
            f, x = d["float"], d["fixed"]
            if f["min"] is not None:
                ax.barh(y + 0.12, f["max"] - f["min"], left=f["min"], height=0.3, color=COLOURS[q],
                        label="float range" if y == 0 else None)
            if x["min"] is not None:
                ax.plot([x["min"], x["max"]], [y - 0.2, y - 0.2], color="black", linewidth=2,
                        label="fixed range" if y == 0 else None)
            colour = "red" if d["clips"] else ("darkorange" if d["unused_int_bits"] > 0 else "green")
            ax.text(hi, y, f"  {d['format']}: {d['verdict']}", va="center", fontsize=8, color=colour)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names)
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.set_title(f"layer {layer['layer']}", fontsize=9, loc="left")
        ax.grid(True, axis="x", alpha=0.3)
        # Room on the right for the verdicts.
        lo = min(layer["quantities"][q]["format_min"] for q in names)
        hi = max(layer["quantities"][q]["format_max"] for q in names)
        ax.set_xlim(lo - 0.05 * (hi - lo), hi + 0.75 * (hi - lo))
    axes[0][0].legend(fontsize=7, loc="upper right")
    axes[-1][0].set_xlabel("value (grey: representable range of the format)")
    fig.suptitle(title or "Value ranges over the run against the formats")
    fig.tight_layout()
    save(fig, directory, "value_ranges")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", help="output directory of sheafsim compare")
    p.add_argument("--title", default="", help="figure title prefix")
    p.add_argument("--table", action="store_true", help="print the Markdown table of DIR/sweep.csv instead")
    a = p.parse_args()
    if a.table:
        print_table(a.dir)
        return
    global matplotlib, plt
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    found = False
    for name, plot in (("sweep.csv", plot_sweep), ("trace.csv", plot_trace), ("compare.json", plot_ranges)):
        if os.path.exists(os.path.join(a.dir, name)):
            plot(a.dir, a.title)
            found = True
    if not found:
        sys.exit(f"plot_compare.py: {a.dir} holds no sweep.csv, trace.csv or compare.json")


if __name__ == "__main__":
    main()
