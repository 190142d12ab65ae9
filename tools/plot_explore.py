#!/usr/bin/env python3
"""The figure of `sheafsim explore`: quality against energy to train and
against time to train, every feasible design point in grey and the Pareto
fronts highlighted, from DIR/explore.csv, DIR/pareto.csv and DIR/summary.json.

    python3 tools/plot_explore.py DIR     # writes DIR/explore.png and DIR/explore.svg

Left: quality vs energy_to_train_uJ (log x), the accuracy_energy_area front
coloured by area_mm2 and joined by a step line. Right: quality vs
time_to_train_us (log x), the accuracy_time front highlighted. It prints one
line per file written; with no feasible point it still writes a figure, with
a note.
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

QUALITY_LABELS = {
    "test_accuracy": "test accuracy",
    "train_accuracy": "training accuracy",
    "test_loss": "test loss",
    "train_loss": "training loss",
}


def number(text):
    """A CSV field as a float; empty (non-finite in the tables) as None."""
    if text is None or text == "":
        return None
    v = float(text)
    return v if math.isfinite(v) else None


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def points_of(rows, xkey, qkey):
    """(x, quality) of rows where both are finite and x > 0 (a log axis)."""
    pts = []
    for r in rows:
        x, q = number(r.get(xkey)), number(r.get(qkey))
        if x is not None and q is not None and x > 0:
            pts.append((x, q, r))
    return pts


def step_line(ax, pts, higher_better, **kw):
    """The front as a staircase: sorted by x, each point's quality held until the next."""
    pts = sorted(pts, key=lambda p: p[0])
    if len(pts) < 2:
        return
    ax.step([p[0] for p in pts], [p[1] for p in pts], where="post", **kw)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_explore.py DIR")
    out = sys.argv[1]
    try:
        with open(os.path.join(out, "summary.json")) as f:
            summary = json.load(f)
        rows = read_csv(os.path.join(out, "explore.csv"))
        fronts = read_csv(os.path.join(out, "pareto.csv"))
    except (OSError, ValueError) as e:
        sys.exit("plot_explore.py: {}".format(e))
    quality = summary.get("quality", {})
    qkey = quality.get("column", "test_loss")
    higher = quality.get("better") == "higher"
    qlabel = "{} ({} is better)".format(QUALITY_LABELS.get(qkey, qkey), "higher" if higher else "lower")
    feasible = [r for r in rows if r.get("feasible") == "1"]
    front1 = [r for r in fronts if r.get("front") == "accuracy_energy_area"]
    front2 = [r for r in fronts if r.get("front") == "accuracy_time"]

    fig, (ax_e, ax_t) = plt.subplots(1, 2, figsize=(12, 4.8))
    panels = [
        (ax_e, "energy_to_train_uJ", "energy to train (uJ, dynamic + static)", front1, "accuracy_energy_area"),
        (ax_t, "time_to_train_us", "time to train on the mesh (us)", front2, "accuracy_time"),
    ]
    for ax, xkey, xlabel, front, name in panels:
        cloud = points_of(feasible, xkey, qkey)
        if cloud:
            ax.scatter([p[0] for p in cloud], [p[1] for p in cloud], s=14, color="0.7", label="feasible points",
                       zorder=1)
        fpts = points_of(front, xkey, qkey)
        if fpts:
            step_line(ax, fpts, higher, color="tab:blue", lw=1, zorder=2)
            if name == "accuracy_energy_area":
                areas = [number(p[2].get("area_mm2")) for p in fpts]
                areas = [a if a is not None else float("nan") for a in areas]
                sc = ax.scatter([p[0] for p in fpts], [p[1] for p in fpts], c=areas, cmap="viridis", s=40,
                                edgecolors="black", linewidths=0.5, zorder=3, label="Pareto front ({})".format(name))
                fig.colorbar(sc, ax=ax, label="area (mm^2)")
            else:
                ax.scatter([p[0] for p in fpts], [p[1] for p in fpts], color="tab:red", s=40, edgecolors="black",
                           linewidths=0.5, zorder=3, label="Pareto front ({})".format(name))
            for x, q, r in fpts:
                ax.annotate(r.get("point", ""), (x, q), textcoords="offset points", xytext=(4, 3), fontsize=7)
        if cloud or fpts:
            ax.set_xscale("log")
            ax.legend(fontsize=8)
        else:
            ax.text(0.5, 0.5, "no feasible point with finite {} and {}".format(qkey, xkey), ha="center",
                    va="center", transform=ax.transAxes, fontsize=9)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(qlabel)
        ax.grid(True, which="both", alpha=0.3)
    sample = summary.get("sample", {})
    method = sample.get("method", "?")
    fig.suptitle("design space exploration: {} of {} points feasible ({} of a {}-point grid)".format(
        summary.get("feasible_points", len(feasible)), summary.get("points", len(rows)),
        "all" if method == "grid" else method + " sample", sample.get("grid_size", "?")), fontsize=10)
    fig.tight_layout()
    for ext in ("png", "svg"):
        path = os.path.join(out, "explore." + ext)
        fig.savefig(path, dpi=110)
        print("wrote {}".format(path))


if __name__ == "__main__":
    main()
