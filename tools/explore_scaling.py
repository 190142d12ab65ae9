#!/usr/bin/env python3
"""Scaling of `sheafsim explore` over MPI ranks (docs/performance.md,
"Distributed exploration"): the same exploration with one process (--jobs 1)
and with mpirun -n 1, 2, 3; points per second against ranks, rank 0's own
time (the serial fraction), and an estimate for 64 and 512 ranks.

    python3 tools/explore_scaling.py build/sw/sheafsim [configs/explore-paraboloid.toml] [--repeat 2]

Every run's files must equal the one-process run's (it checks); the figures are
ratios measured in this one run, so they compare on a loaded machine too.
"""
import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(cmd, env):
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sheafsim")
    ap.add_argument("config", nargs="?", default="configs/explore-paraboloid.toml")
    ap.add_argument("--repeat", type=int, default=2, help="runs per setting; the fastest counts")
    ap.add_argument("--ranks", default="1,2,3")
    ap.add_argument("--mpiexec", default="mpirun")
    a = ap.parse_args()
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1", SHEAFSIM_PROGRESS="0",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1")
    work = tempfile.mkdtemp(prefix="explore-scaling-")
    cores = os.cpu_count()
    settings = [("1 process, --jobs 1", [a.sheafsim, "explore", "--config", a.config, "--jobs", "1", "--no-plots"])]
    for n in [int(x) for x in a.ranks.split(",")]:
        settings.append((f"mpirun -n {n}", [a.mpiexec, "--oversubscribe", "--allow-run-as-root", "-n", str(n),
                                            a.sheafsim, "explore", "--config", a.config, "--no-plots"]))
    rows = []
    ref = None
    for name, cmd in settings:
        best = None
        for r in range(a.repeat):
            out = os.path.join(work, f"{len(rows)}-{r}")
            run(cmd + ["--out-dir", out], env)
            t = json.load(open(os.path.join(out, "timing.json")))
            s = json.load(open(os.path.join(out, "summary.json")))
            if ref is None:
                ref = out
            for f in ("explore.csv", "pareto.csv", "summary.json"):
                if not filecmp.cmp(os.path.join(ref, f), os.path.join(out, f), shallow=False):
                    sys.exit(f"{name}: {f} differs from the one-process run's")
            if best is None or t["wall_time_s"] < best[0]["wall_time_s"]:
                best = (t, s)
        rows.append((name, best[0], best[1]))
    base = rows[0][1]["wall_time_s"]
    points = rows[0][2]["points"]
    print(f"{points} points, {rows[0][1]['tasks']} tasks; {cores} cores; fastest of {a.repeat} runs each\n")
    print("| run | ranks | workers | wall s | points/s | speed-up vs 1 process | rank 0's own time / wall | worker utilisation |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t, _ in rows:
        print(f"| {name} | {t['ranks']} | {t['workers']} | {t['wall_time_s']:.2f} | {points / t['wall_time_s']:.2f} | "
              f"{base / t['wall_time_s']:.2f} | {t['coordinator_s'] / t['wall_time_s']:.4f} | "
              f"{t['worker_utilisation']:.2f} |")
    # The estimate: a run with many more tasks than workers (the tail of the
    # last tasks small), tasks of the measured mean length, one rank per core,
    # rank 0 spending its measured time per task (checkpoint writes on a local
    # disk; a parallel file system costs more per file).
    t1 = rows[0][1]
    task_s = sum(t1["worker_busy_s"]) / t1["computed"]
    last = rows[-1][1]
    coord_per_task = last["coordinator_s"] / last["computed"]
    ceiling = 1.0 / coord_per_task if coord_per_task > 0 else float("inf")
    print(f"\nmean task {task_s:.3f} s (one process); rank 0's own time per task {coord_per_task * 1e3:.3f} ms "
          f"({last['ranks']} ranks): at most {ceiling:.0f} tasks/s")
    for n in (64, 512):
        w = n - 1
        rate = min(w / task_s, ceiling)
        print(f"estimate, {n} ranks ({w} workers): {rate * points / t1['computed']:.0f} points/s, "
              f"{rate:.0f} tasks/s = min({w / task_s:.0f} (workers / mean task), {ceiling:.0f} (1 / rank 0's time)); "
              f"rank 0 busy {100 * rate * coord_per_task:.0f} % of the time")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
