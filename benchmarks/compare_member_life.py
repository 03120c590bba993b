"""Before/after distribution check for a [model] change of the member step (issue 11).

Runs the baseline scenario (``scenarios/baseline.yaml``, 520 weeks, its spin-up included)
for seeds 1..N with the code on ``sys.path`` and prints one JSON line per seed with key
outputs at week 520 (active members, arrests, incarcerated, homicides, members killed,
retail and wholesale prices) and their means over the last 52 weeks. Run it once per code
version and compare with ``--compare``::

    PYTHONPATH=<old checkout> python benchmarks/compare_member_life.py --seeds 20 > old.jsonl
    PYTHONPATH=$PWD python benchmarks/compare_member_life.py --seeds 20 > new.jsonl
    python benchmarks/compare_member_life.py --compare old.jsonl new.jsonl

The comparison is two-sample (the versions draw different random numbers, so the same seed
is no pairing): for each output the means and SDs of both versions, the difference and its
standard error, and z = difference / SE; |z| < 3 is within noise.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

KEYS = ("criminal_members", "arrests", "incarcerated", "homicides", "members_killed",
        "retail_price", "wholesale_price", "recruits", "leader_removals")


def run(seeds: int, first: int, scenario: str) -> None:
    from sim import load_scenario
    from sim.model import TocModel

    for seed in range(first, first + seeds):
        scn = load_scenario(scenario, seed=seed)
        df = TocModel(scn, checks=False).run().metrics_frame()
        tail = df.iloc[-52:]
        out = {"seed": seed}
        for k in KEYS:
            v = df[k]
            if v.ndim > 1:
                v = v.iloc[:, 0]
            out[f"{k}@520"] = float(v.iloc[-1])
            out[f"{k}~52"] = float(tail[k].mean()) if tail[k].ndim == 1 else float(
                tail[k].iloc[:, 0].mean())
        print(json.dumps(out), flush=True)


def compare(a_path: Path, b_path: Path) -> None:
    rows = []
    a = [json.loads(x) for x in a_path.read_text().splitlines() if x.strip()]
    b = [json.loads(x) for x in b_path.read_text().splitlines() if x.strip()]
    print(f"{'output':28s} {'before mean':>13s} {'SD':>11s} {'after mean':>13s} {'SD':>11s} "
          f"{'z':>6s}")
    for key in (k for k in a[0] if k != "seed"):
        xa, xb = [r[key] for r in a], [r[key] for r in b]
        ma, mb = sum(xa) / len(xa), sum(xb) / len(xb)
        sa = math.sqrt(sum((x - ma) ** 2 for x in xa) / (len(xa) - 1))
        sb = math.sqrt(sum((x - mb) ** 2 for x in xb) / (len(xb) - 1))
        se = math.sqrt(sa ** 2 / len(xa) + sb ** 2 / len(xb))
        z = (mb - ma) / se if se > 0 else 0.0
        rows.append((key, ma, sa, mb, sb, z))
        print(f"{key:28s} {ma:13.5g} {sa:11.4g} {mb:13.5g} {sb:11.4g} {z:+6.2f}")
    print(f"n = {len(a)} and {len(b)} seeds; |z| >= 3: "
          f"{[r[0] for r in rows if abs(r[5]) >= 3] or 'none'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--scenario", default="scenarios/baseline.yaml")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args(argv)
    if args.compare:
        compare(*args.compare)
    else:
        run(args.seeds, args.first, args.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
