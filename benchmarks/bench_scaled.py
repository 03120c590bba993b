"""Benchmark a scaled world: ~1,000,000 members for 10 years, time and peak memory.

Run from the repository root::

    .venv/bin/python benchmarks/bench_scaled.py                 # scale 15.5, 520 weeks
    .venv/bin/python benchmarks/bench_scaled.py --repeats 3
    .venv/bin/python benchmarks/bench_scaled.py --scale 4 --weeks 104
    .venv/bin/python benchmarks/bench_scaled.py --profile 12   # and a profiled extra run

``from_dict({"name": "scaled", "scale": S, "weeks": W})`` multiplies members, officials,
population, demand and capacities by S; S = 15.5 gives ~1,000,000 initial members. Each run
is a fresh child process (this script with ``--child``) with NUMBA_NUM_THREADS, OMP, OpenBLAS
and MKL threads set to 1, checks off. The child reports the time to import sim and build the
model, the first week (which also loads the cached kernels) and the whole run, agent-weeks per
second (sum over weeks of active members + officials * weeks, divided by the run time) and its
peak resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``).

Targets (docs/PERFORMANCE.md): 1,000,000 members, 520 weeks in under 60 s and under 4 GiB.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_baseline import (  # noqa: E402  (sets the one-core environment on import)
    ROOT,
    machine_info,
    one_core_env,
    print_machine,
    spread,
    verdict,
)

GIB = 2**30


def child(scale: float, weeks: int, checks: bool, profile: int = 0) -> None:
    """Runs in the measured process; prints one JSON line (after a profile, if asked)."""
    import resource

    t0 = time.perf_counter()
    from sim import from_dict
    from sim.model import TocModel

    t1 = time.perf_counter()
    scn = from_dict({"name": "scaled", "scale": scale, "weeks": weeks})
    m = TocModel(scn, checks=checks)
    t2 = time.perf_counter()
    rss_build = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    c2 = time.process_time()
    m.step()
    t3 = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        from bench_baseline import _wrap_kernels

        _names, undo = _wrap_kernels()
        prof = cProfile.Profile()
        prof.enable()
    m.run(weeks - 1)
    t4 = time.perf_counter()
    c4 = time.process_time()
    if profile:
        prof.disable()
        undo()
        print(f"== Profile of weeks 2..{weeks} (kernels as kernel:<name>), top {profile} by "
              "tottime ==")
        pstats.Stats(prof, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(
            profile)
    df = m.metrics_frame()
    agent_weeks = int(df["criminal_members"].sum()) + int(m.officials.n) * int(m.week)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({
        "scale": scale, "weeks": int(m.week), "initial_members": int(m.ledger.initial_members),
        "final_active": int(m.ledger.active), "max_active": int(df["criminal_members"].max()),
        "member_slots": int(m.members.n), "officials": int(m.officials.n),
        "import_s": t1 - t0, "build_s": t2 - t1, "first_week_s": t3 - t2,
        "run_s": t4 - t2, "cpu_s": c4 - c2, "agent_weeks": agent_weeks,
        "peak_rss_bytes": rss, "rss_after_build_bytes": rss_build,
    }))


def run_child(scale: float, weeks: int, checks: bool, profile: int = 0) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--scale", str(scale),
           "--weeks", str(weeks), "--profile", str(profile)] + (["--checks"] if checks else [])
    t = time.perf_counter()
    out = subprocess.run(cmd, env=one_core_env(), cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"child failed with exit status {out.returncode}")
    lines = out.stdout.strip().splitlines()
    if profile:
        print("\n".join(ln for ln in lines[:-1] if ln.strip()))
    res = json.loads(lines[-1])
    res["process_wall_s"] = wall
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=15.5, help="world scale (default 15.5)")
    ap.add_argument("--weeks", type=int, default=520, help="weeks to run (default 520)")
    ap.add_argument("--repeats", type=int, default=1, help="child processes (default 1)")
    ap.add_argument("--checks", action="store_true", help="conservation checks on")
    ap.add_argument("--no-warm", action="store_true",
                    help="skip the short warm-up process that fills the kernel cache")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="profile one more run with cProfile (not timed); print the top N")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(a.scale, a.weeks, a.checks, a.profile)
        return 0

    info = machine_info()
    print(f"tocsim scaled benchmark: scale {a.scale:g}, {a.weeks} weeks, checks "
          f"{'on' if a.checks else 'off'}, {a.repeats} run(s), one process each")
    print_machine(info)
    if not a.no_warm:  # compile/load kernels once so the timed runs use a warm cache
        run_child(1.0, 2, False)

    runs = []
    for i in range(a.repeats):
        r = run_child(a.scale, a.weeks, a.checks)
        runs.append(r)
        print(f"run {i + 1}: run {r['run_s']:.2f} s (CPU {r['cpu_s']:.2f} s), first week "
              f"{r['first_week_s']:.2f} s, import {r['import_s']:.2f} s, build "
              f"{r['build_s']:.2f} s, process {r['process_wall_s']:.2f} s, peak RSS "
              f"{r['peak_rss_bytes'] / GIB:.2f} GiB")

    r0 = runs[0]
    run_s = [r["run_s"] for r in runs]
    med = statistics.median(run_s)
    rss = max(r["peak_rss_bytes"] for r in runs)
    aws = r0["agent_weeks"] / med
    print(f"\nworld: {r0['initial_members']:,} initial members, {r0['officials']:,} "
          f"officials; active at most {r0['max_active']:,}, {r0['final_active']:,} at the end; "
          f"{r0['member_slots']:,} member slots used; {r0['agent_weeks']:,} agent-weeks")
    print(f"run ({r0['weeks']} weeks)   {spread(run_s)}")
    print(f"  CPU time         {spread([r['cpu_s'] for r in runs])}")
    print(f"build model        {spread([r['build_s'] for r in runs])}")
    print(f"process wall       {spread([r['process_wall_s'] for r in runs])}  (start to exit)")
    print(f"peak RSS           {rss / GIB:.2f} GiB (after build "
          f"{max(r['rss_after_build_bytes'] for r in runs) / GIB:.2f} GiB)")
    print(f"agent-weeks/s      {aws:,.0f}")
    print(f"per week           {1e3 * med / r0['weeks']:.1f} ms")
    full = r0["initial_members"] >= 1_000_000 and r0["weeks"] >= 520
    tgt = f"{verdict(med < 60 and rss < 4 * GIB)}" if full else "n/a (not 1M members x 520 weeks)"
    print(f"target: 1,000,000 members x 520 weeks < 60 s and < 4 GiB -> {tgt}  "
          f"({med:.1f} s, {rss / GIB:.2f} GiB)")
    cpu = statistics.median([r["cpu_s"] for r in runs])
    tgt11 = verdict(med <= 3.0) if full else "n/a (not 1M members x 520 weeks)"
    print(f"issue 11 target: 1,000,000 members x 520 weeks <= 3 s of model time -> {tgt11}  "
          f"({med:.1f} s wall, {cpu:.1f} s CPU)")
    if a.profile:
        print()
        run_child(a.scale, a.weeks, a.checks, a.profile)
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                      "machine": info, "runs": runs, "median_run_s": med,
                                      "peak_rss_bytes": rss, "agent_weeks_per_s": aws},
                                     indent=2, default=str))
        print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
