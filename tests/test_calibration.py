"""``tocsim calibrate``: targets validation, the likelihood and importance weights on known
answers, the machinery end to end (resume, determinism across worker counts), the Mexico
preset's files, and (slow) the known-answer recovery of example_small.yaml."""

import math

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DATA, ROOT

from calibration import likelihood as L
from calibration.targets import Series, TargetSpec, load_targets
from tocsim.cli import main

EXAMPLE = ROOT / "calibration" / "targets" / "example_small.yaml"
MEXICO = ROOT / "calibration" / "targets" / "mexico.yaml"
PRICE_CHAIN = ROOT / "calibration" / "targets" / "price_chain.yaml"


def write_targets(tmp_path, **changes):
    """A small valid targets file (tiny world, two years, one parameter), with changes."""
    doc = {
        "name": "t", "base": str(DATA / "tiny_base.yaml"), "weeks": 104, "start_year": 2000,
        "seed": 5,
        "search": {"trials": 4, "replicates": 2, "batch": 2, "startup_trials": 2,
                   "rescore_top": 1, "rescore_replicates": 2},
        "posterior": {"draws": 4, "rounds": 1, "samples": 50},
        "parameters": [{"path": "params.recruitment.rate", "low": 0.002, "high": 0.006,
                        "prior": "log"}],
        "targets": [{"name": "members", "metric": "criminal_members", "aggregate": "year_end",
                     "unit": "persons", "source": "test", "data": {2000: 2400, 2001: 2650}}],
    }
    for k, v in changes.items():
        doc[k] = v
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("change, expected", [
    ({"targets": [{"name": "x", "metric": "bogus", "aggregate": "yearly_sum", "unit": "u",
                   "source": "s", "data": {2000: 1.0}}]},
     "targets[0].metric: unknown metric 'bogus'"),
    ({"targets": [{"name": "x", "metric": "arrests", "aggregate": "yearly_sum", "unit": "u",
                   "source": "s", "data": {2000: 1.0, 2002: 2.0}}]},
     "targets[0].data: a gap between 2000 and 2002"),
    ({"parameters": [{"path": "params.recruitment.rate", "low": 0.001, "high": 0.2}]},
     "parameters[0]: bounds [0.001, 0.2] leave the documented range [0, 0.05]"),
    ({"parameters": [{"path": "params.recruitment.bogus", "low": 0.001, "high": 0.002}]},
     "parameters[0].path: unknown parameter 'params.recruitment.bogus'"),
    ({"targets": [{"name": "x", "metric": "arrests", "aggregate": "sum", "unit": "u",
                   "source": "s", "data": {2000: 1.0}}]},
     "targets[0].aggregate: Input should be"),
    ({"targets": [{"name": "x", "metric": "arrests", "aggregate": "yearly_sum", "unit": "u",
                   "source": "s", "data": {1990: 1.0}}]},
     "targets[0].data: years 1990-1990 fall outside the simulated 2000-2001"),
    ({"surprise": 1}, "surprise: unknown key"),
    ({"targets": [{"name": "x", "metric": "arrests", "aggregate": "yearly_sum", "unit": "u",
                   "source": "s", "data": {2000: [5.0, 2.0]}}]},
     "targets[0].data.2000: a range needs 0 < low < high, got [5, 2]"),
    ({"targets": [{"name": "x", "metric": "arrests", "aggregate": "yearly_sum", "unit": "u",
                   "source": "s", "data": {2000: [1.0, 2.0], 2001: 3.0}}]},
     "targets[0].data: mixes single figures and [low, high] ranges"),
    ({"targets": [{"name": "x", "metric": "arrests", "aggregate": "yearly_sum", "unit": "u",
                   "source": "s", "data": {2000: [1.0, 2.0]},
                   "observation": {"share_sd_log": 0.2}}]},
     "targets[0].observation.share_sd_log: must be 0 for range data"),
    ({"targets": [{"name": "x", "metric": "region:Atlantis:retail_price",
                   "aggregate": "yearly_mean", "unit": "u", "source": "s",
                   "data": {2000: 1.0}}]},
     "targets[0].metric: unknown region 'Atlantis' in the base world"),
    ({"targets": [{"name": "x", "metric": "region:Market:price", "aggregate": "yearly_mean",
                   "unit": "u", "source": "s", "data": {2000: 1.0}}]},
     "targets[0].metric: unknown region field 'price'"),
])
def test_bad_targets_give_one_line_and_exit_2(tmp_path, capsys, change, expected):
    path = write_targets(tmp_path, **change)
    rc = main(["calibrate", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{path}: {expected}" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_targets_file_goes_through_the_scenarios_reader(tmp_path, capsys):
    """Encoding, NUL bytes, aliases: the same one-line errors as a scenario file (the
    targets reader was its own, and a binary file's error read "not valid YAML: 'utf-8'
    codec ...")."""
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
    for text, expected in ((b"targets: \xbf\n", "line 1: not UTF-8 text (byte 0xbf at offset 9)"),
                           (b"targets: [\x00]\n", "line 1: contains a NUL byte"),
                           (bomb.encode(), "line 6: more than 500,000 values once aliases")):
        path = tmp_path / "t.yaml"
        path.write_bytes(text)
        assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{path}: {expected}"), err
        assert not (tmp_path / "out").exists()


def test_base_scenario_that_does_not_validate(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nweeks: 104\nparams: {recruitment: {rate: 7}}\n")
    path = write_targets(tmp_path, base=str(bad))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: base: {bad}: params.recruitment.rate: 7 is out of range" in err


def test_shipped_targets_files_validate():
    ex = load_targets(EXAMPLE)
    assert [p.path for p in ex.spec.parameters] == ["params.recruitment.rate",
                                                    "params.enforcement.arrest_rate"]
    mx = load_targets(MEXICO)
    names = {s.name: s for s in mx.series}
    killed = names["members_killed"]
    assert list(killed.years) == list(range(2012, 2022))
    trends = pd.read_csv(ROOT / "calibration/data/mexico_cartels_2020/Trends2012_2021.csv",
                         encoding="utf-8-sig")
    assert killed.values[0] == trends.homicide[0] + trends.missings[0]
    assert killed.spec.observation.share == 0.10
    assert mx.scale == 0.1 and mx.extensive["arrests"] and not mx.extensive["cjng_share"]
    assert mx.spec.holdout.from_year == 2019
    # PC23's figures, as the issue lists them
    assert names["members_2012"].values[0] == 115_000
    assert 160_000 <= names["members_2022"].values[0] <= 185_000
    assert names["recruits_2021"].values[0] == 19_300
    assert names["killed_2021_pc23"].values[0] == 6_500
    assert names["incapacitated_2021_pc23"].values[0] == 5_700
    assert (names["cjng_share"].values[0], names["sinaloa_share"].values[0]) == (0.17, 0.09)


def test_price_chain_targets_are_the_reference_ranges():
    pc = load_targets(PRICE_CHAIN)
    by = {s.name: s for s in pc.series}
    ranges = {n: (float(s.lows[0]), float(s.highs[0])) for n, s in by.items()}
    assert ranges == {"source_price": (500, 800), "export_price": (1500, 3000),
                      "import_price": (10_000, 28_000), "wholesale_price": (20_000, 40_000),
                      "us_retail_price": (80_000, 100_000)}
    assert by["us_retail_price"].values[0] == pytest.approx(math.sqrt(80_000 * 100_000))
    assert pc.region_metrics() == ["region:United States:retail_price"]
    assert not any(pc.extensive.values())  # prices are not scaled with the world
    assert pc.spec.base.endswith("scenarios/baseline.yaml")


# ---------------------------------------------------------------------------- likelihood
def _series(values, share=1.0, share_sd=0.0, err=0.1, years=None):
    spec = TargetSpec(name="x", metric="arrests", aggregate="yearly_sum", unit="u", source="s",
                      data={2000: 1.0}, observation={"share": share, "share_sd_log": share_sd,
                                                      "error_sd_log": err})
    years = np.arange(2000, 2000 + len(values)) if years is None else years
    return Series(spec, years, np.asarray(values, float))


def test_loglik_is_the_lognormal_density_by_hand():
    s = _series([100.0, 200.0], share=0.5, share_sd=0.2, err=0.1)
    y = np.array([[40.0, 110.0]])  # one replicate: no model variance
    mu = np.log(y[0] / 0.5)
    d = np.log(s.values) - mu
    cov = np.array([[0.01 + 0.04, 0.04], [0.04, 0.01 + 0.04]])
    expected = -0.5 * (d @ np.linalg.solve(cov, d) + np.log(np.linalg.det(cov))
                       + 2 * np.log(2 * np.pi))
    assert L.loglik(y, s) == pytest.approx(expected, rel=1e-12)
    # the model's replicate variance, pooled over years, widens the density
    y2 = np.array([[40.0, 110.0], [44.0, 121.0]])
    v = np.var(np.log(y2), axis=0, ddof=1).mean() * 1.5
    mu2 = np.log(y2 / 0.5).mean(axis=0)
    d2 = np.log(s.values) - mu2
    cov2 = cov + np.eye(2) * v
    exp2 = -0.5 * (d2 @ np.linalg.solve(cov2, d2) + np.log(np.linalg.det(cov2))
                   + 2 * np.log(2 * np.pi))
    assert L.loglik(y2, s) == pytest.approx(exp2, rel=1e-12)
    # a mask keeps the years asked for
    one = -0.5 * (d[1] ** 2 / 0.05 + math.log(0.05) + math.log(2 * math.pi))
    assert L.loglik(y, s, np.array([False, True])) == pytest.approx(one, rel=1e-12)


def _range_series(lows, highs, err=0.1):
    spec = TargetSpec(name="r", metric="retail_price", aggregate="yearly_mean", unit="u",
                      source="s", data={2000: (1.0, 2.0)},
                      observation={"share": 1.0, "share_sd_log": 0.0, "error_sd_log": err})
    lows, highs = np.asarray(lows, float), np.asarray(highs, float)
    return Series(spec, np.arange(2000, 2000 + len(lows)), np.sqrt(lows * highs), lows, highs)


def test_range_loglik_is_the_interval_probability_by_hand():
    from scipy.stats import norm

    s = _range_series([80.0, 500.0], [100.0, 800.0], err=0.1)
    y = np.array([[90.0, 1000.0]])  # one replicate: sd = err
    p0 = norm.cdf(np.log(100 / 90) / 0.1) - norm.cdf(np.log(80 / 90) / 0.1)
    p1 = norm.cdf(np.log(800 / 1000) / 0.1) - norm.cdf(np.log(500 / 1000) / 0.1)
    assert L.loglik(y, s) == pytest.approx(math.log(p0) + math.log(p1), rel=1e-12)
    assert L.loglik(y, s, np.array([True, False])) == pytest.approx(math.log(p0), rel=1e-12)
    # replicates: their pooled variance widens the edges, as for point data
    y2 = np.array([[90.0, 1000.0], [99.0, 1100.0]])
    v = np.var(np.log(y2), axis=0, ddof=1).mean() * 1.5
    sd = math.sqrt(0.01 + v)
    mu = np.log(y2).mean(axis=0)
    p0 = norm.cdf((np.log(100) - mu[0]) / sd) - norm.cdf((np.log(80) - mu[0]) / sd)
    p1 = norm.cdf((np.log(800) - mu[1]) / sd) - norm.cdf((np.log(500) - mu[1]) / sd)
    assert L.loglik(y2, s) == pytest.approx(math.log(p0) + math.log(p1), rel=1e-12)


def test_range_loglik_is_flat_inside_and_stable_far_outside():
    s = _range_series([100.0], [1000.0], err=0.01)
    inside = [L.loglik(np.array([[x]]), s) for x in (150.0, 316.0, 700.0)]
    assert max(inside) - min(inside) < 1e-9 and max(inside) <= 0.0
    # far above and far below: finite, falling like the normal tail, symmetric in log scale
    above, below = L.loglik(np.array([[1e4]]), s), L.loglik(np.array([[10.0]]), s)
    assert np.isfinite(above) and np.isfinite(below)
    assert above == pytest.approx(below, rel=1e-9)
    z = math.log(10) / 0.01  # 230 sd from the nearest end
    assert above == pytest.approx(-0.5 * z * z, rel=0.01)


def test_region_metrics_are_observed_per_week():
    from calibration.observe import ObservedScenario
    from sim.scenario import load_scenario

    scn = load_scenario(DATA / "tiny_base.yaml")
    name = scn.world.region_names[-1]
    metric = f"region:{name}:retail_price"
    obs = ObservedScenario(scn, (), (metric,))
    frame = obs.evaluate({}, seed=3, weeks=6)
    import dataclasses

    from sim.model import TocModel

    ref = TocModel(dataclasses.replace(scn, seed=3, weeks=6,
                                       raw={**scn.raw, "seed": 3, "weeks": 6}), checks=False)
    regions = ref.run().regions_frame()
    expected = regions[regions.region == name].retail_price.to_numpy()
    assert len(frame) == 6
    np.testing.assert_array_equal(frame[metric].to_numpy(), expected)


def test_yearly_aggregates_and_scale():
    t = load_targets(EXAMPLE)
    weeks = np.arange(260, dtype=float)
    frame = pd.DataFrame({"week": np.arange(260), "recruits": weeks, "arrests": weeks,
                          "criminal_members": weeks})
    by = {s.name: s for s in t.series}
    assert list(L.yearly(frame, t, by["recruits"])) == [sum(range(52 * k, 52 * k + 52))
                                                         for k in range(5)]
    assert list(L.yearly(frame, t, by["members"])) == [51, 103, 155, 207, 259]
    t.scale = 0.5  # persons are counted at the world's scale: divided back
    assert list(L.yearly(frame, t, by["members"])) == [102, 206, 310, 414, 518]


def test_predictive_bands_cover_at_their_level():
    rng = np.random.default_rng(1)
    s = _series(np.full(400, 100.0), share=1.0, share_sd=0.0, err=0.2)
    y = np.full((1, 400), 100.0)
    draws = L.predictive_draws(y, s, rng, per_replicate=400)
    b = L.bands(draws, np.ones(len(draws)))
    truth = np.exp(np.log(100.0) + rng.normal(0, 0.2, 400))  # new data from the same model
    s2 = _series(truth, err=0.2)
    g = L.gof_rows(s2, b, 0.0, np.ones(400, bool), "fit")
    # 400 years: the coverage's standard error is about 2.5% (50%) and 1.5% (90%)
    assert abs(g["coverage_50"] - 0.5) < 4 * 0.025
    assert abs(g["coverage_90"] - 0.9) < 4 * 0.015


# ---------------------------------------------------------------------------- posterior
def test_truncated_normal_density_and_mixture_weights():
    from calibration.search import TruncatedNormal, _mixture_weights

    rng = np.random.default_rng(3)
    q = TruncatedNormal([0.9, 0.5], np.diag([0.04, 0.01]), rng)
    # the density integrates to 1 over the cube (Monte Carlo over uniform points)
    u = rng.random((200_000, 2))
    assert np.exp(q.logpdf(u)).mean() == pytest.approx(1.0, abs=0.02)
    x = q.draw(500, rng)
    assert x.shape == (500, 2) and ((x >= 0) & (x <= 1)).all()
    # weights target likelihood x prior: with a flat likelihood the weighted mean of the draws
    # is the prior's (0.5, 0.5), whatever the proposal
    q = TruncatedNormal([0.6, 0.5], np.diag([0.16, 0.09]), rng)  # covers the cube
    x = q.draw(20_000, rng)
    w, _ = _mixture_weights(x, np.zeros(len(x)), [q], [len(x)])
    m = w @ x
    assert m == pytest.approx([0.5, 0.5], abs=0.03)


# ---------------------------------------------------------------------------- end to end
def test_calibrate_end_to_end_resume_and_worker_count(tmp_path):
    """Four trials on one parameter: outputs, the same results on 1 and 2 workers, and a
    resume that finishes a batch a killed session left half-told and adds trials without
    repeating any."""
    import optuna

    from calibration.search import calibrate

    path = write_targets(tmp_path, holdout={"from_year": 2001})
    a = calibrate(path, out=tmp_path / "a", workers=1, plots=False)
    calibrate(path, out=tmp_path / "b", workers=2, plots=True)
    for f in ("trials.csv", "parameters.csv", "gof.csv", "rescored.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    for f in ("calibrated.yaml", "posterior.parquet", "draws.parquet", "report.html",
              "plots/targets.png", "plots/corner.png", "optuna.sqlite3"):
        assert (tmp_path / "b" / f).is_file(), f
    assert len(a.trials) == 4 and set(a.gof.part) == {"fit", "holdout"}
    r = a.parameters.iloc[0]
    assert 0.002 <= r.q05 <= r["median"] <= r.q95 <= 0.006
    scn = yaml.safe_load((tmp_path / "b" / "calibrated.yaml").read_text())
    assert scn["params"]["recruitment"]["rate"] == pytest.approx(r["median"], rel=1e-5)
    from sim.scenario import load_scenario

    assert load_scenario(tmp_path / "b" / "calibrated.yaml").params["recruitment"]["rate"] \
        == pytest.approx(r["median"], rel=1e-5)
    # without --resume a second calibration into the same folder is refused
    with pytest.raises(Exception, match="holds an earlier calibration"):
        calibrate(path, out=tmp_path / "a", workers=1, plots=False)
    # a killed session: a trial asked (RUNNING) but never told
    study = optuna.load_study(study_name="search",
                              storage=f"sqlite:///{tmp_path / 'a' / 'optuna.sqlite3'}")
    tr = study.ask()
    tr.suggest_float("rate", 0.002, 0.006, log=True)
    tr.set_user_attr("batch", 2)
    before = {t.number: t.value for t in study.get_trials() if t.value is not None}
    c = calibrate(path, out=tmp_path / "a", workers=1, plots=False, resume=True, trials=6)
    study = optuna.load_study(study_name="search",
                              storage=f"sqlite:///{tmp_path / 'a' / 'optuna.sqlite3'}")
    states = [t.state for t in study.get_trials()]
    assert all(s == optuna.trial.TrialState.COMPLETE for s in states)
    assert len(states) == 6 and len(c.trials) == 6
    after = {t.number: t.value for t in study.get_trials()}
    assert all(after[k] == v for k, v in before.items())  # told trials are kept as they were
    folders = sorted(p.name for p in (tmp_path / "a" / "runs").glob("search-b*"))
    # batches 0-1 (two trials each), 2 (the killed session's trial), 3 (the sixth trial)
    assert folders == ["search-b0000", "search-b0001", "search-b0002", "search-b0003"]
    import json

    man = json.loads((tmp_path / "a" / "runs" / "search-b0000" / "manifest.json").read_text())
    assert [x["status"] for x in man["sessions"]] == ["complete"]  # never rerun


# ---------------------------------------------------------------------------- Mexico preset
def test_mexico_world_is_the_2020_network():
    from calibration.make_mexico_world import STATES, build
    from calibration.reference import load_network
    from sim.scenario import load_scenario

    w = build()
    net = load_network()
    assert len(w["organizations"]) == 150
    assert {o["home"] for o in w["organizations"]} <= set(STATES)
    assert len(w["regions"]) == 35
    assert len(w["rivalries"]) == int((np.triu(net.rivalry) > 0).sum())
    assert len(w["alliances"]) == int((np.triu(net.alliance) > 0).sum())
    total = sum(o["members"] for o in w["organizations"])
    assert abs(total - 115_000) < 150  # PC23's 2012 members, rounded per group
    # the shipped world file is what the script writes
    shipped = yaml.safe_load((ROOT / "scenarios" / "worlds" / "mexico.yaml").read_text())
    assert shipped == yaml.safe_load(yaml.safe_dump(w, allow_unicode=True))
    scn = load_scenario(ROOT / "scenarios" / "mexico.yaml")
    assert scn.world.n_regions == 35 and len(scn.world.org_names) == 150
    cjng = scn.world.org_names.index("Cártel Jalisco Nueva Generación (CJNG)")
    assert scn.world.org_members.argmax() == cjng


def test_mexico_world_regions_have_coordinates_the_model_never_reads(tmp_path):
    """Every region of the Mexico world sits at sensible coordinates (states inside Mexico's
    bounding box, the capitals the corridor distances use); a run without them is identical."""
    from calibration.make_mexico_world import STATES, build
    from sim.model import TocModel
    from sim.scenario import load_scenario

    w = build()
    for r in w["regions"]:
        assert isinstance(r["lat"], float) and isinstance(r["lon"], float), r["name"]
        if r["name"] in STATES:
            assert (r["lat"], r["lon"]) == STATES[r["name"]][1:]
            assert 14.5 < r["lat"] < 32.8 and -118.5 < r["lon"] < -86.5, r["name"]
    us = next(r for r in w["regions"] if r["name"] == "United States")
    assert us["lat"] > 32.8  # north of every state
    frames = []
    for with_coords in (True, False):
        world = yaml.safe_load(yaml.safe_dump(w, allow_unicode=True))
        if not with_coords:
            for r in world["regions"]:
                del r["lat"], r["lon"]
        d = tmp_path / str(with_coords)
        d.mkdir()
        (d / "world.yaml").write_text(yaml.safe_dump(world, allow_unicode=True))
        (d / "s.yaml").write_text("name: m\nseed: 5\nweeks: 6\nworld: world.yaml\nscale: 0.02\n"
                                  "params: {run: {spinup_weeks: 2}}\n")
        frames.append(TocModel(load_scenario(d / "s.yaml"), checks=False).run().metrics_frame())
    assert frames[0]["criminal_members"].iloc[-1] > 0
    assert frames[0].equals(frames[1])


@pytest.mark.parametrize("scenario, targets, fit", [
    ("mexico_calibrated.yaml", MEXICO, "mexico"),
    ("price_chain.yaml", PRICE_CHAIN, "price_chain"),
])
def test_shipped_fits_are_their_posterior_medians(scenario, targets, fit):
    """A shipped calibrated scenario extends its targets' base with the posterior medians the
    committed fit (calibration/fits/) reports, each inside its bounds, with a provenance card."""
    from sim.params import lookup
    from sim.scenario import load_scenario

    t = load_targets(targets)
    path = ROOT / "scenarios" / scenario
    doc = yaml.safe_load(path.read_text())
    assert (path.parent / doc["extends"]).resolve() == t.base_path.resolve()
    text = path.read_text()
    assert "Provenance card" in text and "code_version" in text and "/work/" not in text
    folder = ROOT / "calibration" / "fits" / fit
    params = pd.read_csv(folder / "parameters.csv").set_index("path")
    prov = yaml.safe_load((folder / "provenance.json").read_text())
    assert prov["data_sha256"] == t.data_hash  # fitted to the data the targets file names
    scn = load_scenario(path)
    for p in t.spec.parameters:
        group, name = p.path.split(".")[1:]
        value = doc["params"][group][name]
        assert value == pytest.approx(params.loc[p.path, "median"], rel=1e-5)
        assert p.low <= value <= p.high
        decl = lookup(f"{group}.{name}")
        assert decl.lo <= value <= decl.hi
        assert scn.params[group][name] == value
    assert (folder / "posterior.parquet").is_file() and (folder / "gof.csv").is_file()


# ---------------------------------------------------------------------------- known answer
@pytest.mark.slow
def test_example_small_recovers_the_known_answer(tmp_path):
    """The shipped example (data made by the model at known values) is recovered: each true
    value lies in its posterior 90% interval. A few minutes on 2 cores."""
    from calibration.make_example_data import TRUTH, observed
    from calibration.search import calibrate

    t = load_targets(EXAMPLE)
    assert t.spec.known_answer == TRUTH  # the file states the answer the script used
    data = observed()
    for s in t.series:  # the shipped data are the model at the known answer
        assert list(s.values) == [data[s.name][int(y)] for y in s.years]
    res = calibrate(EXAMPLE, out=tmp_path / "cal", workers=2, plots=False)
    p = res.parameters.set_index("path")
    for path, value in TRUTH.items():
        assert p.loc[path, "q05"] <= value <= p.loc[path, "q95"], (path, p.loc[path].to_dict())
    assert res.provenance["effective_sample_size"] >= 3
