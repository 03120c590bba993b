"""Statistics and tables of a comparison: known answers, no cluster needed."""

import pickle

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from analysis import compare_tables as T
from analysis.runner import encode_run, execute, replicate_seeds
from analysis.stats import (
    mean_interval,
    paired_difference,
    ratio_of_differences,
    welch_difference,
)
from analysis.store import RunStore

T975_3 = 3.182446305284263  # Student t quantile, 97.5%, 3 degrees of freedom (tables)


def test_mean_interval_known_answer():
    iv = mean_interval([1.0, 2.0, 3.0, 4.0])
    sd = np.sqrt(5 / 3)
    assert iv.estimate == 2.5 and iv.n == 4 and iv.sd == pytest.approx(sd)
    assert iv.lo == pytest.approx(2.5 - T975_3 * sd / 2, rel=1e-12)
    assert iv.hi == pytest.approx(2.5 + T975_3 * sd / 2, rel=1e-12)
    assert iv.p_value == pytest.approx(st.ttest_1samp([1, 2, 3, 4], 0).pvalue, rel=1e-10)


def test_mean_interval_degenerate_cases():
    assert np.isnan(mean_interval([]).estimate)
    one = mean_interval([3.0])
    assert one.estimate == 3.0 and np.isnan(one.lo)
    flat = mean_interval([2.0, 2.0, 2.0])
    assert (flat.lo, flat.hi, flat.p_value) == (2.0, 2.0, 0.0)
    assert mean_interval([0.0, 0.0]).p_value == 1.0
    assert mean_interval([1.0, np.nan, 3.0]).n == 2  # NaN replicates are dropped


def test_paired_difference_removes_shared_noise():
    rng = np.random.default_rng(1)
    shared = rng.normal(100, 10, 20)  # what common random numbers share between scenarios
    y = shared
    x = shared + 1.5 + rng.normal(0, 0.1, 20)
    paired = paired_difference(x, y)
    ref = st.ttest_rel(x, y)
    assert paired.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    lo, hi = ref.confidence_interval()
    assert (paired.lo, paired.hi) == (pytest.approx(lo), pytest.approx(hi))
    welch = welch_difference(x, y)
    assert welch.estimate == pytest.approx(paired.estimate)
    assert welch.half_width > 20 * paired.half_width
    assert paired.lo > 1.4 and paired.hi < 1.6


def test_constant_shift_has_a_zero_width_interval():
    x = np.array([3.0, 5.0, 4.0])
    d = paired_difference(x - 2.0, x)
    assert (d.estimate, d.lo, d.hi, d.p_value) == (-2.0, -2.0, -2.0, 0.0)


def test_welch_matches_scipy():
    rng = np.random.default_rng(2)
    x, y = rng.normal(1, 1, 12), rng.normal(0, 3, 7)
    d = welch_difference(x, y)
    ref = st.ttest_ind(x, y, equal_var=False)
    lo, hi = ref.confidence_interval()
    assert d.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert (d.lo, d.hi) == (pytest.approx(lo), pytest.approx(hi))


def test_interval_coverage_is_95_percent():
    # 4000 seeded experiments of 5 normal draws: coverage within 3 standard errors of 0.95.
    rng = np.random.default_rng(3)
    n_exp = 4000
    hits = sum(iv.lo <= 0 <= iv.hi for iv in (mean_interval(rng.normal(0, 1, 5))
                                              for _ in range(n_exp)))
    se = np.sqrt(0.95 * 0.05 / n_exp)
    assert abs(hits / n_exp - 0.95) < 3 * se


def test_ratio_of_differences_known_answers():
    base = np.array([10.0, 12.0, 11.0, 13.0])
    # every replicate: 4 fewer homicides for 2 million USD more cost -> -2 per million
    r = ratio_of_differences(base - 4, base, base * 0 + 3e6, base * 0 + 1e6, paired=True,
                             scale=1e6)
    assert r == (pytest.approx(-2.0), pytest.approx(-2.0), pytest.approx(-2.0))
    none = ratio_of_differences(base - 4, base, base * 0, base * 0, paired=True, scale=1e6)
    assert all(np.isnan(v) for v in none)
    # a fixed budget: the interval is the outcome difference's interval over the cost
    noisy = base - np.array([3.0, 5.0, 4.0, 4.5])
    est, lo, hi = ratio_of_differences(noisy, base, np.full(4, 2e6), np.zeros(4), paired=True,
                                       scale=1e6)
    d = paired_difference(noisy, base)
    assert (est, lo, hi) == (pytest.approx(d.estimate / 2), pytest.approx(d.lo / 2),
                             pytest.approx(d.hi / 2))
    # a cost difference that straddles zero across replicates: no finite interval
    cost = np.array([3e6, -1e6, 2e6, -2e6])
    est, lo, hi = ratio_of_differences(base - 4, base, cost, cost * 0, paired=True, scale=1e6)
    assert est == pytest.approx(-4 / 0.5) and np.isnan(lo) and np.isnan(hi)


def test_ratio_interval_coverage():
    # outcome change ~ N(-3, 1) per M USD, cost ~ N(2, 0.2) M USD: the true ratio is -1.5.
    rng = np.random.default_rng(4)
    n_exp, n = 2000, 20
    hits = 0
    for _ in range(n_exp):
        c = rng.normal(2.0, 0.2, n)
        d = -1.5 * c + rng.normal(0, 1.0, n)
        _, lo, hi = ratio_of_differences(d, np.zeros(n), c * 1e6, np.zeros(n), paired=True,
                                         scale=1e6)
        hits += lo <= -1.5 <= hi
    se = np.sqrt(0.95 * 0.05 / n_exp)
    assert abs(hits / n_exp - 0.95) < 3 * se


def test_replicate_seeds_are_stable_and_independent_of_count():
    a = replicate_seeds(42, 5)
    assert a == replicate_seeds(42, 8)[:5]
    assert len(set(a)) == 5 and all(0 <= s < 2**63 for s in a)
    assert a[0] == int(np.random.SeedSequence(42).spawn(1)[0].generate_state(1, np.uint64)[0]
                       >> np.uint64(1))
    assert set(replicate_seeds(42, 5, group=0)).isdisjoint(a)
    assert replicate_seeds(42, 5, group=0) != replicate_seeds(42, 5, group=1)


def _store_with_runs(tmp_path, runs):
    """A RunStore holding synthetic runs: {(scenario, replicate): frame}."""
    store = RunStore(tmp_path)
    recs = [{"key": f"{s}-r{r}", "seed": r} for (s, r) in runs]
    store.open(kind="test", inputs={}, versions={}, runs=recs, resume=False)
    for (s, r), frame in runs.items():
        store.write_run(f"{s}-r{r}", encode_run(frame, {"scenario": s, "replicate": r}, r))
    return store


def test_run_summaries_window_means_and_totals(tmp_path, monkeypatch):
    monkeypatch.setattr("analysis.store.CHUNK_FILES", 2)  # several chunks of files
    weeks = np.arange(10)

    def frame(shift):
        return pd.DataFrame({"week": weeks, "homicides": weeks + shift,
                             "consumption": np.full(10, 2.0), "intervention_cost": 1e5 * shift,
                             "criminal_wealth": 100.0 * weeks})

    store = _store_with_runs(tmp_path, {("a", 0): frame(0), ("a", 1): frame(1),
                                        ("b", 0): frame(5)})
    pr = T.run_summaries(store, sorted(store.done_keys()), weeks=10, window=3)
    assert list(pr["scenario"]) == ["a", "a", "b"] and list(pr["replicate"]) == [0, 1, 0]
    assert list(pr["homicides"]) == [8.0, 9.0, 13.0]  # mean of weeks 7, 8, 9 (+ shift)
    assert list(pr["total_homicides"]) == [45.0, 55.0, 95.0]
    assert list(pr["total_consumption"]) == [20.0] * 3
    assert list(pr["total_intervention_cost"]) == [0.0, 1e6, 5e6]
    assert list(pr["weeks_run"]) == [10] * 3 and list(pr["seed"]) == [0, 1, 0]


def test_timeseries_bands_known_answer(tmp_path, monkeypatch):
    monkeypatch.setattr("analysis.store.CHUNK_FILES", 3)
    weeks = np.arange(6)
    runs = {("a", r): pd.DataFrame({"week": weeks, "homicides": weeks * 1.0 + r,
                                    "consumption": np.full(6, 10.0 * r)}) for r in range(5)}
    store = _store_with_runs(tmp_path, runs)
    runs_by = {"a": [(f"a-r{r}", r) for r in range(5)]}
    b = T.timeseries_bands(store, runs_by, ["homicides", "consumption"], 6, memory_budget=1)
    h = b[b.metric == "homicides"]
    assert list(h["week"]) == list(range(6)) and list(h["median"]) == list(weeks + 2.0)
    assert np.allclose(h["p5"], weeks + np.percentile(range(5), 5))
    assert np.allclose(h["p95"], weeks + np.percentile(range(5), 95))
    c = b[b.metric == "consumption"]
    assert (c["median"] == 20.0).all()


def test_comparison_and_cost_effectiveness_tables():
    per_run = pd.DataFrame({
        "scenario": ["base"] * 3 + ["alt"] * 3, "replicate": [0, 1, 2] * 2,
        "homicides": [10.0, 14.0, 12.0, 8.0, 11.0, 10.0],
        "criminal_wealth": [1e9, 1.2e9, 1.1e9, 0.9e9, 1.1e9, 1.0e9],
        "total_homicides": [500.0, 700.0, 600.0, 400.0, 560.0, 500.0],
        "total_consumption": [1e4] * 6,
        "total_intervention_cost": [0.0] * 3 + [2e6] * 3,
    })
    t = T.comparison_table(per_run, ["base", "alt"], "base", ["homicides"], paired=True)
    base, alt = t.iloc[0], t.iloc[1]
    assert np.isnan(base["diff"]) and base["mean"] == 12.0
    d = paired_difference([8.0, 11.0, 10.0], [10.0, 14.0, 12.0])
    assert alt["diff"] == pytest.approx(-7 / 3) and alt["diff_lo"] == pytest.approx(d.lo)
    assert alt["rel_change"] == pytest.approx(-7 / 3 / 12)
    assert alt["rel_lo"] == pytest.approx(d.lo / 12) and alt["p_value"] == pytest.approx(d.p_value)
    ce = T.cost_effectiveness_table(per_run, ["base", "alt"], "base", paired=True).set_index(
        "outcome")
    assert ce.at["homicides", "change"] == pytest.approx(-340 / 3)
    assert ce.at["homicides", "added_cost_musd"] == pytest.approx(2.0)
    assert ce.at["homicides", "per_musd"] == pytest.approx(-340 / 3 / 2)
    assert ce.at["homicides", "per_musd_lo"] <= ce.at["homicides", "per_musd_hi"]
    assert ce.at["consumption", "per_musd"] == 0.0
    assert ce.at["criminal_wealth", "per_musd"] == pytest.approx(-0.1e9 / 2)


class Linear:
    """A test model: y = a * x + seed, one row per week."""

    def evaluate(self, overrides, seed, weeks):
        return pd.DataFrame({"week": np.arange(weeks),
                             "y": 2.0 * overrides["x"] + seed + np.zeros(weeks)})


def test_execute_runs_a_scenario_or_a_test_model_to_parquet_bytes(tmp_path):
    import io

    from conftest import tiny_scenario

    data, info = execute(pickle.dumps(Linear()), {"x": 1.5}, 7, 3, {"sample": 4})
    df = pd.read_parquet(io.BytesIO(data))
    assert list(df.columns) == ["sample", "seed", "week", "y"] and info["worker"] == "local"
    assert info["wall_s"] >= info["model_s"] >= 0
    assert df["y"].tolist() == [10.0] * 3 and df["sample"].tolist() == [4] * 3
    scn = tiny_scenario(weeks=5, seed=1)
    a, _ = execute(pickle.dumps(scn), {}, 9, 4, {"scenario": "t", "replicate": 0})
    b, _ = execute(pickle.dumps(scn), {}, 9, 4, {"scenario": "t", "replicate": 0})
    c, _ = execute(pickle.dumps(scn), {"params.enforcement.arrest_rate": 0.01}, 9, 4,
                   {"scenario": "t", "replicate": 0})
    assert a == b and a != c  # deterministic bytes; overrides by dotted path take effect
    df = pd.read_parquet(io.BytesIO(a))
    assert len(df) == 4 and (df["seed"] == 9).all() and df["week"].tolist() == [0, 1, 2, 3]
