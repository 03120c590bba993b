"""``tocsim calibrate --method abc`` (ABC-SMC with pyabc, calibration/abc.py): the abc: block
is validated, every output is written, the populations do not depend on the number of
workers, an interrupted run resumes without repeating a finished generation or run and ends
where an uninterrupted one does; (slow) the known answer of example_small.yaml is
recovered."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import DATA, ROOT

from tocsim.cli import main

EXAMPLE = ROOT / "calibration" / "targets" / "example_small.yaml"


def write_targets(tmp_path, **changes):
    """A small targets file: the tiny world, two years, one parameter, a tight observation
    error (so the prior sample is not yet the posterior: more than one generation)."""
    doc = {
        "name": "t", "base": str(DATA / "tiny_base.yaml"), "weeks": 104, "start_year": 2000,
        "seed": 5,
        "search": {"replicates": 2, "rescore_top": 1, "rescore_replicates": 2},
        "abc": {"population": 6, "generations": 3, "batch": 4},
        "holdout": {"from_year": 2001},
        "parameters": [{"path": "params.recruitment.rate", "low": 0.001, "high": 0.01,
                        "prior": "log"}],
        "targets": [{"name": "members", "metric": "criminal_members", "aggregate": "year_end",
                     "unit": "persons", "source": "test", "data": {2000: 2400, 2001: 2650},
                     "observation": {"error_sd_log": 0.02}}],
    }
    doc.update(changes)
    path = tmp_path / "targets.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    return path


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("abc, expected", [
    ({"population": 2}, "abc.population: Input should be greater than or equal to 4"),
    ({"generations": 0}, "abc.generations: Input should be greater than or equal to 1"),
    ({"ess": 1.5}, "abc.ess: Input should be less than 1"),
    ({"epsilon": 0.1}, "abc.epsilon: unknown key; valid: population, replicates, generations"),
    ({"population": 10, "max_proposals": 5}, "abc.max_proposals: 5 is below abc.population"),
])
def test_bad_abc_fields_give_one_line_and_exit_2(tmp_path, capsys, abc, expected):
    path = write_targets(tmp_path, abc=abc)
    rc = main(["calibrate", str(path), "--method", "abc", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{path}: {expected}" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_trials_is_refused_with_abc(tmp_path, capsys):
    path = write_targets(tmp_path)
    rc = main(["calibrate", str(path), "--method", "abc", "--trials", "5", "--out",
               str(tmp_path / "out")])
    assert rc == 2
    assert "--trials: not used by --method abc" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- end to end
def _same_outputs(a, b):
    for f in ("trials.csv", "parameters.csv", "gof.csv", "rescored.csv", "draws.parquet",
              "posterior.parquet"):
        assert (a / f).read_bytes() == (b / f).read_bytes(), f


def test_abc_end_to_end_workers_and_resume(tmp_path, monkeypatch):
    """Outputs, the same populations on 1 and 2 workers, and a run interrupted in the middle
    of its second generation that resumes without rerunning what was stored and ends with
    the uninterrupted run's outputs."""
    import pyabc

    from calibration import search
    from calibration.search import calibrate

    path = write_targets(tmp_path)
    a = calibrate(path, method="abc", out=tmp_path / "a", workers=1, plots=True)
    # every output of the optuna path, plus pyabc's history
    for f in ("calibrated.yaml", "provenance.json", "parameters.csv", "posterior.parquet",
              "draws.parquet", "trials.csv", "rescored.csv", "gof.csv", "report.html",
              "plots/targets.png", "plots/corner.png", "plots/trace.png", "abc.db"):
        assert (tmp_path / "a" / f).is_file(), f
    gens = a.provenance["abc"]["generations"]
    assert len(gens) >= 2, gens  # the prior sample was not the posterior
    assert gens[-1]["temperature"] == 1.0
    temps = [g["temperature"] for g in gens]
    assert temps == sorted(temps, reverse=True)
    assert all(g["accepted"] == 6 for g in gens)
    assert len(a.draws) == 6 and a.draws["weight"].sum() == pytest.approx(1.0)
    assert len(a.posterior) == a.targets.spec.posterior.samples
    r = a.parameters.iloc[0]
    assert 0.001 <= r.q05 <= r["median"] <= r.q95 <= 0.01
    assert set(a.gof.part) == {"fit", "holdout"}
    text = (tmp_path / "a" / "calibrated.yaml").read_text()
    assert '#   method: "abc: ABC-SMC' in text and "posterior by ABC-SMC" in text
    assert yaml.safe_load(text)["params"]["recruitment"]["rate"] == pytest.approx(
        r["median"], rel=1e-5)
    assert "ABC-SMC (pyabc)" in (tmp_path / "a" / "report.html").read_text()
    # pyabc's history holds the generations, the final one the population written out
    h = pyabc.History(f"sqlite:///{tmp_path / 'a' / 'abc.db'}")
    assert h.max_t == len(gens) - 1
    df, w = h.get_distribution(m=0, t=h.max_t)
    assert np.sort(w) == pytest.approx(np.sort(a.draws["weight"].to_numpy()))
    # the number of workers changes nothing
    calibrate(path, method="abc", out=tmp_path / "b", workers=2, plots=False)
    _same_outputs(tmp_path / "a", tmp_path / "b")

    # interrupted: Ctrl-C in the second round of generation 1 (after the prior sample and
    # generation 0 are stored)
    real_run = search._Runner.run
    seen = []

    def flaky(self, folder, tasks, bases, kind_inputs):
        if folder.name == "abc-g02-r001":
            raise KeyboardInterrupt
        seen.append(folder.name)
        return real_run(self, folder, tasks, bases, kind_inputs)

    monkeypatch.setattr(search._Runner, "run", flaky)
    with pytest.raises(KeyboardInterrupt):
        calibrate(path, method="abc", out=tmp_path / "c", workers=1, plots=False)
    assert pyabc.History(f"sqlite:///{tmp_path / 'c' / 'abc.db'}").max_t == 0
    stored = sorted(p.name for p in (tmp_path / "c" / "runs").glob("abc-*"))
    monkeypatch.setattr(search._Runner, "run", real_run)
    # a different abc block is refused on resume; a higher max_proposals is not a change
    other = write_targets(tmp_path / "c", abc={"population": 7, "generations": 3, "batch": 4})
    with pytest.raises(Exception, match="cannot resume a different calibration"):
        calibrate(other, method="abc", out=tmp_path / "c", workers=1, resume=True)
    calibrate(path, method="abc", out=tmp_path / "c", workers=1, plots=False, resume=True)
    _same_outputs(tmp_path / "a", tmp_path / "c")
    for name in stored:  # every round stored before the interrupt ran in one session only
        man = json.loads((tmp_path / "c" / "runs" / name / "manifest.json").read_text())
        assert [x["status"] for x in man["sessions"]] == ["complete"], name
    # resuming a finished run reruns nothing
    before = sorted(p.name for p in (tmp_path / "c" / "runs").glob("*"))
    c2 = calibrate(path, method="abc", out=tmp_path / "c", workers=1, plots=False,
                   resume=True)
    assert sorted(p.name for p in (tmp_path / "c" / "runs").glob("*")) == before
    assert c2.provenance["abc"] == a.provenance["abc"]


def test_example_small_has_an_abc_block():
    from calibration.targets import load_targets

    t = load_targets(EXAMPLE)
    assert t.spec.abc.population >= 16 and t.spec.abc.generations >= 2


# ---------------------------------------------------------------------------- known answer
@pytest.mark.slow
def test_example_small_abc_recovers_the_known_answer(tmp_path):
    """The shipped example (data made by the model at known values) recovered by ABC-SMC:
    each true value lies in its posterior 90% interval. About 2,200 runs: 306 s on 2
    workers of an idle machine, 27 min at load 20-25 (docs/PERFORMANCE.md)."""
    from calibration.make_example_data import TRUTH
    from calibration.search import calibrate

    res = calibrate(EXAMPLE, method="abc", out=tmp_path / "cal", workers=2, plots=False)
    p = res.parameters.set_index("path")
    for path, value in TRUTH.items():
        assert p.loc[path, "q05"] <= value <= p.loc[path, "q95"], (path, p.loc[path].to_dict())
    assert res.provenance["abc"]["final_temperature"] == 1.0
    assert res.provenance["effective_sample_size"] >= 5
    assert isinstance(res.draws, pd.DataFrame)


# ---------------------------------------------------------------------------- the target
class PowerLaw:
    """A test model with a known likelihood: the retail price is 100 (rate / 0.003)^0.5 times
    a seeded lognormal noise (sd 0.03) every week. Cheap, so ABC can run a real population."""

    def evaluate(self, overrides, seed, weeks):
        rate = overrides["params.enforcement.arrest_rate"]
        z = np.random.default_rng(seed).normal(0.0, 0.03, weeks)
        return pd.DataFrame({"week": np.arange(weeks),
                             "retail_price": 100 * (rate / 0.003) ** 0.5 * np.exp(z)})


def test_abc_population_targets_prior_times_likelihood(tmp_path):
    """The final population (temperature 1) is a weighted sample of prior x likelihood: its
    mean and sd (in the unit interval of the log prior) match a grid computation of that
    posterior from the same likelihood, within 3 standard errors of the population's mean."""
    from distributed import Client

    from calibration.abc import run_abc
    from calibration.search import _loglik, _Runner
    from calibration.targets import load_targets, to_unit

    path = write_targets(
        tmp_path, seed=11, search={"replicates": 2}, holdout=None,
        abc={"population": 30, "generations": 4, "batch": 30},
        parameters=[{"path": "params.enforcement.arrest_rate", "low": 0.001, "high": 0.01,
                     "prior": "log"}],
        targets=[{"name": "price", "metric": "retail_price", "aggregate": "yearly_mean",
                  "unit": "USD", "source": "test", "data": {2000: 112.0, 2001: 109.0},
                  "observation": {"error_sd_log": 0.05}}])
    t = load_targets(path)
    from analysis.runner import replicate_seeds

    seeds = replicate_seeds(t.spec.seed, 2)
    model = PowerLaw()
    with Client(processes=False, n_workers=1, threads_per_worker=1) as client, \
            _Runner(None, None, client, 20, lambda m: None) as runner:
        (tmp_path / "o").mkdir()
        _, draws, _, info = run_abc(t, tmp_path / "o", runner, {"base": model}, seeds, 104,
                                    lambda m: None)
    assert info["final_temperature"] == 1.0
    p = t.spec.parameters[0]
    u = np.array([to_unit(p, v) for v in draws["arrest_rate"]])
    w = draws["weight"].to_numpy()
    m_abc = float(w @ u)
    sd_abc = float(np.sqrt(w @ (u - m_abc) ** 2))
    ess = 1 / np.sum(w ** 2)
    # the same posterior on a grid: uniform prior in u, the synthetic likelihood of the runs
    s = t.series[0]
    grid = np.linspace(0, 1, 2001)
    ll = []
    for g in grid:
        rate = p.low * (p.high / p.low) ** g
        rows = [model.evaluate({p.path: rate}, sd, 104)["retail_price"].to_numpy()
                .reshape(2, 52).mean(axis=1) for sd in seeds]
        ll.append(_loglik(t, {s.name: np.vstack(rows)}))
    post = np.exp(np.array(ll) - max(ll))
    post /= post.sum()
    m = float(post @ grid)
    sd = float(np.sqrt(post @ (grid - m) ** 2))
    assert abs(m_abc - m) < 3 * sd / np.sqrt(ess), (m_abc, m, sd, ess)
    assert 0.6 * sd < sd_abc < 1.5 * sd, (sd_abc, sd)
