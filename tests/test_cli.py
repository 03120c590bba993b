"""The tocsim command as a user meets it: exit codes, messages, outputs, no tracebacks."""

import json
import subprocess
import sys

import pandas as pd
import pytest

from tocsim.cli import main


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "tocsim", *args], capture_output=True, text=True)


def test_help_lists_commands():
    r = run_cli("--help")
    assert r.returncode == 0 and "run" in r.stdout and "validate" in r.stdout


def test_validate_ok_and_bad(tmp_path, capsys):
    assert main(["validate", "scenarios/baseline.yaml"]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nweeks: -3\nparams: {conflict: {theta: 1}}\n")
    assert main(["validate", "scenarios/baseline.yaml", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith(f"{bad}: weeks:")
    assert err[1].startswith(f"{bad}: params.conflict.theta: 1 is out of range")
    assert len(err) == 2


def test_run_bad_input_exits_2_without_traceback_or_output(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nworld: nowhere.yaml\n")
    out = tmp_path / "out"
    r = run_cli("run", str(bad), "--out", str(out))
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and r.stderr.strip().startswith(f"{bad}: world:")
    assert not out.exists()
    r = run_cli("run", "scenarios/baseline.yaml", "--set", "params.recruitment.rate=abc",
                "--out", str(out))
    assert r.returncode == 2 and "params.recruitment.rate" in r.stderr and not out.exists()


def test_run_writes_outputs_and_is_byte_identical(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        assert main(["run", "scenarios/baseline.yaml", "--weeks", "60", "--out", str(out),
                     "--quiet"]) == 0
    assert (a / "timeseries.csv").read_bytes() == (b / "timeseries.csv").read_bytes()
    assert (a / "regions.csv").read_bytes() == (b / "regions.csv").read_bytes()
    ts = pd.read_csv(a / "timeseries.csv")
    assert list(ts.columns[:3]) == ["week", "retail_price", "wholesale_price"]
    for col in ("consumption", "supply_shipped", "seizures", "criminal_revenue", "criminal_wealth",
                "laundered_assets", "frozen_assets", "active_cartels", "active_gangs",
                "criminal_members", "recruits", "arrests", "incarcerated", "homicides",
                "corruption_rate", "enforcement_spend", "market_hhi", "route_nodes"):
        assert col in ts.columns
    assert len(ts) == 60 and ts.week.tolist() == list(range(60))
    reg = pd.read_csv(a / "regions.csv")
    assert {"week", "region", "drug_volume", "seizures", "homicides", "corruption_rate",
            "retail_price"} <= set(reg.columns)
    assert len(reg) == 60 * reg.region.nunique()
    s = json.loads((a / "summary.json").read_text())
    for key in ("scenario", "seed", "weeks", "tocsim_version", "scenario_hash", "wall_time_s",
                "means_last_window"):
        assert key in s
    assert s["weeks"] == 60 and s["means_last_window"]["homicides"] == pytest.approx(
        ts.homicides.iloc[-52:].mean())
    png = (a / "plots" / "overview.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000
    c = tmp_path / "c"
    main(["run", "scenarios/baseline.yaml", "--weeks", "60", "--seed", "1", "--out", str(c),
          "--quiet", "--no-plots"])
    assert (c / "timeseries.csv").read_bytes() != (a / "timeseries.csv").read_bytes()
    assert not (c / "plots").exists()


def test_failed_run_keeps_earlier_results(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert main(["run", "scenarios/baseline.yaml", "--weeks", "10", "--out", str(out),
                 "--quiet", "--no-plots"]) == 0
    before = (out / "timeseries.csv").read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.model.TocModel.step", boom)
    assert main(["run", "scenarios/baseline.yaml", "--weeks", "10", "--seed", "5", "--out",
                 str(out), "--quiet"]) == 130
    assert (out / "timeseries.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


def test_list_shows_scenarios_and_parameters(capsys):
    assert main(["list", "--params"]) == 0
    out = capsys.readouterr().out
    assert "baseline.yaml" in out and "recruitment.rate = 0.002527" in out


def test_run_lists_only_the_outputs_it_wrote(tmp_path, capsys):
    for extra, plot in (([], True), (["--no-plots"], False)):
        out = tmp_path / ("plot" if plot else "noplot")
        assert main(["run", "scenarios/baseline.yaml",
                     "--weeks", "3", "--set", "params.run.spinup_weeks=0", "--out", str(out),
                     *extra]) == 0
        listed = [ln for ln in capsys.readouterr().out.splitlines()
                  if ln.startswith("outputs:")][-1]
        assert ("plots/overview.png" in listed) is plot
        assert (out / "plots" / "overview.png").exists() is plot
        for name in ("timeseries.csv", "regions.csv", "summary.json", "scenario.resolved.yaml"):
            assert name in listed and (out / name).exists()


def test_command_line_run_pauses_the_collector_until_the_model_is_built(tmp_path):
    """From the command line the cyclic garbage collector is off during imports and the
    model's build, then on again with the start-up's objects frozen; a run called from
    Python leaves the collector as it was."""
    code = (
        "import gc, sys\n"
        "import tocsim.cli as c\n"
        "resume = c._resume_gc\n"
        "def spy(args):\n"
        "    print('built', gc.isenabled(), gc.get_freeze_count())\n"
        "    resume(args)\n"
        "    print('running', gc.isenabled(), gc.get_freeze_count())\n"
        "c._resume_gc = spy\n"
        f"sys.argv = ['tocsim', 'run', 'scenarios/baseline.yaml', '--weeks', '3', '--out', "
        f"{str(tmp_path / 'cl')!r}, '--quiet', '--no-plots']\n"
        "c.main()\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    built, paused, before, running, resumed, after = r.stdout.split()
    assert (built, paused, running, resumed) == ("built", "False", "running", "True")
    assert int(after) > int(before) + 10_000  # the start-up's objects were frozen
    frozen = __import__("gc").get_freeze_count()
    assert main(["run", "scenarios/baseline.yaml", "--weeks", "3", "--out",
                 str(tmp_path / "py"), "--quiet", "--no-plots"]) == 0
    assert __import__("gc").isenabled() and __import__("gc").get_freeze_count() == frozen
