"""``tocsim sensitivity`` and ``tocsim sweep`` (registered through ``EXTRA_COMMANDS``).

Exit status: 0 done; 1 some runs failed (stored runs are kept: rerun with ``--resume``);
2 bad input; 130 interrupted (stored runs are kept: rerun with ``--resume``).
"""

from __future__ import annotations

import sys

from .cmd_compare import add_period_options, period_arg


def add_parser(subparsers):
    s = subparsers.add_parser(
        "sensitivity", help="SALib sensitivity analysis of a problem file",
        description="Sample the parameters of PROBLEM.yaml with SALib, run every sample "
        "(with replicates) on Dask workers, and analyse. Writes DIR/indices.csv, "
        "samples.parquet, noise.csv, plots/ and report.html. See docs/SENSITIVITY.md.")
    s.add_argument("problem", metavar="PROBLEM.yaml",
                   help="problem file: parameters, bounds, outputs (docs/SENSITIVITY.md)")
    s.add_argument("--method", choices=("sobol", "morris", "fast", "rbd_fast", "delta", "pawn"),
                   help="override the problem's method")
    s.add_argument("--n", type=int, metavar="N", help="override the sample size N")
    s.add_argument("--period", metavar="PERIOD",
                   help="summarise every output (but at_week) over PERIOD instead of the "
                   "problem's windows: last:N, START:END, intervention or all")
    s.add_argument("--cumulative", action="store_true",
                   help="sum flows (units per week) over the period instead of averaging")
    _common(s, "out/sensitivity")
    s.set_defaults(func=run_sensitivity)

    w = subparsers.add_parser(
        "sweep", help="dose-response curves over a parameter grid",
        description="Run SCENARIO over a grid of values (each --vary path=lo:hi:n or "
        "path=v1,v2,...) with replicates (the same seeds at every point); writes "
        "DIR/sweep.csv (levels, and paired differences from the zero-dose point with 95% "
        "CIs), DIR/runs.parquet (the varied values are columns), DIR/plots/ and "
        "DIR/report.html. See docs/SENSITIVITY.md.")
    w.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario to vary")
    w.add_argument("--vary", action="append", required=True, metavar="path=lo:hi:n",
                   help="a dotted scenario path and its values, e.g. "
                   "interventions.border-surge.budget=0:4e7:5")
    w.add_argument("--replicates", "-r", type=int, default=3, metavar="R",
                   help="runs per grid point (default 3; use 10 or more before concluding)")
    w.add_argument("--weeks", type=int, metavar="T", help="weeks per run (default: the "
                   "scenario's)")
    add_period_options(w, "each run of each point")
    w.add_argument("--metrics", metavar="M1,M2", help="metrics to tabulate and plot")
    w.add_argument("--allow-idle", action="store_true",
                   help="run even if a lever of SCENARIO never acts (the zero-dose point is "
                   "not refused: it is the reference by design)")
    _common(w, "out/sweep")
    w.set_defaults(func=run_sweep)


def _common(p, default_out):
    from .cli import add_set_option

    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of the local cluster (default: CPU count)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--out", default=default_out, metavar="DIR",
                   help=f"output folder (default {default_out})")
    p.add_argument("--resume", action="store_true", help="finish the batch stored in DIR")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    add_set_option(p)


def _run(fn, args, **kw) -> int:
    from analysis.runner import RichProgress
    from analysis.sensitivity.batch import IncompleteBatch
    from sim.scenario import parse_set

    progress = None if args.quiet else RichProgress("runs")
    overrides = parse_set(args.set)
    try:
        res = fn(out=args.out, resume=args.resume, workers=args.workers,
                 scheduler=args.scheduler, progress=progress, overrides=overrides, **kw)
    except IncompleteBatch as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are stored in {args.out}; rerun with --resume",
              file=sys.stderr)
        return 130
    if not args.quiet:
        _print(res, args.out)
    return 0


def run_sensitivity(args) -> int:
    from analysis.sensitivity.batch import run_sensitivity as fn

    return _run(fn, args, problem=args.problem, method=args.method, n=args.n,
                period=args.period, cumulative=args.cumulative)


def run_sweep(args) -> int:
    from analysis.sensitivity.sweep import run_sweep as fn

    metrics = [m.strip() for m in args.metrics.split(",")] if args.metrics else None
    return _run(lambda **kw: fn(args.scenario, args.vary, **kw), args,
                replicates=args.replicates, weeks=args.weeks, metrics=metrics,
                cumulative=args.cumulative, allow_idle=args.allow_idle, **period_arg(args))


def _print(res, out) -> None:
    from rich.console import Console
    from rich.table import Table

    if hasattr(res, "indices"):
        from analysis.sensitivity.batch import conclusions, summary_table

        t = summary_table(res)
        table = Table(title=f"leading index by parameter, most important first "
                      f"({res.plan.settings['method']})")
        table.add_column("parameter")
        for c in t.columns:
            table.add_column(str(c), justify="right")
        for p, row in t.iterrows():
            table.add_row(str(p), *[f"{v:.3g}" for v in row])
        Console().print(table)
        for line in conclusions(res):
            print(f"- {line}")
        print(f"outputs: {out}/indices.csv, samples.parquet, noise.csv, plots/, report.html")
    else:
        from analysis.report import fmt

        t = res.table
        top = t[t.point == t.point.max()]
        table = Table(title=f"difference from the zero-dose point at the last grid point "
                      f"[95% CI], {res.period.label}")
        table.add_column("metric")
        table.add_column("difference", justify="right")
        for _, r in top.iterrows():
            table.add_row(r["metric"], f"{fmt(r['diff'])} [{fmt(r['diff_lo'])}, "
                          f"{fmt(r['diff_hi'])}]")
        Console().print(table)
        print(f"outputs: {out}/sweep.csv, report.html, plots/ "
              f"({len(res.table.point.unique())} points)")
