"""``tocsim calibrate``: fit a scenario's declared parameters to observed series.

Registered by ``tocsim.cli`` through ``EXTRA_COMMANDS``. Exit status: 0 done; 2 bad input (one
``FILE: field: problem`` line each); 130 interrupted (finished runs and trials are stored:
rerun with ``--resume``). See docs/CALIBRATION.md.
"""

from __future__ import annotations

import argparse
import sys

EXIT_INTERRUPTED = 130

DESCRIPTION = """\
Fit the parameters declared in TARGETS.yaml to its observed series: an Optuna (TPE) search
with R replicates per trial on fixed seeds (common random numbers), the best trials re-scored
on fresh seeds, then a posterior by importance resampling, so every fitted value has an
interval. --method abc fits the same likelihood by ABC-SMC (pyabc; the targets file's abc:
block) instead of the search and importance sampling, its history in DIR/abc.db. Runs go to
Dask workers (a local cluster, or --scheduler). The search history is in
DIR/optuna.sqlite3 and every run in DIR/runs/, so --resume continues after Ctrl-C or kill -9
without repeating a trial. Writes DIR/calibrated.yaml (the base scenario extended with the
fitted values and a provenance card), posterior.parquet, draws.parquet, parameters.csv,
gof.csv, trials.csv, plots/ and report.html. See docs/CALIBRATION.md."""


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "calibrate", help="fit parameters to observed series (Optuna + importance resampling)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", metavar="TARGETS.yaml",
                   help="the targets file (calibration/targets/*.yaml)")
    p.add_argument("--trials", type=int, metavar="N",
                   help="search trials (default: the targets file's search.trials; not "
                   "with --method abc)")
    p.add_argument("--replicates", "-r", type=int, metavar="R",
                   help="runs per trial on fixed seeds (default: search.replicates)")
    p.add_argument("--method", choices=("optuna", "abc"), default="optuna",
                   help="optuna (TPE search then importance resampling; the default) or abc "
                   "(ABC-SMC with pyabc, settings in the targets file's abc: block)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of the local cluster (default 2)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("--out", default="out/calibration", metavar="DIR",
                   help="output folder (default out/calibration)")
    p.add_argument("--resume", action="store_true",
                   help="continue the calibration stored in DIR (more --trials allowed)")
    p.add_argument("--no-plots", action="store_true", help="skip plots/ (report without images)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from calibration.search import calibrate

    log = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    try:
        res = calibrate(args.targets, trials=args.trials, replicates=args.replicates,
                        method=args.method, out=args.out, resume=args.resume,
                        workers=args.workers, scheduler=args.scheduler, log=log,
                        plots=not args.no_plots)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs and trials are stored in {args.out}; rerun with "
              "--resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        _print(res)
    return 0


def _print(res) -> None:
    from rich.console import Console
    from rich.table import Table

    what = "ABC proposals" if "abc" in res.provenance else "trials"
    t = Table(title=f"{res.targets.spec.name}: fitted values "
              f"({len(res.trials)} {what}, ESS {res.provenance['effective_sample_size']})")
    for c in ("parameter", "median (used)", "best trial", "90% interval", "bound"):
        t.add_column(c, justify="left" if c in ("parameter", "bound") else "right")
    for r in res.parameters.itertuples():
        t.add_row(r.parameter, f"{r.median:.4g}", f"{r.best:.4g}",
                  f"[{r.q05:.4g}, {r.q95:.4g}]", r.at_bound)
    Console().print(t)
    g = Table(title="goodness of fit")
    for c in ("target", "part", "rmse_rel", "cover 50%", "cover 90%", "loglik"):
        g.add_column(c, justify="left" if c in ("target", "part") else "right")
    for r in res.gof.itertuples():
        g.add_row(r.target, r.part, f"{r.rmse_rel:.1%}", f"{r.coverage_50:.0%}",
                  f"{r.coverage_90:.0%}", f"{r.loglik:.2f}")
    Console().print(g)
    print(f"outputs: {res.out}/calibrated.yaml, posterior.parquet, gof.csv, plots/, report.html"
          f" ({res.timings.get('total_s', 0):.0f} s)")
