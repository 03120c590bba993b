"""Benchmarks for the baseline world: run time, startup with cached kernels, and a profile.

Run from the repository root (``make bench`` does this)::

    .venv/bin/python benchmarks/bench_baseline.py            # everything
    .venv/bin/python benchmarks/bench_baseline.py --repeats 5 --no-cold
    .venv/bin/python benchmarks/bench_baseline.py --json out/bench_baseline.json

What it measures (targets from the performance issue; see docs/PERFORMANCE.md):

1. Run time: the baseline scenario (scenarios/baseline.yaml: 520 weeks, ~65,000 members,
   5,000 officials) with conservation checks off, after a warm-up run in this process (so
   every Numba kernel is compiled or loaded); median of ``--repeats`` runs. Target: < 2 s.
   Also the same with checks on, and agent-weeks per second
   (sum over weeks of active members + officials * weeks) / run time.
2. Startup: a fresh ``python -c`` that imports sim, builds the baseline model and steps one
   week; the wall time from just before the process is spawned to the end of that week,
   with the kernel cache warm (target: < 3 s) and, for reference, cold (an empty temporary
   NUMBA_CACHE_DIR, so every kernel the first week needs is compiled).
3. Profile: cProfile of one baseline run (after warm-up); the top functions by own time
   (tottime) and the weekly processes of ``TocModel.step`` by cumulative time.

"One core": the kernels are ``numba.njit`` without ``parallel=True`` (single-threaded);
this script also sets NUMBA_NUM_THREADS, OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
MKL_NUM_THREADS to 1 before numpy and numba are imported, and passes the same environment to
the subprocesses it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE_CORE = {
    "NUMBA_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
os.environ.update(ONE_CORE)  # before numpy / numba are imported

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
sys.path.insert(0, str(ROOT))  # benchmark the tree this script lives in (a checkout or a copy)

# The weekly processes of TocModel.step, in order (sim/processes/<name>.py, each with one
# ``step``), for the per-process profile table.
PHASES = ("shipping", "markets", "corruption", "finance", "enforcement", "conflict",
          "members", "leadership", "recruitment", "bookkeeping")


# ---------------------------------------------------------------------------- machine
def machine_info() -> dict:
    """CPU model, cores, memory, Python / numpy / numba versions."""
    import numba
    import numpy

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = int(line.split()[1]) / 2**20
                break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count()
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {
        "commit": commit or "unknown (not a git checkout)",
        "tree": str(ROOT),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_usable": affinity,
        "mem_gib": mem_gib,
        "loadavg": load,
        "os": platform.platform(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "numba": numba.__version__,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
    }


def print_machine(info: dict) -> None:
    mem = f"{info['mem_gib']:.1f} GiB" if info["mem_gib"] else "?"
    load = ", ".join(f"{x:.2f}" for x in info["loadavg"]) if info["loadavg"] else "?"
    print(f"date      {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    print(f"machine   {info['cpu']}; {info['cores']} cores ({info['cores_usable']} usable); "
          f"{mem} RAM; load average {load}")
    print(f"code      {info['tree']} at {info['commit']}")
    print(f"software  {info['os']}; Python {info['python']}, numpy {info['numpy']}, "
          f"numba {info['numba']} (NUMBA_NUM_THREADS={info['numba_threads']})")


def one_core_env(**extra: str) -> dict:
    env = dict(os.environ)
    env.update(ONE_CORE)
    env.update(extra)
    return env


def spread(xs: list[float]) -> str:
    if len(xs) == 1:
        return f"{xs[0]:.3f} s"
    return (f"median {statistics.median(xs):.3f} s  (min {min(xs):.3f}, max {max(xs):.3f}, "
            f"n={len(xs)})")


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# ---------------------------------------------------------------------------- run time
def agent_weeks(model) -> int:
    """Sum over simulated weeks of active members, plus officials * weeks."""
    df = model.metrics_frame()
    return int(df["criminal_members"].sum()) + int(model.officials.n) * int(model.week)


def timed_run(scenario, checks: bool) -> dict:
    from sim.model import TocModel

    t0 = time.perf_counter()
    m = TocModel(scenario, checks=checks)
    t1 = time.perf_counter()
    c1 = time.process_time()
    m.run()
    t2 = time.perf_counter()
    c2 = time.process_time()
    aw = agent_weeks(m)
    return {"build_s": t1 - t0, "run_s": t2 - t1, "cpu_s": c2 - c1, "weeks": m.week,
            "agent_weeks": aw,
            "initial_members": m.ledger.initial_members, "final_active": m.ledger.active,
            "officials": m.officials.n, "member_slots": m.members.n}


def bench_run(repeats: int, checks_repeats: int) -> dict:
    from sim import load_scenario
    from sim.model import TocModel

    scn = load_scenario(BASELINE)
    print("\n== Baseline run time (in process) ==")
    t0 = time.perf_counter()
    w = TocModel(scn, checks=False)
    w.run()
    print(f"warm-up run (includes loading/compiling kernels): {time.perf_counter() - t0:.2f} s")

    off, on = [], []
    for i in range(max(repeats, checks_repeats)):  # interleaved, so both see the same noise
        if i < repeats:
            off.append(timed_run(scn, checks=False))
        if i < checks_repeats:
            on.append(timed_run(scn, checks=True))
    r0 = off[0]
    print(f"world: {r0['weeks']} weeks, {r0['initial_members']:,} initial members, "
          f"{r0['officials']:,} officials; {r0['final_active']:,} active at the end, "
          f"{r0['member_slots']:,} member slots used; {r0['agent_weeks']:,} agent-weeks")
    run_off = [r["run_s"] for r in off]
    build = [r["build_s"] for r in off]
    med = statistics.median(run_off)
    print(f"run(), checks off   {spread(run_off)}")
    print(f"  CPU time          {spread([r['cpu_s'] for r in off])}  (less sensitive to "
          "other load)")
    print(f"build TocModel      {spread(build)}")
    both = statistics.median([r["build_s"] + r["run_s"] for r in off])
    print(f"build + run         median {both:.3f} s")
    if on:
        run_on = [r["run_s"] for r in on]
        print(f"run(), checks on    {spread(run_on)}")
        print(f"  CPU time          {spread([r['cpu_s'] for r in on])}")
    aws = r0["agent_weeks"] / med
    print(f"agent-weeks/s       {aws:,.0f}  (checks off, median run)")
    print(f"per week            {1e3 * med / r0['weeks']:.2f} ms")
    print(f"target: 520 weeks < 2 s (checks off) -> {verdict(med < 2.0)}  ({med:.2f} s)")
    cpu = statistics.median(r["cpu_s"] for r in off)
    print(f"issue 11 target: 520 weeks <= 0.3 s of model time, one core -> "
          f"{verdict(med <= 0.3)}  ({med:.2f} s wall, {cpu:.2f} s CPU)")
    return {"off": off, "on": on, "median_run_s": med, "agent_weeks_per_s": aws,
            "median_run_checks_s": statistics.median([r["run_s"] for r in on]) if on else None,
            "min_run_s": min(run_off), "median_cpu_s": statistics.median(r["cpu_s"] for r in off),
            "target_met": med < 2.0}


# ---------------------------------------------------------------------------- startup
STARTUP_CODE = r"""
import json, sys, time
t_start = float(sys.argv[1])
t0 = time.time()
import sim
from sim import load_scenario
from sim.model import TocModel
t1 = time.time()
m = TocModel(load_scenario(sys.argv[2]), checks=False)
t2 = time.time()
m.step()
t3 = time.time()
print(json.dumps({"total": t3 - t_start, "interp": t0 - t_start, "import": t1 - t0,
                  "build": t2 - t1, "first_week": t3 - t2}))
"""


def startup_once(cache_dir: str | None) -> dict:
    extra = {"NUMBA_CACHE_DIR": cache_dir} if cache_dir else {}
    env = one_core_env(**extra)
    t = time.time()
    out = subprocess.run([sys.executable, "-c", STARTUP_CODE, repr(t), str(BASELINE)],
                         env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def describe_startup(runs: list[dict]) -> str:
    parts = ["interp", "import", "build", "first_week"]
    meds = {p: statistics.median(r[p] for r in runs) for p in parts}
    return ("  medians: interpreter " + f"{meds['interp']:.2f} s, import sim "
            f"{meds['import']:.2f} s, build model {meds['build']:.2f} s, first week "
            f"{meds['first_week']:.2f} s")


def bench_startup(repeats: int, cold_repeats: int) -> dict:
    print("\n== Startup: fresh process to end of first week ==")
    startup_once(None)  # make sure the cache is warm (recompiles if a kernel file changed)
    warm = [startup_once(None) for _ in range(repeats)]
    tw = [r["total"] for r in warm]
    print(f"warm cache          {spread(tw)}")
    print(describe_startup(warm))
    cold = []
    for _ in range(cold_repeats):
        with tempfile.TemporaryDirectory(prefix="tocsim-numba-") as d:
            cold.append(startup_once(d))
    if cold:
        tc = [r["total"] for r in cold]
        print(f"cold cache          {spread(tc)}  (empty NUMBA_CACHE_DIR; compiles what the "
              "first week needs)")
        print(describe_startup(cold))
    med = statistics.median(tw)
    print(f"target: warm start to end of week 1 < 3 s -> {verdict(med < 3.0)}  ({med:.2f} s)")
    return {"warm": warm, "cold": cold, "median_warm_s": med,
            "median_cold_s": statistics.median([r["total"] for r in cold]) if cold else None,
            "target_met": med < 3.0}


# ---------------------------------------------------------------------------- profile
def _wrap_kernels() -> tuple[list[str], callable]:
    """Wrap the Numba kernels that the weekly processes (sim/processes/) call in thin Python
    functions.

    cProfile does not see calls into a Numba dispatcher, so a kernel's time would be charged
    to the Python function that calls it. Each wrapper is named ``kernel:<name>`` so the
    kernels appear as their own rows. Returns the wrapped names and a function that undoes it.
    """
    from numba.core.registry import CPUDispatcher

    import sim.processes as procs

    saved = {}
    for mod in procs.WEEKLY:
        for name, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher):
                saved[(mod, name)] = obj

    def make(disp, name):
        def call(*args, **kwargs):
            return disp(*args, **kwargs)

        call.__code__ = call.__code__.replace(co_name=f"kernel:{name}",
                                              co_qualname=f"kernel:{name}")
        return call

    for (mod, name), disp in saved.items():
        setattr(mod, name, make(disp, name))

    def undo():
        for (mod, name), disp in saved.items():
            setattr(mod, name, disp)

    return sorted({name for _mod, name in saved}), undo


def bench_profile(top: int) -> dict:
    import cProfile
    import io
    import pstats

    from sim import load_scenario
    from sim.model import TocModel

    print(f"\n== Profile: one baseline run (checks off, after warm-up), top {top} by tottime ==")
    scn = load_scenario(BASELINE)
    TocModel(scn, checks=False).run(5)  # warm-up (kernels already loaded if bench_run ran)
    kernels, undo = _wrap_kernels()
    print(f"(Numba kernels shown as kernel:<name>: {', '.join(kernels)})")
    m = TocModel(scn, checks=False)
    prof = cProfile.Profile()
    try:
        prof.enable()
        m.run()
        prof.disable()
    finally:
        undo()
    buf = io.StringIO()
    st = pstats.Stats(prof, stream=buf)
    st.strip_dirs().sort_stats("tottime").print_stats(top)
    text = buf.getvalue()
    # Drop pstats' preamble lines up to the table header.
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if "function calls" in ln), 0)
    print("\n".join(ln for ln in lines[start:] if ln.strip()))

    raw = pstats.Stats(prof).stats
    total = sum(v[2] for v in raw.values())  # total own time
    phases = {}
    for (fname, _line, func), (_cc, _nc, _tt, ct, _callers) in raw.items():
        proc = Path(fname).stem
        if func == "step" and proc in PHASES and Path(fname).parent.name == "processes":
            phases[proc] = phases.get(proc, 0.0) + ct
    kern = {func.split(":", 1)[1]: tt for (_f, _l, func), (_cc, _nc, tt, _ct, _c) in raw.items()
            if func.startswith("kernel:")}
    ktot = sum(kern.values())
    print(f"\nweekly processes (step) by cumulative time (profiled run {total:.2f} s; "
          "cProfile adds "
          "overhead):")
    for p in PHASES:
        if p in phases:
            print(f"  {p:<16} {phases[p]:7.3f} s  {100 * phases[p] / total:5.1f} %")
    print(f"inside Numba kernels: {ktot:.3f} s ({100 * ktot / total:.1f} %); the rest is "
          "Python and numpy in the weekly processes:")
    for k, v in sorted(kern.items(), key=lambda kv: -kv[1]):
        print(f"  {k:<24} {v:7.3f} s  {100 * v / total:5.1f} %")
    # ndarray.sum() is numpy's _methods._sum around ufunc.reduce: thousands of small sums a
    # week add up. Show which sim methods call it most.
    sums = [v for k, v in raw.items() if k[2] == "<method 'sum' of 'numpy.ndarray' objects>"]
    if sums:
        rows = sorted(sums[0][4].items(), key=lambda kv: -kv[1][3])[:6]
        print(f"ndarray.sum() calls ({sums[0][1]:,} in all, {sums[0][3]:.3f} s) by caller:")
        for (fname, line, func), (_cc, nc, _tt, ct) in rows:
            where = f"{Path(fname).name}:{line}({func})"
            print(f"  {where:<40} {nc:7d} calls {ct:7.3f} s")
    top_rows = []
    for (fname, line, func), (_cc, nc, tt, ct, _c) in sorted(
            raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]:
        top_rows.append({"function": f"{Path(fname).name}:{line}({func})", "ncalls": nc,
                         "tottime": tt, "cumtime": ct})
    return {"total_s": total, "phases": phases, "kernels": kern, "top": top_rows}


# ---------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed runs, checks off (default 3)")
    ap.add_argument("--checks-repeats", type=int, default=3,
                    help="timed runs with checks on, interleaved with the others (default 3)")
    ap.add_argument("--startup-repeats", type=int, default=5,
                    help="fresh processes with a warm cache (default 5)")
    ap.add_argument("--cold-repeats", type=int, default=1,
                    help="fresh processes with an empty cache (default 1)")
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-cache startup")
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--top", type=int, default=12, help="profile rows (default 12)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    a = ap.parse_args(argv)

    info = machine_info()
    print("tocsim baseline benchmark")
    print_machine(info)
    res: dict = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": info}
    res["run"] = bench_run(a.repeats, a.checks_repeats)
    if not a.no_startup:
        res["startup"] = bench_startup(a.startup_repeats, 0 if a.no_cold else a.cold_repeats)
    if not a.no_profile:
        res["profile"] = bench_profile(a.top)

    print("\n== Summary ==")
    load = os.getloadavg()
    print(f"load average now {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f} on {os.cpu_count()} "
          "cores" + ("  (busy machine: wall times are noisy, compare CPU times and minima)"
                     if load[1] > 0.7 * (os.cpu_count() or 1) else ""))
    r = res["run"]
    print(f"baseline 520 weeks, checks off: {r['median_run_s']:.2f} s (min {r['min_run_s']:.2f}, "
          f"CPU {r['median_cpu_s']:.2f}; target < 2 s: {verdict(r['target_met'])}); checks on: "
          + (f"{r['median_run_checks_s']:.2f} s" if r["median_run_checks_s"] else "-")
          + f"; {r['agent_weeks_per_s']:,.0f} agent-weeks/s")
    if "startup" in res:
        s = res["startup"]
        cold = f"{s['median_cold_s']:.2f} s" if s["median_cold_s"] else "-"
        print(f"startup to end of week 1: warm {s['median_warm_s']:.2f} s (target < 3 s: "
              f"{verdict(s['target_met'])}); cold {cold}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(res, indent=2, default=str))
        print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
