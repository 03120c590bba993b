"""Benchmarks of training exercises: the time of one 13-week turn after start-up, and of a
debrief with R replicates per arm on a 2-worker Dask cluster.

Run from the repository root::

    .venv/bin/python benchmarks/bench_training.py                     # both (~3 min idle)
    .venv/bin/python benchmarks/bench_training.py --replicates 20 --workers 2 --json out/t.json
    .venv/bin/python benchmarks/bench_training.py --no-debrief

What it measures (results in docs/PERFORMANCE.md, section "Training exercises"):

1. Turn: ``Exercise.new`` on exercises/border_finance.yaml (start-up: building the session and
   status-quo models, the warm-up weeks, the first snapshot), then every turn of the scripted
   plan (exercises/border_finance.decisions.yaml): submit each team's decisions, lock, advance.
   The time of ``advance`` is what the facilitator waits for: 13 weeks of the session model
   and of its status-quo shadow, the injects, the snapshot and briefings written atomically.
   Target: < 1 s per turn after start-up. Reported: start-up, each turn, median and max.
2. Debrief: ``training.debrief`` of that session with ``--replicates`` per arm (status quo,
   plan, the facilitator's alternative, each decision left out, each team left out) and the
   session's own seed, on a LocalCluster of ``--workers`` processes, from a cold store.
   Target: < 2 min with 20 replicates on 2 cores. Reported: wall time, cluster start-up, runs
   and arms, the CPU time of this process and its children.

The load average is printed before and after: on a shared machine the wall times include
waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ONE_CORE = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}
os.environ.update(ONE_CORE)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXERCISE = ROOT / "exercises" / "border_finance.yaml"
SCRIPT = ROOT / "exercises" / "border_finance.decisions.yaml"
ALTERNATIVE = ROOT / "exercises" / "border_finance.alternative.yaml"


def cpu_s() -> float:
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime


def bench_turns(out: Path) -> dict:
    from training import Exercise
    from training.spec import load_script

    script = load_script(SCRIPT)
    warm = Exercise.new(EXERCISE, out / "warm")  # compile or load the kernels once
    warm.advance()
    t0 = time.perf_counter()
    ex = Exercise.new(EXERCISE, out / "session")
    startup = time.perf_counter() - t0
    turns = []
    for turn in range(1, ex.ex.spec.turns + 1):
        for name in script.fire.get(turn, []):
            ex.fire_inject(name)
        for team, sub in sorted(script.turns.get(turn, {}).items()):
            ex.submit(team, sub.model_copy(update={"turn": turn}))
        ex.lock()
        t = time.perf_counter()
        ex.advance()
        turns.append(round(time.perf_counter() - t, 3))
    return {"startup_s": round(startup, 3), "turn_s": turns,
            "turn_median_s": statistics.median(turns), "turn_max_s": max(turns),
            "turn_weeks": ex.ex.spec.turn_weeks, "session": str(out / "session")}


def bench_debrief(session: str, replicates: int, workers: int) -> dict:
    from training.debrief import debrief

    c0, t0 = cpu_s(), time.perf_counter()
    res = debrief(session, replicates, alternatives=[ALTERNATIVE], workers=workers)
    wall = time.perf_counter() - t0
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu_s() - c0, 2), **res.timings,
            "replicates": replicates, "workers": workers,
            "session_check": res.session_check}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-debrief", action="store_true")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    load0 = os.getloadavg()
    print(f"cores: {os.cpu_count()}, load average before: {load0[0]:.2f}")
    tmp = Path(tempfile.mkdtemp(prefix="tocsim-bench-train-"))
    try:
        out = {"load_before": load0[0], "turns": bench_turns(tmp)}
        t = out["turns"]
        print(f"start-up {t['startup_s']:.2f} s; {t['turn_weeks']}-week turns: "
              f"median {t['turn_median_s']:.3f} s, max {t['turn_max_s']:.3f} s ({t['turn_s']})")
        if not args.no_debrief:
            d = out["debrief"] = bench_debrief(t["session"], args.replicates, args.workers)
            print(f"debrief: {d['runs']} tasks x {d['arms']} arms x {d['weeks']} weeks, "
                  f"{args.workers} workers: {d['wall_s']:.1f} s wall (cluster start-up "
                  f"{d['startup_s']} s), {d['cpu_s']:.1f} s CPU; checks {d['session_check']}")
        out["load_after"] = os.getloadavg()[0]
        print(f"load average after: {out['load_after']:.2f}")
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(out, indent=1, default=str) + "\n")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
