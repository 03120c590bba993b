"""How much of the kernels' time in a baseline run is Numba's dispatch (calling overhead)?

Run from the repository root::

    .venv/bin/python benchmarks/bench_dispatch.py            # 520 weeks of the baseline
    .venv/bin/python benchmarks/bench_dispatch.py --json out/dispatch.json

Every call of a Numba kernel from Python pays a fixed price before the compiled code runs:
the dispatcher types each argument (``typeof``) to pick the compiled version, then unboxes
each one into its native form. This script runs the baseline once with every kernel that the
weekly processes (``sim/processes/``) and the state (``sim/state.py``) call wrapped in a
timer, recording each kernel's calls, time and last arguments. Then, for each kernel, a
no-op ``@njit`` function with the same parameters is called many times with those recorded
arguments: its time per call is the kernel's dispatch cost, since the no-op does no work.
Also measured: the cost of one ``np.random.Generator`` argument (Numba types it in Python
and unboxes it through ctypes) against one array, and a kernel call through the compiled
entry point (``dispatcher.overloads[sig].entry_point``), which skips the typing.

The kernels here are single-threaded; the script pins NUMBA_NUM_THREADS and the BLAS threads
to 1 as ``bench_baseline.py`` does. Timings on a shared machine are noisy: the figures are
minima over repeats (``--repeats``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.update({"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _noop_like(n_args: int):
    """A no-op ``@njit`` function of ``n_args`` positional parameters."""
    from numba import njit

    names = ", ".join(f"a{i}" for i in range(n_args))
    ns: dict = {}
    exec(f"def noop({names}):\n    return 0\n", ns)  # noqa: S102 (fixed, generated source)
    return njit(ns["noop"])


def _per_call(f, args, n: int, repeats: int = 5) -> float:
    """Minimum over ``repeats`` of the mean seconds per call of ``f(*args)`` over ``n`` calls."""
    f(*args)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            f(*args)
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def record_run(weeks: int) -> tuple[float, dict]:
    """One baseline run of ``weeks`` weeks with every kernel timed; returns the run's wall
    time and {kernel: {"calls", "seconds", "args"}}."""
    from numba.core.registry import CPUDispatcher

    import sim.processes as procs
    import sim.state as state_mod
    from sim import load_scenario
    from sim.model import TocModel

    scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    TocModel(scenario, checks=False).run(20)  # load or compile every kernel first
    stats: dict = {}
    saved = {}
    for mod in (*procs.WEEKLY, state_mod):
        for name, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher):
                saved[(mod, name)] = obj

    def wrap(disp, name):
        rec = stats.setdefault(name, {"calls": 0, "seconds": 0.0, "args": None})

        def call(*args):
            t0 = time.perf_counter()
            out = disp(*args)
            rec["seconds"] += time.perf_counter() - t0
            rec["calls"] += 1
            rec["args"] = args
            return out

        return call

    model = TocModel(scenario, checks=False)  # its spin-up weeks are not timed
    for (mod, name), disp in saved.items():
        setattr(mod, name, wrap(disp, name))
    try:
        t0 = time.perf_counter()
        model.run(weeks)
        run_s = time.perf_counter() - t0
    finally:
        for (mod, name), disp in saved.items():
            setattr(mod, name, disp)
    return run_s, {k: v for k, v in stats.items() if v["calls"]}


def main(argv=None) -> int:
    import numpy as np
    from numba import njit

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed runs; each kernel's time is its minimum over them (default 3)")
    ap.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = ap.parse_args(argv)

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    runs = [record_run(args.weeks) for _ in range(args.repeats)]
    run_s = min(r[0] for r in runs)
    stats = runs[0][1]
    for name, rec in stats.items():  # a stall on a busy machine hits one run, not all
        rec["seconds"] = min(r[1][name]["seconds"] for r in runs)
    rows = []
    for name, rec in sorted(stats.items(), key=lambda kv: -kv[1]["seconds"]):
        a = rec["args"]
        noop = _noop_like(len(a))
        per = _per_call(noop, a, 2000)
        n_gen = sum(isinstance(x, np.random.Generator) for x in a)
        rows.append({"kernel": name, "calls": rec["calls"], "seconds": rec["seconds"],
                     "args": len(a), "generators": n_gen, "dispatch_us": per * 1e6,
                     "dispatch_s": per * rec["calls"]})
    total_k = sum(r["seconds"] for r in rows)
    total_d = sum(r["dispatch_s"] for r in rows)
    print(f"baseline {args.weeks} weeks with timed kernels: {run_s:.3f} s (fastest of "
          f"{args.repeats}; each kernel's time: its least over the runs); "
          f"kernel calls {sum(r['calls'] for r in rows):,}")
    print(f"{'kernel':34s} {'calls':>6s} {'time s':>7s} {'args':>4s} {'gen':>3s} "
          f"{'dispatch us/call':>16s} {'dispatch s':>10s}")
    for r in rows:
        print(f"{r['kernel']:34s} {r['calls']:6d} {r['seconds']:7.4f} {r['args']:4d} "
              f"{r['generators']:3d} {r['dispatch_us']:16.2f} {r['dispatch_s']:10.4f}")
    print(f"all kernels: {total_k:.3f} s, of which dispatch {total_d:.3f} s "
          f"({100 * total_d / total_k:.0f} %); {1e6 * total_d / args.weeks:.0f} us a week")

    # the price of argument kinds, and of skipping the typing
    gen, arr = np.random.default_rng(0), np.zeros((52, 17))

    @njit
    def one(x):
        return 0

    @njit
    def none():
        return 0

    base = _per_call(none, (), 20000)
    per_arr = _per_call(one, (arr,), 20000) - base
    per_gen = _per_call(one, (gen,), 20000) - base
    entry = one.overloads[one.signatures[-1]].entry_point  # the Generator version
    per_gen_entry = _per_call(entry, (gen,), 20000) - base
    print(f"one argument: array {per_arr * 1e6:.2f} us, np.random.Generator "
          f"{per_gen * 1e6:.2f} us ({per_gen_entry * 1e6:.2f} us through the entry point, "
          f"which skips the typing); a call without arguments {base * 1e6:.2f} us")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "weeks": args.weeks, "run_s": run_s, "kernels": rows, "kernels_s": total_k,
            "dispatch_s": total_d, "array_arg_us": per_arr * 1e6,
            "generator_arg_us": per_gen * 1e6, "generator_entry_point_us": per_gen_entry * 1e6,
            "load": os.getloadavg()[0]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
