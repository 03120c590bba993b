"""Benchmarks of the comparison runner (``tocsim compare``): throughput with 1 and 2 workers,
per-run overhead against run time, and the memory of analysing 10,000 runs of 520 weeks.

Run from the repository root::

    .venv/bin/python benchmarks/bench_compare.py                  # everything (~10 min)
    .venv/bin/python benchmarks/bench_compare.py --runs 8 --memory-runs 0 --json out/b.json

What it measures (results in docs/PERFORMANCE.md, section "Scenario comparison"):

1. Throughput: a LocalCluster of N single-threaded worker processes (N = 1, then 2) is started
   and warmed up (kernels compiled once per worker; that start-up is reported separately);
   then a batch of ``--runs`` x N runs of scenarios/baseline.yaml (``--weeks`` weeks, seeds
   from SeedSequence) goes through the same runner and store as ``tocsim compare``. Runs per
   minute = runs / wall time of the batch. Target: 2 workers >= 1.8x 1 worker. Also printed:
   the model's own time per run (timed inside each task) and the share of worker time spent
   in the model; if the model runs slower with 2 workers than with 1, the cores were shared
   with other processes, not lost in the runner.
2. Per-run overhead on one worker: batch wall time per run minus the time the model itself
   took (timed inside each task), split into the worker's share (unpickling the scenario,
   encoding parquet) and the rest (scheduling, transfer, the client's atomic write). Measured
   for long (``--weeks``) and short (26-week) runs.
3. Memory: ``--memory-runs`` synthetic runs of 520 weeks (38 metrics; the shape of real ones)
   are written to a store, then ``analysis.analyse`` (per-run summaries, comparison table,
   bands) runs in a fresh process whose peak RSS is reported against the size of all values.

The machine's load average is printed before and after: other processes on a small machine
slow the 2-worker case most, since it needs both cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONE_CORE = {"NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1"}
os.environ.update(ONE_CORE)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BASELINE = ROOT / "scenarios" / "baseline.yaml"
SHORT_WEEKS = 26


def machine() -> dict:
    from analysis.runner import versions

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "load_avg": os.getloadavg(),
            **versions()}


def batch(client, n_runs: int, weeks: int, seed: int) -> dict:
    """One batch of baseline runs through the runner into a fresh store; wall time."""
    from analysis.runner import Task, replicate_seeds, run_tasks, versions
    from analysis.store import RunStore
    from sim import load_scenario

    scn = load_scenario(BASELINE, weeks=weeks)
    seeds = replicate_seeds(seed, n_runs)
    tasks = [Task(f"r{i:05d}", "baseline", s, weeks, {"scenario": "baseline", "replicate": i})
             for i, s in enumerate(seeds)]
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp)
        store.open(kind="bench", inputs={}, versions=versions(),
                   runs=[t.record() for t in tasks], resume=False)
        t0 = time.perf_counter()
        session = run_tasks(tasks, {"baseline": scn}, store, client=client)
        wall = time.perf_counter() - t0
        recs = store.run_records()
    assert session["runs_done"] == n_runs, session
    model_s = statistics.mean(r["model_s"] for r in recs)
    workers = len(client.nthreads())
    return {"runs": n_runs, "weeks": weeks, "wall_s": wall, "runs_per_min": 60 * n_runs / wall,
            "task_s": statistics.mean(r["wall_s"] for r in recs), "model_s": model_s,
            "efficiency": n_runs * model_s / (workers * wall), "seeds": seeds}


def throughput(args) -> dict:
    from analysis.cluster import check_workers, open_client

    out = {}
    for n in (1, 2):
        t0 = time.perf_counter()
        with open_client(workers=n) as (client, where):
            check_workers(client, where)
            startup = time.perf_counter() - t0
            runs = []
            for rep in range(args.repeats):
                runs.append(batch(client, args.runs * n, args.weeks, seed=100 + rep))
            short = batch(client, args.short_runs * n, SHORT_WEEKS, seed=7) if n == 1 else None
        best = max(runs, key=lambda r: r["runs_per_min"])
        out[n] = {"startup_s": startup, "batches": runs, "runs_per_min": best["runs_per_min"],
                  "short": short}
        print(f"  {n} worker{'s' if n > 1 else ''}: start-up and warm-up {startup:.1f} s; "
              + "; ".join(f"{r['runs']} runs of {r['weeks']} weeks in {r['wall_s']:.1f} s "
                          f"= {r['runs_per_min']:.1f} runs/min (model {r['model_s']:.2f} s/run, "
                          f"workers busy in the model {100 * r['efficiency']:.0f}% of the time)"
                          for r in runs), flush=True)
    out["speedup"] = out[2]["runs_per_min"] / out[1]["runs_per_min"]
    m1 = statistics.mean(r["model_s"] for r in out[1]["batches"])
    m2 = statistics.mean(r["model_s"] for r in out[2]["batches"])
    out["model_slowdown_2_workers"] = m2 / m1
    print(f"  speedup 2 vs 1 worker (best batches): {out['speedup']:.2f}x; the model itself ran "
          f"{m2 / m1:.2f}x slower per run with 2 workers (cores shared with other load)",
          flush=True)
    return out


def overhead(tp: dict) -> dict:
    """Per-run overhead on one worker, from the batches' own timings: the worker times each
    task (``task_s``: unpickle the scenario, build and run the model, encode parquet) and the
    model inside it (``model_s``); the batch wall time per run adds scheduling, transfer and
    the atomic write on the client."""
    res = {}
    for label, b in (("long", tp[1]["batches"][-1]), ("short", tp[1]["short"])):
        per_run = b["wall_s"] / b["runs"]
        over = per_run - b["model_s"]
        res[label] = {"weeks": b["weeks"], "per_run_s": per_run, "model_s": b["model_s"],
                      "worker_overhead_s": b["task_s"] - b["model_s"],
                      "dispatch_overhead_s": per_run - b["task_s"], "overhead_s": over,
                      "overhead_share": over / per_run}
        print(f"  {b['weeks']}-week runs on 1 worker: {per_run:.3f} s per run, of which the "
              f"model {b['model_s']:.3f} s; overhead {1000 * over:.0f} ms per run "
              f"({100 * over / per_run:.1f}%): {1000 * (b['task_s'] - b['model_s']):.0f} ms "
              f"on the worker (unpickle, encode), {1000 * (per_run - b['task_s']):.0f} ms "
              "scheduling, transfer and write", flush=True)
    return res


MEMORY_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from analysis import analyse
res = analyse(sys.argv[1])
print(json.dumps({"analyse_s": time.perf_counter() - t0, "runs": len(res.per_run),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def memory(n_runs: int) -> dict:
    """Write ``n_runs`` synthetic 520-week runs (two scenarios), analyse them in a child."""
    import numpy as np
    import pandas as pd

    from analysis.comparison import HEADLINE
    from analysis.runner import encode_run, versions
    from analysis.store import RunStore
    from sim.metrics import METRICS, commodity_columns

    weeks, half = 520, n_runs // 2
    cols = list(METRICS) + commodity_columns(["drugs", "firearms", "persons"])
    rng = np.random.default_rng(0)
    base = rng.lognormal(3, 1, len(cols))
    with tempfile.TemporaryDirectory(dir=ROOT / "out" if (ROOT / "out").is_dir() else None) \
            as tmp:
        store = RunStore(tmp)
        labels = ["a", "b"]
        runs = [{"key": f"s{i}-r{r:05d}", "seed": r,
                 "labels": {"scenario": labels[i], "replicate": r}}
                for i in range(2) for r in range(half)]
        store.open(kind="compare", inputs={
            "scenarios": [{"label": k, "name": k, "hash": k} for k in labels],
            "baseline": "a", "replicates": half, "weeks": weeks, "seed": 0, "paired": True},
            versions=versions(), runs=runs, resume=False,
            settings={"window": 52, "metrics": list(HEADLINE), "scenarios": []})
        t0 = time.perf_counter()
        for run in runs:
            values = base * rng.lognormal(0, 0.1, (weeks, len(cols)))
            frame = pd.DataFrame(values, columns=cols)
            frame.insert(0, "week", np.arange(weeks))
            store.write_run(run["key"], encode_run(frame, run["labels"], run["seed"]))
        store.flush(force=True)
        write_s = time.perf_counter() - t0
        disk = sum(p.stat().st_size for p in (Path(tmp) / "runs.parquet").iterdir())
        r = subprocess.run([sys.executable, "-c", MEMORY_CHILD, tmp], capture_output=True,
                           text=True, cwd=ROOT, env={**os.environ, **ONE_CORE})
        if r.returncode:
            raise RuntimeError(r.stderr)
        child = json.loads(r.stdout.strip().splitlines()[-1])
    all_values_mb = n_runs * weeks * (len(cols) + 4) * 8 / 1e6
    res = {"runs": n_runs, "weeks": weeks, "write_s": write_s, "disk_mb": disk / 1e6,
           "all_values_mb": all_values_mb, **child}
    print(f"  {n_runs} runs x {weeks} weeks ({all_values_mb:,.0f} MB as float64; "
          f"{disk / 1e6:,.0f} MB on disk): analyse {child['analyse_s']:.1f} s, peak RSS "
          f"{child['peak_rss_mb']:,.0f} MB", flush=True)
    return res


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=12, help="runs per worker in a batch (12)")
    p.add_argument("--weeks", type=int, default=520, help="weeks per run (520)")
    p.add_argument("--short-runs", type=int, default=40, help="26-week runs for overhead (40)")
    p.add_argument("--repeats", type=int, default=2, help="batches per worker count (2)")
    p.add_argument("--memory-runs", type=int, default=10_000,
                   help="synthetic runs for the memory check (10000; 0 skips it)")
    p.add_argument("--json", help="write the results here")
    args = p.parse_args()
    info = machine()
    print(f"machine: {info['cpu']}, {info['cores']} cores, load average "
          f"{', '.join(f'{x:.2f}' for x in info['load_avg'])}; tocsim {info['tocsim']}, "
          f"dask {info['dask']}, numba {info['numba']}", flush=True)
    print("1. throughput", flush=True)
    tp = throughput(args)
    print("2. per-run overhead", flush=True)
    ov = overhead(tp)
    mem = None
    if args.memory_runs:
        print("3. memory of the analysis", flush=True)
        mem = memory(args.memory_runs)
    info["load_avg_after"] = os.getloadavg()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"load average after: {', '.join(f'{x:.2f}' for x in info['load_avg_after'])}; "
          f"peak RSS of this process (the client) {rss:.0f} MB")
    info["client_peak_rss_mb"] = rss
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"machine": info, "throughput": tp,
                                               "overhead": ov, "memory": mem},
                                              indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
