"""Periods, lever schedules, idle levers, effects over time and multiple-testing columns:
exact answers on tiny synthetic cases."""

import numpy as np
import pandas as pd
import pytest
from conftest import DATA
from test_compare_stats import _store_with_runs

from analysis import compare_tables as T
from analysis.effects import effects
from analysis.idle import check_idle, idle_levers
from analysis.periods import (
    Lever,
    parse_period,
    schedule,
    standard_periods,
    years,
)
from analysis.stats import (
    benjamini_hochberg,
    holm,
    interval_rows,
    mean_interval,
    paired_difference,
    welch_difference,
    welch_rows,
)
from sim import ScenarioError, load_scenario

KINGPIN = DATA / "tiny_kingpin.yaml"
LEVER = Lever("s", "surge", "interdiction", 104, 365, 2e7, None, None)


def test_parse_period_forms():
    assert (parse_period(None, 520).start, parse_period(None, 520).end) == (468, 520)
    assert parse_period(52, 520) == parse_period("last:52", 520)
    assert parse_period("52", 520).spec == "last:52"
    p = parse_period("104:364", 520)
    assert (p.start, p.end, p.weeks) == (104, 364, 260)
    p = parse_period("intervention", 520, [LEVER, Lever("s", "later", "x", 200, 300, 1.0, None,
                                                        None)])
    assert (p.start, p.end) == (104, 365) and "surge" in p.name  # the first lever's span
    assert (parse_period("all", 30).start, parse_period("all", 30).end) == (0, 30)


@pytest.mark.parametrize("spec, msg", [
    ("last:0", "must be at least 1 week"), ("last:600", "longer than the run (520 weeks)"),
    ("300:200", "need 0 <= START < END <= 520"), ("0:521", "need 0 <= START < END <= 520"),
    ("soon", "expected last:N, START:END"), ("intervention", "no scenario of this batch"),
])
def test_parse_period_errors_name_the_option(spec, msg):
    with pytest.raises(ScenarioError) as exc:
        parse_period(spec, 520, [], option="--period")
    assert exc.value.lines[0].startswith("--period: ") and msg in exc.value.lines[0]


def test_standard_periods_and_years():
    ps = standard_periods(520, [LEVER])
    assert [(p.start, p.end) for p in ps] == [(104, 365), (365, 520), (468, 520)]
    # a lever that runs to the end has no "after" period
    open_ended = Lever("s", "k", "targeted_enforcement", 104, 520, 1e7, None, None)
    assert [(p.start, p.end) for p in standard_periods(520, [open_ended])] == [(104, 520),
                                                                              (468, 520)]
    assert [(p.start, p.end) for p in standard_periods(30, [])] == [(0, 30)]
    y = years(110)
    assert [(p.start, p.end) for p in y] == [(0, 52), (52, 104), (104, 110)]


def test_schedule_holds_only_what_differs_from_the_baseline():
    base, kp = load_scenario(DATA / "tiny_base.yaml"), load_scenario(KINGPIN)
    levers = schedule({"tiny-base": base, "tiny-kingpin": kp}, "tiny-base")
    assert levers == [Lever("tiny-kingpin", "kingpin", "targeted_enforcement", 8, 20, 2e7,
                            None, None)]
    # the same lever in both scenarios is not "the intervention"
    assert schedule({"a": kp, "b": kp}, "a") == []


def test_idle_levers_found_and_refused():
    kp = load_scenario(KINGPIN)
    assert idle_levers(kp) == []
    late = kp.with_overrides({"interventions.kingpin.start_week": 40,
                              "interventions.kingpin.end_week": 50})
    zero = kp.with_overrides({"interventions.kingpin.budget": 0.0})
    gangs = kp.with_overrides({"interventions.kingpin.targets": {"organizations": ["Alpha"],
                                                                  "kinds": ["gang"]}})
    assert "starts in week 40, after the run's last week 29" in idle_levers(late)[0]
    assert "budget is 0: it never acts" in idle_levers(zero)[0]
    assert "match no organization" in idle_levers(gangs)[0]
    assert all(line.startswith(f"{kp.source}: interventions.kingpin: ")
               for line in idle_levers(late) + idle_levers(zero) + idle_levers(gangs))
    with pytest.raises(ScenarioError) as exc:
        check_idle([kp, zero], allow=False)
    assert "budget is 0" in exc.value.lines[0] and "--allow-idle" in exc.value.lines[-1]
    assert check_idle([kp, zero], allow=True) == idle_levers(zero)


def test_interval_rows_match_the_scalar_functions():
    rng = np.random.default_rng(3)
    d = rng.normal(size=(4, 9))
    d[2, 3] = np.nan
    r = interval_rows(d)
    for i in range(4):
        m = mean_interval(d[i])
        assert (r["estimate"][i], r["lo"][i], r["hi"][i], r["n"][i]) == pytest.approx(
            (m.estimate, m.lo, m.hi, m.n))
    x, y = rng.normal(size=(3, 6)), rng.normal(1, 2, size=(3, 8))
    w = welch_rows(x, y)
    for i in range(3):
        m = welch_difference(x[i], y[i])
        assert (w["estimate"][i], w["lo"][i], w["hi"][i]) == pytest.approx((m.estimate, m.lo,
                                                                              m.hi))


def test_holm_and_benjamini_hochberg_known_answers():
    p = [0.01, 0.04, 0.03, np.nan, 0.2]
    # Holm: sorted 0.01, 0.03, 0.04, 0.2 times 4, 3, 2, 1, cumulative maximum
    assert np.allclose(holm(p), [0.04, 0.09, 0.09, np.nan, 0.2], equal_nan=True)
    # BH: p * m / rank, cumulative minimum from the largest
    assert np.allclose(benjamini_hochberg(p), [0.04, 0.16 / 3, 0.04, np.nan, 0.2][:1] +
                       [0.04 * 4 / 3, 0.04 * 4 / 3, np.nan, 0.2], equal_nan=True)


def test_effects_known_answer(tmp_path):
    """Scenario b adds 2 per week in weeks 2-4 to a's series: the weekly, period and yearly
    differences are exact; the total over the period is 3 weeks x 2 (whole numbers: homicides
    are counts and stored as integers)."""
    weeks = np.arange(6)

    def frame(r, bump):
        h = weeks * 1.0 + r + np.where((weeks >= 2) & (weeks < 5), bump, 0.0)
        return pd.DataFrame({"week": weeks, "homicides": h, "criminal_members": h * 10})

    runs = {("a", r): frame(r, 0.0) for r in range(4)}
    runs |= {("b", r): frame(r, 2.0 + (r - 1.5) * 2.0) for r in range(4)}
    store = _store_with_runs(tmp_path, runs)
    runs_by = {k: [(f"{k}-r{r}", r) for r in range(4)] for k in ("a", "b")}
    lever = Lever("b", "bump", "x", 2, 5, 1.0, None, None)
    eff = effects(store, runs_by, ["homicides", "criminal_members"], 6, "a", True,
                  standard_periods(6, [lever], end_weeks=2), memory_budget=1)
    w = eff.weekly[eff.weekly.metric == "homicides"].set_index("week")
    assert list(w["diff"]) == pytest.approx([0, 0, 2, 2, 2, 0])
    bump = 2.0 + (np.arange(4) - 1.5) * 2.0
    ci = paired_difference(bump, np.zeros(4))
    assert (w.at[3, "diff_lo"], w.at[3, "diff_hi"]) == pytest.approx((ci.lo, ci.hi))
    per = eff.periods[eff.periods.metric == "homicides"].set_index("period")
    assert list(per.index) == ["intervention (bump)", "after the intervention",
                               "end of the run (last 2 weeks)"]
    assert per.at["intervention (bump)", "diff"] == pytest.approx(2.0)
    assert per.at["intervention (bump)", "total_diff"] == pytest.approx(6.0)
    assert per.at["after the intervention", "diff"] == pytest.approx(0.0)
    assert per.at["end of the run (last 2 weeks)", "diff"] == pytest.approx(1.0)  # weeks 4-5
    # stocks (persons) get no total over the period
    stock = eff.periods[eff.periods.metric == "criminal_members"]
    assert stock["total_diff"].isna().all()
    y = eff.yearly[eff.yearly.metric == "homicides"]
    assert list(y["year"]) == [1] and y["diff"].iloc[0] == pytest.approx(1.0)  # 6/6 weeks
    assert set(eff.bands.scenario) == {"a", "b"}


def test_period_summaries_and_cumulative_totals(tmp_path):
    weeks = np.arange(10)
    runs = {("a", r): pd.DataFrame({"week": weeks, "homicides": weeks + r * 1.0,
                                    "criminal_members": np.full(10, 5.0)}) for r in range(3)}
    store = _store_with_runs(tmp_path, runs)
    p = parse_period("2:5", 10)
    pr = T.run_summaries(store, sorted(store.done_keys()), 10, p, cumulative=True)
    assert list(pr["homicides"]) == [3.0, 4.0, 5.0]  # mean of weeks 2, 3, 4
    assert list(pr["period_total_homicides"]) == [9.0, 12.0, 15.0]
    assert "period_total_criminal_members" not in pr  # a stock: no total
    t = T.comparison_table(pr.assign(scenario=["a", "b", "b"], replicate=[0, 0, 1]),
                           ["a", "b"], "a", ["homicides", "criminal_members"], paired=True)
    assert t.set_index(["scenario", "metric"]).at[("b", "homicides"), "total_diff"] == 3.0
    assert {"p_holm", "p_bh"} <= set(t)
