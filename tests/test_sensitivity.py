"""Sensitivity analysis and sweeps through the shared runner: a known answer (Ishigami), the
SALib guards, bad problem files, a small simulation screening with resume, and a sweep."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import DATA

from analysis.cluster import open_client
from analysis.sensitivity import analyze, load_problem, sample
from analysis.sensitivity.batch import plan, run_sensitivity
from analysis.sensitivity.methods import sample_settings
from analysis.sensitivity.problem import problem_from_dict
from analysis.sensitivity.sweep import parse_vary, run_sweep
from analysis.sensitivity.testmodels import ISHIGAMI_S1, ISHIGAMI_ST, TEST_MODELS
from sim import ScenarioError


@pytest.fixture(scope="module")
def client():
    with open_client(workers=2) as (c, _):
        yield c


def ishigami_problem(n):
    p = load_problem(DATA / "ishigami.yaml")
    return p.with_method("sobol", n)


def test_salib_wrapper_matches_published_ishigami_indices():
    """Direct evaluation at N = 8192: the published indices within 0.02."""
    p = ishigami_problem(8192)
    s = sample_settings("sobol", p.spec.options)
    X = sample(p.salib, s, seed=1)
    f = TEST_MODELS["ishigami"]
    Y = np.array([f.evaluate(dict(zip(p.names, x, strict=True)), 0, 1)["y"].iloc[0] for x in X])
    rows = pd.DataFrame(analyze(p.salib, s, X, Y, seed=1)).set_index(["index", "parameter"])
    for i, name in enumerate(("x1", "x2", "x3")):
        assert rows.loc[("S1", name), "value"] == pytest.approx(ISHIGAMI_S1[i], abs=0.02)
        assert rows.loc[("ST", name), "value"] == pytest.approx(ISHIGAMI_ST[i], abs=0.02)
    assert abs(rows.loc[("ST", "dummy"), "value"]) < 1e-9  # the dummy changes nothing


def test_ishigami_through_the_runner(client, tmp_path):
    """The problem file, runner and storage give exactly the direct outputs; at N=128 the
    indices are within 0.12 of the published values."""
    res = run_sensitivity(DATA / "ishigami.yaml", out=tmp_path / "ish", client=client)
    p = res.plan
    f = TEST_MODELS["ishigami"]
    direct = np.array([f.evaluate(dict(zip(p.problem.names, x, strict=True)), 0, 1)["y"].iloc[0]
                       for x in p.X])
    got = res.samples.sort_values("sample")["y_total"].to_numpy()
    np.testing.assert_array_equal(got, direct)
    idx = res.indices.set_index(["index", "parameter"])
    for i, name in enumerate(("x1", "x2", "x3")):
        assert idx.loc[("ST", name), "value"] == pytest.approx(ISHIGAMI_ST[i], abs=0.12)
        assert idx.loc[("S1", name), "value"] == pytest.approx(ISHIGAMI_S1[i], abs=0.12)
    assert bool(idx.loc[("ST", "x1"), "above_noise"]) and not bool(idx.loc[("ST", "dummy"), "above_noise"])
    for name in ("indices.csv", "samples.parquet", "noise.csv", "convergence.csv", "report.html",
                 "plots/indices_y_total.png", "plots/convergence_y_total.png"):
        assert (tmp_path / "ish" / name).is_file(), name
    conv = pd.read_csv(tmp_path / "ish" / "convergence.csv")
    assert sorted(conv.n.unique()) == [16, 32, 64, 128]


def test_guards_on_salib_traps():
    with pytest.raises(ScenarioError, match="power of two, got 100"):
        sample_settings("sobol", {"n": 100})
    with pytest.raises(ScenarioError, match="FAST needs N > 4 M"):
        sample_settings("fast", {"n": 50})
    s = sample_settings("sobol", {"n": 64, "calc_second_order": True})
    p = ishigami_problem(64)
    X = sample(p.salib, s, seed=0)
    assert X.shape == (64 * (2 * 4 + 2), 4)  # second order: N (2D + 2) rows, stored with it
    rows = analyze(p.salib, s, X, np.sin(X[:, 0]), seed=0)
    assert any(r["index"] == "S2" for r in rows)


@pytest.mark.parametrize("n", [0, 1, -5])
def test_a_bad_n_on_the_command_line_is_refused_before_anything_is_written(tmp_path, capsys, n):
    """`--n` is checked as the file's options.n is: 0 used to run the file's N, 1 ran, and a
    negative N ended in a KeyError traceback after writing the batch's folder."""
    from tocsim.cli import main

    out = tmp_path / "out"
    assert main(["sensitivity", str(DATA / "ishigami.yaml"), "--n", str(n), "--out",
                 str(out)]) == 2
    assert capsys.readouterr().err.strip() == f"--n: {n}: expected a whole number >= 2"
    assert not out.exists()


def test_bad_problem_files(tmp_path):
    def errs(raw):
        with pytest.raises(ScenarioError) as exc:
            problem_from_dict(raw, "p.yaml", DATA)
        return "\n".join(exc.value.lines)

    base = {"name": "x", "base": "tiny_base.yaml", "outputs": [{"metric": "homicides"}]}
    text = errs({**base, "parameters": [{"path": "params.recruitment.rate", "bounds": [0.01, 0.2]}]})
    assert "p.yaml: parameters[0] (params.recruitment.rate): value 0.2 from the bounds is not valid" in text
    text = errs({**base, "parameters": [{"path": "params.recruitment.rtae", "bounds": [0, 1]}]})
    assert "unknown parameter; valid: rate" in text
    text = errs({**base, "parameters": [{"path": "params.recruitment.rate", "bounds": [0.003, 0.001]}]})
    assert "p.yaml: parameters[0].bounds: uniform needs [low, high] with low < high" in text
    text = errs({**base, "outputs": [{"metric": "happiness"}],
                 "parameters": [{"path": "params.recruitment.rate", "bounds": [0.001, 0.003]}]})
    assert "p.yaml: outputs[0].metric: unknown metric 'happiness'" in text
    text = errs({**base, "base": "nowhere.yaml", "parameters": [{"path": "a", "bounds": [0, 1]}]})
    assert "p.yaml: base: scenario file not found" in text
    text = errs({**base, "methd": "sobol", "parameters": [{"path": "a", "bounds": [0, 1]}]})
    assert "p.yaml: methd: unknown key; valid: name, description, base" in text


def test_morris_on_the_simulation_with_resume(client, tmp_path):
    from test_compare import StopAfter

    out = tmp_path / "m"
    p = load_problem(DATA / "tiny_problem.yaml")
    n_runs = len(plan(p).tasks)
    assert n_runs == 3 * (3 + 1) * 2  # trajectories x (D + 1) x replicates
    with pytest.raises(KeyboardInterrupt):
        run_sensitivity(p, out=out, client=client, progress=StopAfter(5))
    res = run_sensitivity(p, out=out, client=client, resume=True)
    ref = run_sensitivity(p, out=tmp_path / "ref", client=client)
    pd.testing.assert_frame_equal(res.indices, ref.indices)
    idx = res.indices
    assert set(idx["index"]) == {"mu_star", "mu", "sigma"}
    assert set(idx.output) == {"arrests_mean_last10", "criminal_members_at19"}
    # more arrest pressure means more arrests: the arrest rate dominates the dummy
    a = idx[(idx.output == "arrests_mean_last10") & (idx["index"] == "mu_star")].set_index("parameter")
    assert a.loc["params.enforcement.arrest_rate", "value"] > a.loc["dummy", "value"]
    # the dummy reseeds the runs: on a stochastic model its index (the noise floor) is > 0
    assert a.loc["dummy", "value"] > 0
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == n_runs and {"sample", "replicate", "dummy"} <= set(samples)
    assert (out / "plots" / "morris_arrests_mean_last10.png").is_file()


def test_sweep_dose_response(client, tmp_path):
    assert parse_vary("params.x=0:1:3") == ("params.x", [0.0, 0.5, 1.0])
    assert parse_vary("a=1,2")[1] == [1.0, 2.0]
    with pytest.raises(ScenarioError, match="expected path=lo:hi:n"):
        parse_vary("a=1:2")
    out = tmp_path / "sw"
    res = run_sweep(DATA / "tiny_base.yaml", ["params.enforcement.arrest_rate=0.001:0.009:3"],
                    replicates=2, weeks=20, window=10, metrics=["arrests", "homicides"], out=out,
                    client=client)
    t = pd.read_csv(out / "sweep.csv")
    assert len(t) == 3 * 2 and set(t.metric) == {"arrests", "homicides"}
    arrests = t[t.metric == "arrests"].sort_values("params.enforcement.arrest_rate")["mean"]
    assert arrests.is_monotonic_increasing and arrests.iloc[-1] > 2 * arrests.iloc[0]
    assert (out / "plots" / "sweep_arrests.png").is_file()
    assert math.isfinite(res.table["ci_low"].iloc[0])
    # paired differences from the zero-dose point (here the lowest rate): exact from the runs
    runs = pd.read_parquet(out / "runs.parquet")
    assert "params.enforcement.arrest_rate" in runs  # the varied value is a column
    assert sorted(runs["params.enforcement.arrest_rate"].unique()) == pytest.approx(
        [0.001, 0.005, 0.009])
    tail = runs[runs.week >= 10].groupby(["point", "replicate"])["arrests"].mean().unstack()
    d = (tail.loc[2] - tail.loc[0]).to_numpy()
    top = t[(t.metric == "arrests") & (t.point == 2)].iloc[0]
    assert top["diff"] == pytest.approx(d.mean()) and top["diff_lo"] > 0
    assert t[(t.metric == "arrests") & (t.point == 0)]["diff"].iloc[0] == 0.0
    html = (out / "report.html").read_text()
    assert "zero-dose point" in html and "Only 2 replicates per point" in html
    with pytest.raises(ScenarioError, match="--vary params.enforcement.arrest_rate: value 9"):
        run_sweep(DATA / "tiny_base.yaml", ["params.enforcement.arrest_rate=0:9:2"], out=out / "x",
                  client=client)


def test_committed_baseline_problem_is_valid():
    p = load_problem("sensitivity/baseline_problem.yaml")
    assert len(p.spec.parameters) == 10 and p.names[-1] == "dummy"
    assert "interventions.designation.evasion_rate" in p.paths
    assert len(plan(p).tasks) == 16 * (11 + 1) * 2


def test_sensitivity_of_an_effect_against_a_reference(client, tmp_path):
    """Kingpin minus the baseline, at the same parameter values and seeds: the reference
    runs only the parameters it has (not the lever's budget)."""
    raw = {"name": "kp-effect", "description": "How robust is the kingpin effect on arrests?",
           "base": str(DATA / "tiny_kingpin.yaml"), "reference": str(DATA / "tiny_base.yaml"),
           "seed": 3, "replicates": 1, "method": "morris",
           "options": {"n": 2, "num_levels": 4},
           "parameters": [{"path": "params.enforcement.arrest_rate", "bounds": [0.001, 0.004]},
                          {"path": "interventions.kingpin.budget", "bounds": [0, 4e7]}],
           "outputs": [{"metric": "arrests", "period": "intervention"}]}
    p = problem_from_dict(raw, "kp.yaml")
    assert p.is_effect and p.reference_paths == ["params.enforcement.arrest_rate"]
    assert p.periods == {0: (8, 20)} and p.output_names() == ["effect_arrests_mean_intervention"]
    tasks = plan(p).tasks
    assert len(tasks) == 2 * 2 * (2 + 1 + 1) and {t.base for t in tasks} == {"base", "reference"}
    for a, b in zip(tasks[::2], tasks[1::2], strict=True):  # same sample, seed, shared values
        assert a.seed == b.seed and b.overrides == {
            k: v for k, v in a.overrides.items() if k.startswith("params.")}
    out = tmp_path / "eff"
    res = run_sensitivity(p, out=out, client=client)
    runs = pd.read_parquet(out / "runs.parquet")
    span = runs[(runs.week >= 8) & (runs.week < 20)]
    m = span.groupby(["sample", "arm"])["arrests"].mean().unstack()
    samples = res.samples.set_index("sample")["effect_arrests_mean_intervention"]
    assert samples.to_numpy() == pytest.approx((m["strategy"] - m["reference"]).to_numpy())
    idx = res.indices
    star = idx[idx["index"] == "mu_star"].set_index("parameter")["above_noise"]
    mu = idx[idx["index"] == "mu"].set_index("parameter")["above_noise"]
    assert star.to_dict() == mu.to_dict()  # mu rows take the mu_star verdict
    html = (out / "report.html").read_text()
    assert html.index("Ranking") < html.index("All indices")
    assert "paired difference between" in html


def test_above_noise_uses_the_absolute_index():
    from analysis.sensitivity.batch import _mark_noise_floor

    idx = pd.DataFrame({"output": "y", "index": ["S1"] * 3 + ["mu_star", "mu"] * 2,
                        "parameter": ["a", "b", "dummy", "a", "a", "dummy", "dummy"],
                        "value": [-0.5, 0.05, 0.02, 3.0, -0.1, 0.5, 0.4],
                        "conf": [0.1, 0.1, 0.01, 0.5, np.nan, 0.1, np.nan]})
    idx["ci_low"], idx["ci_high"] = idx.value - idx.conf, idx.value + idx.conf
    p = problem_from_dict({"name": "t", "base": "ishigami", "parameters": [
        {"path": "x1", "bounds": [0, 1]}], "outputs": [{"metric": "y"}]})
    out = _mark_noise_floor(idx, p).set_index(["index", "parameter"])["above_noise"]
    assert out[("S1", "a")] is True  # |-0.5| - 0.1 > 0.02 + 0.01: a large negative S1 counts
    assert out[("S1", "b")] is False
    assert out[("mu_star", "a")] is True and out[("mu", "a")] is True  # signed mu -0.1: no


def test_committed_kingpin_effect_problem_is_valid():
    p = load_problem("sensitivity/kingpin_effect_problem.yaml")
    assert p.is_effect and "interventions.kingpin.budget" not in p.reference_paths
    assert set(p.reference_paths) == {"params.recruitment.rate", "params.conflict.split_prob",
                                      "params.conflict.theta"}
    assert p.periods == {0: (104, 208), 1: (104, 260)}  # the lever runs to the end of the run
    assert p.output_names() == ["effect_homicides_mean_104_208",
                                "effect_homicides_total_intervention"]
    assert len(plan(p).tasks) == 12 * (4 + 1 + 1) * 2 * 2


def test_sweep_refuses_an_idle_base_and_checks_its_period(tmp_path):
    kp = DATA / "tiny_kingpin.yaml"
    with pytest.raises(ScenarioError) as exc:  # 6 weeks: the lever (week 8) never starts
        run_sweep(kp, ["params.enforcement.arrest_rate=0.001:0.002:2"], weeks=6,
                  out=tmp_path / "a")
    assert "starts in week 8, after the run's last week 5" in exc.value.lines[0]
    with pytest.raises(ScenarioError, match="--period: 10:40: need 0 <= START < END <= 30"):
        run_sweep(kp, ["params.enforcement.arrest_rate=0.001:0.002:2"], period="10:40",
                  out=tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
