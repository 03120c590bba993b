"""Sensitivity pipeline throughput: a Sobol analysis of the baseline through the shared runner.

Default: the issue's reference case (issue 11), the 10 parameters of
sensitivity/baseline_problem.yaml plus the dummy, Sobol first order and total with N = 256
(N (D + 2) = 3,328 runs), 520 weeks, 1 replicate, 2 workers. Prints runs and samples per
minute, the total wall time, the analysis time, and the runner's cost per run outside the
model (on the worker: unpickling the scenario, applying the sample's overrides, encoding the
parquet file; around the workers: dispatch, storing, start-up), which caps any batch.

A long batch can be stopped (Ctrl-C) and finished later: give ``--out DIR`` the first time
and add ``--resume`` to continue; the figures then cover the last session's runs.
``--n 4 --weeks 104`` is a quick check.

    .venv/bin/python benchmarks/bench_sensitivity.py [--n 256] [--weeks 520] [--workers 2]
        [--params 10] [--out DIR [--resume]] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
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
    ap.add_argument("--params", type=int, default=10, help="first K parameters of the problem")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=1)
    ap.add_argument("--out", default=None, help="keep the batch here (default: a temp folder)")
    ap.add_argument("--resume", action="store_true", help="finish the batch stored in --out")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    if args.resume and not args.out:
        ap.error("--resume needs --out DIR (the batch to finish)")

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
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    print(f"Sobol (first order and total): D = {len(problem.names)} (with dummy), "
          f"N = {args.n}, {len(p.X)} samples x {args.replicates} replicates = {len(p.tasks)} "
          f"runs of {args.weeks} weeks, {args.workers} workers, batch in {out}")
    t0 = time.perf_counter()
    res = run_sensitivity(problem, out=out, workers=args.workers, write=False,
                          resume=args.resume)
    t1 = time.perf_counter()
    res.write(out)
    t2 = time.perf_counter()
    manifest = json.loads((out / "manifest.json").read_text())
    session = manifest["sessions"][-1]
    ran = session.get("runs_done", 0)
    wall = t1 - t0
    print(f"this session: {ran} runs in {wall:.1f} s = {ran / wall * 60:.1f} runs/min"
          + (f", {len(p.X) / wall * 60:.1f} samples/min" if ran == len(p.tasks) else ""))
    print(f"analysis and outputs: {t2 - t1:.1f} s; total {t2 - t0:.1f} s "
          f"({(t2 - t0) / 60:.1f} min)")
    figures = {"n": args.n, "params": args.params, "dimensions": len(problem.names),
               "weeks": args.weeks, "workers": args.workers, "runs": len(p.tasks),
               "runs_this_session": ran, "wall_s": wall, "analysis_s": t2 - t1,
               "total_s": t2 - t0, "runs_per_min": ran / wall * 60 if wall > 0 else None}
    figures.update(_overhead(manifest, session, wall, args.workers))
    lead = res.indices[res.indices["index"] == "ST"].pivot(index="parameter", columns="output",
                                                           values="value")
    print(lead.round(3).to_string())
    figures["loadavg_end"] = os.getloadavg()[0]
    print(f"load average at the end: {figures['loadavg_end']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    if not args.out:
        shutil.rmtree(out, ignore_errors=True)


def _overhead(manifest: dict, session: dict, wall: float, workers: int) -> dict:
    """Per-run costs from the manifest's timings (runs of the last session only)."""
    started = session.get("started", "")
    runs = [r for r in manifest["runs"] if "model_s" in r and r.get("finished", "") >= started]
    if not runs:
        return {}
    model = statistics.median(r["model_s"] for r in runs)
    task = statistics.median(r["wall_s"] for r in runs)
    startup = float(session.get("startup_s", 0.0))
    # a worker slot's time per run, less the task itself: dispatch, result transfer, storing
    slot = (wall - startup) * workers / len(runs)
    mean_task = statistics.fmean(r["wall_s"] for r in runs)
    print(f"per run (median): model {model:.3f} s (build, spin-up, weeks); task {task:.3f} s, "
          f"so {task - model:.3f} s on the worker outside the model (unpickle, overrides, "
          f"parquet)")
    print(f"per run around the task: {slot - mean_task:+.3f} s of a worker slot (dispatch, "
          f"transfer, storing; {workers} slots x {wall - startup:.1f} s / {len(runs)} runs = "
          f"{slot:.3f} s per run vs {mean_task:.3f} s mean task); cluster start-up and warm-up "
          f"{startup:.1f} s once")
    return {"model_s_median": model, "task_s_median": task,
            "worker_overhead_s_median": task - model, "slot_s_per_run": slot,
            "around_task_s_per_run": slot - mean_task, "startup_s": startup}


if __name__ == "__main__":
    main()
