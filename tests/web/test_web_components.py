"""The web app without a browser: the registry's validation and codes, the form rules, and the
pages rendered with Solara's test helpers (``solara.render`` and ``rc.find``)."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets as widgets
import pytest
import solara

from tocsim.web import registry as regmod
from tocsim.web.forms import budget_line, decision_from_form, parse_number, running_budget
from tocsim.web.registry import CODE_LENGTH, FACILITATOR, Registry, check_bounds

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini_exercise.yaml"

SURGE = {"name": "surge", "type": "interdiction", "budget": 5e6,
         "targets": {"corridors": ["Mexico-United States"]}, "expected": {"consumption": -0.1},
         "why": "most flow crosses the land border"}


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    d = tmp_path_factory.mktemp("webreg")
    r = regmod.configure(sessions_dir=d / "sessions", exercises_dir=ROOT / "exercises")
    return r


@pytest.fixture
def live(reg):
    """A fresh session of the mini exercise (module registry), for tests that change it."""
    return reg.create(MINI, trusted=True)


@pytest.fixture(scope="module")
def untouched(reg):
    """One session shared by the tests that must leave it unchanged (they check they do)."""
    return reg.create(MINI, trusted=True)


def snapshot_of(live):
    return (live.version, json.dumps(live.ex.state["pending"], sort_keys=True),
            len(live.ex.log), (live.out / "log.jsonl").read_text())


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize("decision, expect", [
    ({**SURGE, "budget": -5e6}, "a budget cannot be negative"),
    ({**SURGE, "budget": "5e6"}, "expected a number of USD/week"),
    ({**SURGE, "budget": 1.1e7}, "outside the menu's range"),
    ({**SURGE, "type": "sanctions"}, "'sanctions' is not on team Enforcement's menu"),
    ({**SURGE, "targets": {"corridors": ["Colombia-Panama"]}}, "not allowed; allowed:"),
    ({**SURGE, "ramp_weeks": 50}, "expected a number in [0, 8], got 50"),
    ({**SURGE, "why": "x" * 5000}, "at most 2000 characters"),
    ({**SURGE, "expected": {"consumption": -3}}, "between -1 and 10"),
])
def test_bad_submissions_change_nothing(untouched, decision, expect):
    before = snapshot_of(untouched)
    errs = untouched.submit("Enforcement", {"turn": 1, "decisions": [decision]})
    assert errs and any(expect in e for e in errs), errs
    assert snapshot_of(untouched) == before


def test_over_budget_and_stale_turn_change_nothing(untouched):
    live = untouched
    before = snapshot_of(live)
    big = {"name": "strike", "type": "targeted_enforcement", "budget": 8e6,
           "targets": {"top_n": 3}}
    errs = live.submit("Enforcement", {"turn": 1, "decisions": [SURGE, big]})
    assert any("over budget: team Enforcement would commit 13,000,000" in e for e in errs)
    errs = live.submit("Enforcement", {"turn": 2, "decisions": [SURGE]})
    assert any("stale turn: the file is for turn 2, the exercise is at turn 1" in e
               for e in errs), errs
    assert live.submit("Nobody", {"decisions": []})[0].startswith("form: team: unknown team")
    assert check_bounds("not a dict") == ["form: expected a submission (decisions and stops)"]
    assert check_bounds({"decisions": [SURGE] * 21})[0].startswith("form: decisions: at most")
    assert snapshot_of(live) == before


def test_submit_advance_in_the_background_and_refuse_while_busy(live):
    v0 = live.version
    assert live.submit("Enforcement", {"turn": 1, "decisions": [SURGE]}) == []
    assert live.version > v0
    assert live.view["pending"]["Enforcement"]["decisions"][0]["name"] == "surge"
    assert [t["submitted"] for t in live.view["status"]["teams"]] == [True, False]
    # a page waiting on the version wakes up as soon as something changes
    seen = live.version
    woke = []
    t = threading.Thread(target=lambda: woke.append(live.wait(seen, timeout=10)))
    t.start()
    time.sleep(0.05)
    live.lock_turn()
    t.join(5)
    assert woke and woke[0] > seen
    # the turn runs in a worker thread; while it runs, changes are refused, reads are not
    gate = threading.Event()
    real = live.ex.advance

    def slow_advance():
        gate.wait(10)
        return real()

    live.ex.advance = slow_advance
    try:
        assert live.advance() == []
        assert live.busy and "simulating turn 1" in live.busy
        assert live.advance()[0].startswith("busy: simulating turn 1")
        assert live.fire("budget-cut")[0].startswith("busy:")
        assert live.view["status"]["turn"] == 1  # reading the view does not wait
    finally:
        gate.set()
    deadline = time.time() + 30
    while live.busy and time.time() < deadline:
        time.sleep(0.05)
    del live.ex.advance
    assert live.busy is None and live.error is None
    assert live.view["status"]["turn"] == 2
    assert live.view["now"]["Enforcement"]["estimates"]
    # an inject by hand, a rewind, notes
    assert live.fire("budget-cut") == []
    assert live.view["status"]["teams"][1]["budget"] == pytest.approx(6e6 * 0.8)
    assert live.fire("no-such")[0].startswith("inject: unknown inject")
    assert live.rewind(5)[0].startswith("--turn: 5: can rewind to a turn from 0 to 1")
    assert live.rewind(0) == []
    assert live.view["status"]["turn"] == 1
    assert live.set_notes("x" * 30000)[0].startswith("notes: 30000 characters")
    assert live.set_notes("watch Treasury") == []
    assert (live.out / regmod.NOTES_FILE).read_text() == "watch Treasury"


@pytest.mark.parametrize("reps", [1, 51, "3", True, 2.5])
def test_debrief_replicates_are_bounded(untouched, reps):
    assert untouched.start_debrief(reps)[0].startswith("replicates: expected a whole number")
    assert untouched.debrief == {"phase": "none"}


def test_debrief_needs_a_played_turn(untouched):
    assert untouched.start_debrief(2) == ["debrief: no turn played yet: nothing to debrief"]


# ---------------------------------------------------------------------------- codes
def test_join_codes(reg, untouched):
    live = untouched
    codes = live.codes
    assert set(codes) == {FACILITATOR, "Enforcement", "Treasury"}
    assert all(len(c) == CODE_LENGTH for c in codes.values())
    assert len(set(codes.values())) == 3
    assert reg.join(codes["Treasury"]) == (live, "Treasury")
    spaced = "-".join([codes["Treasury"][:4].lower(), codes["Treasury"][4:]])
    assert reg.join(spaced) == (live, "Treasury")  # read aloud, typed loosely
    assert reg.join("AAAAAAAA") is None or reg.join("AAAAAAAA")[0] is not live
    assert reg.join("") is None and reg.join("x" * 500) is None
    # the codes are kept with the session: reopening it gives the same ones
    other = Registry(sessions_dir=reg.sessions_dir, exercises_dir=reg.exercises_dir)
    again = other.open(live.out)
    assert again.codes == codes


def test_pages_can_only_reach_listed_files(reg, tmp_path):
    from sim.errors import ScenarioError

    with pytest.raises(ScenarioError, match="is not one of the exercises"):
        reg.create(MINI)  # tests/data is not the exercises folder
    with pytest.raises(ScenarioError, match="is not a session in"):
        reg.open(tmp_path)
    net = Registry(network=True, admin_key="ABCDEFGH")
    assert not net.admin_ok("") and not net.admin_ok("ABCDEFGX") and net.admin_ok("abcd-efgh")
    assert Registry(network=False).admin_ok("")


# ---------------------------------------------------------------------------- form rules
@pytest.mark.parametrize("text, value", [("8e6", 8e6), ("8,000,000", 8e6), ("8 M", 8e6),
                                         ("250k", 2.5e5), ("-0.1", -0.1), ("1.5bn", 1.5e9)])
def test_parse_number(text, value):
    assert parse_number(text, "budget") == (pytest.approx(value), None)


@pytest.mark.parametrize("text", ["abc", "", "5e6; rm -rf", "1e", "--3"])
def test_parse_number_refuses(text):
    v_, err = parse_number(text, "budget")
    assert v_ is None and err.startswith("budget: ")


def test_decision_from_form():
    item = {"type": "interdiction", "budget": (1e6, 1e7),
            "targets": {"corridors": ["Mexico-United States"], "regions": ["Mexico"]},
            "fields": {"ramp_weeks": [0, 8]}}
    dec, errs = decision_from_form(
        {"name": " surge ", "budget": "5 M", "targets": {"corridors": ["Mexico-United States"],
                                                         "bogus": ["x"]},
         "fields": {"ramp_weeks": "4", "injected": "1"}, "turns": "2",
         "expected": {"consumption": "-10%", "homicides": ""}, "why": "flow"},
        item, ["homicides", "consumption"])
    assert errs == []
    assert dec == {"name": "surge", "type": "interdiction", "budget": 5e6,
                   "targets": {"corridors": ["Mexico-United States"]}, "ramp_weeks": 4,
                   "turns": 2, "expected": {"consumption": pytest.approx(-0.1)}, "why": "flow"}
    dec, errs = decision_from_form({"name": "", "budget": "lots", "turns": "1.5"}, item, [])
    assert dec is None
    assert errs == ["name: give the decision a short name (letters, digits, - _ .)",
                    "budget: 'lots' is not a number (USD/week)",
                    "turns: expected a whole number, got '1.5'"]


def test_budget_line():
    decisions = [{"team": "A", "name": "a", "week": 4, "last_week": None,
                  "entry": {"budget": 5e6}},
                 {"team": "A", "name": "old", "week": 4, "last_week": 7,
                  "entry": {"budget": 1e6}},
                 {"team": "B", "name": "b", "week": 4, "last_week": None,
                  "entry": {"budget": 9e6}}]
    assert running_budget(decisions, "A", 8, []) == 5e6
    assert running_budget(decisions, "A", 8, ["a"]) == 0
    pct, over, text = budget_line(5e6, 8e6, 12e6)
    assert over and pct == 100.0 and "over budget by 1 M" in text
    pct, over, text = budget_line(5e6, 1e6, 12e6)
    assert not over and pct == pytest.approx(50.0) and "6 M left" in text


# ---------------------------------------------------------------------------- pages
def html_of(box) -> str:
    """Every text the rendered page shows (HTML widgets, buttons, labels)."""
    out = []

    def walk(w):
        if isinstance(w, widgets.HTML | widgets.HTMLMath):
            out.append(w.value)
        for attr in ("value", "label", "template", "unsafe_innerHTML"):  # Markdown: template
            val = getattr(w, attr, None)
            if isinstance(val, str):
                out.append(val)
        for c in getattr(w, "children", []) or []:
            if isinstance(c, str):
                out.append(c)
            else:
                walk(c)

    walk(box)
    return "\n".join(out)


def test_team_page_form_adds_refuses_and_submits(live):
    from tocsim.web.team import TeamView

    box, rc = solara.render(TeamView(live, "Enforcement"), handle_error=False)
    try:
        text = html_of(box)
        assert "Decisions for turn 1" in text and "0 of 12 M USD/week committed" in text
        rc.find(v.TextField, label="name").widget.v_model = "surge"
        rc.find(v.TextField, label="budget, USD/week (menu: 1 M to 10 M)").widget.v_model = "-5"
        rc.find(v.Btn, children=["Add to plan"]).widget.click()
        assert "a budget cannot be negative" in html_of(box)
        assert live.ex.state["pending"] == {}
        rc.find(v.TextField, label="budget, USD/week (menu: 1 M to 10 M)").widget.v_model = "5e6"
        rc.find(v.Btn, children=["Add to plan"]).widget.click()
        assert "this type needs one of: regions, corridors" in html_of(box)  # the engine's
        rc.find(v.Select, label="targets: corridors").widget.v_model = ["Mexico-United States"]
        rc.find(v.Btn, children=["Add to plan"]).widget.click()
        text = html_of(box)
        assert "5 M of 12 M USD/week committed" in text
        rc.find(v.Btn, children=["Submit turn 1"]).widget.click()
        assert "Submitted for turn 1" in html_of(box)
        assert live.ex.state["pending"]["Enforcement"]["decisions"][0]["budget"] == 5e6
    finally:
        rc.close()


def test_console_shows_a_submission_without_reload(live):
    from tocsim.web.facilitator import FacilitatorView

    box, rc = solara.render(FacilitatorView(live), handle_error=False)
    try:
        assert "Facilitator: Mini exercise (tests)" in html_of(box)
        assert "surge" not in html_of(box)
        live.submit("Enforcement", {"turn": 1, "decisions": [SURGE]})  # another browser
        deadline = time.time() + 10
        while "surge" not in html_of(box) and time.time() < deadline:
            time.sleep(0.05)
        assert "<td>surge</td>" in html_of(box)
    finally:
        rc.close()


def test_home_on_a_network_asks_for_the_server_key(untouched, monkeypatch):
    from tocsim.web.app import Home

    net = Registry(sessions_dir=untouched.out.parent, exercises_dir=ROOT / "exercises",
                   network=True, admin_key="ABCDEFGH")
    net.sessions[untouched.key] = untouched
    monkeypatch.setattr(regmod, "_REGISTRY", net)
    code = untouched.codes["Treasury"]
    box, rc = solara.render(Home(), handle_error=False)
    try:
        assert "server key" in html_of(box) and code not in html_of(box)
        rc.find(v.TextField, label="server key").widget.v_model = "WRONGKEY"
        assert "Wrong server key." in html_of(box) and code not in html_of(box)
        rc.find(v.TextField, label="server key").widget.v_model = "abcd-efgh"
        assert code in html_of(box)
    finally:
        rc.close()


def test_unknown_code_shows_the_join_form(reg):
    from tocsim.web.common import JoinForm

    box, rc = solara.render(JoinForm("/team", "That code does not open any session on this "
                                     "server."), handle_error=False)
    try:
        assert "That code does not open any session" in html_of(box)
        rc.find(v.Btn, children=["Join"]).assert_single()
    finally:
        rc.close()


# ---------------------------------------------------------------------------- command line
def test_serve_refuses_bad_input_with_one_line(tmp_path, capsys):
    import socket

    from tocsim.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nteams: []\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    assert main(["serve", "--port", str(free), "--exercise", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}: ") and "Traceback" not in err
    assert not (tmp_path / "sessions").exists()
    assert main(["serve", "--port", "70000"]) == 2
    assert "--port: 70000: expected 1 to 65535" in capsys.readouterr().err
    # the sessions folder: a file, or under a file (a session created there used to fail
    # only when a page created it, with NotADirectoryError)
    (tmp_path / "file").write_text("x")
    for where, why in (("file", "is a file, not a folder"),
                       ("file/sub", "cannot make the folder (Not a directory)")):
        assert main(["serve", "--port", str(free), "--sessions", str(tmp_path / where)]) == 2
        assert capsys.readouterr().err.strip() == f"--sessions: {tmp_path / where}: {why}"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert f"--port: {port}: already in use on 127.0.0.1" in capsys.readouterr().err


def test_serve_settings_are_offline_and_without_telemetry():
    """What `tocsim serve` sets before Solara reads its settings: no telemetry, no CDN,
    production mode (checked in a fresh interpreter, as the server starts)."""
    import subprocess
    import sys

    code = ("from tocsim.web.server import offline_settings; offline_settings('127.0.0.1', 1);"
            "import solara.server.settings as s, solara.settings as a;"
            "print(s.telemetry.mixpanel_enable, a.assets.cdn, a.assets.proxy, s.main.mode)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, check=True)
    assert out.stdout.split() == ["False", "http://127.0.0.1:9/", "True", "production"]
