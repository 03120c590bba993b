"""``tocsim compare``: run scenarios with replicates and compare them with a baseline.

Registered by ``tocsim.cli`` through ``EXTRA_COMMANDS``. Exit status: 0 done; 1 some runs
failed (stored runs are kept: rerun with ``--resume``); 2 bad input (one ``FILE: field:
problem`` line each); 130 interrupted (stored runs are kept: rerun with ``--resume``).
"""

from __future__ import annotations

import argparse
import sys
import time

EXIT_FAILED_RUNS = 1
EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Run every SCENARIO (and the baseline) --replicates times and compare each with the baseline.
Replicate r has the same seed in every scenario (common random numbers), so differences are
paired. Runs go to Dask workers (a local cluster by default, or --scheduler) and stream to
DIR/runs.parquet as they finish; DIR/manifest.json records inputs (with the --set overrides),
seeds, versions (with the git commit) and the state of every run; DIR/scenarios/ holds each
resolved scenario. --set applies to every scenario that has the field (a lever's fields only
to the scenarios with that lever). Writes DIR/comparison.csv, per_run.csv, cost_effectiveness.csv,
timeseries_bands.csv, plots/ and report.html. See docs/COMPARE.md."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "compare", help="compare scenarios with replicates and confidence intervals",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml",
                   help="scenario files; the first is the baseline unless --baseline is given")
    p.add_argument("--replicates", "-r", type=int, required=True, metavar="R",
                   help="runs per scenario (at least 2)")
    p.add_argument("--baseline", metavar="FILE",
                   help="scenario to compare with (default: the first SCENARIO)")
    p.add_argument("--weeks", type=int, metavar="T",
                   help="weeks per run (default: the scenarios', which must agree)")
    p.add_argument("--window", type=int, metavar="W",
                   help="average each run over its last W weeks (default 52, or the whole "
                   "run if shorter)")
    p.add_argument("--seed", type=int, metavar="ROOT",
                   help="root of the replicate seeds (default: the baseline's seed)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of the local cluster (default: CPU count)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--connect-timeout", type=float, default=10.0, metavar="S",
                   help="seconds to wait for --scheduler and its workers (default 10)")
    p.add_argument("--out", default="out/compare", metavar="DIR",
                   help="output folder (default out/compare)")
    p.add_argument("--resume", action="store_true",
                   help="finish the comparison stored in DIR: run only missing or failed runs")
    p.add_argument("--independent-seeds", action="store_true",
                   help="give every scenario its own seeds (unpaired, Welch CIs); for "
                   "checking how much pairing gains")
    p.add_argument("--metrics", metavar="M1,M2",
                   help="metrics to plot and summarise (default: the headline metrics)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    from .cli import add_set_option

    add_set_option(p)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from analysis.comparison import IncompleteBatch, compare
    from analysis.runner import RichProgress
    from sim.scenario import parse_set

    t0 = time.perf_counter()
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else None
    progress = None if args.quiet else RichProgress("runs")
    try:
        res = compare(args.scenarios, args.replicates, baseline=args.baseline, weeks=args.weeks,
                      window=args.window, seed=args.seed, paired=not args.independent_seeds,
                      out=args.out, resume=args.resume, workers=args.workers,
                      scheduler=args.scheduler, connect_timeout=args.connect_timeout,
                      metrics=metrics, progress=progress, overrides=parse_set(args.set))
    except IncompleteBatch as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_FAILED_RUNS
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are stored in {args.out}/runs.parquet; rerun with "
              "--resume to do only the missing ones", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not args.quiet:
        print_summary(res, time.perf_counter() - t0)
    return 0


def print_summary(res, wall: float) -> None:
    """The headline metrics: baseline mean and each scenario's change with its 95% CI."""
    import math

    from rich.console import Console
    from rich.table import Table

    from analysis.report import fmt

    def num(v, rel=False):
        return fmt(v, rel)

    others = [k for k in res.labels if k != res.baseline]
    n = res.manifest["inputs"]["replicates"]
    table = Table(title=f"Change from {res.baseline}: mean of the last {res.window} weeks, "
                  f"{n} replicates, 95% CI ({'paired' if res.paired else 'independent'} seeds)")
    table.add_column("metric")
    table.add_column(f"{res.baseline}", justify="right")
    for k in others:
        table.add_column(f"{k}: change [95% CI]", justify="right")
    t = res.headline().set_index(["scenario", "metric"])
    for m in res.metrics:
        row = [m, num(t.loc[(res.baseline, m), "mean"])]
        for k in others:
            r = t.loc[(k, m)]
            sig = math.isfinite(r["diff_lo"]) and (r["diff_lo"] > 0 or r["diff_hi"] < 0)
            cell = (f"{num(r['diff'])} [{num(r['diff_lo'])}, {num(r['diff_hi'])}] "
                    f"({num(r['rel_change'], rel=True)})")
            row.append(f"[bold]{cell}[/bold]" if sig else cell)
        table.add_row(*row)
    over = res.manifest.get("inputs", {}).get("overrides")
    if over:
        from sim.scenario import format_overrides

        table.caption = f"with --set {format_overrides(over)}"
    Console().print(table)
    print(f"bold: interval excludes zero. {len(res.per_run)} runs, {wall:.0f} s. Outputs: "
          f"{res.out}/report.html, comparison.csv, runs.parquet, plots/")
