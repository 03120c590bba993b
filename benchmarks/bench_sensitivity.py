"""Sensitivity pipeline throughput: a Sobol analysis of the baseline through the shared runner.

Default: the issue's reference case, 8 parameters of sensitivity/baseline_problem.yaml (plus
the dummy), Sobol with N = 256 (N (D + 2) = 2,816 runs), 520 weeks, 1 replicate, 2 workers.
Prints runs and samples per minute, the total time and the analysis time. ``--n 16 --weeks
104`` gives a quick check.

    .venv/bin/python benchmarks/bench_sensitivity.py [--n 256] [--weeks 520] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--params", type=int, default=8, help="first K parameters of the problem")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=1)
    ap.add_argument("--out", default=None, help="keep the batch here (default: a temp folder)")
    args = ap.parse_args()

    from analysis.sensitivity.batch import plan, run_sensitivity
    from analysis.sensitivity.problem import problem_from_dict
    from sim.yamlio import load

    src = ROOT / "sensitivity" / "baseline_problem.yaml"
    raw = load(src.read_text())
    raw["parameters"] = raw["parameters"][: args.params]
    raw.update(method="sobol", options={"n": args.n, "calc_second_order": False},
               weeks=args.weeks, replicates=args.replicates)
    problem = problem_from_dict(raw, str(src), src.parent)
    p = plan(problem)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="bench_sens_"))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"Sobol: D = {len(problem.names)} (with dummy), N = {args.n}, {len(p.X)} samples x "
          f"{args.replicates} replicates = {len(p.tasks)} runs of {args.weeks} weeks, "
          f"{args.workers} workers")
    t0 = time.perf_counter()
    res = run_sensitivity(problem, out=out, workers=args.workers, write=False)
    t1 = time.perf_counter()
    res.write(out)
    t2 = time.perf_counter()
    wall = t1 - t0
    print(f"runs: {wall:.1f} s = {len(p.tasks) / wall * 60:.1f} runs/min, "
          f"{len(p.X) / wall * 60:.1f} samples/min")
    print(f"analysis and outputs: {t2 - t1:.1f} s; total {t2 - t0:.1f} s")
    lead = res.indices[res.indices["index"] == "ST"].pivot(index="parameter", columns="output",
                                                           values="value")
    print(lead.round(3).to_string())
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
