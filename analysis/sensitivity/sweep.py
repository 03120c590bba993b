"""Parameter sweeps: dose-response curves over a grid, with replicates and CI bands.

``--vary path=lo:hi:n`` gives n evenly spaced values from lo to hi (``path=v1,v2,v3`` lists
them); several ``--vary`` make a full grid. Every grid point runs ``replicates`` times with the
same replicate seeds at every point (common random numbers), through the shared batch runner;
the varied values are columns of ``runs.parquet`` (named by their dotted paths).

Each point's runs are summarised over a period (``--window``/``--period``, as in compare:
``last:52`` by default, ``START:END``, ``intervention``, ``all``; ``--cumulative`` adds totals
of flows) and compared with the zero-dose point (every varied value 0, or the lowest values
when 0 is not on the grid): ``diff`` is the paired difference (replicate r of the point minus
replicate r of the zero-dose point, same seed) with its 95% t-interval. ``sweep.csv`` holds
levels and differences; ``plots/sweep_<metric>.png`` both; ``report.html`` says what they mean.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError

from ..idle import check_idle
from ..periods import Period, lever_schedule, parse_period
from ..provenance import write_resolved
from ..runner import Task, replicate_seeds, run_tasks, versions
from ..stats import difference, mean_interval
from ..store import FAILED, PENDING, RunStore
from .batch import IncompleteBatch

KIND = "sweep"
DEFAULT_METRICS = ("homicides", "consumption", "criminal_members", "criminal_wealth",
                   "seizures", "intervention_cost")


def parse_vary(text: str) -> tuple[str, list[float]]:
    path, sep, spec = text.partition("=")
    if not sep or not path or not spec:
        raise ScenarioError(f"--vary {text!r}: expected path=lo:hi:n or path=v1,v2,...")
    try:
        if ":" in spec:
            lo, hi, n = spec.split(":")
            n = int(n)
            if n < 2:
                raise ValueError
            values = [float(v) for v in np.linspace(float(lo), float(hi), n)]
        else:
            values = [float(v) for v in spec.split(",") if v.strip()]
    except ValueError:
        raise ScenarioError(f"--vary {text!r}: expected path=lo:hi:n (n >= 2 points) or "
                            "path=v1,v2,...") from None
    if not values:
        raise ScenarioError(f"--vary {text!r}: no values")
    return path, values


@dataclass
class Sweep:
    """``table``: per point and metric: the varied values, ``mean``, ``ci_low``, ``ci_high``,
    ``n`` (levels), ``diff``, ``diff_lo``, ``diff_hi``, ``p_value`` (paired difference from the
    zero-dose point), and with ``cumulative`` ``total``/``total_diff`` (flows)."""

    table: pd.DataFrame
    paths: list[str]
    metrics: list[str]
    scenario: str
    period: Period | None = None
    zero_point: int = 0
    description: str = ""
    replicates: int = 0
    weeks: int = 0
    idle: list[str] = None  # type: ignore[assignment]
    levers: list = None  # type: ignore[assignment]
    overrides: dict | None = None  # the --set overrides of the base scenario (plot titles)

    def write(self, out: Path) -> None:
        import matplotlib.pyplot as plt

        from sim.output import staged_output

        from ..plots import note_overrides
        from .report import render_sweep

        images = {}
        with staged_output(out, keep_others=True) as tmp:
            self.table.to_csv(tmp / "sweep.csv", index=False, float_format="%.6g")
            (tmp / "plots").mkdir()
            for m in self.metrics:
                fig = note_overrides(dose_response(self.table, self.paths, m, self.scenario,
                                                   self.period, self.zero_point), self.overrides)
                name = f"sweep_{m}.png"
                fig.savefig(tmp / "plots" / name, dpi=100)
                images[name] = (tmp / "plots" / name).read_bytes()
                plt.close(fig)
            (tmp / "report.html").write_text(render_sweep(self, images, out), encoding="utf-8")


def run_sweep(scenario: str | Path, varies: list[str], *, replicates: int = 3,
              weeks: int | None = None, window: int | str | None = None,
              metrics: list[str] | None = None, seed: int | None = None,
              out: str | Path = "out/sweep", resume: bool = False, workers: int | None = None,
              scheduler: str | None = None, client=None, progress=None, write: bool = True,
              period: str | None = None, cumulative: bool = False,
              allow_idle: bool = False, overrides: dict | None = None) -> Sweep:
    """Run the grid (see the module docstring); ``window``/``period`` choose the period,
    ``allow_idle`` runs a base scenario whose levers never act (the zero-dose point is idle
    by design and is not refused); ``overrides`` (``--set``) change the base scenario."""
    from sim.metrics import METRICS
    from sim.scenario import load_scenario

    if replicates < 1:
        raise ScenarioError(f"--replicates: {replicates}: must be at least 1")
    if window is not None and period is not None:
        raise ScenarioError("--period: give --period or --window, not both")
    scn = load_scenario(scenario, weeks=weeks, overrides=overrides)
    set_overrides = dict(overrides or {})  # (``overrides`` is reused below for each point)
    weeks = scn.weeks
    idle = check_idle([scn], allow_idle)
    levers = lever_schedule(scn)
    spec = period if period is not None else window
    per = parse_period(f"last:{min(52, weeks)}" if spec is None else spec, weeks, levers,
                       "--period" if period is not None else "--window")
    grid_axes = [parse_vary(v) for v in varies]
    paths = [p for p, _ in grid_axes]
    if len(set(paths)) != len(paths):
        raise ScenarioError("--vary: the same path is given twice")
    metrics = list(metrics or DEFAULT_METRICS)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ScenarioError(f"--metrics: unknown metric {unknown[0]!r}; valid: "
                            f"{', '.join(METRICS)}")
    points = list(itertools.product(*[vals for _, vals in grid_axes]))
    errors = []
    for path, vals in grid_axes:  # every value must make a valid scenario
        for v in (min(vals), max(vals)):
            try:
                scn.with_overrides({path: _cast(scn, path, v)})
            except ScenarioError as exc:
                errors.append(f"--vary {path}: value {v:g}: " + exc.lines[0].split(": ", 1)[-1])
                break
    if errors:
        raise ScenarioError(errors)
    seeds = replicate_seeds(scn.seed if seed is None else seed, replicates)
    tasks = []
    for i, point in enumerate(points):
        overrides = {p: _cast(scn, p, v) for p, v in zip(paths, point, strict=True)}
        for r, s in enumerate(seeds):
            tasks.append(Task(key=f"p{i:05d}-r{r:03d}", base="base", seed=s, weeks=weeks,
                              labels={"point": i, "replicate": r, **overrides},
                              overrides=overrides))
    store = RunStore(out)
    store.open(kind=KIND, inputs={"scenario": str(scenario), "scenario_hash": scn.hash,
                                  "vary": varies, "replicates": replicates, "weeks": weeks,
                                  "seeds": seeds, "overrides": set_overrides},
               versions=versions(), runs=[t.record() for t in tasks], resume=resume,
               settings={"window": per.weeks, "period": per.spec, "cumulative": cumulative,
                         "metrics": metrics, "idle": idle})
    run_tasks(tasks, {"base": scn}, store, workers=workers, scheduler=scheduler, client=client,
              progress=progress)
    write_resolved(out, {"base": scn})
    counts = store.counts()
    if counts[FAILED] or counts[PENDING]:
        raise IncompleteBatch(Path(out), counts)
    per_run = _per_run(store, [t.key for t in tasks], metrics, per)
    zero = zero_point(points)
    table = sweep_table(per_run, points, paths, metrics, zero, cumulative)
    result = Sweep(table, paths, metrics, scn.name, per, zero,
                   " ".join(scn.description.split()), replicates, weeks, idle, levers,
                   overrides=dict(scn.overrides))
    if write:
        result.write(Path(out))
    return result


def _per_run(store, keys, metrics, per: Period) -> pd.DataFrame:
    """Per point and replicate: the mean and the total of every metric over the period."""
    rows = []
    for chunk in store.read_chunks(keys, columns=["point", "replicate", "week"] + metrics):
        df = chunk.to_pandas()
        df = df[(df.week >= per.start) & (df.week < per.end)]
        for (pt, r), g in df.groupby(["point", "replicate"], sort=True):
            rows.append({"point": int(pt), "replicate": int(r),
                         **{m: float(g[m].mean()) for m in metrics},
                         **{f"total_{m}": float(g[m].sum()) for m in metrics}})
    return pd.DataFrame(rows)


def zero_point(points: list[tuple]) -> int:
    """The grid point where every varied value is 0, else the one with the lowest values."""
    for i, p in enumerate(points):
        if all(v == 0 for v in p):
            return i
    return min(range(len(points)), key=lambda i: points[i])


def sweep_table(per_run: pd.DataFrame, points, paths, metrics, zero: int,
                cumulative: bool) -> pd.DataFrame:
    from ..effects import is_flow

    ref = per_run[per_run.point == zero].set_index("replicate")
    out_rows = []
    for i, point in enumerate(points):
        sub = per_run[per_run.point == i].set_index("replicate")
        common = sub.index.intersection(ref.index)
        for m in metrics:
            ci = mean_interval(sub[m])
            row = {"point": i, **dict(zip(paths, point, strict=True)), "metric": m,
                   "mean": ci.estimate, "ci_low": ci.lo, "ci_high": ci.hi, "n": ci.n}
            d = difference(sub.loc[common, m], ref.loc[common, m], paired=True)
            row.update(diff=d.estimate, diff_lo=d.lo, diff_hi=d.hi, p_value=d.p_value)
            if i == zero:
                row.update(diff=0.0, diff_lo=np.nan, diff_hi=np.nan, p_value=np.nan)
            if cumulative and is_flow(m):
                t = f"total_{m}"
                td = difference(sub.loc[common, t], ref.loc[common, t], paired=True)
                row.update(total=mean_interval(sub[t]).estimate, total_diff=td.estimate,
                           total_diff_lo=td.lo, total_diff_hi=td.hi)
            out_rows.append(row)
    return pd.DataFrame(out_rows)


def _cast(scn, path: str, v: float):
    from .batch import _is_int_field

    return int(round(v)) if _is_int_field(scn, path) else float(v)


def dose_response(table: pd.DataFrame, paths: list[str], metric: str, scenario: str,
                  period: Period | None = None, zero: int = 0):
    """Two panels against the first varied value: the level (mean of the period, 95% CI) and
    the paired difference from the zero-dose point (95% CI); one line per value of the other
    varied paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.metrics import METRICS

    from ..plots import plain_numbers

    unit = METRICS.get(metric, ("",))[0]
    t = table[table.metric == metric]
    x = paths[0]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    others = paths[1:]
    groups = t.groupby(others, sort=True) if others else [((), t)]
    for j, (key, g) in enumerate(groups):
        g = g.sort_values(x)
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{p.split('.')[-1]}={k:g}"
                          for p, k in zip(others, key, strict=True)) or None
        c = f"C{j % 10}"
        axes[0].plot(g[x], g["mean"], marker="o", ms=3, color=c, label=label)
        axes[0].fill_between(g[x], g["ci_low"], g["ci_high"], alpha=0.2, color=c)
        axes[1].plot(g[x], g["diff"], marker="o", ms=3, color=c, label=label)
        axes[1].fill_between(g[x], g["diff_lo"].fillna(0), g["diff_hi"].fillna(0), alpha=0.2,
                             color=c)
    span = period.label if period is not None else "the window"
    axes[0].set_ylabel(f"{metric.replace('_', ' ')} ({unit})")
    axes[0].set_title(f"Level: mean of {span}, 95% CI", fontsize=10)
    axes[1].axhline(0, color="black", lw=0.8)
    axes[1].set_ylabel(f"difference ({unit})")
    axes[1].set_title("Paired difference from the zero-dose point, 95% CI", fontsize=10)
    for ax in axes:
        ax.set_xlabel(_axis_label(x))
        plain_numbers(ax, "x")
        plain_numbers(ax, "y")
        ax.grid(alpha=0.3)
        if others:
            ax.legend(fontsize=8)
    fig.suptitle(f"{scenario}: {metric.replace('_', ' ')} against {x}", fontsize=11)
    return fig


def _axis_label(path: str) -> str:
    """A dotted path with its unit where the path names a budget or a parameter."""
    last = path.split(".")[-1]
    if last == "budget":
        return f"{path} (USD/week)"
    parts = path.split(".")
    if parts[0] == "params" and len(parts) == 3:
        from sim.params import PARAMS

        p = PARAMS.get(parts[1], {}).get(parts[2])
        if p is not None and p.unit:
            return f"{path} ({p.unit})"
    return path
