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
Titles name the task, the network, the run and the formats (from
DIR/summary.json or DIR/compare.json); labels are words with units; legends
sit outside the axes. The same DIR gives byte-identical files on every run
(fixed SVG ids and metadata, no dates, values rounded to 6 significant digits
before drawing so that last-bit differences do not move a coordinate).

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
QUANTITY_NAMES = {"z": "z (pre-activation stalk)", "a": "a (activation stalk)", "W": "W (weights)", "b": "b (biases)"}
ROUNDING = {  # docs/fixed-point.md §2
    "trn": "truncation toward minus infinity (trn)",
    "rnd": "round to nearest, ties up (rnd)",
    "rnd_conv": "round to nearest, ties to even (rnd_conv)",
    "stoch": "stochastic rounding (stoch)",
}
ROUNDING_SHORT = {"trn": "truncation (trn)", "rnd": "nearest, ties up (rnd)",
                  "rnd_conv": "nearest, ties to even (rnd_conv)", "stoch": "stochastic (stoch)"}
OVERFLOW = {"sat": "saturation", "wrap": "wrap-around"}
CREATOR = "sheafsim tools/plot_compare.py"


def rounded(v, digits=6):
    """v to `digits` significant digits: last-bit differences between builds do not move a drawn point."""
    return float(f"{v:.{digits}g}") if math.isfinite(v) else v


def minor_label(y, mantissas):
    """Label a minor tick of a log axis whose mantissa is one of `mantissas`."""
    if y <= 0:
        return ""
    mantissa = y / 10 ** math.floor(math.log10(y) + 1e-9)
    return f"{y:g}" if any(abs(mantissa - m) < 1e-6 for m in mantissas) else ""


def sweep_words(sweep):
    """The swept keys and the --sweep text in words: 'stalk Q4.6 to Q4.14 (step 2), rounding rnd_conv or stoch'."""
    keys, parts = [], []
    for part in sweep.split(","):
        if "=" not in part:
            continue
        key, value = part.split("=", 1)
        keys.append(key)
        step = ""
        if ".." in value and ":" in value.rsplit("..", 1)[1]:
            value, step = value.rsplit(":", 1)
            step = f" (step {step})"
        if key == "round":
            value = "|".join(ROUNDING_SHORT.get(v, v) for v in value.split("|"))
        if key == "overflow":
            value = "|".join(f"{OVERFLOW.get(v, v)} ({v})" for v in value.split("|"))
        value = value.replace("..", " to ").replace("|", " or ")
        name = {"round": "rounding", "acc_bits": "accumulator bits", "constant": "constants"}.get(key, key)
        parts.append(f"{name} {value}{step}")
    return keys, ", ".join(parts)


def loss_words(metric, kind):
    """'final test cross-entropy (nats)' for the y axis."""
    name = {"cross_entropy": "cross-entropy (nats)", "mse": "mean squared error (target units²)"}.get(
        metric, "loss")
    return f"final {kind} {name}"


def network_words(network):
    layers = ",".join(str(n) for n in network.get("layers", []))
    output = network.get("output", "identity")
    return f"[{layers}]" + ("" if output == "identity" else f" {output}")


def run_words(report):
    """'paraboloid [2,30,1], 300/100 samples, 5000 steps, dt 0.005' from summary.json or compare.json."""
    data = report.get("data", {})
    task = data.get("task", report.get("task", "data from files")) if isinstance(data, dict) else "data from files"
    text = f"{task} {network_words(report.get('network', {}))}"
    if isinstance(data, dict) and "n_train" in data:
        text += f", {data['n_train']}/{data.get('n_test', 0)} samples (train/test)"
    settings = report.get("settings", {})
    if "steps" in settings:
        text += f", {settings['steps']} steps"
    if "dt" in settings:
        text += f", dt {settings['dt']:g}"
    return text


def formats_words(fixed, swept=()):
    """The formats not swept, in words: 'bias Q4.12, residual Q4.12, constants Q1.31, 48-bit accumulator, saturation'."""
    key = {"stalk": ("stalk", "stalk_format"), "weight": ("weight", "weight_format"), "bias": ("bias", "bias_format"),
           "residual": ("residual", "residual_format"), "constant": ("constants", "constant_format")}
    parts = []
    for k, (word, alt) in key.items():
        if k not in swept and (k in fixed or alt in fixed):
            parts.append(f"{word} {fixed.get(k, fixed.get(alt))}")
    if "acc_bits" not in swept and "acc_bits" in fixed:
        parts.append(f"{fixed['acc_bits']}-bit accumulator")
    if "round" not in swept and "round" in fixed:
        parts.append(ROUNDING.get(fixed["round"], fixed["round"]))
    if "overflow" not in swept and "overflow" in fixed:
        parts.append(OVERFLOW.get(fixed["overflow"], fixed["overflow"]))
    return ", ".join(parts)


def num(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def save(fig, directory, stem):
    for ext in ("png", "svg"):
        path = os.path.join(directory, f"{stem}.{ext}")
        meta = {"Date": None, "Creator": CREATOR} if ext == "svg" else {"Software": CREATOR}
        fig.savefig(path, dpi=110, bbox_inches="tight", metadata=meta)
        print(path)
    plt.close(fig)


def load_report(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


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
    summary = load_report(directory, "summary.json")
    tolerance, metric = 0.05, "loss"
    if summary:
        task = next(iter(summary["tasks"].values()))
        tolerance, metric = task["loss_tolerance"], task["metric"]
    float_loss = rounded(num(rows[0][f"float_{kind}_loss"]))
    fig, ax = plt.subplots(figsize=(7.2, 4.4))
    modes = []
    for r in rows:
        if r["round"] not in modes:
            modes.append(r["round"])
    finite = [num(r[f"fixed_{kind}_loss"]) for r in rows if math.isfinite(num(r[f"fixed_{kind}_loss"]))]
    top = max(finite + [float_loss]) * 1.5 if finite else 1.0
    for i, mode in enumerate(modes):
        pts = [(int(r["word_length_bits"]), rounded(num(r[f"fixed_{kind}_loss"]))) for r in rows if r["round"] == mode]
        colour = f"C{i}"
        words = ROUNDING.get(mode, mode)
        # Every point faintly; the curve through the best point of each word length.
        xs = [w for w, l in pts if math.isfinite(l)]
        ys = [l for w, l in pts if math.isfinite(l)]
        ax.scatter(xs, ys, s=10, alpha=0.3, color=colour, label=f"{words}: every point")
        best = {}
        for w, l in pts:
            if math.isfinite(l):
                best[w] = min(best.get(w, math.inf), l)
        ws = sorted(best)
        ax.plot(ws, [best[w] for w in ws], marker="o", color=colour, label=f"{words}: best per word length")
        bad = sorted({w for w, l in pts if not math.isfinite(l)})
        if bad:
            ax.scatter(bad, [top] * len(bad), marker="x", color=colour, label=f"{words}: diverged")
    if math.isfinite(float_loss):
        ax.axhline(float_loss, color="black", linewidth=1.2, label=f"float reference ({float_loss:.4g})")
        ax.axhline(float_loss * (1 + tolerance), color="black", linestyle=":", linewidth=1,
                   label=f"float + {tolerance:.0%} (the tolerance)")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
    lo, hi = ax.get_ylim()
    decades = math.log10(hi / lo)  # the more decades, the fewer labelled minor ticks
    mantissas = (5,) if decades > 2 else (2, 3, 5) if decades > 0.8 else (2, 3, 4, 5, 6, 7, 8, 9)
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FuncFormatter(lambda y, _pos: minor_label(y, mantissas)))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("total word length: stalk + weight (bits)")
    ax.set_ylabel(loss_words(metric, kind))
    head = title or "Fixed-point sweep: final loss against word length"
    if summary:
        swept, words = sweep_words(summary.get("sweep", ""))
        engine = summary.get("engine", "bit-accurate")
        head += f"\n{run_words(summary)}; {engine} model"
        head += f"\nswept: {words}\nfixed: {formats_words(summary.get('base_fixed', {}), swept)}"
    ax.set_title(head, fontsize=8.5)
    ax.grid(True, which="both", alpha=0.3)
    # Below the axes: no legend over a data point.
    ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    save(fig, directory, "sweep_loss")


def plot_trace(directory, title):
    rows = list(csv.DictReader(open(os.path.join(directory, "trace.csv"))))
    if not rows:
        return
    report = load_report(directory, "compare.json")
    layers = sorted({int(r["layer"]) for r in rows})
    fig, axes = plt.subplots(1, len(layers), figsize=(max(8.0, 4.2 * len(layers)), 3.8), squeeze=False, sharey=True)
    floor = min([num(r["max_abs_diff"]) for r in rows if num(r["max_abs_diff"]) > 0] + [1e-12])
    for ax, layer in zip(axes[0], layers):
        for q in QUANTITIES:
            pts = [(int(r["step"]), rounded(num(r["max_abs_diff"]))) for r in rows
                   if int(r["layer"]) == layer and r["quantity"] == q]
            if not pts:
                continue
            fmt = next(r["format"] for r in rows if int(r["layer"]) == layer and r["quantity"] == q)
            # Zero differences sit on the floor of the log axis.
            ax.plot([s for s, _ in pts], [d if d > 0 else floor / 2 for _, d in pts], color=COLOURS[q],
                    label=f"{QUANTITY_NAMES[q]}, {fmt}")
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.set_title(f"layer {layer}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        # Below the axes: no legend over the curves.
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    axes[0][0].set_ylabel("largest |fixed - float| over the samples\n(the quantity's own units)", fontsize=9)
    head = title or "Fixed-point error per layer over the run"
    if report:
        head += f"\n{run_words(report)}\nformats: {formats_words(report.get('fixed', {}))}"
    fig.suptitle(head, fontsize=8.5)
    fig.tight_layout()
    save(fig, directory, "trace_error")


def plot_ranges(directory, title):
    report = json.load(open(os.path.join(directory, "compare.json")))
    layers = report["layers"]
    fig, axes = plt.subplots(len(layers), 1, figsize=(8.0, 1.5 + 1.3 * len(layers)), squeeze=False)
    for ax, layer in zip(axes[:, 0], layers):
        names = [q for q in QUANTITIES if q in layer["quantities"]]
        for y, q in enumerate(names):
            d = layer["quantities"][q]
            lo, hi = d["format_min"], d["format_max"]
            ax.barh(y, hi - lo, left=lo, height=0.8, color="lightgrey", edgecolor="grey",
                    label="representable range of the format" if y == 0 else None)
            f, x = d["float"], d["fixed"]
            if f["min"] is not None:
                fmin, fmax = rounded(f["min"]), rounded(f["max"])
                ax.barh(y + 0.12, fmax - fmin, left=fmin, height=0.3, color=COLOURS[q],
                        label="float run's range" if y == 0 else None)
            if x["min"] is not None:
                ax.plot([rounded(x["min"]), rounded(x["max"])], [y - 0.2, y - 0.2], color="black", linewidth=2,
                        label="fixed run's range" if y == 0 else None)
            colour = "red" if d["clips"] else ("darkorange" if d["unused_int_bits"] > 0 else "green")
            ax.text(hi, y, f"  {d['format']}: {d['verdict']}", va="center", fontsize=8, color=colour)
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels([QUANTITY_NAMES[q] for q in names], fontsize=8)
        ax.set_ylim(-0.6, len(names) - 0.4)
        ax.set_title(f"layer {layer['layer']}", fontsize=9, loc="left")
        ax.grid(True, axis="x", alpha=0.3)
        # Room on the right for the verdicts.
        lo = min(layer["quantities"][q]["format_min"] for q in names)
        hi = max(layer["quantities"][q]["format_max"] for q in names)
        ax.set_xlim(lo - 0.05 * (hi - lo), hi + 0.75 * (hi - lo))
    axes[-1][0].set_xlabel("value (the quantity's own units)")
    head = title or "Value ranges over the run against the formats"
    head += f"\n{run_words(report)}\nformats: {formats_words(report.get('fixed', {}))}"
    fig.suptitle(head, fontsize=8.5)
    fig.tight_layout()
    # Below the figure: no legend over a range bar or a verdict.
    handles, names = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, names, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3)
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
    matplotlib.rcParams["svg.fonttype"] = "none"  # text as text: small SVGs, searchable labels
    matplotlib.rcParams["svg.hashsalt"] = "sheafsim"  # stable ids: reproducible SVGs
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
