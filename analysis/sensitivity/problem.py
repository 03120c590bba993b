"""Problem files: which parameters vary, over what, and which outputs are analysed.

A problem file (YAML)::

    name: baseline-sensitivity
    description: what it asks
    base: ../scenarios/baseline.yaml    # a scenario file, or `ishigami` (the test model)
    weeks: 260                          # optional: override the scenario's weeks
    seed: 1                             # root seed: samples and replicate seeds derive from it
    replicates: 2                       # runs per sample (averaged: the model is stochastic)
    method: sobol                       # sobol | morris | fast | rbd_fast | delta | pawn
    options: {n: 256, calc_second_order: false}
    dummy: true                         # add a parameter that changes nothing: the noise floor
    parameters:
      - {path: params.recruitment.rate, bounds: [0.0015, 0.0035]}
      - {path: interventions.kingpin.budget, bounds: [0, 2.0e7]}
      - {path: params.market.retail_value_added, dist: norm, bounds: [0.55, 0.05]}   # mean, sd
    outputs:
      - {metric: homicides, aggregate: mean_last, window: 52}
      - {metric: consumption, aggregate: total}
      - {metric: criminal_members, aggregate: at_week, week: 259}

Parameters are dotted paths into the scenario (``Scenario.with_overrides``), intervention
fields included. Bounds are checked against each parameter's valid range by applying the
lowest and highest values to the base scenario and validating it.

An output may average over a period instead of the last weeks: ``period: 104:364`` (weeks,
end excluded), ``intervention`` (the base's first lever that the reference lacks) or
``last:N``; ``aggregate: total`` then sums over that period.

The sensitivity of an effect: with ``reference: ../scenarios/baseline.yaml`` every sample also
runs on the reference scenario with the same parameter values (those whose paths exist there)
and the same seed, and each output is the paired difference strategy - reference (named
``effect_<output>``). For example: how robust is "kingpin raises homicides" to the recruitment
and conflict assumptions?
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ScenarioError, pydantic_lines
from sim.yamlio import read_yaml

from .testmodels import TEST_MODELS

DUMMY = "dummy"
METHOD_NAMES = ("sobol", "morris", "fast", "rbd_fast", "delta", "pawn")
DISTS = ("unif", "norm", "lognorm", "triang", "truncnorm")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParameterSpec(_Strict):
    path: str = Field(min_length=1)
    bounds: list[float] = Field(min_length=2, max_length=4)
    dist: Literal["unif", "norm", "lognorm", "triang", "truncnorm"] = "unif"
    name: str | None = None


class OutputSpec(_Strict):
    metric: str
    aggregate: Literal["mean_last", "total", "at_week"] = "mean_last"
    window: int = Field(default=52, ge=1)
    week: int | None = Field(default=None, ge=0)
    period: str | None = None
    name: str | None = None


class ProblemSpec(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    base: str
    reference: str | None = None
    weeks: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0, lt=2**63)
    replicates: int = Field(default=1, ge=1, le=1000)
    method: Literal["sobol", "morris", "fast", "rbd_fast", "delta", "pawn"] = "sobol"
    options: dict[str, Any] = {}
    dummy: bool = True
    parameters: list[ParameterSpec] = Field(min_length=1)
    outputs: list[OutputSpec] = Field(min_length=1)


@dataclass
class Problem:
    """A validated problem: the SALib problem dict plus how to run and summarise samples."""

    spec: ProblemSpec
    source: str
    base_path: Path | None  # the scenario file (None for a test model)
    names: list[str]  # parameter names (with the dummy last, if any)
    paths: list[str | None]  # dotted paths (None for the dummy)
    salib: dict = field(default_factory=dict)
    reference_path: Path | None = None  # the reference scenario of an effect's sensitivity
    reference_paths: list[str] = field(default_factory=list)  # paths that exist there too
    periods: dict[int, tuple[int, int]] = field(default_factory=dict)  # output -> weeks

    @property
    def is_effect(self) -> bool:
        return self.reference_path is not None

    @property
    def is_test_model(self) -> bool:
        return self.base_path is None

    def with_method(self, method: str | None, n: int | None) -> Problem:
        """The problem with ``--method`` and ``--n`` (None: the file's). ``n`` is checked as
        the file's ``options.n`` is (a whole number >= 2): 0 used to mean the file's N, and 1
        or a negative N ran, or failed with a traceback after writing the batch's folder."""
        spec = self.spec.model_copy(deep=True)
        if method:
            spec.method = method
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int) or n < 2:
                raise ScenarioError(f"--n: {n!r}: expected a whole number >= 2")
            spec.options = {**spec.options, "n": n}
        return dataclasses.replace(self, spec=spec)

    def with_period(self, period: str | None, cumulative: bool = False) -> Problem:
        """Every output but ``at_week`` summarised over ``period`` (``--period``); with
        ``cumulative``, flows are summed over it (``aggregate: total``). Revalidated."""
        if period is None and not cumulative:
            return self
        from ..effects import is_flow

        raw = self.spec.model_dump(exclude_none=True)
        for o in raw["outputs"]:
            if o.get("aggregate", "mean_last") == "at_week":
                continue
            if period is not None:
                o["period"] = period
            if cumulative and is_flow(o["metric"]):
                o["aggregate"] = "total"
        return problem_from_dict(raw, self.source, _base_dir(self))

    def output_names(self) -> list[str]:
        names = [o.name or _output_name(o) for o in self.spec.outputs]
        return [f"effect_{n}" for n in names] if self.is_effect else names

    def summarise(self, frame) -> dict[str, float]:
        """The outputs of one run (its weekly metrics frame); for an effect's sensitivity
        these are the strategy's or the reference's levels, differenced by the caller."""
        out = {}
        for i, o in enumerate(self.spec.outputs):
            y = frame[o.metric].to_numpy(dtype=float)
            span = self.periods.get(i)
            if o.aggregate == "mean_last":
                v = float(np.mean(y[span[0]:span[1]] if span else y[-o.window:]))
            elif o.aggregate == "total":
                v = float(np.sum(y[span[0]:span[1]] if span else y))
            else:
                week = o.week if o.week is not None else len(y) - 1
                v = float(y[min(week, len(y) - 1)])
            out[o.name or _output_name(o)] = v
        return out


def _base_dir(problem: Problem) -> Path:
    src = Path(problem.source)
    return src.resolve().parent if src.is_file() else Path.cwd()


def _output_name(o: OutputSpec) -> str:
    tag = "" if o.period is None else "_" + o.period.replace(":", "_")
    if o.aggregate == "mean_last":
        return f"{o.metric}_mean{tag}" if o.period else f"{o.metric}_mean_last{o.window}"
    if o.aggregate == "total":
        return f"{o.metric}_total{tag}"
    return f"{o.metric}_at{o.week if o.week is not None else 'end'}"


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file; raise ScenarioError with one line per problem."""
    path = Path(path)
    label = str(path)
    raw = read_yaml(path, label)  # the readers' one path: encoding, duplicates, nesting, aliases
    return problem_from_dict(raw, label, path.resolve().parent)


def problem_from_dict(raw: dict, label: str = "<problem>", base_dir: Path | None = None) -> Problem:
    base_dir = base_dir or Path.cwd()
    try:
        spec = ProblemSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(pydantic_lines(exc, label, model=ProblemSpec)) from None
    errors: list[str] = []
    names, paths, bounds, dists = [], [], [], []
    for i, p in enumerate(spec.parameters):
        where = f"{label}: parameters[{i}]"
        names.append(p.name or p.path)
        paths.append(p.path)
        errors.extend(_check_bounds(p, where))
        bounds.append(list(p.bounds))
        dists.append(p.dist)
    if len(set(names)) != len(names):
        errors.append(f"{label}: parameters: duplicate parameter paths or names")
    if spec.dummy:
        names.append(DUMMY)
        paths.append(None)
        bounds.append([0.0, 1.0])
        dists.append("unif")
    base_path = None
    if spec.base in TEST_MODELS:
        model = TEST_MODELS[spec.base]
        for i, p in enumerate(spec.parameters):
            if p.path not in model.parameters:
                errors.append(f"{label}: parameters[{i}].path: unknown parameter {p.path!r} of "
                              f"test model {spec.base}; valid: {', '.join(model.parameters)}")
        for i, o in enumerate(spec.outputs):
            if o.metric not in model.outputs:
                errors.append(f"{label}: outputs[{i}].metric: unknown output {o.metric!r}; "
                              f"valid: {', '.join(model.outputs)}")
    else:
        base_path = (base_dir / spec.base) if not Path(spec.base).is_absolute() else Path(spec.base)
        if not base_path.is_file():
            errors.append(f"{label}: base: scenario file not found: {base_path}")
        else:
            errors.extend(_check_against_scenario(spec, base_path, label))
    errors.extend(_check_method(spec, len(names), label))
    ref_path, ref_paths, periods = None, [], {}
    if not errors and base_path is not None:
        ref_path, ref_paths, periods, more = _check_reference_and_periods(spec, base_path,
                                                                           base_dir, label)
        errors.extend(more)
    elif spec.reference is not None and base_path is None and not errors:
        errors.append(f"{label}: reference: only for a scenario base, not a test model")
    if errors:
        raise ScenarioError(errors)
    salib = {"num_vars": len(names), "names": names, "bounds": bounds, "dists": dists}
    return Problem(spec, label, base_path, names, paths, salib, ref_path, ref_paths, periods)


def _check_reference_and_periods(spec: ProblemSpec, base_path: Path, base_dir: Path,
                                 label: str):
    """The reference scenario (same weeks as the base), the parameter paths that exist in
    it, and the weeks of every output's period."""
    import copy

    from sim.scenario import load_scenario, set_dotted

    from ..periods import lever_schedule, parse_period

    errors: list[str] = []
    base = load_scenario(base_path, weeks=spec.weeks)
    ref_path, ref_paths, ref = None, [], None
    if spec.reference is not None:
        ref_path = (base_dir / spec.reference) if not Path(spec.reference).is_absolute() \
            else Path(spec.reference)
        if not ref_path.is_file():
            errors.append(f"{label}: reference: scenario file not found: {ref_path}")
            ref_path = None
        else:
            try:
                ref = load_scenario(ref_path, weeks=spec.weeks or base.weeks)
            except ScenarioError as exc:
                return None, [], {}, exc.lines
            for p in spec.parameters:
                try:
                    set_dotted(copy.deepcopy(ref.raw), p.path, p.bounds[0], label)
                except ScenarioError:
                    continue
                ref_paths.append(p.path)
    from ..periods import changed_levers

    entries = changed_levers(base, ref) if ref is not None else base.interventions
    levers = lever_schedule(dataclasses.replace(base, interventions=entries))
    periods = {}
    for i, o in enumerate(spec.outputs):
        if o.period is None:
            continue
        try:
            per = parse_period(o.period, base.weeks, levers, f"{label}: outputs[{i}].period")
        except ScenarioError as exc:
            errors.extend(exc.lines)
            continue
        periods[i] = (per.start, per.end)
    return ref_path, ref_paths, periods, errors


def _check_bounds(p: ParameterSpec, where: str) -> list[str]:
    b = p.bounds
    if not all(math.isfinite(x) for x in b):
        return [f"{where}.bounds: must be finite numbers"]
    if p.dist == "unif" and (len(b) != 2 or b[0] >= b[1]):
        return [f"{where}.bounds: uniform needs [low, high] with low < high, got {b}"]
    if p.dist in ("norm", "lognorm") and (len(b) != 2 or b[1] <= 0):
        return [f"{where}.bounds: {p.dist} needs [mean, sd] with sd > 0, got {b}"]
    if p.dist == "triang" and (len(b) != 3 or not (b[0] < b[1] and 0 <= b[2] <= 1)):
        return [f"{where}.bounds: triang needs [low, high, peak position 0-1], got {b}"]
    if p.dist == "truncnorm" and (len(b) != 4 or b[0] >= b[1] or b[3] <= 0):
        return [f"{where}.bounds: truncnorm needs [low, high, mean, sd], got {b}"]
    return []


def value_range(p: ParameterSpec) -> tuple[float, float]:
    """The values a parameter's samples can take (3 sd for unbounded normals)."""
    b = p.bounds
    if p.dist == "unif":
        return b[0], b[1]
    if p.dist == "norm":
        return b[0] - 3 * b[1], b[0] + 3 * b[1]
    if p.dist == "lognorm":
        return math.exp(b[0] - 3 * b[1]), math.exp(b[0] + 3 * b[1])
    if p.dist == "triang":
        return b[0], b[1]
    return b[0], b[1]


def _check_against_scenario(spec: ProblemSpec, base_path: Path, label: str) -> list[str]:
    """Validate the extreme values of every parameter on the base scenario."""
    from sim.metrics import METRICS
    from sim.scenario import load_scenario

    try:
        scn = load_scenario(base_path)
    except ScenarioError as exc:
        return exc.lines
    errors = []
    metrics = set(METRICS) | set(_commodity_metrics(scn))
    for i, o in enumerate(spec.outputs):
        if o.metric not in metrics:
            errors.append(f"{label}: outputs[{i}].metric: unknown metric {o.metric!r}; "
                          f"valid: {', '.join(sorted(metrics))}")
        weeks = spec.weeks or scn.weeks
        if o.aggregate == "at_week" and o.week is not None and o.week >= weeks:
            errors.append(f"{label}: outputs[{i}].week: {o.week} is past the run's last week "
                          f"{weeks - 1}")
        if o.aggregate == "mean_last" and o.period is None and o.window > weeks:
            errors.append(f"{label}: outputs[{i}].window: {o.window} is longer than the run "
                          f"({weeks} weeks)")
    for i, p in enumerate(spec.parameters):
        if _check_bounds(p, ""):
            continue
        lo, hi = value_range(p)
        for v in (lo, hi):
            try:
                scn.with_overrides({p.path: v})
            except ScenarioError as exc:
                msg = exc.lines[0].split(": ", 1)[-1]
                errors.append(f"{label}: parameters[{i}] ({p.path}): value {v:g} from the "
                              f"bounds is not valid: {msg}")
                break
    return errors


def _commodity_metrics(scn) -> list[str]:
    from sim.metrics import commodity_columns

    return commodity_columns(scn.world.commodity_names)


def _check_method(spec: ProblemSpec, n_vars: int, label: str) -> list[str]:
    errors = []
    opts = spec.options
    valid = {"sobol": {"n", "calc_second_order", "num_resamples"},
             "morris": {"n", "num_levels", "num_resamples"},
             "fast": {"n", "m", "num_resamples"},
             "rbd_fast": {"n", "m", "num_resamples"},
             "delta": {"n", "num_resamples"},
             "pawn": {"n", "s"}}
    # options are checked against the union: the method can be switched on the command line
    allowed = set().union(*valid.values())
    for k in opts:
        if k not in allowed:
            errors.append(f"{label}: options.{k}: unknown option; valid: "
                          f"{', '.join(sorted(allowed))}")
    n = opts.get("n", 64)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        errors.append(f"{label}: options.n: expected a whole number >= 2, got {n!r}")
    return errors
