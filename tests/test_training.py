"""Training exercises: live model changes, exact snapshots, the exercise engine, replay, the
command line and the debrief (default world, short horizons)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import default_scenario, snapshot
from sim.errors import ScenarioError
from sim.model import TocModel
from training import Exercise, replay
from training.spec import exercise_from_dict, load_exercise, read_yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "mini_exercise.yaml"
MINI_SCRIPT = DATA / "mini.decisions.yaml"

SURGE = {"name": "surge", "type": "interdiction", "budget": 5e6,
         "targets": {"corridors": ["Mexico-United States"]}, "expected": {"seizures": 0.2},
         "why": "border"}


def same_state(a: TocModel, b: TocModel) -> bool:
    return (a.week == b.week and a.metrics.tobytes() == b.metrics.tobytes()
            and a.region_metrics.tobytes() == b.region_metrics.tobytes()
            and snapshot.state_digest(a) == snapshot.state_digest(b))


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """The mini exercise played from its script (3 turns of 4 weeks)."""
    from training.script import play_script

    out = tmp_path_factory.mktemp("mini") / "session"
    return play_script(MINI, MINI_SCRIPT, out)


# ---------------------------------------------------------------------------- sim additions
def test_snapshot_continuation_is_byte_identical(tmp_path):
    """A run saved after 8 weeks, restored from disk and continued for 12 is identical to an
    uninterrupted 20-week run: weekly outputs byte for byte and the whole state's digest, with
    an intervention added to the running model at week 5 (its own state and stream)."""
    scn = default_scenario(weeks=20, seed=5)
    iv = {"type": "targeted_enforcement", "name": "live-kingpin", "budget": 4e6,
          "targets": {"top_n": 2}}

    def started():
        m = TocModel(scn, checks=False)
        m.run(5)
        m.add_interventions([iv])
        return m

    a = started()
    a.run(15)
    b = started()
    b.run(3)
    path = snapshot.save(b, tmp_path / "week8.snap")
    del b
    c = snapshot.load(path)
    assert c.week == 8
    c.run(12)
    assert a.metrics_frame().to_csv().encode() == c.metrics_frame().to_csv().encode()
    assert same_state(a, c)
    assert a.metrics[:, a.metric_names.index("intervention_cost")][5:].min() > 0


def test_live_changes_are_validated_like_scenarios():
    m = TocModel(default_scenario(weeks=10, seed=1), checks=False)
    m.run(2)
    with pytest.raises(ScenarioError) as e:
        m.add_interventions([{"type": "interdiction", "name": "x", "budget": -1,
                              "targets": {"regions": ["Atlantis"]}, "start_week": 0}], "live")
    lines = e.value.lines
    assert any("budget: must be >= 0" in s for s in lines)
    assert any("unknown region 'Atlantis'" in s for s in lines)
    assert any("start_week: 0 is in the past" in s for s in lines)
    assert m.interventions == [] and m.live_changes == []
    with pytest.raises(ScenarioError, match="name: required"):
        m.add_interventions([{"type": "sanctions", "intensity": 0.5}])
    with pytest.raises(ScenarioError, match="out of range"):
        m.set_params({"corruption": {"offer_rate": 5.0}})
    with pytest.raises(ScenarioError, match="unknown lever"):
        m.scale_lever("morale", 0.5)
    with pytest.raises(ScenarioError, match="unknown organization"):
        m.split_organization("Nobody")
    base = m.world.judicial_capacity.copy()
    m.scale_lever("judicial_capacity", 0.5, regions=["Mexico"])
    r = m.world.region_names.index("Mexico")
    assert m.judicial_capacity[r] == pytest.approx(0.5 * base[r])
    assert np.delete(m.judicial_capacity, r).tolist() == np.delete(base, r).tolist()
    m.set_params({"corruption": {"offer_rate": 0.02}})
    assert m.pars.corruption.offer_rate == 0.02
    n_orgs = m.orgs.n
    name = m.split_organization("Sinaloa")
    assert m.orgs.n == n_orgs + 1 and name.startswith("Sinaloa faction")
    from sim.enums import Status

    held = np.nonzero(m.members.status[: m.members.n] == Status.INCARCERATED)[0]
    freed = m.release_prisoners(1.0)
    assert freed == held.size > 0
    m.step()  # the freed leave prison in the next member step (rejoin or exit)
    assert not (m.members.status[held] == Status.INCARCERATED).any()
    assert [k for _, k, _ in m.live_changes] == ["scale_lever", "params", "split_organization",
                                                 "release_prisoners"]


# ---------------------------------------------------------------------------- the engine
def test_submissions_are_checked_against_menu_budget_team_and_turn(tmp_path):
    ex = Exercise.new(MINI, tmp_path / "s")
    bad = {"turn": 1, "decisions": [
        {"name": "big", "type": "interdiction", "budget": 2e7,
         "targets": {"corridors": ["Mexico-United States"]}},
        {"name": "sanc", "type": "sanctions", "budget": 1e5},
        {"name": "col", "type": "interdiction", "budget": 5e6,
         "targets": {"regions": ["Colombia"]}, "foo": 1}]}
    with pytest.raises(ScenarioError) as e:
        ex.submit("Enforcement", bad, label="f.yaml")
    lines = e.value.lines
    assert "f.yaml: decisions[0].budget: 20,000,000 USD/week is outside the menu's range " \
           "[1,000,000, 10,000,000]" in lines
    assert any(s.startswith("f.yaml: decisions[1].type: 'sanctions' is not on team "
                            "Enforcement's menu") for s in lines)
    assert any("decisions[2].targets.regions: Colombia not allowed" in s for s in lines)
    assert any("decisions[2].foo: unknown or not allowed field" in s for s in lines)
    with pytest.raises(ScenarioError, match="unknown team 'Nobody'"):
        ex.submit("Nobody", {"decisions": [SURGE]})
    over = {"decisions": [{**SURGE, "budget": 8e6},
                          {"name": "tf", "type": "targeted_enforcement", "budget": 6e6,
                           "targets": {"top_n": 2}}]}
    with pytest.raises(ScenarioError, match="over budget: team Enforcement would commit "
                       "14,000,000 USD/week in turn 1, its budget is 12,000,000"):
        ex.submit("Enforcement", over)
    with pytest.raises(ScenarioError, match="stale turn: the file is for turn 2"):
        ex.submit("Enforcement", {"turn": 2, "decisions": [SURGE]})
    assert ex.state["pending"] == {}  # nothing recorded by refused submissions
    ex.submit("Enforcement", {"turn": 1, "decisions": [SURGE]})
    assert Exercise.open(ex.out).state["pending"]["Enforcement"]["decisions"][0]["name"] == "surge"
    ex.lock()
    with pytest.raises(ScenarioError, match="turn 1 is locked"):
        ex.submit("Treasury", {"decisions": []})
    ex.advance()
    with pytest.raises(ScenarioError, match="already used"):
        ex.submit("Enforcement", {"decisions": [SURGE]})
    # the decision is an intervention from the turn's first week on
    cost = ex.model.metrics_frame().set_index("week")["intervention_cost"]
    assert cost.loc[3] == 0 and cost.loc[4] == 5e6


def test_inject_fires_when_its_condition_holds(tmp_path):
    raw = read_yaml(MINI)
    raw["scenario"] = str(ROOT / "scenarios" / "baseline.yaml")
    raw["injects"] = [
        {"name": "never", "when": {"metric": "homicides", "above": 1e9}, "brief": "x"},
        {"name": "late-high", "when": {"metric": "homicides", "region": "Mexico", "above": 0.0,
                                       "window_weeks": 3, "from_turn": 2},
         "teams": ["Enforcement"], "brief": "Violence in Mexico.",
         "effect": {"lever": {"lever": "judicial_capacity", "factor": 0.8,
                              "regions": ["Mexico"]}}}]
    ex = Exercise.new(exercise_from_dict(raw, "<test>", DATA), tmp_path / "s")
    r = ex.model.world.region_names.index("Mexico")
    base = ex.model.world.judicial_capacity[r]
    ex.advance()
    assert ex.state["fired"] == {}  # from_turn 2: not in turn 1
    ex.advance()
    assert ex.state["fired"] == {"late-high": {"week": 8, "turn": 2, "how": "condition"}}
    assert ex.model.judicial_capacity[r] == pytest.approx(0.8 * base)
    assert ex.status_quo.judicial_capacity[r] == pytest.approx(0.8 * base)  # same world
    assert ex.brief("Enforcement")["injects"] == [{"name": "late-high", "week": 8,
                                                   "brief": "Violence in Mexico."}]
    assert ex.brief("Treasury")["injects"] == []
    # the condition held on the weeks before: Mexico's homicides over weeks 5-7 above zero
    hom = ex.model.regions_frame().query("region == 'Mexico' and 5 <= week <= 7")["homicides"]
    assert hom.mean() > 0


def test_views_are_delayed_noisy_and_do_not_touch_the_model(played):
    before = snapshot.state_digest(played.model)
    b = played.brief("Enforcement", 2)
    assert snapshot.state_digest(played.model) == before
    assert b["weeks"] == "8-11"
    assert {e["weeks"] for e in b["estimates"]} == {"6-9"}  # seen with a 2-week delay
    true = played.model.metrics_frame().query("6 <= week <= 9")["seizures"].mean()
    est = next(e for e in b["estimates"] if e["item"] == "seizures")["estimate"]
    assert est != true and abs(np.log(est / true)) < 5 * 0.2  # lognormal error, sd 0.2
    t = played.brief("Treasury", 2)
    assert [e["item"] for e in t["estimates"]] == ["criminal_wealth"]


def test_replay_of_the_log_reproduces_the_session(played, tmp_path):
    """Replaying the event log (submissions, facilitator injects, locks, advances) into a new
    folder gives the same session: every action, and the model's state byte for byte."""
    again = replay(played.out / "log.jsonl", tmp_path / "r", exercise=MINI)
    assert again.state["actions"] == played.state["actions"]
    assert again.state["fired"] == played.state["fired"]
    assert same_state(again.model, played.model)
    assert same_state(again.status_quo, played.status_quo)


def test_rewind_and_branch_continue_exactly(played, tmp_path):
    src = tmp_path / "s"
    shutil.copytree(played.out, src)
    ex = Exercise.open(src)
    end = ex.model
    ex.rewind(1)
    assert ex.turn == 2 and ex.model.week == 8
    assert not (src / "snapshots" / "turn-02.snap").exists()
    ex.fire_inject("budget-cut")
    ex.submit("Enforcement", {"decisions": [
        {"name": "kingpin", "type": "targeted_enforcement", "budget": 4e6,
         "targets": {"top_n": 3}, "strategy": "kingpin", "expected": {"homicides": -0.1},
         "why": "remove the leaders"}]})
    ex.advance()
    ex.submit("Treasury", {"stop": ["aml-mx"]})
    ex.advance()
    assert same_state(ex.model, end)  # the same decisions again: the same end, exactly
    assert [e["kind"] for e in ex.log].count("rewind") == 1
    br = ex.branch(0, tmp_path / "b")
    assert br.turn == 1 and br.model.week == 4 and (src / "current.snap").exists()
    assert Exercise.open(tmp_path / "b").turn == 1


def test_an_interrupted_turn_leaves_the_session_as_it_was(tmp_path, monkeypatch):
    ex = Exercise.new(MINI, tmp_path / "s")
    ex.submit("Enforcement", {"decisions": [SURGE]})
    before = (tmp_path / "s" / "current.snap").read_bytes()
    calls = {"n": 0}
    real = ex.model.step

    def step():
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C in the third week of the turn
        real()

    monkeypatch.setattr(ex.model, "step", step)
    with pytest.raises(KeyboardInterrupt):
        ex.advance()
    assert calls["n"] == 3
    assert (tmp_path / "s" / "current.snap").read_bytes() == before
    again = Exercise.open(tmp_path / "s")
    assert again.turn == 1 and again.model.week == 4 and "Enforcement" in again.state["pending"]
    # the object in memory is the saved session too (the web app advances the same object)
    assert ex.turn == 1 and ex.model.week == 4 and not ex.state["locked"]
    assert "Enforcement" in ex.state["pending"] and ex.log[-1]["kind"] == "submit"
    assert ex.model.step != step  # the model as saved, not the one stopped part way
    outcome = ex.advance()
    assert ex.turn == 2
    # and it plays the turn exactly as a session that was never interrupted
    clean = Exercise.new(MINI, tmp_path / "c")
    clean.submit("Enforcement", {"decisions": [SURGE]})
    assert clean.advance() == outcome
    assert clean.model.metrics_frame().equals(ex.model.metrics_frame())
    assert not list((tmp_path / "s").rglob("*.tmp"))


def test_a_script_or_log_that_fails_part_way_leaves_nothing(tmp_path, monkeypatch):
    """`exercise play` with a submission outside the menu in turn 2 used to exit 2 leaving
    turn 1 played in --out, and the fixed script was then refused ("holds a session").
    A play or replay that fails or is interrupted part way now leaves nothing it wrote."""
    from training.script import play_script

    script = yaml.safe_load(MINI_SCRIPT.read_text())
    script["turns"][2]["Enforcement"]["decisions"][0]["budget"] = 9e12
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(script))
    out = tmp_path / "s"
    with pytest.raises(ScenarioError, match=r"turns\.2\.Enforcement: .*budget"):
        play_script(MINI, bad, out)
    assert not out.exists()
    # a folder that was there before keeps what it held; only the session's files go
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ScenarioError):
        play_script(MINI, bad, out)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    # Ctrl-C in the second turn: nothing left either, and the same command then works
    real = Exercise.advance

    def advance(self):
        if self.turn == 2:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Exercise, "advance", advance)
    with pytest.raises(KeyboardInterrupt):
        play_script(MINI, MINI_SCRIPT, tmp_path / "t")
    assert not (tmp_path / "t").exists()
    monkeypatch.setattr(Exercise, "advance", real)
    assert play_script(MINI, MINI_SCRIPT, tmp_path / "t").turn == 4
    # a log that stops reproducing: the replay leaves nothing
    log = [json.loads(x) for x in (tmp_path / "t" / "log.jsonl").read_text().splitlines()]
    fired = next(e for e in log if e["kind"] == "inject")
    fired["week"] += 1
    with pytest.raises(ScenarioError, match="inject"):
        replay(log, tmp_path / "r", exercise=MINI)
    assert not (tmp_path / "r").exists()


def test_a_log_that_is_not_one_is_refused_naming_the_line(tmp_path, capsys):
    """`exercise replay` of a damaged log.jsonl ended in a JSONDecodeError, TypeError or
    KeyError traceback; now one line per problem, naming the file and line, exit 2, and
    nothing written."""
    from tocsim.cli import main

    def replay_errors(text: str) -> list[str]:
        (tmp_path / "log.jsonl").write_text(text)
        assert main(["exercise", "replay", str(tmp_path / "log.jsonl"), "--out",
                     str(tmp_path / "r"), "--exercise", str(MINI)]) == 2
        assert not (tmp_path / "r").exists()
        return capsys.readouterr().err.strip().splitlines()

    log = str(tmp_path / "log.jsonl")
    assert replay_errors('{"seq": 0, "kind": "new"\nnot json\n') == [
        f"{log}: line 1: not JSON (Expecting ',' delimiter, column 25)",
        f"{log}: line 2: not JSON (Expecting value, column 1)"]
    assert replay_errors("[1, 2]\n") == [f"{log}: line 1: not an event (an object with a 'kind')"]
    assert replay_errors('{"kind": "new"}\n{"kind": "submit", "team": 3}\n') == [
        f"{log}: line 2: submit event: 'team' must be text, got 3",
        f"{log}: line 2: submit event without 'submission'"]
    assert replay_errors('{"kind": "rewind", "to_turn": true}\n') == [
        f"{log}: line 1: rewind event: 'to_turn' must be a whole number, got True"]
    assert replay_errors('{"kind": "advance"}\n') == [
        f"{log}: no 'new' event: not an exercise log"]
    assert len(replay_errors('"x"\n' * 30)) == 11  # ten problems and a count of the rest
    # a submission the menu refuses names its line too
    bad = {"seq": 1, "kind": "submit", "team": "Enforcement",
           "submission": {"decisions": [dict(SURGE, budget=9e12)], "stop": []}}
    errs = replay_errors(json.dumps({"seq": 0, "kind": "new"}) + "\n" + json.dumps(bad) + "\n")
    assert errs[0].startswith(f"{log}: line 2: ") and "budget" in errs[0]


def test_exercise_files_validate_and_bad_ones_give_one_line_errors(tmp_path):
    from training.spec import load_script

    for name in ("border_finance", "governance_corruption"):
        ex = load_exercise(ROOT / "exercises" / f"{name}.yaml")
        assert ex.spec.turns >= 6 and len(ex.spec.teams) >= 3 and ex.spec.injects
        load_script(ROOT / "exercises" / f"{name}.decisions.yaml")
    raw = read_yaml(MINI)
    raw["scenario"] = str(ROOT / "scenarios" / "baseline.yaml")
    raw["teams"][0]["menu"][0]["type"] = "airstrikes"
    raw["teams"][1]["sees"]["metrics"] = ["happiness"]
    raw["injects"][0]["effect"] = {"release_prisoners": {"share": 2}}
    raw["scorecard"]["cost"] = {"weight": 0.1}
    raw["turnz"] = 3
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ScenarioError) as e:
        load_exercise(bad)
    assert e.value.lines == [f"{bad}: turnz: unknown key; valid: name, title, description, "
                             "scenario, seed, warmup_weeks, turn_weeks, turns, objectives, teams, "
                             "injects, scorecard"]
    del raw["turnz"]
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(ScenarioError) as e:
        load_exercise(bad)
    text = "\n".join(e.value.lines)
    assert f"{bad}: teams[0].menu[0].type: unknown intervention type 'airstrikes'" in text
    assert f"{bad}: teams[1].sees.metrics: unknown metric 'happiness'" in text
    assert f"{bad}: injects[0].effect.release_prisoners.share: expected a share" in text
    assert f"{bad}: scorecard.cost.scale: required for cost" in text
    # exercise, script and submission files go through the scenarios' reader: a binary file
    # (it raised UnicodeDecodeError) or duplicate keys are one line naming the file
    from training.spec import load_submission

    (tmp_path / "bin.yaml").write_bytes(b"name: \xbf\xff\n")
    (tmp_path / "dup.yaml").write_text("name: a\nname: b\n")
    for load in (load_exercise, load_script, load_submission):
        with pytest.raises(ScenarioError) as e:
            load(tmp_path / "bin.yaml")
        assert e.value.lines == [f"{tmp_path / 'bin.yaml'}: line 1: not UTF-8 text (byte 0xbf "
                                 "at offset 6); save the file as UTF-8"]
        with pytest.raises(ScenarioError) as e:
            load(tmp_path / "dup.yaml")
        assert e.value.lines == [f"{tmp_path / 'dup.yaml'}: line 2: not valid YAML: duplicate "
                                 "key 'name' (first at line 1)"]


# ---------------------------------------------------------------------------- command line
def test_scripted_exercise_through_the_cli(tmp_path, capsys):
    from tocsim.cli import main

    out = tmp_path / "cli"
    assert main(["exercise", "play", str(MINI), "--decisions", str(MINI_SCRIPT), "--out",
                 str(out), "--turns", "2"]) == 0
    capsys.readouterr()
    assert main(["exercise", "status", str(out), "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    assert st["turn"] == 3 and st["week"] == 12 and not st["finished"]
    sub = tmp_path / "t.yaml"
    sub.write_text("turn: 2\ndecisions: []\n")
    assert main(["exercise", "submit", str(out), "--team", "Treasury", str(sub)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{sub}: turn: stale turn: the file is for turn 2, the exercise is at turn 3"]
    sub.write_text("turn: 3\nstop: [aml-mx]\n")
    assert main(["exercise", "submit", str(out), "--team", "Treasury", str(sub)]) == 0
    assert main(["exercise", "submit", str(out), "--team", "Ghosts", str(sub)]) == 2
    assert "unknown team 'Ghosts'" in capsys.readouterr().err
    assert main(["exercise", "advance", str(out)]) == 0
    assert main(["exercise", "advance", str(out)]) == 2
    assert "the exercise is over" in capsys.readouterr().err
    assert main(["exercise", "brief", str(out), "--team", "Enforcement"]) == 0
    assert "# Briefing for Enforcement, after turn 3" in capsys.readouterr().out
    assert main(["exercise", "rewind", str(out), "--turn", "9"]) == 2
    assert main(["exercise", "rewind", str(out), "--turn", "1"]) == 0
    assert Exercise.open(out).turn == 2
    assert main(["exercise", "fire", str(out), "budget-cut"]) == 0
    assert main(["exercise", "fire", str(out), "budget-cut"]) == 2
    assert "already fired at week 8" in capsys.readouterr().err
    assert main(["exercise", "lock", str(out)]) == 0
    assert main(["exercise", "submit", str(out), "--team", "Treasury", str(sub)]) == 2
    assert "turn 2 is locked" in capsys.readouterr().err
    assert Exercise.open(out).team_budget("Treasury") == pytest.approx(0.8 * 6e6)
    assert (out / "briefs" / "turn-01" / "Enforcement.md").is_file()
    assert not (out / "briefs" / "turn-02").exists()


# ---------------------------------------------------------------------------- debrief
def test_arms_sharing_prefixes_equal_full_runs():
    """A replicate's arms, run from the plan's snapshot at their branch week, equal the same
    timelines run from week 0."""
    from training.actions import TimelineRun
    from training.arms import ArmsReplicate

    scn = default_scenario(weeks=12, seed=3)
    dec = {"week": 4, "kind": "decision", "team": "E", "name": "kp",
           "entry": {"type": "targeted_enforcement", "name": "kp", "start_week": 4,
                     "budget": 5e6, "targets": {"top_n": 3}}}
    inj = {"week": 6, "kind": "inject", "name": "pb", "how": "turn",
           "effect": {"release_prisoners": {"share": 0.5}}}
    arms = [[dec, inj], [inj], [dec]]
    got = dict(ArmsReplicate(scn, arms).frames(seed=99, weeks=12))
    for i, actions in enumerate(arms):
        full = TimelineRun(scn, actions).run(99, 12).metrics_frame()
        assert got[i].drop(columns="arm").to_csv() == full.to_csv(), i


def test_debrief_status_quo_arm_equals_a_plain_run_and_writes_the_report(played, tmp_path):
    """The debrief's status-quo arm (here: no inject fired, so the base scenario) equals plain
    runs of the base scenario with the same seeds, byte for byte; the plan arm on the
    session's seed is the session; the report and the log are written."""
    import dataclasses

    from analysis.runner import replicate_seeds
    from training.debrief import debrief
    from training.script import play_script

    raw = read_yaml(MINI)
    raw["scenario"] = str(ROOT / "scenarios" / "baseline.yaml")
    raw["injects"] = [i for i in raw["injects"] if i["name"] == "budget-cut"]  # never fired
    script = read_yaml(MINI_SCRIPT)
    script.pop("fire")
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(script))
    ex = play_script(exercise_from_dict(raw, "<test>", DATA), tmp_path / "plan.yaml",
                     tmp_path / "s")
    res = debrief(ex, replicates=2, workers=1)
    assert res.session_check == {"plan_equals_session": True, "status_quo_equals_shadow": True}
    runs = pd.read_parquet(res.out / "runs" / "runs.parquet")
    sq = runs[runs["arm"] == 1]
    for r, seed in enumerate(replicate_seeds(ex.ex.scenario.seed, 2)):
        scn = dataclasses.replace(ex.ex.scenario, seed=seed)
        plain = TocModel(scn, checks=False).run().metrics_frame()
        mine = sq[sq["replicate"] == r].sort_values("week")[plain.columns]
        # runs.parquet stores counts as integers: compare values, exactly, as floats
        assert mine.astype(float).reset_index(drop=True).to_csv() == plain.astype(float).to_csv()
    html = (res.out / "debrief.html").read_text()
    for phase in ("1. Reactions", "2. Description", "3. Analysis", "4. Summary", "Plus",
                  "Delta", "Luck or skill", "Stated against measured"):
        assert phase in html
    assert html.count("data:image/png;base64,") == 4
    log = pd.read_csv(res.out / "log.csv")
    assert len(log) == len(ex.log) and set(log["kind"]) >= {"new", "submit", "advance"}
    assert set(res.ranking["what"]) == {"surge", "aml-mx", "kingpin", "team Enforcement",
                                        "team Treasury"}
    assert res.ranking["score_effect"].is_monotonic_decreasing
    # the web debrief page draws the same bands (training.report.draw_bands) for one metric
    from tocsim.web.debrief_page import bands_figure

    metric = ex.ex.objective_metric(next(iter(ex.ex.spec.scorecard)))
    labels = [ln.get_label() for ln in bands_figure(res, metric).axes[0].get_lines()]
    assert labels[:3] == ["status quo (mean)", "plan (mean)", "this session"]


@pytest.mark.parametrize("group, name, value, table", [
    ("transport", "cost_land", 3.0, "cost_per_km"),
    ("interdiction", "rate_land", 1.7, "mode_rate"),
    ("finance", "wage_dealer", 999.0, "wage_by_role"),
    ("recruitment", "fill_launderer", 0.05, "role_fill"),
    ("conflict", "exposure_dealer", 7.0, "death_exposure"),
    ("enforcement", "exposure_dealer", 7.0, "arrest_exposure"),
])
def test_live_parameter_changes_reach_the_tables_derived_from_them(group, name, value, table):
    """set_params rebuilds every table derived from parameters: a change of a transport
    cost, an interdiction rate, a wage, a fill share or an exposure acts from that week on
    (these tables were once filled on first use and kept, so a live change did nothing)."""
    from conftest import tiny_scenario

    a = TocModel(tiny_scenario(weeks=40, seed=4), checks=True)
    b = TocModel(tiny_scenario(weeks=40, seed=4), checks=True)
    a.run(3)
    b.run(3)
    before = getattr(b.state, table).copy()
    b.set_params({group: {name: value}})
    after = getattr(b.state, table)
    scale = b.pars.interdiction.effectiveness if table == "mode_rate" else 1.0
    assert not np.array_equal(before, after) and value * scale in after
    a.run(37)
    b.run(37)
    assert not np.array_equal(a.metrics, b.metrics)  # the change acted on the run
    # a model continuing from the changed state keeps the changed table
    c = TocModel.from_state(b.state.copy())
    assert np.array_equal(getattr(c.state, table), after)
