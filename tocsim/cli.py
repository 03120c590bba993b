"""tocsim command line: ``run``, ``validate``, ``list`` and ``schema`` (``compare``,
``sweep`` and ``sensitivity`` live in their own modules).

Bad input (a wrong scenario field, a missing file, an impossible value) prints
``FILE: field.path: what is wrong`` lines and exits with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_MODEL_STOPPED = 3  # a run left the model's valid space (ConservationError): a bug
EXIT_INTERRUPTED = 130


def _err(lines) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="tocsim",
        description="Agent-based simulation of transnational organized crime and the policies "
        "against it.",
    )
    p.add_argument("--version", action=_VersionAction,
                   help="print the version, the engine fingerprint and the git commit")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run one scenario and write its outputs",
                       description="Run SCENARIO and write timeseries.csv, regions.csv, "
                       "summary.json and plots/overview.png to --out.")
    r.add_argument("scenario", metavar="SCENARIO.yaml", help="the scenario file to run")
    r.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    r.add_argument("--weeks", type=int, help="weeks to simulate (default: the scenario's)")
    r.add_argument("--out", default=None, help="output folder (default: out/<scenario name>)")
    add_set_option(r)
    r.add_argument("--no-plots", action="store_true", help="skip plots/overview.png")
    r.add_argument("--no-checks", action="store_true", help="skip conservation checks")
    r.add_argument("--quiet", action="store_true", help="print nothing on success")
    r.add_argument("--force", action="store_true",
                   help="run even if the memory estimate exceeds the memory available")

    v = sub.add_parser("validate", help="check scenario files without running them",
                       description="Exit 0 if every FILE is valid; otherwise print one line per "
                       "problem and exit 2.")
    v.add_argument("files", nargs="+", metavar="FILE", help="scenario files to check")

    ls = sub.add_parser(
        "list", help="list scenarios, levers, parameters, metrics, regions, corridors, "
        "organizations",
        description="Without WHAT: the scenarios in --scenarios-dir and the intervention "
        "types (with --params, every model parameter). With WHAT: the names a scenario's "
        "targets and a problem's outputs use, in the world of --world (default: the default "
        "world).")
    ls.add_argument("what", nargs="?", choices=LIST_CHOICES, metavar="WHAT",
                    help=f"one of: {', '.join(LIST_CHOICES)} (default: scenarios and levers)")
    ls.add_argument("--scenarios-dir", default="scenarios",
                    help="folder of scenario files to list (default: scenarios)")
    ls.add_argument("--params", action="store_true", help="also list every model parameter")
    ls.add_argument("--world", metavar="SCENARIO_OR_WORLD.yaml",
                    help="list the regions, corridors and organizations of this scenario's "
                    "world (or of this world file) instead of the default world")

    sc = sub.add_parser(
        "schema", help="print the JSON Schema of scenario or problem files",
        description="Print (or write to --out) a JSON Schema generated from the declared "
        "parameters and intervention types, for editors that complete and check YAML (e.g. "
        "'# yaml-language-server: $schema=scenario.schema.json' as a file's first line).")
    sc.add_argument("kind", nargs="?", default="scenario", choices=("scenario", "problem"),
                    help="scenario files (default) or sensitivity problem files")
    sc.add_argument("--out", metavar="FILE", help="write the schema to FILE instead of stdout")

    for mod in _extra_command_modules():
        mod.add_parser(sub)
    return p


LIST_CHOICES = ("scenarios", "levers", "params", "metrics", "regions", "corridors",
                "organizations")


def add_set_option(parser) -> None:
    """The ``--set dotted.path=value`` option, the same for every command that builds
    scenarios (``Scenario.with_overrides``)."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE",
        help="override a scenario field by dotted path (repeatable), e.g. "
        "params.recruitment.rate=0.003 or interventions.kingpin.budget=2e7 (levers by name "
        "or index); the same paths as sweep --vary and problem files")


class _VersionAction(argparse.Action):
    """``--version``, computed only when asked (it reads the engine's files and runs git)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from sim.provenance import version_line

        print(version_line())
        parser.exit()


# Commands that live in their own modules: each has add_parser(subparsers), which sets
# ``func`` on its parser with set_defaults(func=...), a callable taking the parsed args and
# returning an exit status.
EXTRA_COMMANDS = ("tocsim.cmd_compare", "tocsim.cmd_sensitivity", "tocsim.cmd_exercise",
                  "tocsim.cmd_calibrate", "tocsim.cmd_serve")


def _extra_command_modules():
    import importlib

    mods = []
    for name in EXTRA_COMMANDS:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # A run from the command line imports numpy, pydantic, mesa, pandas, scipy and Numba and
    # loads the kernels: some 190,000 objects, over which the cyclic garbage collector makes
    # about 400 passes on the way (0.2 s, a tenth of the command). It is paused until the
    # model is built, then resumed with those objects frozen (_resume_gc): they live until
    # the end and are never garbage. The plot process, forked during the pause, keeps the
    # collector off: it draws one figure and ends.
    args.gc_paused = argv is None and args.command == "run" and gc.isenabled()
    if args.gc_paused:
        gc.disable()
    from sim.errors import ScenarioError

    try:
        if args.command == "run":
            args.command_line = argv is None  # a process of its own: see _exit_now
            rc = cmd_run(args)
            if argv is None:  # the command line, not a caller in this process
                _exit_now(rc)
            return rc
        if args.command == "validate":
            return cmd_validate(args)
        if args.command == "list":
            return cmd_list(args)
        if args.command == "schema":
            return cmd_schema(args)
        if hasattr(args, "func"):
            return args.func(args)
    except ScenarioError as exc:
        _err(exc.lines)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        where = getattr(args, "out_written", None)
        print(f"interrupted: {where} was already complete" if where else
              "interrupted: nothing was written (any earlier output is unchanged)",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except RecursionError:  # pragma: no cover - the readers bound nesting first
        print("input nested too deeply", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into head and the like
        sys.stderr.close()
        return 0
    return 1


def _exit_now(rc: int) -> None:
    """End the process at once after a run from the command line: flush the output and skip
    the interpreter's teardown, which frees every module object one by one (about 0.3 s of
    CPU after Numba and mesa are loaded, for nothing: the outputs are already written and
    closed, and ``run`` starts no workers or threads that would need joining)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more to say
            pass
    os._exit(rc)


def cmd_validate(args) -> int:
    from sim.errors import ScenarioError
    from sim.scenario import load_scenario

    bad = 0
    for f in args.files:
        try:
            scn = load_scenario(f)
        except ScenarioError as exc:
            _err(exc.lines)
            bad += 1
            continue
        _warn_idle(scn)
    return EXIT_BAD_INPUT if bad else 0


def _warn_idle(scn) -> None:
    """Warn (without failing) about levers that never act: compare and sweep refuse them."""
    from analysis.idle import idle_levers

    for line in idle_levers(scn):
        print(f"warning: {line} (compare and sweep refuse it unless --allow-idle)",
              file=sys.stderr)


def cmd_run(args) -> int:
    from sim.output import check_destination
    from sim.scenario import load_scenario, parse_set

    overrides = parse_set(args.set)
    scn = load_scenario(args.scenario, overrides=overrides, seed=args.seed, weeks=args.weeks)
    out = Path(args.out) if args.out else Path("out") / scn.name
    check_destination(out)  # before the run, not after it
    plot = None
    if not args.no_plots:  # started before Numba and mesa load (see analysis.plot_process)
        from analysis import plot_process
        from sim.output import plot_title

        plot = plot_process.start(plot_title(scn), range(scn.weeks),
                                  fork=getattr(args, "command_line", False))
    try:
        return _run(args, scn, out, plot)
    finally:
        if plot is not None:
            plot.close()


def _run(args, scn, out: Path, plot) -> int:
    from sim.errors import ModelLimitError
    from sim.memory import check_memory
    from sim.model import ConservationError, TocModel
    from sim.output import staged_output, write_run

    need = check_memory(scn, force=args.force)
    if need > 2**30 and not args.quiet:
        print(f"note: this run needs about {need / 2**30:.1f} GiB of memory", file=sys.stderr)

    t0 = time.perf_counter()
    model = None
    progress, finish = _progress(scn.weeks, enabled=not args.quiet)
    try:
        model = TocModel(scn, checks=False if args.no_checks else None)
        _resume_gc(args)
        model.run(progress=progress)
    except (ConservationError, ModelLimitError, ArithmeticError, ValueError) as exc:
        # the model left its valid space: one line naming the week (TOCSIM_DEBUG=1: traceback)
        if os.environ.get("TOCSIM_DEBUG"):
            raise
        week = f"week {model.week}: " if model is not None and "week" not in str(exc) else ""
        kind = "" if isinstance(exc, ConservationError | ModelLimitError) \
            else f"{type(exc).__name__}: "
        print(f"{scn.source}: run stopped: {week}{kind}{exc}; nothing was written",
              file=sys.stderr)
        return EXIT_MODEL_STOPPED
    finally:
        finish()
    wall = time.perf_counter() - t0
    plot_errors = ()
    if plot is not None:
        from analysis.plot_process import PlotError

        plot_errors = (PlotError,)
    table = []  # the summary table, made while the plot process draws

    def prepare(summary):
        if not args.quiet:
            table.append(_summary_table(summary))

    try:
        with staged_output(out) as tmp:
            write_run(model, tmp, wall, plot=plot, while_plotting=prepare)
    except plot_errors as exc:
        print(f"{scn.source}: {exc}; nothing was written", file=sys.stderr)
        return 1
    args.out_written = out
    if table:
        _print_summary(table[0], out, plots=not args.no_plots)
    return 0


def _resume_gc(args) -> None:
    """Resume the garbage collector paused by ``main`` for the start-up, first moving every
    object made so far (modules, kernels, the built model) to the permanent generation
    (``gc.freeze``), so that the collections during the run do not walk them again."""
    if getattr(args, "gc_paused", False):
        gc.freeze()
        gc.enable()
        args.gc_paused = False


def _progress(total: int, enabled: bool):
    """A progress bar on stderr for long runs when it is a terminal; else no-ops."""
    if not enabled or total < 260 or not sys.stderr.isatty():
        return None, lambda: None
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("week {task.completed}/{task.total}"), BarColumn(),
                   TimeRemainingColumn(), transient=True)
    task = bar.add_task("run", total=total)
    bar.start()
    return (lambda done, _t: bar.update(task, completed=done)), bar.stop


HEADLINE = ["retail_price", "wholesale_price", "import_price", "markup", "consumption",
            "supply_shipped", "seizure_rate", "criminal_members", "homicides", "corruption_rate",
            "arrests", "active_cartels", "criminal_wealth"]


def _summary_table(summary: dict):
    """The run's headline metrics as a rich table."""
    from rich.table import Table

    means = summary["means_last_window"]
    table = Table(title=f"{summary['scenario']}: mean of the last {summary['window_weeks']} "
                  f"weeks (seed {summary['seed']}, {summary['weeks']} weeks, "
                  f"{summary['wall_time_s']:.1f} s)")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k in HEADLINE:
        v = means[k]
        table.add_row(k, f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}")
    return table


def _print_summary(table, out: Path, plots: bool = True) -> None:
    from rich.console import Console

    Console().print(table)
    print(f"outputs: {out}/timeseries.csv, regions.csv, summary.json, scenario.resolved.yaml"
          + (", plots/overview.png" if plots else ""))


def cmd_schema(args) -> int:
    import json

    if args.kind == "problem":
        from analysis.schema import problem_schema as make
    else:
        from sim.schema import scenario_schema as make
    text = json.dumps(make(), indent=1) + "\n"
    if args.out:
        from sim.errors import ScenarioError
        from sim.output import write_atomic

        out = Path(args.out)
        if out.is_dir():
            raise ScenarioError(f"--out: {out}: is a folder; give the schema file's name")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(out, text.encode("utf-8"))
        except OSError as exc:  # a folder in the way, a file where a folder should be, ...
            why = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)
            raise ScenarioError(f"--out: {out}: cannot write the schema ({why})") from None
        print(f"wrote {out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_list(args) -> int:
    if args.what in ("metrics", "regions", "corridors", "organizations"):
        from tocsim import listing

        return listing.show(args.what, args.world)
    return _list_scenarios_and_levers(args, args.what)


def _list_scenarios_and_levers(args, what: str | None = None) -> int:
    """``what`` None: scenarios and levers (and parameters with --params); else only
    ``scenarios``, ``levers`` or ``params``."""
    from sim.errors import ScenarioError
    from sim.interventions import REGISTRY
    from sim.params import PARAMS
    from sim.yamlio import read_yaml

    if what == "params":
        return _list_params(PARAMS)
    d = Path(args.scenarios_dir)
    files = sorted(d.glob("*.yaml")) if d.is_dir() else []
    if what in (None, "scenarios"):
        print(f"Scenarios in {d}/:")
        for f in files:
            try:
                data = read_yaml(f)
            except ScenarioError:
                data = {"description": "(cannot be read: tocsim validate says why)"}
            desc = " ".join(str(data.get("description", "")).split())
            print(f"  {f.name}\n      {desc}")
        if not files:
            print("  (none)")
        if what == "scenarios":
            return 0
        print()
    print("Intervention types (common fields: start_week, end_week, ramp_weeks, budget USD/week "
          "or intensity, targets, after_end stop|decay|persist, decay_rate):")
    if not REGISTRY:
        print("  (none yet)")
    for name, cls in sorted(REGISTRY.items()):
        doc = cls.__doc__.strip().splitlines()[0] if cls.__doc__ else ""
        print(f"  {name}: {doc}")
        print(f"      intensity unit: {cls.unit}; cost {cls.unit_cost:,.0f} USD/week per unit; "
              f"after end: {cls.default_after_end}")
        for field, values in getattr(cls, "choices", {}).items():
            print(f"      {field} = {values[0]} (one of: {', '.join(values)})")
        for pname, p in cls.params.items():
            print(f"      {pname} = {p.default:g} [{p.unit}] ({p.lo:g}-{p.hi:g}): {p.doc}")
    if args.params and what is None:
        print()
        _list_params(PARAMS)
    return 0


def _list_params(PARAMS) -> int:
    print("Parameters (--set params.group.name=VALUE; group.name = default [unit] (range): "
          "description; source):")
    for g, grp in PARAMS.items():
        for n, p in grp.items():
            print(f"  {g}.{n} = {p.default:g} [{p.unit}] ({p.lo:g}-{p.hi:g}): {p.doc}; {p.source}")
    return 0
