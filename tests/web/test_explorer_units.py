"""The explorer's parts without a page: declarations -> controls and server-side checks
(tocsim.web.explorer_edit), the model adapter (model_view), the drawing (worldmap) and the
runs stepped by a worker thread (explorer_run)."""

import math
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import sim
from sim.interventions import REGISTRY as LEVERS
from sim.params import PARAMS
from tocsim.web import explorer_edit as ed
from tocsim.web import model_view as mv
from tocsim.web import worldmap
from tocsim.web.explorer_run import ExplorerRun, Registry

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------- explorer_edit
def test_param_controls_follow_the_declarations():
    for group, params in PARAMS.items():
        for name, p in params.items():
            c = ed.param_control(group, name)
            assert (c.lo, c.hi, c.unit, c.doc, c.source) == (p.lo, p.hi, p.unit, p.doc, p.source)
            assert c.default == p.kind(p.default)
            assert c.kind in ("int", "linear", "log", "number")
            if c.kind == "log":
                assert c.lo > 0 and c.hi / c.lo >= ed.LOG_RATIO
    assert ed.param_control("recruitment", "rate").kind == "linear"
    assert ed.param_control("run", "spinup_weeks").kind == "int"
    assert ed.param_control("recruitment", "saturation").kind == "log"  # 1e-5 to 0.5


def test_lever_controls_follow_the_declarations():
    for kind, cls in LEVERS.items():
        entry = {"type": kind, "budget": 1e6}
        controls = {c.label: c for c in ed.lever_controls(entry, 0, 520)}
        assert controls["budget"].hi == ed.MAX_BUDGET / 1e6
        assert controls["start week"].hi == 520
        for key, p in cls.params.items():
            assert (controls[key].lo, controls[key].hi, controls[key].unit) == (p.lo, p.hi, p.unit)
        for key, values in cls.choices.items():
            assert controls[key].choices == tuple(values)
    share = ed.lever_controls({"type": "sanctions", "intensity": 0.5}, 0, 520)[0]
    assert (share.label, share.hi, share.kind) == ("intensity", 1.0, "linear")


def test_an_out_of_range_value_is_refused_and_changes_nothing(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    c = ed.param_control("recruitment", "rate")
    with pytest.raises(ed.EditRefused, match=r"params.recruitment.rate: 0.2 is out of range "
                                             r"\[0, 0.05\].*nothing changed"):
        ed.set_value(scn, c, 0.2)
    for bad in (float("nan"), float("inf"), "0.01", True, None):
        with pytest.raises(ed.EditRefused):
            ed.set_value(scn, c, bad)
    assert scn.params["recruitment"]["rate"] == PARAMS["recruitment"]["rate"].default
    new = ed.set_value(scn, c, 0.004)
    assert new.params["recruitment"]["rate"] == 0.004
    assert scn.params["recruitment"]["rate"] == PARAMS["recruitment"]["rate"].default  # a copy
    with pytest.raises(ed.EditRefused, match="whole number"):
        ed.set_value(scn, ed.param_control("run", "spinup_weeks"), 2.5)
    weeks = ed.run_controls()[0]
    with pytest.raises(ed.EditRefused, match=r"weeks: 5000 is out of range \[1, 1040\]"):
        ed.set_value(scn, weeks, 5000)
    assert ed.set_value(scn, weeks, 12).weeks == 12
    with pytest.raises(ed.EditRefused, match="unknown parameter"):
        ed.param_control("recruitment", "nope")


def test_lever_fields_are_checked_then_the_whole_scenario_is(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny_levers.yaml")
    controls = {c.label: c for c in ed.lever_controls(scn.interventions[0], 0, scn.weeks)}
    new = ed.set_value(scn, controls["budget"], 3.5)  # million USD/week
    assert new.interventions[0]["budget"] == 3.5e6
    new = ed.set_value(new, controls["hazard_per_million"], 0.8)
    assert new.interventions[0]["hazard_per_million"] == 0.8
    with pytest.raises(ed.EditRefused, match="hazard_per_million: 101 is out of range"):
        ed.set_value(scn, controls["hazard_per_million"], 101)
    with pytest.raises(ed.EditRefused, match="out of range"):
        ed.set_value(scn, controls["budget"], -1)
    with pytest.raises(ed.EditRefused, match="start_week: 31 is out of range"):
        ed.set_value(scn, controls["start week"], 31)


def test_levers_are_added_and_removed_with_their_targets_checked(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    new = ed.add_lever(scn, "interdiction", 2.0, 4, ["Transit"])
    assert new.interventions[-1] == {"type": "interdiction", "name": "interdiction-1",
                                     "start_week": 4, "budget": 2.0e6,
                                     "targets": {"regions": ["Transit"]}}
    again = ed.add_lever(new, "interdiction", 1.0, 0, ["Market"])
    assert again.interventions[-1]["name"] == "interdiction-2"
    assert ed.remove_lever(again, "interdiction-1").interventions[0]["name"] == "interdiction-2"
    with pytest.raises(ed.EditRefused, match="this type needs one of: regions, corridors"):
        ed.add_lever(scn, "interdiction", 2.0, 4, [])
    with pytest.raises(ed.EditRefused, match="unknown region 'Atlantis'"):
        ed.add_lever(scn, "interdiction", 2.0, 4, ["Atlantis"])
    with pytest.raises(ed.EditRefused, match="unknown type"):
        ed.add_lever(scn, "bribery", 2.0, 4, ["Market"])
    with pytest.raises(ed.EditRefused, match="no such lever"):
        ed.remove_lever(scn, "nope")


def test_only_listed_scenario_files_load(scn_dir):
    assert ed.scenario_files(scn_dir) == ["tiny.yaml", "tiny_levers.yaml"]
    for bad in ("../tiny.yaml", str(scn_dir / "tiny.yaml"), "notes.txt", "/etc/passwd",
                "nope.yaml", None, 3):
        with pytest.raises(ed.EditRefused, match="not one of the listed scenario files"):
            ed.load_listed(scn_dir, bad)
    (scn_dir / "broken.yaml").write_text("name: broken\nweeks: -1\n")
    with pytest.raises(ed.EditRefused, match="weeks"):
        ed.load_listed(scn_dir, "broken.yaml")
    assert "baseline.yaml" in ed.scenario_files(ROOT / "scenarios")


def test_export_loads_back_to_the_same_scenario(scn_dir, tmp_path):
    from tocsim.web.explorer import export_yaml

    scn = ed.load_listed(scn_dir, "tiny_levers.yaml")
    scn = ed.set_value(scn, ed.param_control("recruitment", "rate"), 0.004)
    scn = ed.add_lever(scn, "demand_reduction", 1.5, 10)
    name, text = export_yaml(scn)
    assert name == "tiny_levers-explorer.yaml"
    path = tmp_path / "elsewhere" / name
    path.parent.mkdir()
    path.write_text(text)
    back = sim.load_scenario(path)
    assert back.params == scn.params and back.interventions == scn.interventions
    assert (back.weeks, back.seed) == (scn.weeks, scn.seed)


# ---------------------------------------------------------------------- model_view
def test_geometry_uses_coordinates_and_pairs_both_directions():
    scn = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    w = scn.world
    geo = mv.geometry(w)
    assert geo.geographic and geo.placed.all()
    i = w.region_names.index("Mexico")
    assert (geo.x[i], geo.y[i]) == (w.region_lon[i], w.region_lat[i])
    assert len(geo.corridor_ends) == w.n_edges // 2 == len(w.spec.corridors)
    for e in range(w.n_edges):  # both directions of a corridor map to it
        a, b = geo.corridor_ends[geo.edge_corridor[e]]
        assert {a, b} == {w.edge_from[e], w.edge_to[e]}


def test_geometry_falls_back_to_a_deterministic_layout(scn_dir):
    w = ed.load_listed(scn_dir, "tiny.yaml").world
    assert np.isnan(w.region_lat).all()
    g1, g2 = mv.geometry(w), mv.geometry(w)
    assert not g1.geographic and not g1.placed.any()
    assert np.array_equal(g1.x, g2.x) and np.array_equal(g1.y, g2.y)
    pts = {(round(x, 9), round(y, 9)) for x, y in zip(g1.x, g1.y, strict=True)}
    assert len(pts) == len(w.region_names)  # distinct places
    assert np.allclose(np.hypot(g1.x, g1.y), 1.0)
    # some coordinates: those regions stay put, the others go on a ring around them
    import dataclasses

    lat, lon = w.region_lat.copy(), w.region_lon.copy()
    lat[:2], lon[:2] = [10.0, 20.0], [-80.0, -70.0]
    part = mv.geometry(dataclasses.replace(w, region_lat=lat, region_lon=lon))
    assert part.placed.tolist() == [True, True, False, False] and not part.geographic
    assert (part.x[0], part.y[0]) == (-80.0, 10.0)
    assert np.isfinite(part.x).all() and np.isfinite(part.y).all()


def test_snapshot_matches_the_public_frames(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    geo = mv.geometry(scn.world)
    model = mv.build(scn)
    empty = mv.snapshot(model, geo, scn.weeks)
    assert empty.week == 0 and empty.flow.sum() == 0
    for _ in range(6):
        mv.step(model)
    snap = mv.snapshot(model, geo, scn.weeks)
    assert (snap.week, snap.weeks) == (6, 30)
    mf, rf = model.metrics_frame(), model.regions_frame()
    for m in mv.KEY_METRICS:
        assert np.array_equal(snap.series[m], mf[m].to_numpy(float))
    last = rf[rf.week == 5]
    rate = last["homicides"].to_numpy() * 52 / scn.world.population * 1e5
    assert np.allclose(snap.homicide_rate, rate)
    assert np.array_equal(snap.corruption, last["corruption_rate"].to_numpy())
    # flows: both directions of each corridor summed; total = total edge flow
    assert snap.flow.shape == (4,)
    assert math.isclose(snap.flow.sum(), float(np.sum(model.edge_flow)))
    assert snap.flow.sum() > 0
    assert snap.homicide_rate_max >= np.nanmax(snap.homicide_rate)


# ---------------------------------------------------------------------- worldmap
def test_map_and_charts_draw_what_the_snapshot_holds(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny_levers.yaml")
    geo = mv.geometry(scn.world)
    model = mv.build(scn)
    for _ in range(8):
        mv.step(model)
    snap = mv.snapshot(model, geo, scn.weeks)
    for colouring in mv.REGION_COLOURINGS:
        fig = worldmap.draw_map(geo, snap, colouring)
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        assert ax.get_title() == (f"Week 8 of 30: regions coloured by "
                                  f"{mv.REGION_COLOURINGS[colouring][0]}")
        assert "schematic" in ax.get_xlabel()
        labels = {t.get_text() for t in ax.texts} - {""}  # "": leader lines
        assert labels == set(scn.world.region_names)
        widths = sorted(line.get_linewidth() for line in ax.lines)
        assert len(widths) == len(geo.corridor_ends)
        assert widths[-1] == pytest.approx(0.6 + worldmap.MAX_WIDTH)  # the busiest corridor
        colours = ax.collections[0].get_array()
        assert np.allclose(colours, np.nan_to_num(snap.region_values(colouring)))
    png = worldmap.png(worldmap.draw_map(geo, snap))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    charts = worldmap.draw_charts(snap, [("border", 5)])
    titles = [ax.get_title() for ax in charts.axes if ax.get_visible()]
    assert titles == [mv.metric_label(m) for m in mv.KEY_METRICS]
    first = charts.axes[0]
    assert np.array_equal(first.lines[0].get_ydata(), snap.series[mv.KEY_METRICS[0]])
    assert first.get_xlim() == (0, 30)
    assert any(tuple(line.get_xdata()) == (5, 5) for line in first.lines)  # the lever starts


def test_map_of_the_default_world_is_geographic():
    scn = sim.load_scenario(ROOT / "scenarios" / "baseline.yaml")
    geo = mv.geometry(scn.world)
    fig = worldmap.draw_map(geo, mv.empty_snapshot(scn.weeks, geo))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "longitude (degrees east)"
    lat0 = np.mean(geo.y)
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians(lat0)))
    x0, x1 = ax.get_xlim()
    assert x0 < geo.x.min() and x1 > geo.x.max()


# ---------------------------------------------------------------------- explorer_run
def _wait(cond, timeout=60.0):
    t0 = time.monotonic()
    while not cond():
        assert time.monotonic() - t0 < timeout, "timed out"
        time.sleep(0.01)


def test_step_play_pause_reset_in_the_worker(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    run = ExplorerRun("test-run-1", "tiny.yaml", scn)
    try:
        assert run.status.state == "ready" and not run.thread_alive
        run.step(3)
        _wait(lambda: run.snapshot.week == 3 and not run.thread_alive)
        assert run.status.state == "paused"
        # 20 weeks/s and at most 4 snapshots a second: the second snapshot comes about five
        # weeks after the first, so the pause falls between snapshots and about 20 weeks
        # before the end (at 100 weeks/s it came at week 29 of 30, and a run that finished
        # before the pause could not take the Step below)
        run.set_speed(20)
        run.play()
        _wait(lambda: run.snapshot.week >= 5)
        t0 = time.monotonic()
        run.pause()
        _wait(lambda: not run.thread_alive, timeout=5)
        stopped = time.monotonic() - t0
        week = run.snapshot.week
        time.sleep(0.2)
        assert run.snapshot.week == week < 30 and run.status.state == "paused"
        assert stopped < 2.0  # between two weeks (milliseconds), whatever the machine's load
        run.step(1)  # the page showed the week the model paused at: one step is one week
        _wait(lambda: not run.thread_alive and run.snapshot.week == week + 1, timeout=10)
        run.play()
        _wait(lambda: run.status.state == "finished")
        assert run.snapshot.week == 30 and not run.thread_alive
        run.play()  # nothing past the end
        assert not run.thread_alive
        run.reset()
        assert run.snapshot.week == 0 and run.status.state == "ready"
    finally:
        run.close()


def test_a_week_that_raises_stops_the_run_with_its_error(scn_dir, monkeypatch):
    """A week that raises (a bug: a conservation check, say) does not leave the run
    "playing" with its worker gone: it stops in the error state naming the week and the
    error, refuses play and step, and Reset starts over with a new model."""
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    real = mv.step

    def failing(model):
        if mv.week(model) == 4:
            raise RuntimeError("boom")
        real(model)

    monkeypatch.setattr(mv, "step", failing)
    run = ExplorerRun("test-run-fail", "tiny.yaml", scn)
    try:
        run.set_speed(0)
        run.play()
        _wait(lambda: run.status.state == "error" and not run.thread_alive)
        assert run.status.message == "week 4 failed: RuntimeError: boom"
        assert run.snapshot.week <= 4
        run.play()
        run.step(1)
        assert not run.thread_alive and run.status.state == "error"
        monkeypatch.setattr(mv, "step", real)
        run.reset()
        assert run.status.state == "ready"
        run.step(2)
        _wait(lambda: run.snapshot.week == 2 and not run.thread_alive)
        assert run.status.state == "paused"
    finally:
        run.close()


def test_a_run_is_deterministic_and_matches_a_plain_run(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    run = ExplorerRun("test-run-2", "tiny.yaml", scn)
    try:
        run.set_speed(0)
        run.play()
        _wait(lambda: run.status.state == "finished")
        plain = sim.run_scenario(scn).metrics_frame()
        for m in mv.KEY_METRICS:
            assert np.array_equal(run.snapshot.series[m], plain[m].to_numpy(float))
    finally:
        run.close()


def test_no_thread_is_left_behind(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    before = threading.active_count()
    run = ExplorerRun("test-run-3", "tiny.yaml", scn, idle_s=0.3)
    run.set_speed(1)  # slow: it would play for 30 s
    run.play()
    _wait(lambda: run.snapshot.week >= 1)
    # nobody polls the run: it pauses itself and its thread ends
    _wait(lambda: not run.thread_alive, timeout=10)
    assert run.status.message == "paused: nobody was watching"
    run.play()
    _wait(lambda: run.thread_alive or run.status.state == "playing")
    run.close()
    assert not run.thread_alive
    assert threading.active_count() <= before


def test_registry_is_bounded_and_evicts_the_least_recently_seen(scn_dir):
    scn = ed.load_listed(scn_dir, "tiny.yaml")
    reg = Registry(max_runs=3)
    try:
        runs = [reg.create("tiny.yaml", scn) for _ in range(3)]
        time.sleep(0.01)
        assert reg.get(runs[0].id) is runs[0]  # seen: now the most recent
        runs[1].step(2)
        extra = reg.create("tiny.yaml", scn)
        assert len(reg) == 3
        assert reg.get(runs[1].id) is None  # the least recently seen went, its thread stopped
        assert not runs[1].thread_alive
        runs[1].play()  # a page still showing it: told, nothing runs
        assert runs[1].status.state == "error" and "dropped" in runs[1].status.message
        assert not runs[1].thread_alive
        assert set(reg.ids()) == {runs[0].id, runs[2].id, extra.id}
        for bad in (None, "", "../x", "a" * 100, "short", 42):
            assert reg.get(bad) is None
    finally:
        reg.close_all()
    assert len(reg) == 0
