"""Where a baseline week goes, process by process: wall time of each weekly process's step,
the time inside its Numba kernels (the member-index rebuilds included, also shown apart) and
the rest (Python, numpy and Numba's dispatch), in microseconds per reported week.

    .venv/bin/python benchmarks/bench_processes.py [--scenario FILE] [--repeats 3]

One warm-up run first (kernels loaded), then ``--repeats`` runs with thin timers around every
process step and every kernel call (about 0.2 us each, so the sums are slightly above an
untimed run); the spin-up weeks are not counted. The figures are the minimum over the runs.
A loaded machine inflates every figure: the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from numba.core.registry import CPUDispatcher

    import sim.processes as procs
    import sim.state as state_mod
    from sim.model import TocModel
    from sim.scenario import load_scenario

    scn = load_scenario(args.scenario)
    TocModel(scn, checks=False).run()  # warm-up: every kernel loaded
    clock = time.perf_counter
    inside: dict[str, float] = defaultdict(float)
    steps: dict[str, float] = defaultdict(float)
    current = ["?"]

    def timed_kernel(disp, owner):
        def call(*a):
            t = clock()
            try:
                return disp(*a)
            finally:
                dt = clock() - t
                inside[owner or current[0]] += dt
                if owner is None:
                    inside["(member-index rebuilds)"] += dt
        return call

    def timed_step(fn, name):
        def step(s):
            current[0] = name
            t = clock()
            fn(s)
            steps[name] += clock() - t
        return step

    names = []
    for mod in procs.WEEKLY:
        name = mod.__name__.rsplit(".", 1)[-1]
        names.append(name)
        for attr, obj in list(vars(mod).items()):
            if isinstance(obj, CPUDispatcher):
                setattr(mod, attr, timed_kernel(obj, name))
        mod.step = timed_step(mod.step, name)
    # the rebuild runs inside State.members_by_org, called by whichever process asks first
    state_mod.reindex_members_by_org = timed_kernel(state_mod.reindex_members_by_org, None)

    best: dict[str, tuple[float, float]] = {}
    rebuild = float("inf")
    totals = []
    for _ in range(args.repeats):
        m = TocModel(scn, checks=False)
        inside.clear()
        steps.clear()
        t = clock()
        m.run()
        totals.append(clock() - t)
        weeks = m.week
        for n in names:
            pair = (steps[n] / weeks, inside[n] / weeks)
            if n not in best or pair[0] < best[n][0]:
                best[n] = pair
        rebuild = min(rebuild, inside["(member-index rebuilds)"] / weeks)
    print(f"{args.scenario}: {weeks} weeks, run() {min(totals):.3f} s (min of {args.repeats}); "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'process':<12} {'step':>8} {'kernels':>8} {'rest':>8}   (us per week)")
    for n in names:
        s, k = best[n]
        print(f"{n:<12} {1e6 * s:8.1f} {1e6 * k:8.1f} {1e6 * (s - k):8.1f}")
    s_all = sum(v[0] for v in best.values())
    k_all = sum(v[1] for v in best.values())
    print(f"{'all':<12} {1e6 * s_all:8.1f} {1e6 * k_all:8.1f} {1e6 * (s_all - k_all):8.1f}")
    print(f"of the kernels, member-index rebuilds: {1e6 * rebuild:.1f} us per week")


if __name__ == "__main__":
    main()
