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
timeseries_bands.csv, yearly.csv (paired differences year by year), periods.csv (the
intervention, the years after it, the end of the run), effect_over_time.csv, plots/ and
report.html. See docs/COMPARE.md.

PERIOD (for --window or --period): last:52 (the default), START:END (weeks, END excluded),
intervention (from the first lever's start to its end), or all."""


def add_period_options(p, what: str = "each run") -> None:
    """--window/--period and --cumulative, shared by compare, sweep and sensitivity."""
    g = p.add_mutually_exclusive_group()
    g.add_argument("--window", metavar="PERIOD",
                   help=f"period averaged for {what}: last:N, START:END, intervention or all "
                   "(default last:52, or the whole run if shorter; a bare N means last:N)")
    g.add_argument("--period", metavar="PERIOD", help="the same as --window")
    p.add_argument("--cumulative", action="store_true",
                   help="also report totals over the period (deaths, kg, USD: flows only) "
                   "next to the weekly means")


def period_arg(args) -> dict:
    """``window=`` or ``period=`` as the user spelled it (a bare number is the old
    ``--window W``, an int), for error messages that name the option given."""
    if args.period is not None:
        return {"period": args.period}
    spec = args.window
    return {"window": int(spec) if spec is not None and spec.strip().isdigit() else spec}


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
    add_period_options(p)
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
    p.add_argument("--allow-idle", action="store_true",
                   help="run even if a lever never acts (starts after the last week, zero "
                   "budget, targets that match nothing); the report says so")
    p.add_argument("--target-ci", type=float, metavar="PCT",
                   help="add paired replicates until the 95%% CI half-width of the key "
                   "metric's difference (the first of --metrics, default homicides) is below "
                   "PCT%% of the difference, or --max-replicates is reached")
    p.add_argument("--max-replicates", type=int, default=100, metavar="N",
                   help="the most replicates --target-ci may reach (default 100)")
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
                      **period_arg(args), seed=args.seed,
                      paired=not args.independent_seeds, out=args.out, resume=args.resume,
                      workers=args.workers, scheduler=args.scheduler,
                      connect_timeout=args.connect_timeout, metrics=metrics,
                      progress=progress, cumulative=args.cumulative,
                      allow_idle=args.allow_idle, target_ci=args.target_ci,
                      max_replicates=args.max_replicates,
                      overrides=parse_set(args.set))
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
    table = Table(title=f"Change from {res.baseline}: mean of {res.period.label}, "
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
    _print_over_time(res)
    for w in res.warnings():
        print(f"note: {w}")
    print(f"bold: interval excludes zero. {len(res.per_run)} runs, {wall:.0f} s. Outputs: "
          f"{res.out}/report.html, comparison.csv, runs.parquet, plots/")


def _print_over_time(res) -> None:
    """The key metric's difference in each period and year (yearly.csv, periods.csv)."""
    from rich.console import Console
    from rich.table import Table

    from analysis.report import fmt

    eff = res.effects
    if eff is None or eff.yearly.empty:
        return
    key = res.key_metric
    table = Table(title=f"{key}: difference from {res.baseline} over time [95% CI]")
    table.add_column("period")
    others = [k for k in res.labels if k != res.baseline]
    for k in others:
        table.add_column(k, justify="right")
    spans = [(r["period"], r["first_week"], r["last_week"]) for _, r in
             eff.periods[eff.periods.metric == key].drop_duplicates("period").iterrows()]
    spans += [(f"year {int(r['year'])}", r["first_week"], r["last_week"]) for _, r in
              eff.yearly[eff.yearly.metric == key].drop_duplicates("year").iterrows()]
    frames = {"period": eff.periods, "year": eff.yearly}
    for name, a, b in spans:
        cells = []
        for k in others:
            df = frames["year" if name.startswith("year ") else "period"]
            col = "year" if name.startswith("year ") else "period"
            val = int(name.split()[1]) if col == "year" else name
            r = df[(df.scenario == k) & (df.metric == key) & (df[col] == val)]
            if r.empty:
                cells.append("")
                continue
            r = r.iloc[0]
            sig = r["diff_lo"] > 0 or r["diff_hi"] < 0
            cell = f"{fmt(r['diff'])} [{fmt(r['diff_lo'])}, {fmt(r['diff_hi'])}]"
            cells.append(f"[bold]{cell}[/bold]" if sig else cell)
        table.add_row(f"{name} (weeks {a}-{b})", *cells)
    Console().print(table)
