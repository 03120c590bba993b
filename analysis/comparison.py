"""Compare scenarios with replicates: plan the runs, run them on Dask, and tabulate.

From a notebook::

    from analysis import compare
    res = compare(["scenarios/baseline.yaml", "scenarios/enforcement_surge_params.yaml"],
                  replicates=20, weeks=260, out="out/surge")
    res.table              # per scenario and metric: mean, CI, difference from baseline, CI
    res.cost_effectiveness # change per million USD of added intervention cost
    res.per_run            # one row per run: window means and run totals

``analyse(out)`` rebuilds the same tables from a finished output folder without running.
Every scenario runs ``replicates`` times; replicate ``r`` has the same seed in every scenario
(common random numbers), so differences are paired. The command line ``tocsim compare`` calls
:func:`compare`; docs/COMPARE.md describes the outputs and the statistics.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim import Scenario, ScenarioError, load_scenario
from sim.metrics import METRICS

from . import compare_tables as T
from .effects import Effects, effects
from .idle import check_idle
from .periods import Lever, Period, parse_period, schedule, standard_periods
from .provenance import write_resolved
from .runner import Progress, Task, replicate_seeds, run_tasks, versions
from .store import DONE, FAILED, PENDING, RunStore

KIND = "compare"
DEFAULT_WINDOW = 52
FEW_REPLICATES = 10  # below this the report warns that intervals are wide and unstable
DEFAULT_OUT = "out/compare"
# Metrics plotted, shown in the summary and the report's key table (comparison.csv has all).
HEADLINE = ("homicides", "consumption", "criminal_wealth", "retail_price", "criminal_members",
            "arrests", "corruption_rate", "seizure_rate", "active_cartels", "intervention_cost")


class IncompleteBatch(Exception):
    """Some runs failed or were not run; the manifest lists them. Rerun with resume."""

    def __init__(self, out: Path, counts: dict[str, int]):
        self.out, self.counts = out, counts
        super().__init__(f"{out}: {counts[DONE]} runs done, {counts[FAILED]} failed, "
                         f"{counts[PENDING]} not run (see {out}/manifest.json); rerun with "
                         "--resume to finish")


# ---------------------------------------------------------------------------- planning
@dataclass
class Plan:
    """The runs of a comparison: scenarios by label (baseline first), seeds and tasks."""

    labels: list[str]
    bases: dict[str, Scenario]
    baseline: str
    replicates: int
    weeks: int
    seed: int
    paired: bool
    window: int = DEFAULT_WINDOW
    tasks: list[Task] = field(default_factory=list)
    period: str = "last:52"
    levers: list[Lever] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)

    def inputs(self) -> dict[str, Any]:
        """Everything the results depend on; a resume must match it."""
        return {"scenarios": [{"label": k, "name": self.bases[k].name,
                               "hash": self.bases[k].hash} for k in self.labels],
                "baseline": self.baseline, "replicates": self.replicates,
                "weeks": self.weeks, "seed": self.seed, "paired": self.paired}

    def describe(self) -> list[dict[str, Any]]:
        return [{"label": k, "name": s.name, "source": s.source,
                 "description": " ".join(s.description.split())}
                for k, s in self.bases.items()]


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:60] or "scenario"


def plan_comparison(
    scenarios: list[str | Path | Scenario],
    replicates: int,
    *,
    baseline: str | Path | Scenario | None = None,
    weeks: int | None = None,
    window: int | str | None = None,
    seed: int | None = None,
    paired: bool = True,
    metrics: list[str] | None = None,
    period: str | None = None,
    allow_idle: bool = False,
    overrides: dict[str, Any] | None = None,
) -> Plan:
    """Load and check every input; raise :class:`ScenarioError` listing every problem.

    ``window`` and ``period`` are two spellings of the period summaries average over
    (:func:`analysis.periods.parse_period`: ``last:52``, ``104:364``, ``intervention``,
    ``all``; a number N is ``last:N``). Idle levers (:mod:`analysis.idle`) are refused unless
    ``allow_idle``. ``overrides`` (dotted path: value, as ``--set`` gives them) apply to
    every scenario; see :func:`override_scenarios`."""
    lines: list[str] = []
    if replicates < 2:
        lines.append(f"--replicates: {replicates}: need at least 2 replicates for a "
                     "confidence interval")
    if window is not None and period is not None:
        lines.append("--period: give --period or --window, not both (they are one option)")
    if isinstance(window, int) and window < 1:
        lines.append(f"--window: {window}: must be at least 1 week")
    for m in metrics or []:
        if m not in METRICS:
            lines.append(f"--metrics: {m}: unknown metric; valid: {', '.join(METRICS)}")
    items = ([baseline] if baseline is not None else []) + list(scenarios)
    loaded: list[Scenario] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, Scenario):
            scn = item if weeks is None else _with_weeks(item, weeks)
            ident = f"object:{id(item)}"
        else:
            ident = str(Path(item).resolve())
            if ident in seen:
                continue
            try:
                scn = load_scenario(item, weeks=weeks)
            except ScenarioError as exc:
                lines.extend(exc.lines)
                continue
        if ident not in seen:
            seen.add(ident)
            loaded.append(scn)
    if lines:
        raise ScenarioError(lines)
    if len(loaded) < 2:
        raise ScenarioError("compare: need at least two distinct scenarios (a baseline and "
                            "one to compare with it)")
    if overrides:
        loaded = override_scenarios(loaded, overrides)
    labels = _labels(loaded)
    bases = dict(zip(labels, loaded, strict=True))
    horizons = {s.weeks for s in loaded}
    if len(horizons) > 1:
        raise ScenarioError(["--weeks: the scenarios differ in weeks ("
                             + ", ".join(f"{k}: {s.weeks}" for k, s in bases.items())
                             + "); pass --weeks to run them all for the same time"])
    T_weeks = horizons.pop()
    if isinstance(window, int) and window > T_weeks:
        raise ScenarioError(f"--window: {window}: longer than the run ({T_weeks} weeks)")
    idle = check_idle(loaded, allow_idle)
    levers = schedule(bases, labels[0])
    spec = period if period is not None else window
    if spec is None:
        spec = f"last:{min(DEFAULT_WINDOW, T_weeks)}"
    per = parse_period(spec, T_weeks, levers, "--period" if period is not None else "--window")
    root = loaded[0].seed if seed is None else seed
    plan = Plan(labels, bases, labels[0], replicates, T_weeks, root, paired,
                window=per.weeks, period=per.spec, levers=levers, idle=idle)
    for i, label in enumerate(labels):
        seeds = replicate_seeds(root, replicates, group=None if paired else i)
        for r, s in enumerate(seeds):
            plan.tasks.append(Task(key=f"s{i:02d}-{_slug(label)}-r{r:05d}", base=label,
                                   seed=s, weeks=T_weeks,
                                   labels={"scenario": label, "replicate": r}))
    return plan


def override_scenarios(loaded: list[Scenario], overrides: dict[str, Any]) -> list[Scenario]:
    """Apply ``--set`` overrides to every scenario of a comparison. A path into a list item
    (``interventions.kingpin.budget``) applies to the scenarios that have that item (the
    baseline usually has no such lever); it is an error if none has it."""
    from sim.scenario import has_item, set_dotted

    lines, per = [], [{} for _ in loaded]
    for path, value in overrides.items():
        hit = [i for i, s in enumerate(loaded) if has_item(s.raw, path)]
        if not hit:  # let set_dotted say what is missing, naming the option
            try:
                set_dotted(dict(loaded[-1].raw), path, value, f"--set {path}={value}")
            except ScenarioError as exc:
                lines.append(exc.lines[0] + " (in no scenario of this comparison)")
            continue
        for i in hit:
            per[i][path] = value
    if lines:
        raise ScenarioError(lines)
    out = []
    for s, over in zip(loaded, per, strict=True):
        try:
            out.append(s.with_overrides(over) if over else s)
        except ScenarioError as exc:
            lines.extend(f"{line} (scenario {s.name})" for line in exc.lines)
    if lines:
        raise ScenarioError(lines)
    return out


def _with_weeks(scn: Scenario, weeks: int) -> Scenario:
    import dataclasses

    return dataclasses.replace(scn, weeks=weeks, raw={**scn.raw, "weeks": weeks})


def _labels(loaded: list[Scenario]) -> list[str]:
    """Scenario names, or file stems where names collide (a variant that forgot its name)."""
    names = [s.name for s in loaded]
    labels = []
    for s in loaded:
        label = s.name
        if names.count(s.name) > 1:
            label = Path(s.source).stem
        labels.append(label)
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise ScenarioError([f"{s.source}: name: {s.name!r} is used by another scenario of "
                             "this comparison; give each a distinct name"
                             for s in loaded if s.name in dup or Path(s.source).stem in dup])
    return labels


# ---------------------------------------------------------------------------- running
def compare(
    scenarios: list[str | Path | Scenario],
    replicates: int,
    *,
    baseline: str | Path | Scenario | None = None,
    weeks: int | None = None,
    window: int | None = None,
    seed: int | None = None,
    paired: bool = True,
    out: str | Path = DEFAULT_OUT,
    resume: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    client=None,
    connect_timeout: float = 10.0,
    metrics: list[str] | None = None,
    progress: Progress | None = None,
    write: bool = True,
    period: str | None = None,
    cumulative: bool = False,
    allow_idle: bool = False,
    target_ci: float | None = None,
    max_replicates: int = 100,
    overrides: dict[str, Any] | None = None,
) -> Comparison:
    """Run every scenario ``replicates`` times and compare each with the baseline.

    Args:
        scenarios: scenario files (or ``Scenario`` objects). The first is the baseline unless
            ``baseline`` is given.
        replicates: runs per scenario (at least 2).
        baseline: the scenario to compare with (added to ``scenarios`` if not among them).
        weeks: weeks per run (default: the scenarios', which must then agree).
        window: the period averaged for each run: a number N of last weeks, or any
            ``period`` text (default ``last:52``, or the whole run if shorter).
        seed: root of the replicate seeds (default: the baseline's seed).
        paired: common random numbers (replicate r has the same seed in every scenario) and
            paired CIs; False gives each scenario its own seeds and Welch CIs.
        out: output folder: runs.parquet, manifest.json, tables, plots, report.html.
        resume: finish the batch stored in ``out`` (only missing or failed runs are run).
        workers: LocalCluster worker processes (default: CPU count).
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``).
        client: an existing ``distributed.Client`` (e.g. a notebook's).
        connect_timeout: seconds to wait for the scheduler.
        metrics: metrics to plot and summarise (default ``HEADLINE``); the CSV has all.
        progress: progress reporter (see :class:`analysis.runner.RichProgress`).
        write: write comparison.csv, plots and report.html into ``out``.
        period: the same as ``window`` (``last:52``, ``104:364``, ``intervention``, ``all``).
        cumulative: add totals over the period (flows only: deaths, kg, USD) next to the
            weekly means.
        allow_idle: run even if a lever never acts (start after the run, zero budget, a
            target that matches nothing); the report says so.
        target_ci: add paired replicates until the 95% CI half-width of the key metric's
            difference (the first of ``metrics``) is below ``target_ci`` percent of the
            difference, for every scenario, or ``max_replicates`` is reached.
        max_replicates: the most replicates ``target_ci`` may reach.
        overrides: scenario fields by dotted path (``--set``), applied to every scenario
            that has them (:func:`override_scenarios`); recorded in the manifest, and each
            resolved scenario is written to ``out/scenarios/<label>.resolved.yaml``.

    Returns:
        The :class:`Comparison` (tables as DataFrames).

    Raises:
        ScenarioError: bad input, found before any run starts (or an unreachable scheduler).
        IncompleteBatch: some runs failed; the others are stored for a resume.
        KeyboardInterrupt: finished runs are stored; resume to finish.
    """
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers: {workers}: must be at least 1")
    if workers is not None and scheduler:
        raise ScenarioError("--workers: not allowed with --scheduler (the cluster has its own)")
    if target_ci is not None and not 0 < target_ci < 100:
        raise ScenarioError(f"--target-ci: {target_ci}: expected a percentage between 0 and "
                            "100")
    if target_ci is not None and max_replicates < replicates:
        raise ScenarioError(f"--max-replicates: {max_replicates}: fewer than --replicates "
                            f"{replicates}")
    kw = dict(baseline=baseline, weeks=weeks, window=window, seed=seed, paired=paired,
              metrics=metrics, period=period, allow_idle=allow_idle, overrides=overrides)
    plan = plan_comparison(scenarios, replicates, **kw)
    rounds: list[dict[str, Any]] = []
    while True:
        result = _run_plan(plan, out, resume or bool(rounds), metrics, cumulative, workers,
                           scheduler, client, connect_timeout, progress,
                           grow=("replicates",) if target_ci is not None else (),
                           target=(target_ci, max_replicates, rounds),
                           overrides=overrides)
        if target_ci is None:
            break
        widest = precision(result)
        rounds.append({"replicates": plan.replicates, **widest})
        if widest["pct"] <= target_ci or plan.replicates >= max_replicates:
            break
        need = plan.replicates * (widest["pct"] / target_ci) ** 2 if np.isfinite(
            widest["pct"]) else 2 * plan.replicates
        nxt = int(min(max_replicates, max(plan.replicates + 2, min(2 * plan.replicates,
                                                                     np.ceil(need)))))
        plan = plan_comparison(scenarios, nxt, **kw)
    if target_ci is not None:
        _record_rounds(Path(out), rounds)
        result = analyse(out, period=plan.period, metrics=metrics, cumulative=cumulative)
    if write:
        result.write()
    return result


def _record_rounds(out: Path, rounds: list[dict[str, Any]]) -> None:
    """Store the --target-ci rounds (the last one included) in the manifest's settings."""
    import json

    from .store import write_atomic

    store = RunStore(out)
    man = store.read_manifest()
    man["settings"]["target_ci"]["rounds"] = rounds
    write_atomic(store.manifest_path, (json.dumps(man, indent=1, default=str) + "\n").encode())


def _run_plan(plan, out, resume, metrics, cumulative, workers, scheduler, client,
              connect_timeout, progress, grow, target, overrides=None) -> Comparison:
    store = RunStore(out)
    target_ci, max_replicates, rounds = target
    store.open(kind=KIND, inputs={**plan.inputs(), "overrides": dict(overrides or {})},
               versions=versions(),
               runs=[t.record() for t in plan.tasks], resume=resume, grow=grow,
               settings={"window": plan.window, "period": plan.period,
                         "cumulative": cumulative, "metrics": list(metrics or HEADLINE),
                         "scenarios": plan.describe(),
                         "levers": [dataclasses.asdict(lv) for lv in plan.levers],
                         "idle": plan.idle,
                         "target_ci": None if target_ci is None else
                         {"pct": target_ci, "max_replicates": max_replicates,
                          "rounds": rounds}})
    run_tasks(plan.tasks, plan.bases, store, workers=workers, scheduler=scheduler,
              client=client, connect_timeout=connect_timeout, progress=progress)
    write_resolved(out, plan.bases, per_label=True)
    counts = store.counts()
    if counts[FAILED] or counts[PENDING]:
        raise IncompleteBatch(Path(out), counts)
    return analyse(out, period=plan.period, metrics=metrics, cumulative=cumulative)


def precision(res: Comparison) -> dict[str, Any]:
    """The widest relative CI half-width of the key metric's difference over the scenarios
    (half-width / |difference| in percent; infinite where the difference is 0)."""
    t = res.table[(res.table["metric"] == res.key_metric)
                  & (res.table["scenario"] != res.baseline)]
    half = (t["diff_hi"] - t["diff_lo"]).to_numpy(float) / 2
    d = np.abs(t["diff"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(d > 0, 100 * half / d, np.inf)
    pct = np.where(np.isfinite(half), pct, np.inf)
    i = int(np.argmax(pct)) if pct.size else 0
    return {"scenario": str(t["scenario"].iloc[i]) if pct.size else "",
            "metric": res.key_metric, "half_width": float(half[i]) if pct.size else np.nan,
            "diff": float(t["diff"].iloc[i]) if pct.size else np.nan,
            "pct": float(pct[i]) if pct.size else np.inf}


# ---------------------------------------------------------------------------- analysing
@dataclass
class Comparison:
    """The tables of a comparison (see docs/COMPARE.md for every column)."""

    out: Path
    baseline: str
    window: int
    paired: bool
    metrics: list[str]
    scenarios: pd.DataFrame
    table: pd.DataFrame
    per_run: pd.DataFrame
    cost_effectiveness: pd.DataFrame
    bands: pd.DataFrame
    manifest: dict[str, Any]
    period: Period | None = None
    cumulative: bool = False
    levers: list[Lever] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    effects: Effects | None = None

    @property
    def labels(self) -> list[str]:
        return list(self.scenarios["label"])

    @property
    def key_metric(self) -> str:
        """The metric the answer is about: the first of ``metrics``."""
        return self.metrics[0]

    @property
    def replicates(self) -> int:
        return int(self.manifest["inputs"]["replicates"])

    @property
    def weeks(self) -> int:
        return int(self.manifest["inputs"]["weeks"])

    @property
    def question(self) -> str:
        """The compared scenarios' descriptions: the question the comparison answers."""
        d = self.scenarios[self.scenarios["label"] != self.baseline]
        return " ".join(x for x in d["description"] if x)

    def warnings(self) -> list[str]:
        """What a reader must know before trusting the tables (see docs/COMPARE.md)."""
        out = []
        for line in self.idle:
            out.append(f"Idle lever (run with --allow-idle): {line}. A scenario whose lever "
                       "never acts differs from the baseline by noise only.")
        if self.replicates < FEW_REPLICATES:
            out.append(f"Only {self.replicates} replicates per scenario: the t-intervals use "
                       f"{self.replicates - 1} degrees of freedom, so they are wide and their "
                       "width itself is uncertain; a difference that is not significant here "
                       f"may well be real. Use at least {FEW_REPLICATES} (or --target-ci) "
                       "before concluding that a lever has no effect.")
        n_tests = int(self.table["p_value"].notna().sum()) if "p_value" in self.table else 0
        if n_tests > 5:
            out.append(f"{n_tests} differences are tested at once (every metric of every "
                       "scenario): at the 95% level about one in twenty intervals excludes "
                       "zero by chance alone. Read p_holm (family-wise, Holm) or p_bh (false "
                       "discovery rate, Benjamini-Hochberg) in comparison.csv, adjusted over "
                       "the metrics of each scenario, before claiming a secondary effect.")
        return out

    def headline(self) -> pd.DataFrame:
        """``table`` restricted to the headline metrics."""
        return self.table[self.table["metric"].isin(self.metrics)].reset_index(drop=True)

    def figures(self):
        """``(file name under plots/, Figure)`` pairs, made one at a time (close each)."""
        from . import compare_plots as P

        for name, fig in self._figures(P):
            yield name, self._note_overrides(fig)

    def _note_overrides(self, fig):
        from .plots import note_overrides

        return note_overrides(fig, self.manifest.get("inputs", {}).get("overrides"))

    def _figures(self, P):
        for m in self.metrics:
            yield f"timeseries_{m}.png", P.timeseries(self.bands, m, self.labels,
                                                      self.baseline, self.levers)
        if self.effects is not None and not self.effects.weekly.empty:
            for m in self.metrics:
                yield f"effect_over_time_{m}.png", P.effect_over_time(
                    self.effects.weekly, m, self.labels, self.baseline, self.levers)
        yield "forest.png", P.forest(self.table, self.metrics, self.labels, self.baseline,
                                     self.period.label if self.period else "the window")
        yield "cost_effectiveness.png", P.cost_effectiveness(self.cost_effectiveness,
                                                             self.labels, self.baseline)

    def write(self, out: str | Path | None = None) -> Path:
        """Write comparison.csv, per_run.csv, cost_effectiveness.csv, timeseries_bands.csv,
        yearly.csv, periods.csv, effect_over_time.csv, plots/*.png and report.html into
        ``out`` (default: the comparison's folder)."""
        import matplotlib.pyplot as plt

        from sim.output import FLOAT_FORMAT, staged_output

        from .report import render

        out = Path(out or self.out)
        with staged_output(out, keep_others=True) as tmp:
            for name, df in (("comparison.csv", self.table), ("per_run.csv", self.per_run),
                             ("cost_effectiveness.csv", self.cost_effectiveness),
                             ("timeseries_bands.csv", self.bands),
                             *((("yearly.csv", self.effects.yearly),
                                ("periods.csv", self.effects.periods),
                                ("effect_over_time.csv", self.effects.weekly))
                               if self.effects is not None else ())):
                df.to_csv(tmp / name, index=False, float_format=FLOAT_FORMAT)
            (tmp / "plots").mkdir()
            images = {}
            for name, fig in self.figures():
                fig.savefig(tmp / "plots" / name, dpi=100)
                images[name] = (tmp / "plots" / name).read_bytes()
                plt.close(fig)
            (tmp / "report.html").write_text(render(self, images), encoding="utf-8")
        return out


def analyse(out: str | Path, window: int | str | None = None,
            metrics: list[str] | None = None, period: str | None = None,
            cumulative: bool | None = None) -> Comparison:
    """Build the comparison tables from the runs stored in ``out`` (no simulation).

    ``window``/``period`` and ``cumulative`` default to what the batch was run with."""
    store = RunStore(out)
    man = store.read_manifest()
    if man is None or man.get("kind") != KIND:
        raise ScenarioError(f"{out}: no comparison here (manifest.json missing or of another "
                            "kind)")
    inp, settings = man["inputs"], man.get("settings", {})
    labels = [s["label"] for s in inp["scenarios"]]
    levers = [Lever(**lv) for lv in settings.get("levers", [])]
    if isinstance(window, int) and not 1 <= window <= inp["weeks"]:
        raise ScenarioError(f"--window: {window}: must be between 1 and {inp['weeks']} weeks")
    spec = period if period is not None else window
    if spec is None:
        spec = settings.get("period") or settings.get("window", DEFAULT_WINDOW)
    per = parse_period(spec, inp["weeks"], levers,
                       "--period" if period is not None else "--window")
    if cumulative is None:
        cumulative = bool(settings.get("cumulative", False))
    done = store.done_keys()
    runs_by: dict[str, list[tuple[str, int]]] = {k: [] for k in labels}
    for r in man["runs"]:
        if r["key"] in done:
            runs_by[r["labels"]["scenario"]].append((r["key"], r["labels"]["replicate"]))
    keys = sorted(k for runs in runs_by.values() for k, _ in runs)
    if not keys:
        raise ScenarioError(f"{out}: no finished runs to analyse")
    per_run = T.run_summaries(store, keys, inp["weeks"], per, cumulative=cumulative)
    order = {k: i for i, k in enumerate(labels)}
    per_run = per_run.sort_values(["scenario", "replicate"],
                                  key=lambda s: s.map(order) if s.name == "scenario" else s,
                                  kind="stable").reset_index(drop=True)
    all_metrics = T.metric_columns(store.schema_names(keys[0]))
    metrics = [m for m in (metrics or settings.get("metrics") or HEADLINE) if m in all_metrics]
    table = T.comparison_table(per_run, labels, inp["baseline"], all_metrics, inp["paired"])
    ce = T.cost_effectiveness_table(per_run, labels, inp["baseline"], inp["paired"])
    eff = effects(store, runs_by, metrics, inp["weeks"], inp["baseline"], inp["paired"],
                  standard_periods(inp["weeks"], levers))
    described = {s["label"]: s for s in settings.get("scenarios", [])}
    scen = pd.DataFrame([{**{"label": s["label"], "name": s["name"], "hash": s["hash"]},
                          "source": described.get(s["label"], {}).get("source", ""),
                          "description": described.get(s["label"], {}).get("description", ""),
                          "runs": len(runs_by[s["label"]])} for s in inp["scenarios"]])
    return Comparison(Path(out), inp["baseline"], per.weeks, inp["paired"], metrics, scen,
                      table, per_run, ce, eff.bands, man, per, cumulative, levers,
                      list(settings.get("idle", [])), eff)
