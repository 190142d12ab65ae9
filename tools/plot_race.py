#!/usr/bin/env python3
"""The figure of `sheafsim race`: loss and accuracy against time and against
energy to that point, one curve per method, from DIR/race.json.

    python3 tools/plot_race.py DIR      # writes DIR/race.png and DIR/race.svg

`sheafsim race` runs it itself (without python3-matplotlib it says so and
goes on); it prints one line per file written. Methods without a mesh model
(SID) have no time axis: they appear in the energy panels only, with their
arithmetic energy.
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLOURS = {"sheaf": "tab:blue", "sgd": "tab:red", "sid": "tab:green"}


def finite(xs, ys):
    pts = [(x, y) for x, y in zip(xs, ys)
           if x is not None and y is not None and math.isfinite(x) and math.isfinite(y) and x > 0]
    return [p[0] for p in pts], [p[1] for p in pts]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: plot_race.py DIR")
    out = sys.argv[1]
    with open(os.path.join(out, "race.json")) as f:
        race = json.load(f)
    classification = any(p.get("test_accuracy") is not None
                         for m in race["methods"] for p in m["curve"])
    metrics = [("test_loss", "test loss")] + ([("test_accuracy", "test accuracy")] if classification else [])
    axes_x = [("time_us", "time on the mesh (us)"), ("energy_uJ", "energy (uJ, dynamic + static)")]
    fig, axes = plt.subplots(len(metrics), 2, figsize=(11, 4 * len(metrics)), squeeze=False)
    target = race["target"]
    for r, (key, label) in enumerate(metrics):
        for c, (xkey, xlabel) in enumerate(axes_x):
            ax = axes[r][c]
            for m in race["methods"]:
                xs, ys = finite([p[xkey] for p in m["curve"]], [p[key] for p in m["curve"]])
                if not xs:
                    continue
                name = m["method"] + ("" if m["level"] == "mesh simulation" else " (arithmetic only)")
                ax.plot(xs, ys, label=name, color=COLOURS.get(m["method"]), marker=".", markersize=3)
                if m.get("to_target") and m["to_target"].get(xkey) is not None:
                    ax.axvline(m["to_target"][xkey], color=COLOURS.get(m["method"]), ls=":", lw=1)
            if target["metric"] == key:
                ax.axhline(target["value"], color="grey", ls="--", lw=1, label=target["rule"])
            ax.set_xscale("log")
            if key == "test_loss":
                ax.set_yscale("log")
            ax.set_xlabel(xlabel)
            ax.set_ylabel(label)
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.suptitle("race to {}: mesh {}, {:.4g} MHz, {}".format(
        target["rule"], race["mesh"].get("summary", ""), race["clock_mhz"], race["formats"].get("summary", "")),
        fontsize=10)
    fig.tight_layout()
    for ext in ("png", "svg"):
        path = os.path.join(out, "race." + ext)
        fig.savefig(path, dpi=110)
        print(path)


if __name__ == "__main__":
    main()
