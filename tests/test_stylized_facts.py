"""Stylized facts: the published findings of docs/VALIDATION.md, as tests.

The findings are defined once, in ``analysis.validation`` (docs/make_validation.py writes the
table from the same definitions). Every scenario runs the same paired replicate seeds (common
random numbers); horizons are each finding's own (52-156 weeks for the fast ones; the long ones
are marked slow and run with ``--runslow``). Findings that fail at this commit are marked
``xfail(strict=False)`` with the mechanism they need, so they turn green (XPASS) when it is
built; remove the mark then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.runner import replicate_seeds
from analysis.stats import Interval
from analysis.validation import (
    BASELINE,
    DEFAULT_REPLICATES,
    FAILS,
    FINDINGS,
    HOLDS,
    NOT_TESTABLE,
    ROOT_SEED,
    Finding,
    Replicates,
    Run,
    above,
    evaluate,
    first_excess_removal,
    within,
)

# Failing at the final model (docs/VALIDATION.md, "Why rows fail"): the mechanism exists but
# the scenario-level result does not meet the row's criterion; the reason names what is short.
XFAIL = {
    "price_wholesale_range": "consumer-market wholesale CI reaches just below 20,000 USD/kg",
    "kingpin_violence_concentrated_early": "repeated removals keep the excess up after the "
                                           "first months (pop's note: fades per succession)",
    "mid_level_dip": "the coordination effect is too small to show at scenario level",
    "replacement_after_losses": "role refill shows on the tiny world (test_population) but "
                                "not in this scenario-level row",
    "recovery_after_mass_arrests": "recovery within two years not distinguishable from noise",
    "sanctions_evasion_narrows": "the gap's ratio (0.50 [0.13, 0.86]) is not below 0.5 with "
                                 "10 replicates; it was (0.10) before the member step's draw "
                                 "order changed: borderline",
    "prevention_lowers_membership": "reach at the scenario's budget too small to show",
    "no_startup_transient_members": "membership trends (+4%/yr) even after the spin-up",
    "corruption_hysteresis": "corruption tipping (H00): less than half the gain of capacity "
                             "building is kept 2-4 years after withdrawal",
}


def _param(f: Finding):
    marks = [pytest.mark.slow] if f.slow else []
    if f.key in XFAIL:
        marks.append(pytest.mark.xfail(strict=False, reason=XFAIL[f.key]))
    return pytest.param(f, id=f.key, marks=marks)


@pytest.fixture(scope="module")
def runs(request):
    r = Replicates(DEFAULT_REPLICATES)
    slow = request.config.getoption("--runslow")
    r.prepare([f for f in FINDINGS if slow or not f.slow])
    return r


@pytest.mark.parametrize("finding", [_param(f) for f in FINDINGS])
def test_finding(finding, runs):
    res = evaluate(finding, runs)
    assert res.status != NOT_TESTABLE, res.reason
    assert res.holds, res.reason


# ---------------------------------------------------------------------------- the machinery
def test_every_finding_is_complete_and_unique():
    keys = [f.key for f in FINDINGS]
    assert len(keys) == len(set(keys))
    for f in FINDINGS:
        assert f.source and f.criterion and f.mechanism and f.statistic, f.key
        assert f.weeks >= 52, f.key
    assert set(XFAIL) <= set(keys)


def test_replicates_share_seeds_across_scenarios():
    r = Replicates(3)
    assert r.seeds == replicate_seeds(ROOT_SEED, 3)
    assert Replicates(5).seeds[:3] == r.seeds  # adding replicates keeps the earlier ones


def test_shorter_findings_read_the_first_weeks_of_longer_runs():
    r = Replicates(2)
    long = r.get(BASELINE, 20)
    short = r.get(BASELINE, 8)
    for a, b in zip(long, short, strict=True):
        assert len(b.metrics) == 8 and len(b.regions) == 8 * a.regions.region.nunique()
        pd.testing.assert_frame_equal(a.metrics.iloc[:8], b.metrics)


def test_missing_metric_is_not_testable_and_nothing_runs():
    class NoRuns(Replicates):
        def _run(self, scenario, weeks):  # pragma: no cover - must not be called
            raise AssertionError("ran a scenario for an untestable finding")

    f = Finding(key="x", claim="c", source="s", scenarios=(BASELINE,), weeks=52,
                statistic="st", criterion="cr", passes=above(0.0),
                compute=lambda runs, f: Interval(1.0, 0.5, 1.5, 0.1, 3),
                mechanism="m", needs=("no_such_metric",))
    res = evaluate(f, NoRuns(2))
    assert res.status == NOT_TESTABLE
    assert "metric missing: no_such_metric" in res.reason


@pytest.mark.parametrize("iv,ok", [(Interval(1.0, 0.2, 1.8, 1, 5), True),
                                   (Interval(1.0, -0.2, 2.2, 1, 5), False),
                                   (Interval(np.nan, np.nan, np.nan, np.nan, 0), False)])
def test_verdict_follows_the_criterion(iv, ok):
    f = Finding(key="x", claim="c", source="s", scenarios=(BASELINE,), weeks=52,
                statistic="st", criterion="CI above 0", passes=above(0.0),
                compute=lambda runs, f: iv, mechanism="the mechanism")
    res = evaluate(f, Replicates(2))
    assert res.status == (HOLDS if ok else FAILS)
    if not ok:
        assert "CI above 0" in res.reason and "the mechanism" in res.reason
    assert within(0, 2)(Interval(1, 0.5, 1.5, 0, 3)) and not within(0, 1)(Interval(1, 0.5, 1.5, 0, 3))


def test_first_excess_removal():
    def run(removals):
        n = len(removals)
        return Run(pd.DataFrame({"week": np.arange(n), "leader_removals": removals}),
                   pd.DataFrame())
    base = run([1, 0, 0, 1, 0, 1, 0, 0])
    assert first_excess_removal(run([1, 0, 0, 1, 1, 0, 0, 0]), base, 2) == 4
    assert first_excess_removal(run([0, 0, 0, 1, 0, 1, 0, 0]), base, 2) is None
    assert first_excess_removal(run([0, 0, 1, 0, 0, 0, 0, 0]), base, 2) == 2
