"""Targets files: what a calibration fits, to which data, and how the model is observed.

A targets file (YAML; paths relative to the file)::

    name: example-small
    description: what is fitted and why
    base: ../../tests/data/tiny_base.yaml   # the scenario the fit starts from (validated)
    weeks: 260                # optional: weeks to simulate after the spin-up (default: base's)
    spinup_weeks: 0           # weeks run before the first observed year (not compared)
    start_year: 2012          # calendar year of the first week after the spin-up
    seed: 7                   # root of every seed (search, re-scoring, posterior, TPE)
    search: {trials: 40, replicates: 3, batch: 4, rescore_top: 3, rescore_replicates: 6}
    posterior: {draws: 32, rounds: 3, samples: 2000, inflate: 1.5}
    abc: {population: 32, generations: 4}   # --method abc only (calibration.abc)
    holdout: {from_year: 2019}   # optional: fit the years before, predict these
    known_answer: {params.recruitment.rate: 0.0035}   # optional: where the data are the model
    parameters:               # only these are fitted, each within its documented range
      - {path: params.recruitment.rate, low: 0.001, high: 0.006, prior: log}
    targets:
      - name: arrests
        metric: arrests               # a weekly metric of sim.metrics (or org_share:NAME,
                                      # or region:REGION:FIELD, a column of regions.csv)
        aggregate: yearly_sum         # yearly_sum | yearly_mean | year_start | year_end
        unit: persons/year
        source: where the numbers come from
        data: {2012: 1000, 2013: 1100}        # or {file: x.csv, year_column: YEAR,
                                              #     columns: [a, b]} (columns are summed)
        observation: {share: 1.0, share_sd_log: 0.0, error_sd_log: 0.1}
      - name: retail_price
        ...
        data: {2014: [80000, 100000]}        # a figure known only to lie in a range

Observation model: the model's yearly value ``y`` is ``share`` of the observed quantity, so
the data are predicted as ``y / share``; on the log scale the data are normal around the
replicates' mean of ``log(y / share)`` with variance ``error_sd_log**2`` plus the replicates'
variance in every year, plus ``share_sd_log**2`` common to all years of the target (an
uncertain share shifts every year together). See :mod:`calibration.likelihood`.

Range data (``[low, high]`` for a year): the figure is known only to lie in the range (a
published range, not a measurement). The likelihood is the probability that the predicted
observation falls in it (interval-censored; ``error_sd_log`` softens the range's ends); the
years are independent, so ``share_sd_log`` must be 0. Plots and the goodness of fit use the
range's geometric midpoint as the figure.

Every problem is reported as ``FILE: field.path: problem`` (:class:`sim.errors.ScenarioError`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ScenarioError, pydantic_lines
from sim.yamlio import read_yaml

ORG_SHARE = "org_share:"
REGION = "region:"  # region:REGION:FIELD, a per-region weekly field (sim.metrics.REGION_FIELDS)
REGION_EXTENSIVE = ("drug_volume", "seizures", "homicides", "members")  # scaled with the world
AGGREGATES = ("yearly_sum", "yearly_mean", "year_start", "year_end")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchSpec(_Strict):
    trials: int = Field(default=40, ge=1, le=100_000)
    replicates: int = Field(default=3, ge=1, le=1000)
    batch: int = Field(default=4, ge=1, le=1024, description="trials asked of Optuna at once")
    startup_trials: int = Field(default=10, ge=1, le=10_000)
    rescore_top: int = Field(default=3, ge=1, le=1000)
    rescore_replicates: int = Field(default=6, ge=1, le=1000)


class PosteriorSpec(_Strict):
    draws: int = Field(default=32, ge=2, le=100_000, description="proposal draws per round")
    rounds: int = Field(default=3, ge=1, le=100, description="adaptive importance rounds")
    samples: int = Field(default=2000, ge=10, le=1_000_000, description="resampled draws")
    inflate: float = Field(default=1.5, gt=0, le=100, description="proposal sd over trial sd")
    top_share: float = Field(default=0.25, gt=0, le=1, description="share of trials fitted")


class AbcSpec(_Strict):
    """Settings of ``--method abc`` (ABC-SMC, :mod:`calibration.abc`)."""

    population: int = Field(default=32, ge=4, le=100_000, description="particles per generation")
    replicates: int | None = Field(default=None, ge=1, le=1000, description="runs per "
                                   "particle on the search's seeds (default: search.replicates;"
                                   " --replicates overrides both)")
    generations: int = Field(default=4, ge=1, le=50, description="generations at most; the "
                             "last one runs at temperature 1 (the posterior)")
    batch: int | None = Field(default=None, ge=1, le=100_000, description="proposals run at "
                              "once (default: the population)")
    max_proposals: int = Field(default=5000, ge=1, le=10_000_000,
                               description="proposals per generation before giving up")
    initial_acceptance: float = Field(default=0.3, gt=0, lt=1, description="acceptance rate "
                                      "the first generation's temperature aims at")
    ess: float = Field(default=0.5, gt=0, lt=1, description="relative effective sample size "
                       "a temperature step may keep at least (a faster step is taken when the "
                       "geometric schedule asks for one)")


class HoldoutSpec(_Strict):
    from_year: int


class ParameterSpec(_Strict):
    path: str = Field(min_length=1)
    low: float
    high: float
    prior: Literal["linear", "log"] = "linear"
    name: str | None = None


class CsvData(_Strict):
    file: str
    year_column: str = "YEAR"
    columns: list[str] = Field(min_length=1)


class ObservationSpec(_Strict):
    share: float = Field(default=1.0, gt=0, le=1000)
    share_sd_log: float = Field(default=0.0, ge=0, le=5)
    error_sd_log: float = Field(default=0.1, gt=0, le=5)
    note: str = ""


class TargetSpec(_Strict):
    name: str = Field(min_length=1)
    metric: str = Field(min_length=1)
    aggregate: Literal["yearly_sum", "yearly_mean", "year_start", "year_end"]
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    data: dict[int, float | tuple[float, float]] | CsvData
    observation: ObservationSpec = ObservationSpec()
    fit: bool = True
    holdout: bool = Field(default=True, description="false: the holdout years do not apply "
                          "(a single figure, such as an end-of-period total, stays fitted)")


class TargetsSpec(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    base: str = Field(min_length=1)
    weeks: int | None = Field(default=None, ge=1)
    spinup_weeks: int = Field(default=0, ge=0)
    start_year: int = 2012
    seed: int = Field(default=0, ge=0, lt=2**63)
    search: SearchSpec = SearchSpec()
    posterior: PosteriorSpec = PosteriorSpec()
    abc: AbcSpec = AbcSpec()
    holdout: HoldoutSpec | None = None
    parameters: list[ParameterSpec] = Field(min_length=1)
    targets: list[TargetSpec] = Field(min_length=1)
    known_answer: dict[str, float] = Field(
        default={}, description="true values by parameter path, where the data were made "
        "by the model itself (shown in the plots and the report; not used in the fit)")


@dataclass
class Series:
    """One observed target: years and values, with its spec."""

    spec: TargetSpec
    years: np.ndarray
    values: np.ndarray  # the figures; for range data the ranges' geometric midpoints
    lows: np.ndarray | None = None  # range data: the ranges' ends (None for point data)
    highs: np.ndarray | None = None

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class Targets:
    """A validated targets file."""

    spec: TargetsSpec
    source: str
    base_path: Path
    series: list[Series]
    data_hash: str
    weeks: int
    extensive: dict[str, bool] = field(default_factory=dict)
    scale: float = 1.0

    @property
    def names(self) -> list[str]:
        return [p.name or p.path.rsplit(".", 1)[-1] for p in self.spec.parameters]

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.spec.parameters]

    def fit_years(self, s: Series) -> np.ndarray:
        """Mask of the years of ``s`` used in the fit (all but the held-out ones)."""
        if self.spec.holdout is None or not s.spec.fit or not s.spec.holdout:
            return np.full(len(s.years), s.spec.fit)
        return s.years < self.spec.holdout.from_year

    def region_metrics(self) -> list[str]:
        """The ``region:REGION:FIELD`` metrics the targets observe."""
        return sorted({s.spec.metric for s in self.series if s.spec.metric.startswith(REGION)})

    def org_names(self) -> list[str]:
        return sorted({s.spec.metric[len(ORG_SHARE):] for s in self.series
                       if s.spec.metric.startswith(ORG_SHARE)})

    def inputs(self) -> dict[str, Any]:
        """What determines the results (stored with the search; must match on resume)."""
        return {"targets": self.spec.model_dump(mode="json", exclude={"known_answer"}),
                "data_sha256": self.data_hash, "weeks": self.weeks}

    def truth(self) -> dict[str, float]:
        """The known answer by parameter name (empty for real data)."""
        by_path = dict(zip(self.paths, self.names, strict=True))
        return {by_path[k]: v for k, v in self.spec.known_answer.items() if k in by_path}


def load_targets(path: str | Path) -> Targets:
    """Read and check a targets file; raise :class:`ScenarioError` with every problem."""
    path = Path(path)
    label = str(path)
    raw = read_yaml(path, label)  # the readers' one path: encoding, duplicates, nesting, aliases
    try:
        spec = TargetsSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(pydantic_lines(exc, label, model=TargetsSpec)) from None
    return check_targets(spec, label, path.resolve().parent)


def check_targets(spec: TargetsSpec, label: str, folder: Path) -> Targets:
    from sim.metrics import METRICS
    from sim.scenario import load_scenario

    errors: list[str] = []
    base_path = Path(spec.base) if Path(spec.base).is_absolute() else folder / spec.base
    scn = None
    if not base_path.is_file():
        errors.append(f"{label}: base: file not found: {base_path}")
    else:
        try:
            scn = load_scenario(base_path)
        except ScenarioError as exc:
            errors.extend(f"{label}: base: {line}" for line in exc.lines)
    seen = set()
    for i, p in enumerate(spec.parameters):
        where = f"{label}: parameters[{i}]"
        if p.path in seen:
            errors.append(f"{where}.path: {p.path} is listed twice")
        seen.add(p.path)
        if not p.low < p.high:
            errors.append(f"{where}: low ({p.low:g}) must be below high ({p.high:g})")
        if p.prior == "log" and p.low <= 0:
            errors.append(f"{where}.low: a log prior needs low > 0, got {p.low:g}")
        errors.extend(_check_bounds(p, where))
        if scn is not None and not errors:
            for v in (p.low, p.high):
                try:
                    scn.with_overrides({p.path: v})
                except ScenarioError as exc:
                    errors.extend(f"{where}: {p.path}={v:g}: {line}" for line in exc.lines)
    weeks = spec.weeks or (scn.weeks - spec.spinup_weeks if scn is not None else 52)
    if weeks < 52:
        errors.append(f"{label}: weeks: {weeks} after the spin-up; need at least one year (52)")
    n_years = weeks // 52
    series, blobs = [], []
    names = set()
    orgs = set(scn.world.org_names) if scn is not None else set()
    for i, t in enumerate(spec.targets):
        where = f"{label}: targets[{i}]"
        if t.name in names:
            errors.append(f"{where}.name: {t.name!r} is used twice")
        names.add(t.name)
        if t.metric.startswith(ORG_SHARE):
            org = t.metric[len(ORG_SHARE):]
            if scn is not None and org not in orgs:
                errors.append(f"{where}.metric: unknown organization {org!r} in the base world")
        elif t.metric.startswith(REGION):
            errors.extend(_check_region_metric(t.metric, where, scn))
        elif t.metric not in METRICS:
            errors.append(f"{where}.metric: unknown metric {t.metric!r}; valid: "
                          f"{', '.join(METRICS)}, {ORG_SHARE}ORGANIZATION or "
                          f"{REGION}REGION:FIELD")
        years, values, blob, errs = _read_data(t, where, folder)
        errors.extend(errs)
        if errs:
            continue
        lows = highs = None
        if values.ndim == 2:  # range data: [low, high] per year
            lows, highs = values[:, 0], values[:, 1]
            bad = ~np.isfinite(values).all(axis=1) | (lows <= 0) | ~(lows < highs)
            if bad.any():
                errors.append(f"{where}.data.{years[bad][0]}: a range needs 0 < low < high, "
                              f"got [{values[bad][0][0]:g}, {values[bad][0][1]:g}]")
                continue
            if t.observation.share_sd_log != 0:
                errors.append(f"{where}.observation.share_sd_log: must be 0 for range data "
                              "(the years' ranges are independent)")
                continue
            values = np.sqrt(lows * highs)
        if len(years) == 0:
            errors.append(f"{where}.data: no observations")
            continue
        gaps = np.flatnonzero(np.diff(years) != 1)
        if len(gaps):
            errors.append(f"{where}.data: a gap between {years[gaps[0]]} and "
                          f"{years[gaps[0] + 1]}: give every year, or split the series")
            continue
        bad = ~np.isfinite(values) | (values <= 0)
        if bad.any():
            errors.append(f"{where}.data.{years[bad][0]}: values must be finite and > 0 "
                          f"(log-scale likelihood), got {values[bad][0]!r}")
            continue
        first, last = spec.start_year, spec.start_year + n_years - 1
        if years[0] < first or years[-1] > last:
            errors.append(f"{where}.data: years {years[0]}-{years[-1]} fall outside the "
                          f"simulated {first}-{last} ({weeks} weeks after the spin-up)")
            continue
        series.append(Series(t, years, values, lows, highs))
        blobs.append(blob)
    for k in spec.known_answer:
        if k not in {p.path for p in spec.parameters}:
            errors.append(f"{label}: known_answer.{k}: not a fitted parameter's path")
    if spec.abc.max_proposals < spec.abc.population:
        errors.append(f"{label}: abc.max_proposals: {spec.abc.max_proposals} is below "
                      f"abc.population ({spec.abc.population})")
    if spec.holdout is not None and not errors:
        if not any((s.years < spec.holdout.from_year).any() for s in series if s.spec.fit):
            errors.append(f"{label}: holdout.from_year: {spec.holdout.from_year} leaves no "
                          "year to fit")
    if errors:
        raise ScenarioError(errors)
    digest = hashlib.sha256(json.dumps(blobs, sort_keys=True).encode()).hexdigest()[:16]
    scale = float(scn.world.extra.get("scale", 1.0))
    extensive = {s.name: _extensive(s.spec.metric) for s in series}
    return Targets(spec, label, base_path, series, digest, weeks, extensive, scale)


def _extensive(metric: str) -> bool:
    """Whether a metric counts persons (or goods) that scale with the world's size."""
    from sim.metrics import METRICS

    if metric.startswith(ORG_SHARE):
        return False
    if metric.startswith(REGION):
        return metric.rsplit(":", 1)[1] in REGION_EXTENSIVE
    return METRICS[metric][0].startswith("persons")


def _check_region_metric(metric: str, where: str, scn) -> list[str]:
    from sim.metrics import REGION_FIELDS

    body = metric[len(REGION):]
    region, sep, fld = body.rpartition(":")
    if not sep or not region:
        return [f"{where}.metric: {metric!r}: expected {REGION}REGION:FIELD"]
    out = []
    if fld not in REGION_FIELDS:
        out.append(f"{where}.metric: unknown region field {fld!r}; valid: "
                   f"{', '.join(REGION_FIELDS)}")
    if scn is not None and region not in scn.world.region_names:
        out.append(f"{where}.metric: unknown region {region!r} in the base world")
    return out


def _check_bounds(p: ParameterSpec, where: str) -> list[str]:
    """Bounds of a ``params.GROUP.NAME`` path must sit inside its documented range."""
    from sim.params import PARAMS

    parts = p.path.split(".")
    if parts[0] != "params":
        return []  # intervention fields and others: validated by applying the bounds
    if len(parts) != 3 or parts[1] not in PARAMS or parts[2] not in PARAMS[parts[1]]:
        return [f"{where}.path: unknown parameter {p.path!r} (see tocsim list --params)"]
    decl = PARAMS[parts[1]][parts[2]]
    out = []
    if p.low < decl.lo or p.high > decl.hi:
        out.append(f"{where}: bounds [{p.low:g}, {p.high:g}] leave the documented range "
                   f"[{decl.lo:g}, {decl.hi:g}] ({decl.unit}) of {p.path}")
    return out


def _read_data(t: TargetSpec, where: str, folder: Path):
    if isinstance(t.data, dict):
        items = sorted(t.data.items())
        years = np.array([k for k, _ in items], dtype=np.int64)
        ranged = [isinstance(v, tuple) for _, v in items]
        if any(ranged) and not all(ranged):
            return None, None, None, [f"{where}.data: mixes single figures and [low, high] "
                                      "ranges: use one form per target"]
        if all(ranged) and items:
            values = np.array([[float(v[0]), float(v[1])] for _, v in items])
            return years, values, {"inline": [[int(y), list(map(float, v))]
                                              for y, v in items]}, []
        values = np.array([float(v) for _, v in items])
        return years, values, {"inline": [[int(y), float(v)] for y, v in items]}, []
    import pandas as pd

    f = Path(t.data.file) if Path(t.data.file).is_absolute() else folder / t.data.file
    if not f.is_file():
        return None, None, None, [f"{where}.data.file: file not found: {f}"]
    try:
        df = pd.read_csv(f, encoding="utf-8-sig")
    except Exception as exc:  # noqa: BLE001
        return None, None, None, [f"{where}.data.file: {f}: unreadable CSV ({exc})"]
    missing = [c for c in [t.data.year_column, *t.data.columns] if c not in df.columns]
    if missing:
        return None, None, None, [f"{where}.data.columns: {f}: no column {missing[0]!r}; "
                                  f"valid: {', '.join(map(str, df.columns))}"]
    df = df.sort_values(t.data.year_column)
    years = df[t.data.year_column].to_numpy(dtype=np.int64)
    values = df[t.data.columns].to_numpy(dtype=float).sum(axis=1)
    if np.isnan(df[t.data.columns].to_numpy(dtype=float)).any():
        y = years[np.isnan(df[t.data.columns].to_numpy(dtype=float)).any(axis=1)][0]
        return None, None, None, [f"{where}.data: {f}: a missing value in {y}: a gap"]
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    return years, values, {"file": f.name, "sha256": digest, "columns": t.data.columns}, []


def to_unit(p: ParameterSpec, x: float) -> float:
    """A parameter value in the search's unit interval (log or linear)."""
    if p.prior == "log":
        return (math.log(x) - math.log(p.low)) / (math.log(p.high) - math.log(p.low))
    return (x - p.low) / (p.high - p.low)


def from_unit(p: ParameterSpec, u: float) -> float:
    if p.prior == "log":
        return math.exp(math.log(p.low) + u * (math.log(p.high) - math.log(p.low)))
    return p.low + u * (p.high - p.low)
