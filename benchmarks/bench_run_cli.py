"""``tocsim run`` end to end: a fresh process running a scenario and writing its outputs.

Two measurements, each the median of ``--repeats`` fresh processes:

1. End to end: ``python -m tocsim run SCENARIO --out TMP`` as a user types it (summary table
   printed, plot written, checks as the scenario says), timed from outside the process; also
   with ``--no-plots`` and with ``--no-checks``.
2. Where the time goes: a fresh process imports the packages ``tocsim run`` needs one group
   at a time (timing each), then calls ``tocsim.cli.main`` with the model's build (spin-up
   included), its run, the conservation checks, the outputs and the summary wrapped by
   timers. The plot is drawn by a forked process as on the command line
   (``analysis.plot_process``): the row "waiting for the plot process" is the time the
   outputs wait for it after the other files are written. (That process imports matplotlib
   itself: the "import matplotlib" row here is this instrumented process's own import, which
   ``tocsim run`` does not pay.) Interpreter start-up is the end-to-end time minus what the
   process measured.

    .venv/bin/python benchmarks/bench_run_cli.py [--repeats 5] [--scenario FILE] [--json FILE]

Timings on a shared machine are noisy: the load average is printed next to them. Python's
compiled modules are cached as by default (``PYTHONDONTWRITEBYTECODE`` is unset for the runs:
without the cache every run compiles tocsim's own modules again).
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

ROOT = Path(__file__).resolve().parents[1]

# import groups, in the order tocsim run meets them (each includes what it pulls in)
IMPORT_GROUPS = (
    ("tocsim.cli", ("tocsim.cli",)),
    ("scenario (numpy, pydantic, yaml)", ("sim.scenario",)),
    ("mesa (pandas, pyarrow, scipy, networkx)", ("mesa",)),
    ("numba", ("numba",)),
    ("sim.model and kernels", ("sim.model",)),
    ("matplotlib (plots)", ("analysis.plots", "matplotlib.figure",
                            "matplotlib.backends.backend_agg")),
    ("rich (summary table)", ("rich.console", "rich.table")),
)


def _child(scenario: str, out: str, extra: list[str]) -> None:
    """Run in the fresh process: time the imports, then main() with timers around phases."""
    import gc
    import importlib

    # as on the command line (tocsim.cli.main): the garbage collector paused for the start-up
    # and resumed, with the start-up's objects frozen, once the model is built
    gc.disable()
    t_start, c_start = time.perf_counter(), time.process_time()
    phases: dict[str, list[float]] = {}  # label: [wall s, CPU s]
    for label, mods in IMPORT_GROUPS:
        t, c = time.perf_counter(), time.process_time()
        for m in mods:
            importlib.import_module(m)
        phases[f"import {label}"] = [time.perf_counter() - t, time.process_time() - c]

    import matplotlib.figure

    import analysis.plots
    import sim.ledger
    import sim.model
    import sim.output
    from tocsim import cli

    if hasattr(cli, "_resume_gc"):
        def resume(_args):
            gc.freeze()
            gc.enable()

        cli._resume_gc = resume
    else:  # a tree from before the pause: the collector as it was
        gc.enable()
    acc: dict[str, list[float]] = {}

    def timed(owner, name, label):
        fn = getattr(owner, name)

        def wrapper(*a, **k):
            t, c = time.perf_counter(), time.process_time()
            try:
                return fn(*a, **k)
            finally:
                w = acc.setdefault(label, [0.0, 0.0])
                w[0] += time.perf_counter() - t
                w[1] += time.process_time() - c

        setattr(owner, name, wrapper)

    timed(sim.model.TocModel, "__init__", "model build (spin-up included)")
    timed(sim.model.TocModel, "run", "model run")
    timed(sim.ledger.Ledger, "check", "conservation checks (in build and run)")
    timed(sim.output, "write_run", "outputs (CSV, JSON, YAML, plot)")
    timed(analysis.plots, "overview", "plot: draw the figure")
    timed(matplotlib.figure.Figure, "savefig", "plot: savefig")
    timed(cli, "_print_summary", "summary table")
    if hasattr(cli, "_summary_table"):  # made while the plot process draws (in the outputs)
        timed(cli, "_summary_table", "summary table: made while the plot draws")
    # as on the command line: the plot is drawn by a forked process (analysis.plot_process;
    # main(argv) called from Python would draw it here); the time the outputs wait for it
    import analysis.plot_process as plot_process

    start = plot_process.start
    plot_process.start = lambda title="", weeks=(), fork=True: start(title, weeks, fork=True)
    submit = plot_process.PlotProcess.submit

    def timed_submit(self, *a, **k):
        wait = submit(self, *a, **k)

        def timed_wait():
            t, c = time.perf_counter(), time.process_time()
            try:
                wait()
            finally:
                acc["plot: waiting for the plot process"] = [time.perf_counter() - t,
                                                             time.process_time() - c]
        return timed_wait

    plot_process.PlotProcess.submit = timed_submit
    t, c = time.perf_counter(), time.process_time()
    rc = cli.main(["run", scenario, "--out", out, *extra])
    assert rc == 0, rc
    phases.update(acc)
    phases["main() total"] = [time.perf_counter() - t, time.process_time() - c]
    phases["process total (after start-up)"] = [time.perf_counter() - t_start,
                                                 time.process_time() - c_start]
    print("PHASES " + json.dumps(phases))


def _run(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run ``cmd``; return its wall time, its CPU time (user + system) and its stdout."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return wall, cpu, p.stdout


def _median_pair(pairs) -> tuple[float, float]:
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="scenarios/baseline.yaml")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        sys.path.insert(0, str(ROOT))
        _child(args.child[0], args.child[1], args.child[2:])
        return

    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(v, "1")
    # Python's default: compiled modules cached as .pyc (written by the warm-up run), as
    # after an install. A shell with PYTHONDONTWRITEBYTECODE set never writes them, and
    # every run then compiles tocsim's own modules again (about 0.06 s on this machine)
    no_pyc = env.pop("PYTHONDONTWRITEBYTECODE", None)
    py = sys.executable
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    if no_pyc:
        print("(PYTHONDONTWRITEBYTECODE is set in this shell: unset for these runs, so that "
              "compiled modules are cached as by default)")
    results: dict = {"scenario": args.scenario, "repeats": args.repeats}
    with tempfile.TemporaryDirectory(prefix="bench_run_cli_") as tmp:
        out = str(Path(tmp) / "out")
        _run([py, "-m", "tocsim", "run", args.scenario, "--out", out, "--quiet"], env)  # warm
        variants = {"tocsim run": [], "--no-plots": ["--no-plots"],
                    "--no-checks": ["--no-checks"]}
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in variants}
        phases: list[dict] = []
        child = []
        for _ in range(args.repeats):
            for label, extra in variants.items():
                w, c, _ = _run([py, "-m", "tocsim", "run", args.scenario, "--out", out,
                                *extra], env)
                runs[label].append((w, c))
            w, c, stdout = _run([py, str(Path(__file__).resolve()), "--child", args.scenario,
                                 out], env)
            child.append((w, c))
            line = next(x for x in stdout.splitlines() if x.startswith("PHASES "))
            phases.append(json.loads(line.removeprefix("PHASES ")))
    print(f"\n{args.scenario}, a fresh process each time, median of {args.repeats} "
          "(wall time; CPU time of the process, less affected by other load):")
    for label, rs in runs.items():
        w, c = _median_pair(rs)
        results[label] = {"wall_s": w, "cpu_s": c}
        print(f"  {label:<14} {w:6.2f} s wall  {c:6.2f} s CPU   "
              f"(wall min {min(r[0] for r in rs):.2f}, max {max(r[0] for r in rs):.2f})")
    med = {k: _median_pair([p[k] for p in phases]) for k in phases[0]}
    cw, cc = _median_pair(child)
    tot = med["process total (after start-up)"]
    med["interpreter start-up and exit"] = (cw - tot[0], cc - tot[1])
    results["phases"] = {k: {"wall_s": v[0], "cpu_s": v[1]} for k, v in med.items()}
    print(f"\nwhere the time goes (instrumented run, median; end to end {cw:.2f} s wall, "
          f"{cc:.2f} s CPU):")

    def row(label, v):
        print(f"  {label:<46} {v[0]:6.3f} s  {v[1]:6.3f} s CPU")

    row("interpreter start-up and exit", med["interpreter start-up and exit"])
    for k, v in med.items():
        if k.startswith("import "):
            row(k, v)
    for k in ("model build (spin-up included)", "model run",
              "conservation checks (in build and run)", "outputs (CSV, JSON, YAML, plot)",
              "plot: draw the figure", "plot: savefig", "plot: waiting for the plot process",
              "summary table", "summary table: made while the plot draws", "main() total"):
        if k in med:
            row(k, med[k])
    zero = (0.0, 0.0)
    out_other = [med["outputs (CSV, JSON, YAML, plot)"][i] - med.get("plot: draw the figure",
                 zero)[i] - med.get("plot: savefig", zero)[i]
                 - med.get("plot: waiting for the plot process", zero)[i]
                 - med.get("summary table: made while the plot draws", zero)[i] for i in (0, 1)]
    row("  of the outputs: CSV, JSON, YAML", out_other)
    rest = [med["main() total"][i] - med["model build (spin-up included)"][i]
            - med["model run"][i] - med["outputs (CSV, JSON, YAML, plot)"][i]
            - med.get("summary table", zero)[i] for i in (0, 1)]
    row("  of main(): the rest (scenario, staging)", rest)
    results["loadavg_end"] = os.getloadavg()[0]
    print(f"load average at the end: {results['loadavg_end']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
