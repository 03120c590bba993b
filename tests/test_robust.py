"""Issue 10, one regression test per example: any input gets a clear one-line error (exit 2)
or a correct run, never a traceback or a crash, and nothing already written is lost."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import DATA, tiny_scenario

from sim.errors import ModelLimitError, ScenarioError
from sim.scenario import from_dict, load_scenario
from tocsim.cli import main

WORLD = str(DATA / "tiny_world.yaml")


def scenario_file(tmp_path, body: str, name: str = "s.yaml", world: str = WORLD):
    p = tmp_path / name
    p.write_text(f"name: rb\nweeks: 4\nworld: {world}\n" + body)
    return p


def errors_of(path) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return exc.value.lines


def one_clean_error(capsys, argv, must_contain: str):
    """``tocsim ARGV`` exits 2 with short one-line errors naming the problem."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and must_contain in err, err
    assert all(len(line) < 600 for line in err.splitlines())
    return err


def run_finite_and_conserved(scn, weeks=None):
    from sim.model import TocModel

    m = TocModel(scn, checks=True).run(weeks)  # conservation and state checks every week
    ts = m.metrics_frame()
    assert np.isfinite(ts.to_numpy(dtype=float)).all()
    return m


# ---------------------------------------------------------------- crashes on valid input
def test_path_edges_never_writes_past_its_buffer():
    """A predecessor cycle (from negative route weights) returns -1 instead of writing past
    the buffer (issue 10: index 17 out of bounds for size 17)."""
    from sim.kernels.routing import path_edges

    edge_from = np.array([0, 1, 2, 1], np.int32)  # edges 1->2 (e1) and 2->1 (e2) form a cycle
    pred = np.array([-1, 2, 1], np.int32)
    out = np.full(3, 99, np.int32)
    guard = np.full(5, 7, np.int32)
    buf = np.concatenate([out, guard])
    assert path_edges(pred, edge_from, 0, 2, buf[:3]) == -1
    assert (buf[3:] == 7).all()
    assert path_edges(np.array([-1, 0, 1], np.int32), np.array([0, 1], np.int32), 0, 2,
                      np.zeros(3, np.int32)) == 2


LARGE_HAZARDS = {"enforcement": {"arrest_rate": 0.05, "exposure_dealer": 20},
                 "interdiction": {"intel_gain": 10}}


def test_large_hazards_never_crash():
    """arrest_rate 0.05, exposure_dealer 20 and intel_gain 10 (each in range) segfaulted once
    wholesale prices went negative. The kernels now guard their buffers and the weekly checks
    stop the run at the first negative price, naming the week and the quantity."""
    from sim.model import ConservationError

    try:
        run_finite_and_conserved(tiny_scenario(weeks=30, params=LARGE_HAZARDS))
    except ConservationError as exc:  # until the price chain converts hazards (econ branch)
        assert str(exc).startswith("week ") and "wholesale_price" in str(exc)


@pytest.mark.xfail(reason="needs the price chain's 1 - exp(-h) in _clear_markets (econ branch)",
                   strict=False)
def test_large_hazards_run_finite_and_conserved():
    m = run_finite_and_conserved(tiny_scenario(weeks=30, params=LARGE_HAZARDS))
    assert (m.wholesale_price >= 0).all() and (m.retail_price > 0).all()


def test_huge_budget_never_crashes_the_process(tmp_path):
    """targeted_enforcement random with budget 1e12 segfaulted: now it runs or stops with a
    one-line message naming the week and the quantity (exit 3), in a subprocess so that a
    crash would show as a signal."""
    p = scenario_file(tmp_path, "interventions:\n  - {type: targeted_enforcement, "
                      "strategy: random, budget: 1.0e12}\n")
    r = subprocess.run([sys.executable, "-m", "tocsim", "run", str(p), "--out",
                        str(tmp_path / "o"), "--quiet", "--no-plots"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode in (0, 3), r.stderr
    assert "Traceback" not in r.stderr
    if r.returncode == 3:
        assert "week " in r.stderr and "nothing was written" in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "o").exists()


@pytest.mark.xfail(reason="needs the price chain's 1 - exp(-h) in _clear_markets (econ branch)",
                   strict=False)
def test_huge_budget_runs_to_the_end():
    scn = from_dict({"name": "b", "weeks": 6, "world": WORLD, "interventions": [
        {"type": "targeted_enforcement", "strategy": "random", "budget": 1e12}]}, "<t>")
    run_finite_and_conserved(scn)


def test_corruption_extremes_build_and_run():
    """integrity_weight 38 with noise 0.01 overflowed math.exp in _init_corruption."""
    scn = tiny_scenario(weeks=3, params={"corruption": {"integrity_weight": 38, "noise": 0.01}})
    run_finite_and_conserved(scn)
    scn = tiny_scenario(weeks=3, params={"corruption": {"integrity_weight": 0, "noise": 0.01,
                                                        "bribe_multiple": 100}})
    run_finite_and_conserved(scn)


def test_recruitment_pull_is_jointly_bounded(tmp_path):
    """reference_wage 10000 with wage_elasticity 5 asked for about 4e12 member slots."""
    p = scenario_file(tmp_path, "params: {recruitment: {reference_wage: 10000, "
                      "wage_elasticity: 5}}\n")
    (line,) = errors_of(p)
    assert "params.recruitment" in line and "at most 100" in line
    ok = scenario_file(tmp_path, "params: {recruitment: {reference_wage: 10000, "
                       "wage_elasticity: 0}}\n", "ok.yaml")
    load_scenario(ok)  # the same wage with no elasticity is fine


def test_member_slots_beyond_the_limit_stop_cleanly():
    from sim.agents import MAX_MEMBER_SLOTS, Members

    m = Members(1024)
    with pytest.raises(ModelLimitError, match="member slots"):
        m.ensure(MAX_MEMBER_SLOTS + 1)


@pytest.mark.parametrize("key", ["alliances", "rivalries"])
def test_negative_or_infinite_pair_weights_refused(tmp_path, key):
    """alliance -1 divided by zero in _conflict; rivalry weights were never checked."""
    world = (DATA / "tiny_world.yaml").read_text().replace(
        "rivalries:\n  - [Alpha, Beta, 2]", f"{key}:\n  - [Alpha, Beta, -1]")
    w = tmp_path / "w.yaml"
    w.write_text(world)
    lines = errors_of(scenario_file(tmp_path, "", world=str(w)))
    assert any(f"{key}[0]" in line for line in lines), lines


def test_weeks_1_writes_the_overview_plot(tmp_path, capsys):
    p = scenario_file(tmp_path, "")
    out = tmp_path / "o"
    assert main(["run", str(p), "--weeks", "1", "--out", str(out), "--quiet"]) == 0
    assert (out / "plots" / "overview.png").stat().st_size > 1000


@pytest.mark.parametrize("body, field", [
    ("interventions:\n  - {type: targeted_enforcement, start_week: null, budget: 1.0e6}\n",
     "start_week"),
    ("interventions:\n  - {type: targeted_enforcement, budget: null}\n", "budget"),
    ("interventions:\n  - {type: targeted_enforcement, intensity: .inf}\n", "intensity"),
    ("interventions:\n  - {type: targeted_enforcement, budget: 1, decay_rate: .nan}\n",
     "decay_rate"),
    ("interventions:\n  - {type: [a], budget: 1}\n", "type"),
    ("interventions:\n  - {type: targeted_enforcement, name: {a: 1}, budget: 1}\n", "name"),
])
def test_null_and_non_finite_intervention_fields(tmp_path, capsys, body, field):
    p = scenario_file(tmp_path, body)
    one_clean_error(capsys, ["validate", str(p)], f"interventions[0].{field}")


@pytest.mark.parametrize("name", ['"a\\0b"', "x" * 300, '"a/b"', '".."'])
def test_scenario_names_that_cannot_name_a_folder(tmp_path, capsys, name):
    p = tmp_path / "s.yaml"
    p.write_text(f"name: {name}\nweeks: 2\nworld: {WORLD}\n")
    one_clean_error(capsys, ["run", str(p), "--quiet"], "name:")


def test_memory_estimate_refuses_unless_forced(tmp_path, capsys, monkeypatch):
    import sim.memory as mem

    scn = from_dict({"name": "m", "weeks": 2, "world": WORLD}, "<t>")
    need = mem.estimate_bytes(scn)
    assert 100 * 2**20 < need < 2 * 2**30
    big = from_dict({"name": "m", "weeks": 2, "world": WORLD, "scale": 1000}, "<t>")
    # members scale with the world: the estimate grows by about slots * bytes
    assert mem.estimate_bytes(big) - need == pytest.approx(
        (2 * int(big.world.org_members.sum()) - 2 * int(scn.world.org_members.sum()))
        * mem.MEMBER_SLOT_BYTES, rel=0.1)  # officials and budgets scale too
    monkeypatch.setattr(mem, "available_bytes", lambda: 50 * 2**20)
    p = scenario_file(tmp_path, "")
    err = one_clean_error(capsys, ["run", str(p), "--out", str(tmp_path / "o"), "--quiet"],
                          "--force")
    assert "GiB" in err and not (tmp_path / "o").exists()
    assert main(["run", str(p), "--out", str(tmp_path / "o"), "--quiet", "--no-plots",
                 "--force"]) == 0


def test_model_leaving_its_valid_space_names_week_and_quantity():
    from sim.model import ConservationError, TocModel

    m = TocModel(tiny_scenario(weeks=5), checks=True)
    m.run(2)
    m.guns[1] = np.nan
    with pytest.raises(ConservationError, match=r"week 2: .*guns: 1 of 4 values not finite"):
        m.step()
    m = TocModel(tiny_scenario(weeks=5), checks=True)
    m.run(1)
    from sim.processes import markets

    orig = markets.step

    def negative_prices(s):
        orig(s)  # the stage prices are set in the markets' step only
        s.wholesale_price[0, 2] = -5.0

    markets.step = negative_prices
    try:
        with pytest.raises(ConservationError, match=r"week 1: wholesale_price: 1 of 4 values negative \(lowest -5 at \[0, 2\]\)"):
            m.step()
    finally:
        markets.step = orig


# ---------------------------------------------------------------- bad files
def test_non_utf8_scenario_world_and_csv(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"name: caf\xe9\nweeks: 3\n")
    err = one_clean_error(capsys, ["validate", str(bad)], "not UTF-8")
    assert "line 1" in err
    w = tmp_path / "w.yaml"
    w.write_bytes((DATA / "tiny_world.yaml").read_bytes() + b"\n# \xff\xfe\n")
    one_clean_error(capsys, ["validate", str(scenario_file(tmp_path, "", world=str(w)))],
                    f"{w}: line")
    csv = tmp_path / "c.csv"
    csv.write_bytes(b"from,to,mode,distance_km,capacity\nSource,Transit,land,1\x93,1\n")
    p = scenario_file(tmp_path, "", "c.yaml", world=f"{{base: {WORLD}, corridors: c.csv}}")
    one_clean_error(capsys, ["validate", str(p)], "c.csv: line 2: not UTF-8")


def test_deep_nesting_and_alias_bomb_are_bounded(tmp_path, capsys):
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\nparams: " + "[" * 5000 + "]" * 5000 + "\n")
    one_clean_error(capsys, ["validate", str(deep)], "nested more than")
    bomb = tmp_path / "bomb.yaml"
    lines = ["name: x", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("params: {market: {sell_fraction: *a9}}")
    bomb.write_text("\n".join(lines) + "\n")
    assert len(bomb.read_bytes()) < 700
    t0 = time.perf_counter()
    one_clean_error(capsys, ["validate", str(bomb)], "aliases are expanded")
    assert time.perf_counter() - t0 < 5
    rec = tmp_path / "rec.yaml"
    rec.write_text("name: x\nparams: &p {market: *p}\n")
    one_clean_error(capsys, ["validate", str(rec)], "recursive")


def test_error_values_are_truncated(tmp_path, capsys):
    """A large value in a wrong place is shown cut short (the 72 MB error line)."""
    p = scenario_file(tmp_path, "params: {market: {sell_fraction: [" + ", ".join(["x" * 50] * 2000)
                      + "]}}\n")
    err = one_clean_error(capsys, ["validate", str(p)], "params.market.sell_fraction")
    assert len(err) < 400


def test_long_and_circular_extends_chains(tmp_path, capsys):
    (tmp_path / "f0.yaml").write_text(f"name: x\nweeks: 2\nworld: {WORLD}\n")
    for i in range(1, 30):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: f{i - 1}.yaml\n")
    load_scenario(tmp_path / "f10.yaml")  # ten levels are fine
    err = one_clean_error(capsys, ["validate", str(tmp_path / "f29.yaml")], "levels of inheritance")
    assert "f29.yaml -> f28.yaml" in err
    (tmp_path / "c1.yaml").write_text("extends: c2.yaml\nname: x\n")
    (tmp_path / "c2.yaml").write_text("extends: c1.yaml\n")
    err = one_clean_error(capsys, ["validate", str(tmp_path / "c1.yaml")], "circular")
    assert "c1.yaml -> " in err and "c2.yaml" in err


def test_duplicate_keys_refused(tmp_path, capsys):
    p = scenario_file(tmp_path, "weeks: 9\n")
    err = one_clean_error(capsys, ["validate", str(p)], "duplicate key 'weeks'")
    assert "line 4" in err and "first at line 2" in err
    w = tmp_path / "w.yaml"
    w.write_text((DATA / "tiny_world.yaml").read_text().replace(
        "population: 5000000,", "population: 5000000, population: 6,", 1))
    one_clean_error(capsys, ["validate", str(scenario_file(tmp_path, "", "t.yaml", str(w)))],
                    "duplicate key 'population'")


@pytest.mark.parametrize("value", [".inf", ".nan", "-.inf", "1.0e400"])
def test_inf_and_nan_parameters_including_whole_numbers(tmp_path, capsys, value):
    p = scenario_file(tmp_path, f"params: {{structure: {{initial_ties: {value}}}, "
                      f"market: {{sell_fraction: {value}}}}}\n")
    err = one_clean_error(capsys, ["validate", str(p)], "params.structure.initial_ties")
    assert "params.market.sell_fraction" in err


@pytest.mark.parametrize("old, new", [
    ("population: 5000000,", "population: .inf,"),
    ("legit_wage: 150,", "legit_wage: .nan,"),
    ("distance_km: 500,", "distance_km: .inf,"),
    ("cash: 1.0e9,", "cash: .nan,"),
    ("budget: 300000", "budget: .inf"),
    ("{Source: 2000}", "{Source: .inf}"),
    ("presence: {Source: 0.5,", "presence: {Source: .nan,"),
    ("demand: 400,", "demand: 1.0e300,"),
])
def test_inf_nan_and_huge_world_fields_refused(tmp_path, capsys, old, new):
    text = (DATA / "tiny_world.yaml").read_text()
    assert old in text
    w = tmp_path / "w.yaml"
    w.write_text(text.replace(old, new, 1))
    one_clean_error(capsys, ["validate", str(scenario_file(tmp_path, "", world=str(w)))],
                    str(w))


@pytest.mark.parametrize("csv_text, problem", [
    ("from,to,mode\nSource,Transit,land\n", "missing column(s) distance_km, capacity"),
    ("from,to,mode,distance_km,capacity\nSource,Transit,land,far,1\n", "line 2: corridors[0].distance_km"),
    ("from,to,mode,distance_km,capacity\nSource,Transit,land,1\n", "line 2: 4 cells"),
    ("from,to,mode,distance_km,capacity\nSource,Transit,land,1,nan\n", "corridors[0].capacity"),
    ("", "empty file"),
    ("from,to,mode,distance_km,capacity\n", "no corridors rows"),
])
def test_csv_worlds_with_missing_columns_or_bad_numbers(tmp_path, capsys, csv_text, problem):
    (tmp_path / "c.csv").write_text(csv_text)
    p = scenario_file(tmp_path, "", world=f"{{base: {WORLD}, corridors: c.csv}}")
    err = one_clean_error(capsys, ["validate", str(p)], problem)
    assert "c.csv" in err


def test_csv_regions_missing_cells(tmp_path, capsys):
    (tmp_path / "r.csv").write_text(
        "name,roles,population,legit_wage,state_capacity,enforcement_capacity,"
        "judicial_capacity,officials\nSource,source,,150,0.5,0.5,0.4,100\n")
    p = scenario_file(tmp_path, "", world=f"{{base: {WORLD}, regions: r.csv}}")
    one_clean_error(capsys, ["validate", str(p)], "regions[0].population")


@pytest.mark.parametrize("targets, key", [
    ("{regions: 5}", "regions"), ("{regions: Source}", "regions"),
    ("{organizations: [1, 2]}", "organizations"), ("{kinds: {a: 1}}", "kinds"),
    ("{corridors: 3}", "corridors"), ("{corridors: [{from: 1}]}", "corridors"),
    ("{top_n: .inf}", "top_n"), ("[1, 2]", "targets"),
])
def test_wrong_types_inside_targets(tmp_path, capsys, targets, key):
    p = scenario_file(tmp_path, "interventions:\n  - {type: targeted_enforcement, budget: 1, "
                      f"targets: {targets}}}\n")
    one_clean_error(capsys, ["validate", str(p)], key)


def test_missing_file_and_folder_given_as_a_file(tmp_path, capsys):
    one_clean_error(capsys, ["validate", str(tmp_path / "none.yaml")], "file not found")
    one_clean_error(capsys, ["validate", str(tmp_path)], "folder")


# ---------------------------------------------------------------- atomic outputs
def test_output_folder_replaced_in_one_step(tmp_path, monkeypatch):
    from sim import output

    out = tmp_path / "o"
    out.mkdir()
    (out / "summary.json").write_text("old")
    (out / "stale.csv").write_text("old")
    with output.staged_output(out) as tmp:
        (tmp / "summary.json").write_text("new")
    assert (out / "summary.json").read_text() == "new"
    assert not (out / "stale.csv").exists()  # a run's folder is replaced as a whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no staging left

    with pytest.raises(RuntimeError), output.staged_output(out) as tmp:  # an error: old kept
        (tmp / "summary.json").write_text("partial")
        raise RuntimeError
    assert (out / "summary.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]

    real = os.replace
    calls = []

    def interrupted_second_rename(a, b):  # Ctrl-C between the two renames of the swap
        calls.append((a, b))
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(output.os, "replace", interrupted_second_rename)
    with pytest.raises(KeyboardInterrupt), output.staged_output(out) as tmp:
        (tmp / "summary.json").write_text("newer")
    monkeypatch.setattr(output.os, "replace", real)
    assert (out / "summary.json").read_text() == "new"  # the old folder was put back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_stale_staging_of_dead_processes_cleaned(tmp_path):
    from sim import output

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    out = tmp_path / "o"
    (tmp_path / f".o.tmp-{dead}-abc").mkdir()  # SIGKILL during a run's staging
    (tmp_path / f".o.old-{dead}-abc").mkdir()  # SIGKILL between the two renames
    (tmp_path / f".o.old-{dead}-abc" / "summary.json").write_text("old")
    alive = tmp_path / f".o.tmp-{os.getpid()}-mine"  # a live process's staging is kept
    alive.mkdir()
    done = output.clean_stale(out)
    assert len(done) == 2 and (out / "summary.json").read_text() == "old"
    assert alive.exists() and not (tmp_path / f".o.tmp-{dead}-abc").exists()
    (tmp_path / f".o.undo-{dead}-x").mkdir()  # a comparison folder's replacement cut short
    (tmp_path / f".o.undo-{dead}-x" / "summary.json").write_text("older")
    output.clean_stale(out)
    assert (out / "summary.json").read_text() == "older"


def test_keep_others_mode_rolls_back_on_interrupt(tmp_path, monkeypatch):
    from sim import output

    out = tmp_path / "cmp"
    out.mkdir()
    (out / "runs").mkdir()
    (out / "runs" / "r1.parquet").write_text("run")
    (out / "a.csv").write_text("old a")
    (out / "b.csv").write_text("old b")
    real = os.replace
    calls = []

    def fail_late(a, b):
        calls.append(1)
        if len(calls) == 3:  # a.csv replaced, b.csv moved aside, then Ctrl-C
            raise KeyboardInterrupt
        return real(a, b)

    monkeypatch.setattr(output.os, "replace", fail_late)
    with pytest.raises(KeyboardInterrupt), output.staged_output(out, keep_others=True) as tmp:
        (tmp / "a.csv").write_text("new a")
        (tmp / "b.csv").write_text("new b")
    monkeypatch.setattr(output.os, "replace", real)
    assert (out / "a.csv").read_text() == "old a" and (out / "b.csv").read_text() == "old b"
    assert (out / "runs" / "r1.parquet").exists()
    with output.staged_output(out, keep_others=True) as tmp:
        (tmp / "a.csv").write_text("new a")
    assert (out / "a.csv").read_text() == "new a" and (out / "b.csv").read_text() == "old b"
    assert (out / "runs" / "r1.parquet").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


def test_run_refuses_to_replace_a_folder_that_is_not_a_run(tmp_path, capsys):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    p = scenario_file(tmp_path, "")
    err = one_clean_error(capsys, ["run", str(p), "--out", str(folder), "--quiet"],
                          "not a tocsim run folder")
    assert "nothing was written" in err and (folder / "thesis.tex").read_text() == "precious"


@pytest.mark.parametrize("argv", [
    ["compare", str(DATA / "tiny_base.yaml"), str(DATA / "tiny_surge.yaml"), "-r", "2"],
    ["sensitivity", str(DATA / "ishigami.yaml")],
    ["sweep", str(DATA / "tiny_surge.yaml"), "--vary", "params.recruitment.rate=0.001:0.002:2"],
    ["calibrate", str(DATA.parent.parent / "calibration" / "targets" / "example_small.yaml")],
    ["exercise", "new", str(DATA / "mini_exercise.yaml")],
    ["exercise", "play", str(DATA / "mini_exercise.yaml"), "--decisions",
     str(DATA / "mini.decisions.yaml")],
], ids=["compare", "sensitivity", "sweep", "calibrate", "exercise-new", "exercise-play"])
def test_an_out_folder_that_cannot_be_made_is_one_line(tmp_path, capsys, argv):
    """`--out` naming a file, or a path under a file, ended in a FileExistsError or
    NotADirectoryError traceback in every command that fills a folder in place (`run`
    already refused it); now one line naming the path, exit 2, and the file is untouched."""
    blocker = tmp_path / "file"
    blocker.write_text("mine")
    for out, why in ((blocker, "exists and is not a folder"),
                     (blocker / "sub", f"cannot create a folder there (Not a directory: "
                                       f"{blocker / 'sub'})")):
        assert main([*argv, "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip() == f"--out {out}: {why}; nothing was written"
    assert blocker.read_text() == "mine" and [p.name for p in tmp_path.iterdir()] == ["file"]
