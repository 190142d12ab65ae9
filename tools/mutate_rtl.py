#!/usr/bin/env python3
"""Mutation test of the edge-unit testbench (docs/edge-unit.md §4).

Each mutant is one exact text substitution in rtl/*.sv. For each, the RTL is
copied to a temporary directory, the mutant applied, the q8 testbench
verilated and built against it (`verilator --cc --exe`, the flags of
edge_unit_verilate() in rtl/param_sets.cmake, then Verilator's makefile with
the model at -O1; one object directory for all builds, so only the mutated
model is recompiled; ccache when available), and run: the directed set streaming, again under back-pressure,
then random operations under random back-pressure. Every mutant must make
the run fail (non-zero exit). The unmutated RTL is built and run first and
must pass, so a kill means the mutant, not a broken build.

    tools/mutate_rtl.py --build-info build/tb/mutation_q8.json [--work-dir DIR] [--only NAME ...] [--list]

The build information (compiler, include paths, libraries, parameters) is
written by tb/CMakeLists.txt at configure time; ctest runs this as
rtl:mutation. Prints one line per mutant and `mutants killed: K of N`; exits 1
if any mutant survives, 2 on a setup error (pattern not found, build failed).

Updating a mutant after an RTL edit: a mutant whose `find` text is no longer
in its file fails with "mutant <name>: pattern not found". Look up the same
construct in the new RTL and put its current text (a short, unique piece) in
`find` and the faulty version in `replace`; the text must occur exactly once.

Python 3 standard library only.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# (name, file, find, replace, what it breaks). Short, stable texts: a
# rebalanced pipeline moves statements between stages but keeps them.
MUTANTS = [
    # The eleven edits of docs/edge-unit.md §4 "The bench catches RTL faults".
    ("rnd_zero_tie_inverted", "edge_round.sv",
     "(ge_half & (lo_nz | neg))", "(ge_half & (lo_nz | !neg))",
     "rnd_zero rounds ties the wrong way"),
    ("trn_zero_rounds_exact_negatives", "edge_round.sv",
     "(q == 3'd1) ? (neg & nz)", "(q == 3'd1) ? neg",
     "trn_zero rounds exact negative values up"),
    ("rnd_conv_parity_inverted", "edge_round.sv",
     "(ge_half & (lo_nz | v[D]))", "(ge_half & (lo_nz | !v[D]))",
     "rnd_conv rounds ties to odd"),
    ("sat_wrap_swapped", "edge_round.sv",
     "assign o = (OVF == 2) ? ovf : (OVF != 0);", "assign o = !((OVF == 2) ? ovf : (OVF != 0));",
     "sat wraps and wrap saturates"),
    ("lost_without_nonzero_check", "edge_unit.sv",
     "is_upd && (in_eta != '0) && (in_acc != '0)", "is_upd",
     "out_lost also for a zero update"),
    ("acc_wrapped_not_mac_only", "edge_unit.sv",
     "s3_wrapped <= s2_mac && ", "s3_wrapped <= ",
     "out_acc_wrapped raised by updates too"),
    ("site_class_swapped", "edge_unit.sv",
     "(in_op == OP_UPDB) ? 3'd4 : 3'd3", "(in_op == OP_UPDB) ? 3'd3 : 3'd4",
     "weight and bias hash site classes swapped"),
    ("hash_without_step", "edge_unit.sv",
     "mix64(h1 ^ k1_step)", "mix64(h1)",
     "the step is left out of the hash"),
    ("mix64_shift_changed", "edge_unit.sv",
     "x = x ^ (x >> 27);", "x = x ^ (x >> 26);",
     "one mix64 shift constant changed"),
    ("stoch_compare_le", "edge_unit.sv",
     "assign stoch_up = h4 < s4_rem;", "assign stoch_up = h4 <= s4_rem;",
     "the stochastic compare r < top made <="),
    ("stage3_no_bubble_squeeze", "edge_unit.sv",
     "assign en3 = !vld[2] || en4;", "assign en3 = en4;",
     "stage 3 does not load into a bubble while the output waits"),
    ("stage2_valid_ignores_stall", "edge_unit.sv",
     "if (en2) vld[1] <= vld[0];", "vld[1] <= vld[0];",
     "stage 2's valid bit loads during a stall"),
    # Added with the automation.
    ("hash_key_reload_in_stage3_stall", "edge_unit.sv",
     "k3_site <= k2_site;",
     "k3_site <= k2_site;\n        end\n        if (st2) begin\n          k3_site <= k2_site;",
     "stage 3's site key register reloads while stage 3 is stalled (the mutation that once escaped)"),
    ("ready_rule_off_by_one", "edge_unit.sv",
     "assign in_ready = en1;", "assign in_ready = en2;",
     "in_ready drops one stage early (all stages but the first full)"),
    ("out_tag_wrong_stage", "edge_unit.sv",
     "out_tag <= s4_tag;", "out_tag <= s3_tag;",
     "out_tag taken from the stage before the last"),
]

LATENCY_RE = re.compile(r"localparam int LATENCY = ([0-9]+);")


class SetupError(Exception):
    pass


def apply_mutant(rtl_dir, mutant):
    name, fname, find, replace, _ = mutant
    path = os.path.join(rtl_dir, fname)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    n = text.count(find)
    if n == 0:
        raise SetupError("mutant %s: pattern not found in rtl/%s: %r (the RTL changed; update MUTANTS in %s)"
                         % (name, fname, find, os.path.relpath(__file__)))
    if n > 1:
        raise SetupError("mutant %s: pattern occurs %d times in rtl/%s: %r (make it unique)" % (name, n, fname, find))
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace(find, replace))


def write_set_header(info, rtl_dir, out_dir):
    """edge_unit_set.h from rtl/edge_unit_set.h.in, as edge_unit_verilate() configures it."""
    with open(os.path.join(rtl_dir, "edge_unit.sv"), encoding="utf-8") as f:
        m = LATENCY_RE.search(f.read())
    if not m:
        raise SetupError("rtl/edge_unit.sv has no 'localparam int LATENCY = <cycles>;'")
    values = {"SET": info["set"], "MODEL": info["prefix"], "LATENCY": m.group(1)}
    for kv in info["params"]:
        k, v = kv.split("=", 1)
        values["P_" + k] = v
    with open(info["set_template"], encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"@([A-Za-z_0-9]+)@", lambda mm: values.get(mm.group(1), mm.group(0)), text)
    left = re.findall(r"@[A-Za-z_0-9]+@", text)
    if left:
        raise SetupError("edge_unit_set.h.in: no value for %s" % ", ".join(sorted(set(left))))
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "edge_unit_set.h")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return  # unchanged: keep its time stamp, so make keeps the testbench object
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def snapshot(obj):
    """{path: (sha256, mtime_ns)} of the generated sources and makefiles in obj."""
    out = {}
    if os.path.isdir(obj):
        for name in os.listdir(obj):
            path = os.path.join(obj, name)
            if os.path.isfile(path) and name.endswith((".h", ".cpp", ".mk")):
                out[path] = (file_digest(path), os.stat(path).st_mtime_ns)
    return out


def build(info, rtl_dir, work, jobs):
    """Verilates the (mutated) RTL in rtl_dir with the testbench; returns the executable."""
    hdr = os.path.join(work, "set")
    write_set_header(info, rtl_dir, hdr)
    obj = os.path.join(work, "obj")
    dirs = []
    for d in info["include_dirs"]:  # the system directory as -I breaks #include_next
        if d and d not in dirs and os.path.normpath(d) != "/usr/include":
            dirs.append(d)
    cflags = ["-std=c++17", "-I" + hdr] + ["-I" + d for d in dirs]
    cflags += ["-D" + d for d in info["definitions"] if d]
    cmd = [info["verilator"], "--cc", "--exe",
           "--top-module", "edge_unit", "--prefix", info["prefix"], "--Mdir", obj,
           "--coverage", "--trace-fst", "-Wall", "-Wno-fatal",  # lint is rtl:lint's job; a mutant may warn
           "-x-assign", "unique", "-x-initial", "unique"]
    cmd += ["-G" + kv for kv in info["params"]]
    cmd += [os.path.join(rtl_dir, os.path.basename(info["waivers"]))]
    cmd += [os.path.join(rtl_dir, os.path.basename(s)) for s in info["rtl"]]
    cmd += info["tb_sources"]
    cmd += ["-CFLAGS", " ".join(cflags), "-LDFLAGS", " ".join(l for l in info["link"] if l),
            "-o", "edge_unit_tb_mut"]
    env = dict(os.environ)
    if info.get("ccache"):
        env["OBJCACHE"] = info["ccache"]
    exe = os.path.join(obj, "edge_unit_tb_mut")
    if os.path.exists(exe):
        os.remove(exe)
    before = snapshot(obj)
    r = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=300)
    if r.returncode == 0:
        # Verilator rewrites every output file; giving the unchanged ones back
        # their time stamps lets make rebuild only the mutated model (the
        # runtime objects depend on <prefix>.mk, the testbench on <prefix>.h).
        for path, (digest, mtime) in before.items():
            if os.path.exists(path) and file_digest(path) == digest:
                os.utime(path, ns=(mtime, mtime))
        r = subprocess.run(["make", "-C", obj, "-f", info["prefix"] + ".mk", "-j", str(jobs),
                            "OPT_FAST=-O1", "OPT_SLOW=-O0", "OPT_GLOBAL=-O1", "CXX=" + info["cxx"]],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True, timeout=900)
    if r.returncode != 0 or not os.path.exists(exe):
        raise SetupError("build failed in %s:\n%s" % (work, r.stdout[-4000:]))
    return exe


def run_bench(exe, args):
    r = subprocess.run([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, timeout=300)
    return r.returncode, r.stdout


def kill_reason(out):
    """The first failed check of a run, as 'MISMATCH (what), origin ...'."""
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("MISMATCH ("):
            what = line[len("MISMATCH ("):line.index(")")]
            for nxt in lines[i + 1:i + 3]:
                m = re.search(r"origin ([a-z_0-9]+)( \(directed set, back-pressure pass\))?", nxt)
                if m:
                    phase = "directed, back-pressure pass" if m.group(2) else (
                        "random" if m.group(1) == "random" else "directed, streaming")
                    return "%s, origin %s (%s)" % (what, m.group(1), phase)
            return what
        if line.startswith("FAIL: "):
            return line[len("FAIL: "):]
    return "exit status only"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build-info", required=True, help="mutation_q8.json written by tb/CMakeLists.txt")
    ap.add_argument("--vectors", type=int, default=3000, help="random operations after the directed set")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2, help="compile jobs per build")
    ap.add_argument("--only", action="append", help="run only this mutant (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--work-dir", help="build here (reused, so ccache hits across runs; default: a temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    a = ap.parse_args()

    if a.list:
        for name, fname, _, _, what in MUTANTS:
            print("%-34s rtl/%-13s %s" % (name, fname, what))
        return 0
    with open(a.build_info, encoding="utf-8") as f:
        info = json.load(f)
    mutants = [m for m in MUTANTS if not a.only or m[0] in a.only]
    if a.only and len(mutants) != len(a.only):
        print("unknown mutant in --only: %s" % ", ".join(sorted(set(a.only) - {m[0] for m in MUTANTS})))
        return 2
    bench_args = ["--vectors", str(a.vectors), "--seed", str(a.seed)]
    # Every build uses the same paths (work/rtl, work/set, work/obj) and keeps
    # the object directory: make recompiles only what a mutant changed (the
    # model), and ccache, with the paths unchanged, finds across runs what was
    # compiled before.
    if a.work_dir:
        tmp = os.path.abspath(a.work_dir)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
    else:
        tmp = tempfile.mkdtemp(prefix="mutate_rtl_")
    t_all = time.time()
    try:
        work = os.path.join(tmp, "build")

        def fresh_rtl():  # the object directory stays: make rebuilds only what changed
            d = os.path.join(work, "rtl")
            shutil.rmtree(d, ignore_errors=True)
            os.makedirs(d)
            for src in info["rtl"] + [info["waivers"]]:
                shutil.copy(src, d)
            return d

        # Every pattern first: a stale mutant list fails before any build.
        for m in mutants:
            apply_mutant(fresh_rtl(), m)

        t0 = time.time()
        exe = build(info, fresh_rtl(), work, a.jobs)
        rc, out = run_bench(exe, bench_args)
        if rc != 0 or "\nresult: PASS" not in out:
            print(out[-3000:])
            raise SetupError("the unmutated RTL fails the bench (exit %d): fix that first" % rc)
        print("baseline (unmutated RTL): PASS, %.1f s (build and run)" % (time.time() - t0))
        sys.stdout.flush()

        killed, survived = 0, []
        for m in mutants:
            t0 = time.time()
            rtl = fresh_rtl()
            apply_mutant(rtl, m)
            exe = build(info, rtl, work, a.jobs)
            rc, out = run_bench(exe, bench_args)
            if rc != 0:
                killed += 1
                print("mutant %-34s KILLED   %5.1f s  %s" % (m[0], time.time() - t0, kill_reason(out)))
            else:
                survived.append(m[0])
                print("mutant %-34s SURVIVED %5.1f s  (%s)" % (m[0], time.time() - t0, m[4]))
            sys.stdout.flush()
        print("mutants killed: %d of %d" % (killed, len(mutants)))
        print("mutation_wall_seconds: %.1f" % (time.time() - t_all))
        if survived:
            print("FAIL: surviving mutants: %s (the bench misses these faults)" % ", ".join(survived))
            return 1
        return 0
    except SetupError as e:
        print("ERROR: %s" % e)
        return 2
    finally:
        if a.keep or a.work_dir:
            print("kept %s (the last build)" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
