"""The Explorer page rendered with Solara's test helpers (no browser): controls built from
the declarations, refused values, stepping, export."""

import base64
import re
import time

import ipyvuetify as v
import ipywidgets
import pytest
import solara

import sim
from sim.params import PARAMS
from tocsim.web import explorer
from tocsim.web.explorer_run import REGISTRY


@pytest.fixture
def page(scn_dir, monkeypatch):
    """The explorer on two tiny scenarios (no spin-up), rendered; the runs it made are
    closed afterwards."""
    monkeypatch.setattr(explorer, "SCENARIOS_DIR", scn_dir)
    monkeypatch.setattr(explorer, "DEFAULT_SCENARIO", "tiny.yaml")
    before = set(REGISTRY.ids())
    box, rc = solara.render(explorer.ExplorerPage(), handle_error=False)
    new = [i for i in REGISTRY.ids() if i not in before]
    assert len(new) == 1
    run = REGISTRY.get(new[0])
    yield rc, run
    rc.close()
    run.close()


def status(rc) -> str:
    return rc.find(v.Html, class_="explorer-status").widget.children[0]


def wait_for(cond, timeout=60.0):
    t0 = time.monotonic()
    while not cond():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.02)


def select(rc, label, value):
    rc.find(v.Select, label=label).widget.v_model = value


def type_into(rc, label, text):
    field = rc.find(v.TextField, label=label).widget
    field.v_model = text
    field.fire_event("keyup.enter", None)


def test_controls_are_built_from_the_declared_ranges(page):
    rc, run = page
    select(rc, "parameter group", "recruitment")
    select(rc, "parameter", "rate")
    p = PARAMS["recruitment"]["rate"]
    slider = rc.find(v.Slider, label="recruitment.rate").widget
    assert (slider.min, slider.max) == (p.lo, p.hi)
    assert slider.v_model == p.default
    rc.find(v.TextField, label=f"recruitment.rate [{p.unit}]").assert_single()
    rc.find(v.Html, children=[f"range {p.lo:g} to {p.hi:g} {p.unit}; default {p.default:g}"]
            ).assert_single()
    # a parameter spanning orders of magnitude gets a log10 slider over its range
    select(rc, "parameter", "saturation")
    q = PARAMS["recruitment"]["saturation"]
    log = rc.find(v.Slider, label="recruitment.saturation (log scale)").widget
    assert (log.min, log.max) == pytest.approx((-5.0, __import__("math").log10(q.hi)))
    # levers: the scenario's own, with the type's declared parameters
    select(rc, "scenario", "tiny_levers.yaml")
    wait_for(lambda: run.scenario.name == "tiny_levers")
    rc.find(v.Btn, children=["▸ border (interdiction)"]).widget.click()
    from sim.interventions.interdiction import Interdiction

    hz = Interdiction.params["hazard_per_million"]  # 0-100: an exact input, no slider
    rc.find(v.TextField, label=f"hazard_per_million [{hz.unit}]").assert_single()
    rc.find(v.Html, children=[f"range 0 to 100 {hz.unit}; default 0.4"]).assert_single()
    assert rc.find(v.TextField, label="budget [million USD/week]").widget.v_model == "2.0"
    modes = rc.find(v.Slider, label="modes").widget
    assert (modes.min, modes.max) == (1, 7)


def test_an_out_of_range_value_is_refused_with_a_message(page):
    rc, run = page
    select(rc, "parameter group", "recruitment")
    select(rc, "parameter", "rate")
    before = run.scenario
    type_into(rc, "recruitment.rate [1/member/week]", "0.2")
    msg = rc.find(v.Html, class_="explorer-message explorer-refused").widget.children[0]
    assert re.search(r"refused: params.recruitment.rate: 0.2 is out of range \[0, 0.05\]", msg)
    assert run.scenario is before  # nothing changed
    field = rc.find(v.TextField, label="recruitment.rate [1/member/week]").widget
    assert float(field.v_model) == PARAMS["recruitment"]["rate"].default  # the kept value
    type_into(rc, "weeks", "99999")
    msg = rc.find(v.Html, class_="explorer-message explorer-refused").widget.children[0]
    assert "weeks: 99999 is out of range [1, 1040]" in msg
    assert run.scenario is before
    type_into(rc, "recruitment.rate [1/member/week]", "0.004")
    assert run.scenario.params["recruitment"]["rate"] == 0.004
    rc.find(v.Html, class_="explorer-message explorer-info").assert_single()


def test_step_advances_the_week_and_the_pictures(page):
    rc, run = page
    wait_for(lambda: len(rc.find(ipywidgets.Image).widgets) == 2)
    charts = rc.find(ipywidgets.Image, _dom_classes=("solara-image", "explorer-charts"))
    first = bytes(charts.widget.value)
    assert status(rc) == "Week 0 of 30 · ready"
    rc.find(v.Btn, class_="explorer-step").widget.click()
    wait_for(lambda: status(rc) == "Week 1 of 30 · paused")
    rc.find(v.Btn, class_="explorer-step").widget.click()
    wait_for(lambda: status(rc) == "Week 2 of 30 · paused")
    wait_for(lambda: bytes(charts.widget.value) != first)
    assert run.snapshot.week == 2
    rc.find(v.Btn, class_="explorer-reset").widget.click()
    wait_for(lambda: status(rc) == "Week 0 of 30 · ready")


def test_export_gives_yaml_that_loads_back(page, tmp_path):
    rc, run = page
    select(rc, "parameter group", "conflict")
    select(rc, "parameter", "theta")
    type_into(rc, "conflict.theta [1/member pair/week]", "3e-8")
    assert run.scenario.params["conflict"]["theta"] == 3e-8
    html = rc.find(solara.widgets.HTML).widgets
    link = [w for w in html if "explorer-export" in w.unsafe_innerHTML]
    assert len(link) == 1
    m = re.search(r'download="([^"]+)" href="data:application/x-yaml;base64,([^"]+)"',
                  link[0].unsafe_innerHTML)
    name, text = m.group(1), base64.b64decode(m.group(2)).decode()
    assert name == "tiny-explorer.yaml"
    path = tmp_path / name
    path.write_text(text)
    back = sim.load_scenario(path)
    assert back.params["conflict"]["theta"] == 3e-8
    assert back.params == run.scenario.params and back.weeks == run.scenario.weeks


def test_no_scenario_file_is_said_plainly(tmp_path, monkeypatch):
    monkeypatch.setattr(explorer, "SCENARIOS_DIR", tmp_path)
    box, rc = solara.render(explorer.ExplorerPage(), handle_error=False)
    msg = rc.find(v.Html, class_="explorer-message explorer-refused").widget.children[0]
    assert msg == f"The explorer cannot start: no scenario files in {tmp_path}/"
    rc.close()


def test_a_lever_is_added_through_the_form_and_its_target_checked(page):
    rc, run = page
    rc.find(v.Btn, children=["▸ add a lever"]).widget.click()
    select(rc, "type", "interdiction")
    type_into(rc, "budget [million USD/week]", "3")
    type_into(rc, "start week", "2")
    rc.find(v.Btn, children=["add"]).widget.click()
    msg = rc.find(v.Html, class_="explorer-message explorer-refused").widget.children[0]
    assert "this type needs one of: regions, corridors" in msg
    assert run.scenario.interventions == []
    rc.find(v.Select, label="target regions (or roles)").widget.v_model = ["Transit"]
    rc.find(v.Btn, children=["add"]).widget.click()
    assert run.scenario.interventions == [{"type": "interdiction", "name": "interdiction-1",
                                           "start_week": 2, "budget": 3e6,
                                           "targets": {"regions": ["Transit"]}}]
    rc.find(v.Btn, children=["▸ interdiction-1 (interdiction)"]).assert_single()
