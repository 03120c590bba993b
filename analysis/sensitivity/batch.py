"""Running a sensitivity analysis: sample with SALib, run every sample through the shared
batch runner (Dask, streamed storage, resume), summarise each run, average replicates, and
analyse with SALib.

Every sample is run ``replicates`` times with the same replicate seeds for every sample
(common random numbers), so differences between samples are not blurred by independent
noise; the replicate mean is analysed. The ``dummy`` parameter changes no parameter but
reseeds the runs (``dummy_seed``): its index is what pure stochastic noise looks like, the
noise floor. The spread of the replicates around their mean is reported too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import ScenarioError

from ..provenance import write_resolved
from ..runner import Task, replicate_seeds, run_tasks, versions
from ..store import FAILED, PENDING, RunStore
from .methods import analyze, sample, sample_settings
from .problem import DUMMY, Problem, load_problem
from .testmodels import TEST_MODELS

KIND = "sensitivity"
SAMPLE_INDEX = "sample"
STRATEGY, REFERENCE = "strategy", "reference"  # the arms of an effect's sensitivity


class IncompleteBatch(Exception):
    def __init__(self, out: Path, counts: dict[str, int]):
        self.out = out
        super().__init__(f"{out}: {counts.get(FAILED, 0)} runs failed and "
                         f"{counts.get(PENDING, 0)} did not run; the others are stored: rerun "
                         "with --resume (see manifest.json for the errors)")


class _TestModelBase:
    """Adapter: a test model as a runner base (``evaluate(overrides, seed, weeks)``)."""

    def __init__(self, name: str):
        self.name = name

    def evaluate(self, overrides, seed, weeks):
        return TEST_MODELS[self.name].evaluate(overrides, seed, weeks)


@dataclass
class Plan:
    problem: Problem
    settings: dict
    X: np.ndarray
    tasks: list[Task]
    bases: dict[str, Any]
    weeks: int
    seeds: list[int]

    def inputs(self) -> dict[str, Any]:
        return {"problem": self.problem.spec.model_dump(), "settings": self.settings,
                "samples_sha256": hashlib.sha256(self.X.tobytes()).hexdigest(),
                "weeks": self.weeks, "replicate_seeds": self.seeds}


def plan(problem: Problem, method: str | None = None, n: int | None = None,
         overrides: dict | None = None) -> Plan:
    """The samples and tasks of ``problem``; ``overrides`` (``--set``) change its base
    scenario first (not allowed with a test model)."""
    problem = problem.with_method(method, n)
    spec = problem.spec
    settings = sample_settings(spec.method, spec.options, problem.source)
    X = sample(problem.salib, settings, seed=spec.seed)
    seeds = replicate_seeds(spec.seed, spec.replicates)
    if problem.is_test_model:
        if overrides:
            raise ScenarioError(f"--set: {problem.source}: the base is the test model "
                                f"{spec.base}, which has no scenario fields to set")
        bases = {"base": _TestModelBase(spec.base)}
        weeks = spec.weeks or 1
        int_paths: set[str] = set()
    else:
        from sim.scenario import load_scenario

        scn = load_scenario(problem.base_path, overrides=overrides)
        weeks = spec.weeks or scn.weeks
        bases = {"base": scn}
        int_paths = {p for p in problem.paths if p and _is_int_field(scn, p)}
        if problem.is_effect:
            bases["reference"] = load_scenario(problem.reference_path)
    tasks = []
    dummy_col = problem.names.index(DUMMY) if DUMMY in problem.names else None
    for i, x in enumerate(X):
        overrides = {}
        for path, v in zip(problem.paths, x, strict=True):
            if path is None:  # the dummy changes no parameter
                continue
            overrides[path] = int(round(float(v))) if path in int_paths else float(v)
        for r, seed in enumerate(seeds):
            if dummy_col is not None:
                seed = dummy_seed(seed, float(x[dummy_col]))
            if not problem.is_effect:
                tasks.append(Task(key=f"s{i:06d}-r{r:03d}", base="base", seed=seed,
                                  weeks=weeks, labels={SAMPLE_INDEX: i, "replicate": r},
                                  overrides=overrides))
                continue
            # an effect: the strategy and the reference at the same values and seed
            ref = {k: v for k, v in overrides.items() if k in problem.reference_paths}
            for arm, base, ov in ((STRATEGY, "base", overrides), (REFERENCE, "reference", ref)):
                tasks.append(Task(key=f"s{i:06d}-r{r:03d}-{arm[0]}", base=base, seed=seed,
                                  weeks=weeks, overrides=ov,
                                  labels={SAMPLE_INDEX: i, "replicate": r, "arm": arm}))
    return Plan(problem, settings, X, tasks, bases, weeks, seeds)


def dummy_seed(replicate_seed: int, dummy_value: float) -> int:
    """The run seed: the replicate's seed mixed with the dummy's value.

    The dummy changes no parameter, only the random draws: two samples that differ in the
    dummy alone differ by pure stochastic noise, so the dummy's index is the noise floor.
    Samples that share the dummy value share the seed (common random numbers), as in Morris
    steps and Sobol's A/AB_i pairs that move another parameter."""
    key = int(round(dummy_value * 2**32))
    state = np.random.SeedSequence([replicate_seed, key]).generate_state(1, dtype=np.uint64)
    return int(state[0] >> np.uint64(1))


def _is_int_field(scn, path: str) -> bool:
    from sim.params import PARAMS

    parts = path.split(".")
    if parts[0] == "params" and len(parts) == 3:
        return PARAMS[parts[1]][parts[2]].kind is int
    node: Any = scn.raw
    for part in parts:
        if isinstance(node, list):
            node = next((it for it in node if isinstance(it, dict) and it.get("name") == part),
                        node[int(part)] if part.isdigit() and int(part) < len(node) else None)
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return False
    return isinstance(node, int) and not isinstance(node, bool)


def run_sensitivity(problem: str | Path | Problem, *, method: str | None = None,
                    n: int | None = None, out: str | Path = "out/sensitivity",
                    resume: bool = False, workers: int | None = None,
                    scheduler: str | None = None, client=None, connect_timeout: float = 10.0,
                    progress=None, write: bool = True, period: str | None = None,
                    cumulative: bool = False,
                    overrides: dict | None = None) -> Sensitivity:
    """Sample, run, analyse; write indices.csv, samples.parquet, plots and report.html.

    ``period``/``cumulative`` (``--period``, ``--cumulative``) summarise every output but
    ``at_week`` over that period, flows summed (:meth:`Problem.with_period`). ``overrides``
    (``--set``) change the problem's base scenario; they are recorded in the manifest and the
    resolved base is written to ``out/scenario.resolved.yaml``."""
    if not isinstance(problem, Problem):
        problem = load_problem(problem)
    problem = problem.with_period(period, cumulative)
    if workers is not None and workers < 1:
        raise ScenarioError(f"--workers: {workers}: must be at least 1")
    p = plan(problem, method, n, overrides)
    store = RunStore(out)
    store.open(kind=KIND, inputs={**p.inputs(), "overrides": dict(overrides or {})},
               versions=versions(),
               runs=[t.record() for t in p.tasks], resume=resume,
               settings={"names": p.problem.names, "paths": p.problem.paths})
    run_tasks(p.tasks, p.bases, store, workers=workers, scheduler=scheduler, client=client,
              connect_timeout=connect_timeout, progress=progress)
    write_resolved(out, p.bases)
    counts = store.counts()
    if counts[FAILED] or counts[PENDING]:
        raise IncompleteBatch(Path(out), counts)
    result = analyse_plan(p, store)
    if write:
        result.write(Path(out))
    return result


@dataclass
class Sensitivity:
    """The results: ``indices`` (tidy), ``samples`` (inputs and outputs per sample and
    replicate), ``noise`` (replicate noise per output) and the convergence table for Sobol."""

    plan: Plan
    indices: pd.DataFrame
    samples: pd.DataFrame
    noise: pd.DataFrame
    convergence: pd.DataFrame = field(default_factory=pd.DataFrame)

    def write(self, out: Path) -> None:
        from sim.output import staged_output

        from . import report as rep

        with staged_output(out, keep_others=True) as tmp:
            self.indices.to_csv(tmp / "indices.csv", index=False, float_format="%.6g")
            self.samples.to_parquet(tmp / "samples.parquet", index=False)
            self.noise.to_csv(tmp / "noise.csv", index=False, float_format="%.6g")
            if not self.convergence.empty:
                self.convergence.to_csv(tmp / "convergence.csv", index=False, float_format="%.6g")
            images = rep.write_plots(self, tmp / "plots")
            (tmp / "report.html").write_text(rep.render(self, images, out), encoding="utf-8")


def analyse_plan(p: Plan, store: RunStore) -> Sensitivity:
    problem = p.problem
    outputs = problem.output_names()
    rows = []
    arm = ["arm"] if problem.is_effect else []
    columns = [SAMPLE_INDEX, "replicate", *arm, "week"] + sorted(
        {o.metric for o in problem.spec.outputs})
    by = [SAMPLE_INDEX, "replicate", *arm]
    for chunk in store.read_chunks([t.key for t in p.tasks], columns=columns):  # bounded memory
        for key, frame in chunk.to_pandas().groupby(by, sort=True):
            vals = problem.summarise(frame.sort_values("week"))
            rows.append({**dict(zip(by, key, strict=True)), **vals})
    per_run = pd.DataFrame(rows).sort_values(by, ignore_index=True)
    if problem.is_effect:  # the paired difference, strategy - reference, per sample and seed
        levels = [c.removeprefix("effect_") for c in outputs]
        s = per_run[per_run.arm == STRATEGY].set_index([SAMPLE_INDEX, "replicate"])[levels]
        r = per_run[per_run.arm == REFERENCE].set_index([SAMPLE_INDEX, "replicate"])[levels]
        per_run = (s - r).rename(columns=dict(zip(levels, outputs, strict=True))).reset_index()
    inputs = pd.DataFrame(p.X, columns=problem.names)
    inputs.insert(0, SAMPLE_INDEX, np.arange(len(p.X)))
    samples = per_run.merge(inputs, on=SAMPLE_INDEX, how="left")
    samples = samples[[SAMPLE_INDEX, "replicate"] + problem.names + outputs]
    means = per_run.groupby(SAMPLE_INDEX)[outputs].mean().reindex(range(len(p.X)))
    method = p.settings["method"]
    out_rows, noise_rows, conv_rows = [], [], []
    for name in outputs:
        Y = means[name].to_numpy(dtype=float)
        for row in analyze(problem.salib, p.settings, p.X, Y, seed=problem.spec.seed):
            out_rows.append({"method": method, "output": name, **row})
        reps = per_run.pivot(index=SAMPLE_INDEX, columns="replicate", values=name)
        within = float(reps.var(axis=1, ddof=1).mean()) if reps.shape[1] > 1 else float("nan")
        noise_rows.append({
            "output": name, "mean": float(np.mean(Y)),
            "sd_between_samples": float(np.std(Y, ddof=1)),
            "sd_within_sample": float(np.sqrt(within)) if within == within else float("nan"),
            "replicates": problem.spec.replicates,
            "noise_share_of_variance": (within / problem.spec.replicates / np.var(Y, ddof=1))
            if within == within and np.var(Y) > 0 else float("nan"),
        })
        if method == "sobol":
            conv_rows += _convergence(problem, p.settings, p.X, Y, name)
    indices = pd.DataFrame(out_rows)
    indices["ci_low"] = indices["value"] - indices["conf"]
    indices["ci_high"] = indices["value"] + indices["conf"]
    indices = _mark_noise_floor(indices, problem)
    return Sensitivity(p, indices, samples, pd.DataFrame(noise_rows), pd.DataFrame(conv_rows))


# Morris rows judged by the parameter's mu_star (the signed mu can cancel to zero for an
# important parameter whose effects change sign; sigma is not a size of effect).
BY_MU_STAR = ("mu", "sigma")


def _mark_noise_floor(indices: pd.DataFrame, problem: Problem) -> pd.DataFrame:
    """``above_noise``: the lower CI bound of the index's absolute value (mu_star for Morris,
    |S| for Sobol and the others) is above the dummy's upper bound, for the same index and
    output; ``mu`` and ``sigma`` rows take their parameter's mu_star verdict. NaN where there
    is no dummy."""
    indices["noise_floor"] = np.nan
    indices["above_noise"] = pd.Series([None] * len(indices), dtype="object")
    if DUMMY not in problem.names:
        return indices
    conf = indices["conf"].fillna(0.0)
    size = indices["value"].abs()
    for _key, grp in indices.groupby(["output", "index"]):
        if grp["index"].iloc[0] in BY_MU_STAR:
            continue
        d = grp[grp.parameter == DUMMY]
        if d.empty:
            continue
        floor = float(size[d.index[0]] + conf[d.index[0]])
        sel = grp.index
        indices.loc[sel, "noise_floor"] = floor
        indices.loc[sel, "above_noise"] = ((size[sel] - conf[sel]) > floor).astype(object)
    star = indices[indices["index"] == "mu_star"].set_index(["output", "parameter"])
    for sel in indices.index[indices["index"].isin(BY_MU_STAR)]:
        key = (indices.at[sel, "output"], indices.at[sel, "parameter"])
        if key in star.index:
            indices.at[sel, "above_noise"] = star.at[key, "above_noise"]
            indices.at[sel, "noise_floor"] = star.at[key, "noise_floor"]
    return indices


def _convergence(problem: Problem, settings: dict, X, Y, name: str) -> list[dict]:
    """Sobol indices recomputed on the first N' base samples, N' = N/8 ... N: a Sobol design
    truncated at a power of two is itself a valid design (rows come in blocks per base sample)."""
    from .methods import analyze as _an

    D = problem.salib["num_vars"]
    block = 2 * D + 2 if settings["calc_second_order"] else D + 2
    n = settings["n"]
    rows = []
    m = max(n // 8, 4)
    while m <= n:
        sub = dict(settings, n=m)
        k = m * block
        for row in _an(problem.salib, sub, X[:k], Y[:k], seed=problem.spec.seed):
            if row["index"] in ("S1", "ST"):
                rows.append({"output": name, "n": m, **row})
        m *= 2
    return rows


LEAD_INDEX = {"sobol": "ST", "fast": "ST", "morris": "mu_star", "rbd_fast": "S1",
              "delta": "delta", "pawn": "pawn_median"}


def short_name(path: str) -> str:
    """A parameter's readable name: the last two parts of its dotted path."""
    return path if path == DUMMY else ".".join(path.split(".")[-2:])


def summary_table(res: Sensitivity) -> pd.DataFrame:
    """The leading index (ST for Sobol/FAST, mu_star for Morris...) per parameter (rows, short
    names) and output (columns), ranked: the parameter most important for any output first
    (by its largest index relative to each output's largest)."""
    lead = LEAD_INDEX[res.plan.settings["method"]]
    t = res.indices[res.indices["index"] == lead]
    wide = t.pivot(index="parameter", columns="output", values="value")
    wide = wide[[c for c in res.plan.problem.output_names() if c in wide]]
    rel = wide.abs() / wide.abs().max().replace(0, np.nan)
    wide = wide.loc[rel.max(axis=1).sort_values(ascending=False, kind="stable").index]
    wide.index = [short_name(p) for p in wide.index]
    return wide


def conclusions(res: Sensitivity) -> list[str]:
    """For each output: the assumptions above the noise floor, most important first, and how
    many are indistinguishable from noise (the dummy)."""
    lead = LEAD_INDEX[res.plan.settings["method"]]
    out = []
    for name in res.plan.problem.output_names():
        t = res.indices[(res.indices.output == name) & (res.indices["index"] == lead)
                        & (res.indices.parameter != DUMMY)]
        t = t.assign(size=t["value"].abs()).sort_values("size", ascending=False, kind="stable")
        above = t[t["above_noise"] == True]  # noqa: E712 (object column: True/False/None)
        if t["above_noise"].isna().all():
            top = ", ".join(f"{short_name(p)} ({v:.3g})" for p, v in
                            zip(t.parameter[:3], t["value"][:3], strict=False))
            out.append(f"{name}: no dummy, so no noise floor; largest {lead}: {top}")
        elif above.empty:
            out.append(f"{name}: no assumption is above the noise floor ({lead}); the varied "
                       "ranges do not move this output beyond replicate noise")
        else:
            names = ", ".join(f"{short_name(p)} ({v:.3g})" for p, v in
                              zip(above.parameter, above["value"], strict=True))
            out.append(f"{name}: above the noise floor ({lead}): {names}; at or below it: "
                       f"{len(t) - len(above)} of {len(t)} parameters")
    return out
