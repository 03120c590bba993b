"""Scenario comparison on a small Dask LocalCluster: outputs, determinism, resume, lost workers.

One two-worker cluster serves the module; runs are 30 weeks of the tiny test world.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import DATA

from analysis import analyse, compare
from analysis.cluster import open_client
from analysis.store import RunStore
from sim import ScenarioError

BASE, SURGE = str(DATA / "tiny_base.yaml"), str(DATA / "tiny_surge.yaml")
R = 4
ARGS = dict(replicates=R, window=10)


@pytest.fixture(scope="module")
def client():
    with open_client(workers=2) as (c, _):
        yield c


@pytest.fixture(scope="module")
def reference(client, tmp_path_factory):
    """An uninterrupted comparison on two workers."""
    out = tmp_path_factory.mktemp("reference")
    res = compare([BASE, SURGE], out=out, client=client, **ARGS)
    return res


def parts(out) -> dict[str, bytes]:
    folder = out / "runs.parquet"
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


class StopAfter:
    """A progress reporter that presses Ctrl-C once ``n`` runs are stored."""

    def __init__(self, n, action=None):
        self.n, self.action, self.fired = n, action, False

    def start(self, total, done):
        pass

    def update(self, done, failed):
        if done >= self.n and not self.fired:
            self.fired = True
            if self.action is None:
                raise KeyboardInterrupt
            self.action()

    def stop(self):
        pass


def test_small_comparison_writes_every_output(reference):
    out = reference.out
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs.columns[:4]) == ["scenario", "replicate", "seed", "week"]
    assert {"homicides", "consumption", "criminal_wealth", "intervention_cost"} <= set(runs)
    assert len(runs) == 2 * R * 30
    seeds = runs.groupby(["replicate", "scenario"])["seed"].first().unstack()
    assert (seeds["tiny-base"] == seeds["tiny-surge"]).all()  # common random numbers
    assert seeds["tiny-base"].nunique() == R
    man = json.loads((out / "manifest.json").read_text())
    assert {r["state"] for r in man["runs"]} == {"done"} and len(man["runs"]) == 2 * R
    assert man["inputs"]["replicates"] == R and man["versions"]["tocsim"]
    assert man["sessions"][-1]["status"] == "complete"
    for name in ("comparison.csv", "per_run.csv", "cost_effectiveness.csv",
                 "timeseries_bands.csv", "report.html", "plots/forest.png",
                 "plots/cost_effectiveness.png", "plots/timeseries_homicides.png",
                 "yearly.csv", "periods.csv", "plots/effect_over_time_homicides.png"):
        assert (out / name).is_file(), name
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 2 * (len(runs.columns) - 4)
    arrests = table.set_index(["scenario", "metric"]).loc[("tiny-surge", "arrests")]
    assert arrests["diff_lo"] > 0  # triple the arrest hazard: more arrests beyond the noise
    tail = runs[(runs.week >= 20) & (runs.scenario == "tiny-base")]
    base_mean = tail.groupby("replicate")["arrests"].mean().mean()
    assert table.set_index(["scenario", "metric"]).loc[("tiny-base", "arrests"), "mean"] \
        == pytest.approx(base_mean)
    html = (out / "report.html").read_text()
    # a time series and an effect-over-time plot per headline metric, the forest and the CE
    assert html.count("data:image/png;base64,") == 2 * len(reference.metrics) + 2
    assert "src=\"http" not in html and "tiny-surge" in html


def test_api_returns_tables_and_analyse_rebuilds_them(reference):
    again = analyse(reference.out)
    pd.testing.assert_frame_equal(again.table, reference.table)
    pd.testing.assert_frame_equal(again.cost_effectiveness, reference.cost_effectiveness)
    assert len(reference.per_run) == 2 * R and reference.baseline == "tiny-base"
    wider = analyse(reference.out, window=30)
    assert not wider.table["mean"].equals(reference.table["mean"])


def test_same_content_with_one_and_two_workers(reference, tmp_path):
    compare([BASE, SURGE], out=tmp_path, workers=1, **ARGS)
    assert parts(tmp_path) == parts(reference.out)
    assert (tmp_path / "comparison.csv").read_bytes() == \
        (reference.out / "comparison.csv").read_bytes()


def test_interrupted_batch_resumes_to_identical_content(client, reference, tmp_path):
    with pytest.raises(KeyboardInterrupt):
        compare([BASE, SURGE], out=tmp_path, client=client, progress=StopAfter(3), **ARGS)
    man = json.loads((tmp_path / "manifest.json").read_text())
    done = [r["key"] for r in man["runs"] if r["state"] == "done"]
    assert 3 <= len(done) < 2 * R and man["sessions"][-1]["status"] == "interrupted"
    assert sorted(f"part-{k}.parquet" for k in done) == sorted(parts(tmp_path))
    assert not (tmp_path / "comparison.csv").exists()
    with pytest.raises(ScenarioError, match="pass --resume"):
        compare([BASE, SURGE], out=tmp_path, client=client, **ARGS)
    res = compare([BASE, SURGE], out=tmp_path, client=client, resume=True, **ARGS)
    man = res.manifest
    assert man["sessions"][-1]["runs_todo"] == 2 * R - len(done)  # only the missing runs
    assert parts(tmp_path) == parts(reference.out)
    assert (tmp_path / "comparison.csv").read_bytes() == \
        (reference.out / "comparison.csv").read_bytes()


def test_resume_refuses_other_inputs(reference):
    with pytest.raises(ScenarioError) as exc:
        compare([BASE, SURGE], out=reference.out, resume=True, replicates=R + 1, window=10)
    lines = exc.value.lines
    assert any("inputs.replicates: stored 4, now 5" in x for x in lines)
    assert lines[-1].endswith("or without --resume into another --out")
    with pytest.raises(ScenarioError, match="inputs.scenarios"):
        compare([BASE, str(DATA / "tiny_base.yaml")], baseline=SURGE, out=reference.out,
                resume=True, **ARGS)


def test_lost_worker_is_replaced_and_results_unchanged(client, tmp_path):
    pids = client.run(os.getpid)

    def kill_a_worker():
        os.kill(sorted(pids.values())[0], signal.SIGKILL)

    args = dict(replicates=3, weeks=80, window=10, client=client, write=False)
    res = compare([BASE, SURGE], out=tmp_path / "a", progress=StopAfter(1, kill_a_worker),
                  **args)
    assert res.manifest["sessions"][-1]["status"] == "complete"
    compare([BASE, SURGE], out=tmp_path / "b", **args)
    assert parts(tmp_path / "a") == parts(tmp_path / "b")


def test_failed_runs_are_recorded_and_rerun_on_resume(client, tmp_path):
    """The generic runner: a run that raises on its worker is recorded as failed, the others
    are stored, and resuming runs only the failed one (here with its input fixed)."""
    from analysis.runner import Task, run_tasks, versions
    from sim import load_scenario

    bases = {"tiny": load_scenario(BASE)}
    good = {"params.enforcement.arrest_rate": 0.003}
    bad = {"params.enforcement.arrest_rate": 0.003, "params.conflict.theta": 1.0}  # too big

    def tasks(overrides_of_2):
        return [Task(f"t{i}", "tiny", seed=i, weeks=10, labels={"sample": i},
                     overrides=overrides_of_2 if i == 2 else good) for i in range(4)]

    store = RunStore(tmp_path)
    store.open(kind="test", inputs={"n": 4}, versions=versions(),
               runs=[t.record() for t in tasks(bad)], resume=False)
    session = run_tasks(tasks(bad), bases, store, client=client)
    assert session["status"] == "failed" and session["runs_done"] == 3
    assert store.counts() == {"pending": 0, "done": 3, "failed": 1}
    rec = {r["key"]: r for r in store.run_records()}
    assert "conflict.theta" in rec["t2"]["error"] and rec["t0"]["wall_s"] > 0
    store = RunStore(tmp_path)
    store.open(kind="test", inputs={"n": 4}, versions=versions(),
               runs=[t.record() for t in tasks(good)], resume=True)
    session = run_tasks(tasks(good), bases, store, client=client)
    assert session["runs_todo"] == 1 and store.counts()["done"] == 4
    runs = pd.read_parquet(tmp_path / "runs.parquet")
    assert list(runs.columns[:3]) == ["sample", "seed", "week"] and len(runs) == 40


def test_kill_9_midway_then_resume_gives_identical_content(client, tmp_path):
    out, ref = tmp_path / "out", tmp_path / "ref"
    args = dict(replicates=8, weeks=80, window=10)
    cmd = [sys.executable, "-m", "tocsim", "compare", BASE, SURGE, "-r", "8", "--weeks", "80",
           "--window", "10", "--workers", "2", "--quiet", "--out", str(out)]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    folder = out / "runs.parquet"
    t0 = time.monotonic()
    while not (folder.is_dir() and len(list(folder.glob("part-*"))) >= 2):
        assert p.poll() is None, p.stderr.read()
        assert time.monotonic() - t0 < 120, "no runs stored in time"
        time.sleep(0.05)
    p.kill()
    p.wait(timeout=30)
    stored = len(list(folder.glob("part-*")))
    assert 2 <= stored < 16
    res = compare([BASE, SURGE], out=out, client=client, resume=True, write=False, **args)
    sessions = res.manifest["sessions"]
    assert [s["status"] for s in sessions] == ["killed", "complete"]
    assert sessions[-1]["runs_todo"] == 16 - stored
    assert not list(folder.glob(".*"))
    compare([BASE, SURGE], out=ref, client=client, write=False, **args)
    assert parts(out) == parts(ref)


KINGPIN = str(DATA / "tiny_kingpin.yaml")


def test_intervention_period_yearly_table_and_report(client, tmp_path):
    out = tmp_path / "kp"
    res = compare([BASE, KINGPIN], replicates=3, period="intervention", client=client, out=out,
                  metrics=["arrests", "homicides"], cumulative=True)
    assert (res.period.start, res.period.end) == (8, 20)
    runs = pd.read_parquet(out / "runs.parquet")
    span = runs[(runs.week >= 8) & (runs.week < 20)]
    means = span.groupby(["scenario", "replicate"])["arrests"].mean()
    pr = res.per_run.set_index(["scenario", "replicate"])
    assert pr["arrests"].to_numpy() == pytest.approx(means.loc[pr.index].to_numpy())
    totals = span.groupby(["scenario", "replicate"])["arrests"].sum()
    assert pr["period_total_arrests"].to_numpy() == pytest.approx(totals.loc[pr.index].to_numpy())
    yearly = pd.read_csv(out / "yearly.csv")
    assert set(yearly.metric) == {"arrests", "homicides"} and list(yearly.year.unique()) == [1]
    periods = pd.read_csv(out / "periods.csv")
    assert list(periods.period.unique()) == ["intervention (kingpin)", "after the intervention",
                                             "end of the run (last 30 weeks)"]
    html = (out / "report.html").read_text()
    assert "Does removing the leaders of the top threat" in html  # the question
    assert html.index("Answer.") < html.index("Schedule of the levers") < html.index("Key results")
    assert "Only 3 replicates per scenario" in html
    assert (out / "plots" / "effect_over_time_arrests.png").is_file()
    # the same runs, another period, without running anything
    whole = analyse(out, period="all")
    assert (whole.period.start, whole.period.end) == (0, 30)
    assert not whole.per_run["arrests"].equals(res.per_run["arrests"])


def test_idle_lever_refused_unless_allowed(client, tmp_path):
    idle = tmp_path / "idle.yaml"
    idle.write_text(f"name: idle\nextends: {KINGPIN}\ninterventions:\n"
                    "  - {type: targeted_enforcement, name: late, start_week: 40, budget: 1e6,"
                    " targets: {top_n: 1}}\n")
    with pytest.raises(ScenarioError) as exc:
        compare([BASE, str(idle)], replicates=2, client=client, out=tmp_path / "no")
    assert "starts in week 40, after the run's last week 29" in exc.value.lines[0]
    assert not (tmp_path / "no").exists()
    res = compare([BASE, str(idle)], replicates=2, client=client, out=tmp_path / "yes",
                  allow_idle=True, metrics=["arrests"])
    assert len(res.idle) == 1 and "Idle lever" in (tmp_path / "yes" / "report.html").read_text()


def test_target_ci_adds_paired_replicates(client, tmp_path):
    out = tmp_path / "t"
    res = compare([BASE, KINGPIN], replicates=3, target_ci=5, max_replicates=8,
                  client=client, out=out, metrics=["arrests"], period="intervention")
    rounds = res.manifest["settings"]["target_ci"]["rounds"]
    assert rounds[0]["replicates"] == 3 and len(rounds) >= 2
    n = res.replicates
    assert n == rounds[-1]["replicates"] <= 8
    assert rounds[-1]["pct"] <= 5 or n == 8
    assert all(r["pct"] > 5 for r in rounds[:-1])  # it stopped at the first round that met it
    runs = pd.read_parquet(out / "runs.parquet")
    seeds = runs.groupby(["scenario", "replicate"])["seed"].first().unstack(0)
    assert len(seeds) == n and (seeds["tiny-base"] == seeds["tiny-kingpin"]).all()
    from analysis.runner import replicate_seeds

    assert list(seeds["tiny-base"]) == replicate_seeds(11, n)  # the first ones kept
    assert f"{n} replicates per scenario were run in {len(rounds)} rounds" in (
        out / "report.html").read_text()
