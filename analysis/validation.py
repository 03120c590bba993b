"""Stylized facts: published findings the model should reproduce, checked with paired replicates.

One definition, two users: ``docs/make_validation.py`` runs every finding and writes
docs/VALIDATION.md; ``tests/test_stylized_facts.py`` runs the same findings as tests.

Each :class:`Finding` names its source, the scenario files that test it (a treatment and the
baseline, or the baseline alone), the metric and period, and a falsifiable criterion on a 95%
confidence interval. Replicate ``r`` of every scenario uses the same seed (common random
numbers, ``analysis.runner.replicate_seeds``), so differences are paired. A finding whose
metric the model does not report yet is "not testable at this commit (metric missing)", never
skipped or faked.

From Python::

    from analysis.validation import FINDINGS, Replicates, evaluate
    runs = Replicates(n=10)
    runs.prepare(FINDINGS)
    results = [evaluate(f, runs) for f in FINDINGS]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim import load_scenario
from sim.metrics import METRICS, REGION_FIELDS

from .runner import replicate_seeds
from .stats import Interval, mean_interval, paired_difference, ratio_of_differences

ROOT = Path(__file__).resolve().parents[1]
ROOT_SEED = 20261201  # root of the replicate seeds (SeedSequence children 0..n-1)
DEFAULT_REPLICATES = 10

BASELINE = "scenarios/baseline.yaml"
SURGE = "scenarios/interdiction_border_surge.yaml"
KINGPIN = "scenarios/kingpin.yaml"
MID_LEVEL = "scenarios/mid_level.yaml"
MASS_ARRESTS = "scenarios/validation/mass_arrests.yaml"
SANCTIONS = "scenarios/sanctions.yaml"
SANCTIONS_NO_EVASION = "scenarios/sanctions_no_evasion.yaml"
SANCTIONS_RENEWED = "scenarios/sanctions_renewed.yaml"
PREVENTION = "scenarios/recruitment_prevention.yaml"
CAPACITY_WITHDRAWAL = "scenarios/validation/capacity_withdrawal.yaml"

HOLDS, FAILS, NOT_TESTABLE = "holds", "fails", "not testable"


# ---------------------------------------------------------------------------- runs
@dataclass
class Run:
    """One replicate: weekly metrics and per-region metrics."""

    metrics: pd.DataFrame
    regions: pd.DataFrame

    def col(self, name: str) -> np.ndarray:
        return self.metrics[name].to_numpy(dtype=float)

    def region(self, field_name: str, names: Sequence[str]) -> np.ndarray:
        """Weekly values of a region field, summed over ``names`` (shape: weeks)."""
        sel = self.regions[self.regions.region.isin(list(names))]
        return sel.groupby("week")[field_name].sum().to_numpy(dtype=float)

    def region_table(self, field_name: str) -> pd.DataFrame:
        """Weeks by regions."""
        return self.regions.pivot(index="week", columns="region", values=field_name)


class Replicates:
    """Runs scenario files with paired seeds and keeps them for every finding that needs them.

    Replicate ``r`` of every scenario has seed ``replicate_seeds(root_seed, n)[r]``. A scenario
    is run once at the longest horizon any prepared finding needs; shorter findings read its
    first weeks (a run's week ``t`` does not depend on the horizon).
    """

    def __init__(self, n: int = DEFAULT_REPLICATES, root_seed: int = ROOT_SEED, progress=None):
        self.n = n
        self.root_seed = root_seed
        self.seeds = replicate_seeds(root_seed, n)
        self.horizon: dict[str, int] = {}
        self._runs: dict[str, tuple[int, list[Run]]] = {}
        self.progress = progress  # called as progress(scenario, replicate) before each run
        self.model_weeks = 0  # simulated weeks, for the record

    def prepare(self, findings: Iterable[Finding]) -> None:
        for f in findings:
            if f.missing():
                continue
            for s in f.scenarios:
                self.horizon[s] = max(self.horizon.get(s, 0), f.weeks)

    def get(self, scenario: str, weeks: int) -> list[Run]:
        """The replicates of ``scenario`` cut to their first ``weeks`` weeks."""
        have = self._runs.get(scenario)
        if have is None or have[0] < weeks:
            horizon = max(weeks, self.horizon.get(scenario, 0))
            self._runs[scenario] = (horizon, self._run(scenario, horizon))
        runs = self._runs[scenario][1]
        return [Run(r.metrics[r.metrics.week < weeks], r.regions[r.regions.week < weeks])
                for r in runs]

    def _run(self, scenario: str, weeks: int) -> list[Run]:
        from sim.model import TocModel

        base = load_scenario(ROOT / scenario)
        out = []
        for r, seed in enumerate(self.seeds):
            if self.progress is not None:
                self.progress(scenario, r)
            scn = dataclasses.replace(base, seed=seed, weeks=weeks,
                                      raw={**base.raw, "seed": seed, "weeks": weeks})
            model = TocModel(scn, checks=False).run()
            out.append(Run(model.metrics_frame(), model.regions_frame()))
            self.model_weeks += weeks
        return out


# ---------------------------------------------------------------------------- findings
@dataclass(frozen=True)
class Result:
    """A finding's outcome: the statistic with its 95% CI and the verdict."""

    status: str  # holds | fails | not testable
    estimate: float = float("nan")
    lo: float = float("nan")
    hi: float = float("nan")
    unit: str = ""
    reason: str = ""
    n: int = 0  # replicates (or events) behind the estimate

    @property
    def holds(self) -> bool:
        return self.status == HOLDS


@dataclass(frozen=True)
class Finding:
    """A published finding and the check that tests it.

    ``compute(runs)`` returns the statistic as an :class:`~analysis.stats.Interval`;
    ``criterion`` decides from it (a text, shown in the table, and a predicate).
    """

    key: str
    claim: str
    source: str
    scenarios: tuple[str, ...]
    weeks: int
    statistic: str  # the metric, the period and how replicates are compared
    criterion: str
    passes: Callable[[Interval], bool]
    compute: Callable[[Replicates, Finding], Interval]
    mechanism: str  # the mechanism the finding needs (named when it fails)
    needs: tuple[str, ...] = ()  # metric columns (``timeseries``) the check reads
    needs_regions: tuple[str, ...] = ()  # region fields it reads
    unit: str = ""
    slow: bool = False
    note: str = ""

    def missing(self) -> list[str]:
        return ([m for m in self.needs if m not in METRICS]
                + [f"regions.{m}" for m in self.needs_regions if m not in REGION_FIELDS])

    def runs(self, runs: Replicates, scenario: str) -> list[Run]:
        return runs.get(scenario, self.weeks)


def evaluate(finding: Finding, runs: Replicates) -> Result:
    """Run (or reuse) the finding's scenarios and apply its criterion."""
    missing = finding.missing()
    if missing:
        return Result(NOT_TESTABLE, unit=finding.unit,
                      reason=f"not testable at this commit (metric missing: {', '.join(missing)})")
    iv = finding.compute(runs, finding)
    ok = bool(np.isfinite(iv.estimate)) and bool(finding.passes(iv))
    reason = "" if ok else _reason(finding, iv)
    return Result(HOLDS if ok else FAILS, iv.estimate, iv.lo, iv.hi, finding.unit, reason, iv.n)


def _reason(f: Finding, iv: Interval) -> str:
    if not np.isfinite(iv.estimate):
        got = "no estimate (no replicate had the event)"
    elif not (np.isfinite(iv.lo) and np.isfinite(iv.hi)):
        got = f"estimate {fmt(iv.estimate)} without a finite CI"
    else:
        got = f"95% CI [{fmt(iv.lo)}, {fmt(iv.hi)}]"
    return f"criterion not met ({f.criterion}): {got}; mechanism under test: {f.mechanism}"


def fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    a = abs(x)
    if a >= 1e4:
        return f"{x:,.0f}"
    if a >= 100:
        return f"{x:.0f}"
    if a >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


# criteria
def above(v: float) -> Callable[[Interval], bool]:
    return lambda iv: iv.lo > v


def below(v: float) -> Callable[[Interval], bool]:
    return lambda iv: iv.hi < v


def within(a: float, b: float) -> Callable[[Interval], bool]:
    return lambda iv: a <= iv.lo and iv.hi <= b


# statistics
def wmean(x: np.ndarray, a: int, b: int) -> float:
    """Mean over weeks ``a <= t < b``."""
    return float(np.mean(x[a:b]))


def _per_rep(runs: list[Run], fn) -> np.ndarray:
    return np.array([fn(r) for r in runs], dtype=float)


def window_difference(treat: str, metric: str, a: int, b: int, control: str = BASELINE):
    """Paired difference treatment - control of a metric's mean over weeks [a, b)."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        x = _per_rep(f.runs(runs, treat), lambda r: wmean(_series(r, metric), a, b))
        y = _per_rep(f.runs(runs, control), lambda r: wmean(_series(r, metric), a, b))
        return paired_difference(x, y)
    return compute


def _series(r: Run, metric: str) -> np.ndarray:
    if metric == "drug_spending":  # consumer spending on the drug, USD/week
        return r.col("retail_price") * r.col("consumption")
    if metric.startswith("regions."):  # regions.FIELD:Region1+Region2
        field_name, names = metric[len("regions."):].split(":")
        return r.region(field_name, names.split("+"))
    return r.col(metric)


def relative_change_difference(treat: str, metric: str, other: str, a: int, b: int,
                               control: str = BASELINE):
    """Paired, per replicate: % change of ``metric`` minus % change of ``other`` (treatment
    over control, means of weeks [a, b)), in percentage points."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        tr, co = f.runs(runs, treat), f.runs(runs, control)

        def pct(m):
            return 100 * (np.array([wmean(_series(t, m), a, b) for t in tr])
                          / np.array([wmean(_series(c, m), a, b) for c in co]) - 1)
        return mean_interval(pct(metric) - pct(other))
    return compute


def level(scenario: str, metric: str, a: int, b: int):
    """Mean over replicates of a metric's mean over weeks [a, b)."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        return mean_interval(_per_rep(f.runs(runs, scenario),
                                      lambda r: wmean(_series(r, metric), a, b)))
    return compute


def drift(metric: str, early: tuple[int, int], late: tuple[int, int]):
    """Baseline: relative change (%) of a metric from an early to a late window."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        return mean_interval(_per_rep(f.runs(runs, BASELINE), lambda r: 100 * (
            wmean(_series(r, metric), *late) / wmean(_series(r, metric), *early) - 1)))
    return compute


def gap_ratio(treat: str, metric: str, early: tuple[int, int], late: tuple[int, int],
              control: str = BASELINE):
    """(control - treatment) in the late window over (control - treatment) in the early one:
    the share of the early gap that is left (ratio of paired mean differences, delta-method
    CI; no finite CI when the early gap's own CI includes 0)."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        tr, co = f.runs(runs, treat), f.runs(runs, control)

        def w(rs, win):
            return _per_rep(rs, lambda r: wmean(_series(r, metric), *win))
        est, lo, hi = ratio_of_differences(w(co, late), w(tr, late), w(co, early), w(tr, early),
                                           paired=True)
        return Interval(est, lo, hi, float("nan"), len(tr))
    return compute


def first_excess_removal(tr: Run, co: Run, start: int) -> int | None:
    """The first week >= ``start`` by which the treatment run has removed more leaders since
    ``start`` than its paired baseline run: the first removal the strategy adds."""
    x = np.cumsum(tr.col("leader_removals")[start:])
    y = np.cumsum(co.col("leader_removals")[start:])
    hit = np.nonzero(x > y)[0]
    return None if hit.size == 0 else start + int(hit[0])


def after_removal(statistic, start: int = 104, window: int = 26):
    """Event windows after the first added removal of each kingpin replicate;
    ``statistic(tr, co, t0, window)`` gives one value per replicate (NaN if no event or the
    window runs past the horizon)."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        vals = []
        for tr, co in zip(f.runs(runs, KINGPIN), f.runs(runs, BASELINE), strict=True):
            t0 = first_excess_removal(tr, co, start)
            if t0 is None or t0 + 2 * window > f.weeks:
                vals.append(np.nan)
                continue
            vals.append(statistic(tr, co, t0, window))
        return mean_interval(vals)
    return compute


def _excess(tr: Run, co: Run, metric: str, a: int, b: int) -> float:
    return float(tr.col(metric)[a:b].sum() - co.col(metric)[a:b].sum())


def spill_over(start: int = 104, window: int = 26):
    """Excess homicides in the 26 weeks after the first added removal, summed over every
    region except the one with the largest mean excess (chosen once over replicates)."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        per = []
        for tr, co in zip(f.runs(runs, KINGPIN), f.runs(runs, BASELINE), strict=True):
            t0 = first_excess_removal(tr, co, start)
            if t0 is None or t0 + window > f.weeks:
                continue
            d = tr.region_table("homicides").iloc[t0:t0 + window].sum() \
                - co.region_table("homicides").iloc[t0:t0 + window].sum()
            per.append(d)
        if not per:
            return mean_interval([])
        table = pd.DataFrame(per)
        top = table.mean().idxmax()
        return mean_interval(table.drop(columns=[top]).sum(axis=1).to_numpy())
    return compute


def wealth_growth(a: int, b: int):
    """Baseline: yearly growth of criminal wealth over weeks [a, b) (least-squares slope)
    as a share of a year's criminal revenue (mean of the same weeks)."""
    def compute(runs: Replicates, f: Finding) -> Interval:
        def one(r):
            w = r.col("criminal_wealth")[a:b]
            slope = np.polyfit(np.arange(w.size), w, 1)[0]
            return slope / wmean(r.col("criminal_revenue"), a, b)
        return mean_interval(_per_rep(f.runs(runs, BASELINE), one))
    return compute


CENTRAL_AMERICA = "Guatemala+Honduras+El Salvador"
US = "United States"

FINDINGS: list[Finding] = [
    # ------------------------------------------------------------------ prices
    Finding(
        key="price_import_vs_retail",
        claim="Interdiction moves the import price by a larger % than the retail price",
        source="RK86; CR; REFERENCES (risks and prices)",
        scenarios=(SURGE, BASELINE), weeks=156,
        statistic="% change of import_price minus % change of retail_price, surge vs "
                  "baseline, weeks 112-155 (surge at full level)",
        criterion="CI of the paired difference above 0 pp",
        passes=above(0.0), compute=relative_change_difference(SURGE, "import_price",
                                                              "retail_price", 112, 156),
        mechanism="prices formed stage by stage with an additive risk premium (issue 8 item 1)",
        needs=("import_price", "retail_price"), unit="pp"),
    Finding(
        key="price_wholesale_vs_retail",
        claim="Interdiction moves the consumer-market wholesale price by a larger % than the "
              "retail price (additive import cost)",
        source="RK86; CR; REFERENCES (risks and prices)",
        scenarios=(SURGE, BASELINE), weeks=156,
        statistic="% change of wholesale_price minus % change of retail_price, surge vs "
                  "baseline, weeks 112-155",
        criterion="CI of the paired difference above 0 pp",
        passes=above(0.0), compute=relative_change_difference(SURGE, "wholesale_price",
                                                              "retail_price", 112, 156),
        mechanism="prices formed stage by stage with an additive risk premium (issue 8 item 1); "
                  "today wholesale = retail / markup",
        needs=("wholesale_price", "retail_price"), unit="pp"),
    Finding(
        key="price_retail_us_range",
        claim="US retail cocaine price 80,000-100,000 USD/kg",
        source="REFERENCES (price chain)",
        scenarios=(BASELINE,), weeks=156,
        statistic="baseline retail_price of the United States region, mean of weeks 104-155",
        criterion="CI of the mean inside [80,000, 100,000]",
        passes=within(8e4, 1e5), compute=level(BASELINE, f"regions.retail_price:{US}", 104, 156),
        mechanism="retail clearing against demand at the end of the price chain (item 1)",
        needs_regions=("retail_price",), unit="USD/kg"),
    Finding(
        key="price_wholesale_range",
        claim="Consumer-market wholesale 20,000-28,000 USD/kg (US), ~40,000 (Europe)",
        source="REFERENCES (price chain)",
        scenarios=(BASELINE,), weeks=156,
        statistic="baseline wholesale_price (consumer markets, weighted), mean of weeks 104-155",
        criterion="CI of the mean inside [20,000, 40,000] (US low end to Europe)",
        passes=within(2e4, 4e4), compute=level(BASELINE, "wholesale_price", 104, 156),
        mechanism="stage prices (item 1)", needs=("wholesale_price",), unit="USD/kg"),
    Finding(
        key="price_import_range",
        claim="Import price at the consumer country's border between the Mexico/Central "
              "America price (10,000-14,000) and US wholesale (20,000-28,000)",
        source="REFERENCES (price chain)",
        scenarios=(BASELINE,), weeks=156,
        statistic="baseline import_price, mean of weeks 104-155",
        criterion="CI of the mean inside [10,000, 28,000]",
        passes=within(1e4, 2.8e4), compute=level(BASELINE, "import_price", 104, 156),
        mechanism="stage prices (item 1)", needs=("import_price",), unit="USD/kg"),
    Finding(
        key="price_export_range",
        claim="Export price from the producing country 1,500-3,000 USD/kg (Colombia)",
        source="REFERENCES (price chain)",
        scenarios=(BASELINE,), weeks=156,
        statistic="baseline export_price, mean of weeks 104-155",
        criterion="CI of the mean inside [1,500, 3,000]",
        passes=within(1.5e3, 3e3), compute=level(BASELINE, "export_price", 104, 156),
        mechanism="stage prices (item 1)", needs=("export_price",), unit="USD/kg"),
    Finding(
        key="price_source_range",
        claim="Source price 500-3,000 USD/kg (coca paste 500-800 to Colombia export)",
        source="REFERENCES (price chain)",
        scenarios=(BASELINE,), weeks=156,
        statistic="baseline source_price, mean of weeks 104-155",
        criterion="CI of the mean inside [500, 3,000]",
        passes=within(500.0, 3e3), compute=level(BASELINE, "source_price", 104, 156),
        mechanism="stage prices (item 1)", needs=("source_price",), unit="USD/kg"),
    # ------------------------------------------------------------------ leadership removal
    Finding(
        key="kingpin_violence_first_6_months",
        claim="Leader removal raises homicides in the first ~6 months",
        source="C15; P15; LP18",
        scenarios=(KINGPIN, BASELINE), weeks=364, slow=True,
        statistic="homicides summed over the 26 weeks after each replicate's first added "
                  "removal (kingpin), minus the paired baseline's same weeks",
        criterion="CI of the paired difference above 0",
        passes=above(0.0),
        compute=after_removal(lambda tr, co, t0, w: _excess(tr, co, "homicides", t0, t0 + w)),
        mechanism="violence that starts when the leader falls (issue 8 item 2)",
        needs=("homicides", "leader_removals"), unit="homicides"),
    Finding(
        key="kingpin_violence_concentrated_early",
        claim="The extra violence is concentrated in the first ~6 months, not at the end of "
              "the succession",
        source="C15; LP18",
        scenarios=(KINGPIN, BASELINE), weeks=364, slow=True,
        statistic="excess homicides in weeks 0-25 after the first added removal minus the "
                  "excess in weeks 26-51",
        criterion="CI of the difference above 0",
        passes=above(0.0),
        compute=after_removal(lambda tr, co, t0, w: _excess(tr, co, "homicides", t0, t0 + w)
                              - _excess(tr, co, "homicides", t0 + w, t0 + 2 * w)),
        mechanism="succession violence and split risk highest in the first months "
                  "(issue 8 item 2)",
        needs=("homicides", "leader_removals"), unit="homicides"),
    Finding(
        key="kingpin_splits",
        claim="Leader removal fragments groups (splits)",
        source="C15; P15",
        scenarios=(KINGPIN, BASELINE), weeks=364, slow=True,
        statistic="splits/week, mean of weeks 104-363, kingpin minus baseline",
        criterion="CI of the paired difference above 0",
        passes=above(0.0), compute=window_difference(KINGPIN, "splits", 104, 364),
        mechanism="splits after successions (item 2)",
        needs=("splits",), unit="splits/week"),
    Finding(
        key="kingpin_spill_over",
        claim="Violence spills into other regions where the group operates",
        source="C15; LP18",
        scenarios=(KINGPIN, BASELINE), weeks=364, slow=True, needs_regions=("homicides",),
        statistic="excess homicides in the 26 weeks after the first added removal, summed "
                  "over all regions but the one with the largest mean excess",
        criterion="CI of the paired difference above 0",
        passes=above(0.0), compute=spill_over(),
        mechanism="fragments that take members in every region the organization operates in "
                  "(issue 8 item 2)",
        needs=("leader_removals",), unit="homicides"),
    Finding(
        key="mid_level_dip",
        claim="Arrests of mid-level leaders give a short-run dip in violence",
        source="REFERENCES (leadership removal); C15",
        scenarios=(MID_LEVEL, BASELINE), weeks=156,
        statistic="homicides/week, mean of weeks 104-129 (first 6 months), mid_level minus "
                  "baseline",
        criterion="CI of the paired difference below 0",
        passes=below(0.0), compute=window_difference(MID_LEVEL, "homicides", 104, 130),
        mechanism="mid-level arrests that disrupt coordination of violence (item 2)",
        needs=("homicides",), unit="homicides/week"),
    # ------------------------------------------------------------------ networks
    Finding(
        key="replacement_after_losses",
        claim="Organizations that lose members recruit above their usual rate",
        source="D14",
        scenarios=(MASS_ARRESTS, BASELINE), weeks=260, slow=True,
        statistic="recruits/week, mean of weeks 108-159 (the year after 4 weeks of mass "
                  "arrests), mass_arrests minus baseline",
        criterion="CI of the paired difference above 0",
        passes=above(0.0), compute=window_difference(MASS_ARRESTS, "recruits", 108, 160),
        mechanism="recruitment above the usual rate until lost roles are refilled "
                  "(issue 8 item 3)",
        needs=("recruits",), unit="recruits/week"),
    Finding(
        key="recovery_after_mass_arrests",
        claim="Networks recover after mass arrests",
        source="D14",
        scenarios=(MASS_ARRESTS, BASELINE), weeks=260, slow=True,
        statistic="membership gap to baseline in weeks 208-259 over the gap in weeks 108-111 "
                  "(just after the arrests)",
        criterion="CI of the ratio below 0.5 (more than half the loss made good in 2 years)",
        passes=below(0.5), compute=gap_ratio(MASS_ARRESTS, "criminal_members", (108, 112),
                                             (208, 260)),
        mechanism="replacement after losses (issue 8 item 3)",
        needs=("criminal_members",), unit="share of the gap"),
    # ------------------------------------------------------------------ finance
    Finding(
        key="bounded_wealth",
        claim="Criminal wealth levels off relative to revenue (organizations spend)",
        source="issue 8 item 4 (plausibility; no published stock)",
        scenarios=(BASELINE,), weeks=520, slow=True,
        statistic="baseline: yearly growth of criminal_wealth over weeks 260-519 (linear fit) "
                  "as a share of a year's criminal_revenue",
        criterion="CI of the mean below 0.05 (wealth grows by < 5% of a year's revenue a year)",
        passes=below(0.05), compute=wealth_growth(260, 520),
        mechanism="spending beyond wages and a cash floor (issue 8 item 4)",
        needs=("criminal_wealth", "criminal_revenue"), unit="share/yr"),
    Finding(
        key="sanctions_evasion_narrows",
        claim="With evasion, the sanctions gap narrows over 2-3 years",
        source="Pol20; REFERENCES (sanctions and money laundering)",
        scenarios=(SANCTIONS, BASELINE), weeks=260, slow=True,
        statistic="laundered_assets gap to baseline in weeks 208-259 over the gap in weeks "
                  "104-155 (year 1 after designation)",
        criterion="CI of the ratio below 0.5",
        passes=below(0.5), compute=gap_ratio(SANCTIONS, "laundered_assets", (104, 156),
                                             (208, 260)),
        mechanism="evasion that rebuilds laundering channels and stocks (issue 8 item 5)",
        needs=("laundered_assets",), unit="share of the gap"),
    Finding(
        key="sanctions_no_evasion_persists",
        claim="Without evasion, the sanctions gap persists",
        source="Pol20",
        scenarios=(SANCTIONS_NO_EVASION, BASELINE), weeks=260, slow=True,
        statistic="as above, sanctions_no_evasion",
        criterion="CI of the ratio above 0.5",
        passes=above(0.5), compute=gap_ratio(SANCTIONS_NO_EVASION, "laundered_assets",
                                             (104, 156), (208, 260)),
        mechanism="lasting loss of laundering access without evasion (item 5)",
        needs=("laundered_assets",), unit="share of the gap"),
    Finding(
        key="sanctions_renewed_persists",
        claim="Renewed designations hold the sanctions gap",
        source="Pol20",
        scenarios=(SANCTIONS_RENEWED, BASELINE), weeks=260, slow=True,
        statistic="as above, sanctions_renewed (designations renewed yearly)",
        criterion="CI of the ratio above 0.5",
        passes=above(0.5), compute=gap_ratio(SANCTIONS_RENEWED, "laundered_assets",
                                             (104, 156), (208, 260)),
        mechanism="renewal that re-freezes rebuilt stocks (item 5)",
        needs=("laundered_assets",), unit="share of the gap"),
    # ------------------------------------------------------------------ prevention, start-up
    Finding(
        key="prevention_lowers_membership",
        claim="Recruitment prevention lowers membership",
        source="PROTON-OC; PC23",
        scenarios=(PREVENTION, BASELINE), weeks=260, slow=True,
        statistic="criminal_members, mean of weeks 208-259, recruitment_prevention minus "
                  "baseline",
        criterion="CI of the paired difference below 0",
        passes=below(0.0), compute=window_difference(PREVENTION, "criminal_members", 208, 260),
        mechanism="prevention acting on who can be recruited (issue 8 item 6)",
        needs=("criminal_members",), unit="members"),
    Finding(
        key="no_startup_transient_corruption",
        claim="No start-up transient: corruption is stationary in the baseline's first year",
        source="issue 8 item 7 (model hygiene)",
        scenarios=(BASELINE,), weeks=52,
        statistic="baseline corruption_rate, % change from weeks 0-3 to weeks 48-51",
        criterion="CI inside [-10%, +10%]",
        passes=within(-10.0, 10.0), compute=drift("corruption_rate", (0, 4), (48, 52)),
        mechanism="a spin-up to the stationary state before week 0 (issue 8 item 7)",
        needs=("corruption_rate",), unit="%"),
    Finding(
        key="no_startup_transient_members",
        claim="No start-up transient: membership is stationary in the baseline's first year",
        source="issue 8 item 7 (model hygiene)",
        scenarios=(BASELINE,), weeks=52,
        statistic="baseline criminal_members, % change from weeks 0-3 to weeks 48-51",
        criterion="CI inside [-3%, +3%]",
        passes=within(-3.0, 3.0), compute=drift("criminal_members", (0, 4), (48, 52)),
        mechanism="a spin-up to the stationary state before week 0 (issue 8 item 7)",
        needs=("criminal_members",), unit="%"),
    # ------------------------------------------------------------------ routes, demand
    Finding(
        key="route_spreading",
        claim="Interdiction spreads routes over more transit nodes",
        source="M19",
        scenarios=(SURGE, BASELINE), weeks=156,
        statistic="route_nodes, mean of weeks 112-155, surge minus baseline",
        criterion="CI of the paired difference above 0",
        passes=above(0.0), compute=window_difference(SURGE, "route_nodes", 112, 156),
        mechanism="learned route risk and a risk premium in route choice",
        needs=("route_nodes",), unit="nodes"),
    Finding(
        key="route_diversion",
        claim="A crackdown on a corridor diverts flow to other routes",
        source="D15; M19",
        scenarios=(SURGE, BASELINE), weeks=156, needs_regions=("drug_volume",),
        statistic="drug volume through the Caribbean (the other corridor into the US), mean "
                  "of weeks 112-155, Mexico-US surge minus baseline",
        criterion="CI of the paired difference above 0",
        passes=above(0.0),
        compute=window_difference(SURGE, "regions.drug_volume:Caribbean", 112, 156),
        mechanism="least-cost routing around the crackdown", unit="kg/week"),
    Finding(
        key="inelastic_demand_spending",
        claim="With inelastic demand, supply-side enforcement raises consumer spending",
        source="BMG06; NRC01",
        scenarios=(SURGE, BASELINE), weeks=156,
        statistic="drug spending (retail_price x consumption), mean of weeks 112-155, surge "
                  "minus baseline",
        criterion="CI of the paired difference above 0",
        passes=above(0.0), compute=window_difference(SURGE, "drug_spending", 112, 156),
        mechanism="retail clearing against inelastic demand",
        needs=("retail_price", "consumption"), unit="USD/week"),
    # ------------------------------------------------------------------ corruption
    Finding(
        key="corruption_hysteresis",
        claim="Corruption hysteresis: a low-corruption state outlasts the capacity building "
              "that produced it",
        source="H00",
        scenarios=(CAPACITY_WITHDRAWAL, BASELINE), weeks=520, slow=True,
        needs_regions=("corruption_rate",),
        statistic="corruption in Guatemala, Honduras, El Salvador (sum of regional rates): gap "
                  "to baseline in weeks 416-519 (2-4 years after funding stops) over the gap "
                  "in weeks 260-311 (last year funded)",
        criterion="CI of the ratio above 0.5 (at least half the gain kept)",
        passes=above(0.5),
        compute=gap_ratio(CAPACITY_WITHDRAWAL, f"regions.corruption_rate:{CENTRAL_AMERICA}",
                          (260, 312), (416, 520)),
        mechanism="peer effects that tip officials into a low-corruption state (H00)",
        unit="share of the gap"),
]

BY_KEY = {f.key: f for f in FINDINGS}


@dataclass
class Report:
    """Every finding with its result, and what produced them."""

    rows: list[tuple[Finding, Result]] = field(default_factory=list)
    replicates: int = DEFAULT_REPLICATES
    root_seed: int = ROOT_SEED
    model_weeks: int = 0


def run_all(findings: Sequence[Finding] = FINDINGS, n: int = DEFAULT_REPLICATES,
            root_seed: int = ROOT_SEED, progress=None) -> Report:
    runs = Replicates(n, root_seed, progress)
    runs.prepare(findings)
    rows = [(f, evaluate(f, runs)) for f in findings]
    return Report(rows, n, root_seed, runs.model_weeks)
