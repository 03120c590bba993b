"""Parameter sweeps: dose-response curves over a grid, with replicates and CI bands.

``--vary path=lo:hi:n`` gives n evenly spaced values from lo to hi (``path=v1,v2,v3`` lists
them); several ``--vary`` make a full grid. Every grid point runs ``replicates`` times with the
same replicate seeds at every point (common random numbers), through the shared batch runner.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ScenarioError

from ..provenance import write_resolved
from ..runner import Task, replicate_seeds, run_tasks, versions
from ..stats import mean_interval
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
    table: pd.DataFrame  # point, varied paths, metric, mean, ci_low, ci_high, n
    paths: list[str]
    metrics: list[str]
    scenario: str
    overrides: dict | None = None  # the --set overrides of the base scenario (plot titles)

    def write(self, out: Path) -> None:
        from sim.output import staged_output

        from ..plots import note_overrides

        with staged_output(out) as tmp:
            self.table.to_csv(tmp / "sweep.csv", index=False, float_format="%.6g")
            (tmp / "plots").mkdir()
            for m in self.metrics:
                fig = note_overrides(dose_response(self.table, self.paths, m, self.scenario),
                                     self.overrides)
                fig.savefig(tmp / "plots" / f"sweep_{m}.png", dpi=100)
                import matplotlib.pyplot as plt

                plt.close(fig)


def run_sweep(scenario: str | Path, varies: list[str], *, replicates: int = 3,
              weeks: int | None = None, window: int = 52, metrics: list[str] | None = None,
              seed: int | None = None, out: str | Path = "out/sweep", resume: bool = False,
              workers: int | None = None, scheduler: str | None = None, client=None,
              progress=None, write: bool = True, overrides: dict | None = None) -> Sweep:
    """Run ``scenario`` (with ``overrides``, ``--set``) over the grid of ``varies``."""
    from sim.metrics import METRICS
    from sim.scenario import load_scenario

    if replicates < 1:
        raise ScenarioError(f"--replicates: {replicates}: must be at least 1")
    scn = load_scenario(scenario, overrides=overrides)
    set_overrides = dict(overrides or {})  # (``overrides`` is reused below for each point)
    weeks = weeks or scn.weeks
    grid_axes = [parse_vary(v) for v in varies]
    paths = [p for p, _ in grid_axes]
    if len(set(paths)) != len(paths):
        raise ScenarioError("--vary: the same path is given twice")
    metrics = list(metrics or DEFAULT_METRICS)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ScenarioError(f"--metrics: unknown metric {unknown[0]!r}; valid: {', '.join(METRICS)}")
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
                              labels={"point": i, "replicate": r}, overrides=overrides))
    store = RunStore(out)
    store.open(kind=KIND, inputs={"scenario": str(scenario), "scenario_hash": scn.hash,
                                  "vary": varies, "replicates": replicates, "weeks": weeks,
                                  "seeds": seeds, "overrides": set_overrides},
               versions=versions(), runs=[t.record() for t in tasks], resume=resume,
               settings={"window": window, "metrics": metrics})
    run_tasks(tasks, {"base": scn}, store, workers=workers, scheduler=scheduler, client=client,
              progress=progress)
    write_resolved(out, {"base": scn})
    counts = store.counts()
    if counts[FAILED] or counts[PENDING]:
        raise IncompleteBatch(Path(out), counts)
    rows = []
    for chunk in store.read_chunks([t.key for t in tasks],
                                   columns=["point", "replicate", "week"] + metrics):
        for (pt, _r), g in chunk.to_pandas().groupby(["point", "replicate"], sort=True):
            g = g.sort_values("week")
            rows.append({"point": int(pt), **{m: float(g[m].iloc[-window:].mean()) for m in metrics}})
    per_run = pd.DataFrame(rows)
    out_rows = []
    for i, point in enumerate(points):
        sub = per_run[per_run.point == i]
        for m in metrics:
            ci = mean_interval(sub[m])
            out_rows.append({"point": i, **dict(zip(paths, point, strict=True)), "metric": m,
                             "mean": ci.estimate, "ci_low": ci.lo, "ci_high": ci.hi, "n": ci.n})
    result = Sweep(pd.DataFrame(out_rows), paths, metrics, scn.name, dict(scn.overrides))
    if write:
        result.write(Path(out))
    return result


def _cast(scn, path: str, v: float):
    from .batch import _is_int_field

    return int(round(v)) if _is_int_field(scn, path) else float(v)


def dose_response(table: pd.DataFrame, paths: list[str], metric: str, scenario: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = table[table.metric == metric]
    x = paths[0]
    fig, ax = plt.subplots(figsize=(6.5, 4.2), constrained_layout=True)
    others = paths[1:]
    groups = t.groupby(others, sort=True) if others else [((), t)]
    for j, (key, g) in enumerate(groups):
        g = g.sort_values(x)
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{p.split('.')[-1]}={k:g}" for p, k in zip(others, key, strict=True)) or None
        ax.plot(g[x], g["mean"], marker="o", ms=3, color=f"C{j % 10}", label=label)
        ax.fill_between(g[x], g["ci_low"], g["ci_high"], alpha=0.2, color=f"C{j % 10}")
    ax.set_xlabel(x)
    ax.set_ylabel(f"{metric} (mean of last weeks, 95% CI)")
    ax.set_title(f"{scenario}: {metric}")
    ax.grid(alpha=0.3)
    if others:
        ax.legend(fontsize=8)
    return fig
