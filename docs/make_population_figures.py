"""Figures for the population mechanisms of docs/ODD.md (issue 8: leadership removal,
replacement after losses, the spin-up), with paired replicates (replicate r of every arm
uses seed r). Prints a markdown report; run from the repository root:

    .venv/bin/python docs/make_population_figures.py --seeds 10 > /tmp/population.md

Measures, on the default world with the default spin-up:
- kingpin vs baseline homicides by quarter after the kingpin arm's first leader removal;
- when splits happen in a succession (weeks after the fall), from the kingpin arm;
- mid-level vs baseline homicides by quarter after the strategy starts;
- recovery after a mass arrest (30% of the largest organization's members at week 0): weeks
  until it is back at its pre-arrest size, and its size gap to the paired baseline.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import time
from pathlib import Path

import numpy as np

from analysis.stats import paired_difference
from sim import load_scenario
from sim.enums import Status
from sim.model import TocModel
from sim.processes import leadership

ROOT = Path(__file__).resolve().parents[1]


def _run(path: str, seed: int, weeks: int):
    sc = load_scenario(ROOT / "scenarios" / path).with_overrides({"seed": seed, "weeks": weeks})
    splits = []
    m = TocModel(sc, checks=False)
    split = leadership.split

    def logged(s, org, rng):  # weeks since the fall at each split
        splits.append(int(s.pars.conflict.succession_weeks) - int(s.orgs.succession[org]))
        return split(s, org, rng)

    leadership.split = logged
    try:
        m.run()
    finally:
        leadership.split = split
    return m, m.metrics_frame(), splits


def _ci(x, y) -> str:
    d = paired_difference(x, y)
    return f"{d.estimate:+.1f} [{d.lo:+.1f}, {d.hi:+.1f}]"


def quarters_after(arms, base, starts, n_q):
    rows = []
    for q in range(n_q):
        x = [a.homicides.iloc[s + 13 * q: s + 13 * (q + 1)].sum()
             for a, s in zip(arms, starts, strict=True)]
        y = [b.homicides.iloc[s + 13 * q: s + 13 * (q + 1)].sum()
             for b, s in zip(base, starts, strict=True)]
        rows.append(f"| {q + 1} | {np.mean(y):.0f} | {np.mean(x):.0f} | {_ci(x, y)} |")
    return rows


def mass_arrest(seed: int, weeks: int, share: float):
    from sim import default_scenario

    out = []
    for arrest in (True, False):
        m = TocModel(default_scenario(weeks=weeks, seed=seed), checks=False)
        o = int(np.argmax(m.counts.sum(axis=(1, 2))))
        before = int(m.counts[o].sum())
        if arrest:
            mem = m.members
            idx = np.nonzero((mem.org[: mem.n] == o) & (mem.status[: mem.n] == Status.ACTIVE))[0]
            idx = idx[np.random.default_rng(seed).random(idx.size) < share]
            m.arrest_members(idx)
        size = []
        for _ in range(weeks):
            m.step()
            size.append(int(m.counts[o].sum()))
        out.append((before, np.array(size)))
    (before, hit), (_, base) = out
    back = np.nonzero(hit >= before)[0]
    return (int(back[0]) + 1 if back.size else None), hit, base


def main() -> None:
    global print
    print = functools.partial(print, flush=True)  # noqa: A001
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--weeks", type=int, default=260)
    args = ap.parse_args()
    seeds = range(args.seeds)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    print(f"Made at commit `{commit}` with `docs/make_population_figures.py --seeds "
          f"{args.seeds} --weeks {args.weeks}` (default world, spin-up on).\n")

    t0 = time.perf_counter()
    runs = {name: [_run(f"{name}.yaml", s, args.weeks) for s in seeds]
            for name in ("baseline", "kingpin", "mid_level")}
    spin = np.mean([m.spinup_seconds for m, _, _ in runs["baseline"]])
    base = [df for _, df, _ in runs["baseline"]]

    kp = [df for _, df, _ in runs["kingpin"]]
    start = 104
    firsts = []
    for df in kp:
        hit = np.nonzero(df.leader_removals.iloc[start:].to_numpy() > 0)[0]
        firsts.append(start + int(hit[0]) if hit.size else start)
    n_q = max(1, min((args.weeks - max(firsts)) // 13, 8))
    print("Kingpin minus baseline homicides per quarter after the kingpin arm's first removal "
          f"(week {min(firsts)}-{max(firsts)}; paired, 95% CI):\n")
    print("| quarter | baseline | kingpin | difference |\n|---|---|---|---|")
    print("\n".join(quarters_after(kp, base, firsts, n_q)))
    after = [w for _, _, sp in runs["kingpin"] for w in sp]
    if after:
        a = np.array(after)
        print(f"\nSplits in kingpin runs: {a.size}; weeks after the fall: median "
              f"{np.median(a):.0f}, {np.mean(a < 13):.0%} in the first 13 weeks, "
              f"{np.mean(a < 26):.0%} in 26.")
    print(f"Removals per run: kingpin {np.mean([d.leader_removals.sum() for d in kp]):.1f}, "
          f"baseline {np.mean([d.leader_removals.sum() for d in base]):.1f}; splits per run: "
          f"kingpin {np.mean([d.splits.sum() for d in kp]):.1f}, baseline "
          f"{np.mean([d.splits.sum() for d in base]):.1f}.\n")

    ml = [df for _, df, _ in runs["mid_level"]]
    n_q = max(1, min((args.weeks - start) // 13, 8))
    print("Mid-level minus baseline homicides per quarter after the strategy starts (week 104, "
          "12-week ramp; paired, 95% CI):\n")
    print("| quarter | baseline | mid-level | difference |\n|---|---|---|---|")
    print("\n".join(quarters_after(ml, base, [start] * len(ml), n_q)))

    rec = [mass_arrest(s, 156, 0.3) for s in seeds]
    backs = [b for b, _, _ in rec]
    ok = [b for b in backs if b is not None]
    gap = lambda k: [(b[k] - h[k]) / b[k] for _, h, b in rec]  # noqa: E731
    print("\nMass arrest of 30% of the largest organization at week 0 (paired with no arrest): "
          f"back at its pre-arrest size after {np.median(ok) if ok else float('nan'):.0f} weeks "
          f"(median; {len(ok)} of {len(backs)} within 156 weeks; each: {backs}); size gap to the "
          f"baseline {np.mean(gap(12)):.0%} at week 13, {np.mean(gap(51)):.0%} at week 52, "
          f"{np.mean(gap(155)):.0%} at week 156.")
    print(f"\nSpin-up cost: {spin:.2f} s per run (mean over the baseline runs); all runs took "
          f"{time.perf_counter() - t0:.0f} s.")


if __name__ == "__main__":
    main()
