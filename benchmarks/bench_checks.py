"""Cost of the conservation checks (sim.ledger) in a plain run of the baseline.

Builds and runs the baseline (spin-up and 520 weeks) with checks off and on, alternating,
``--repeats`` times after a warm-up, and prints the median model time of each (CPU time of
this process, less affected by other load, and wall time) and the checks' share. Then times
one check on the final state in a plain week and in a recount week (the slot-by-slot member
recount runs every ``sim.ledger.RECOUNT_WEEKS`` weeks and in the last week at
``run.conservation_checks = 1``), split into the member audit (one kernel pass over the
member slots), the state-array scan and the rest (goods and money identities, totals).

    .venv/bin/python benchmarks/bench_checks.py [--repeats 5] [--scenario FILE] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

for _v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(fn):
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.process_time() - c0, time.perf_counter() - w0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200, help="checks timed on the final state")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()

    from sim import load_scenario
    from sim.ledger import state_problems
    from sim.model import TocModel

    scn = load_scenario(args.scenario)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}")
    TocModel(scn, checks=True).run(5)  # warm-up: Numba caches, imports
    times = {False: [], True: []}
    model = None
    for _ in range(args.repeats):
        for checks in (False, True):
            model, cpu, wall = _timed(lambda c=checks: TocModel(scn, checks=c).run())
            times[checks].append((cpu, wall))
    med = {c: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v))
           for c, v in times.items()}
    weeks = scn.weeks + int(model.pars.run.spinup_weeks)
    share_cpu = med[True][0] / med[False][0] - 1
    share_wall = med[True][1] / med[False][1] - 1
    print(f"{scn.name}: {weeks} weeks (spin-up included), {model.members.n:,} member slots at "
          f"the end, median of {args.repeats}")
    print(f"  checks off: {med[False][0]:.3f} s CPU, {med[False][1]:.3f} s wall")
    print(f"  checks on:  {med[True][0]:.3f} s CPU, {med[True][1]:.3f} s wall")
    print(f"  checks cost {share_cpu:+.1%} of model time (CPU), {share_wall:+.1%} (wall)")
    # each on-run against the off-run just before it: how much one pair says
    pairs = sorted(on[0] / off[0] - 1 for off, on in zip(times[False], times[True], strict=True))
    q1, _, q3 = statistics.quantiles(pairs, n=4) if len(pairs) > 1 else (pairs[0],) * 3
    print(f"  pair by pair (CPU): {pairs[0]:+.1%} to {pairs[-1]:+.1%}, middle half "
          f"{q1:+.1%} to {q3:+.1%} (the machine's drift moves single runs by a few percent)")

    # one weekly check on the final state, by part
    led, m = model.ledger, model.members
    try:
        from sim.kernels.audit import audit_members
    except ImportError:  # a tree from before the audit kernel
        audit_members = None

    def per_call(fn):
        fn()
        c0 = time.process_time()
        for _ in range(args.calls):
            fn()
        return (time.process_time() - c0) / args.calls * 1e6

    import sim.ledger

    t_final = model.week
    model.week = t_final + 1  # a week after the run: no recount unless the cadence says so
    while sim.ledger.recount_week(model):
        model.week += 1
    plain = per_call(lambda: led.check(model))
    model.week = sim.ledger.RECOUNT_WEEKS - 1 + t_final // sim.ledger.RECOUNT_WEEKS * (
        sim.ledger.RECOUNT_WEEKS)  # a recount week
    full = per_call(lambda: led.check(model))
    state = per_call(lambda: state_problems(model))
    model.week = t_final
    audit = float("nan")
    if hasattr(led, "audit"):  # the ledger's recount call, with its scratch arrays
        audit = per_call(lambda: led.audit(model))
    elif audit_members is not None:  # a tree from before Ledger.audit
        audit = per_call(lambda: audit_members(
            m.n, m.status, m.org, m.region, m.role, model.counts, m.jail, m.n_jail, led._hist,
            led._by_status))
    every = sim.ledger.RECOUNT_WEEKS
    mean = plain + (full - plain) / every
    print(f"  one check on the final state: plain week {plain:.0f} us CPU (state arrays "
          f"{state:.0f} us + the rest {plain - state:.0f} us); recount week {full:.0f} us "
          f"(member audit {audit:.0f} us); one recount every {every} weeks: {mean:.0f} us "
          f"a week on average")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "scenario": scn.name, "weeks": weeks, "repeats": args.repeats,
            "member_slots": int(model.members.n),
            "off_cpu_s": med[False][0], "off_wall_s": med[False][1],
            "on_cpu_s": med[True][0], "on_wall_s": med[True][1],
            "checks_share_cpu": share_cpu, "checks_share_wall": share_wall,
            "checks_share_cpu_pairs": pairs,
            "check_us": mean, "plain_week_us": plain, "recount_week_us": full,
            "recount_weeks": every, "audit_us": audit, "state_arrays_us": state,
            "loadavg": os.getloadavg()[0],
        }, indent=1) + "\n")


if __name__ == "__main__":
    main()
