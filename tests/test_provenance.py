"""One way to change a scenario (``--set`` everywhere), provenance in every output folder,
self-describing Parquet, ``tocsim list``/``--version`` and help text on every option."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import DATA

from analysis.cluster import open_client
from sim import load_scenario
from sim.metrics import METRICS, is_count
from sim.scenario import parse_set
from tocsim.cli import build_parser, main

BASE = str(DATA / "tiny_base.yaml")


@pytest.fixture(scope="module")
def client():
    with open_client(workers=1) as (c, _):
        yield c


@pytest.fixture
def lever(tmp_path):
    """The tiny world with one named lever, for --set on intervention fields."""
    p = tmp_path / "lever.yaml"
    p.write_text(f"name: tiny-lever\nextends: {BASE}\ninterventions:\n"
                 "  - {type: targeted_enforcement, name: kingpin, strategy: kingpin, "
                 "budget: 1.0e5, start_week: 5, targets: {top_n: 1}}\n")
    return str(p)


def test_run_writes_resolved_scenario_and_provenance(tmp_path, lever, capsys):
    out = tmp_path / "run"
    assert main(["run", lever, "--weeks", "12", "--quiet", "--no-plots", "--out", str(out),
                 "--set", "interventions.kingpin.budget=2e5",
                 "--set", "params.recruitment.rate=0.002"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["overrides"] == {"interventions.kingpin.budget": 2e5,
                              "params.recruitment.rate": 0.002}
    assert s["git_commit"] == "unknown" or len(s["git_commit"].split("+")[0]) >= 7
    assert len(s["engine"]) == 16 and s["tocsim_version"]
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    assert resolved["interventions"][0]["budget"] == 2e5
    assert resolved["params"]["recruitment"]["rate"] == 0.002 and resolved["weeks"] == 12
    assert "extends" not in resolved
    back = load_scenario(out / "scenario.resolved.yaml")
    assert back.hash == s["scenario_hash"]
    # a bad --set names the option, exits 2, no traceback
    assert main(["run", lever, "--set", "interventions.nope.budget=1", "--out",
                 str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("--set interventions.nope.budget=1: no list item 'nope'"), err
    assert "Traceback" not in err and not (tmp_path / "x").exists()


def test_compare_takes_set_and_records_it(tmp_path, lever, client, capsys):
    from analysis import compare

    out = tmp_path / "cmp"
    over = parse_set(["interventions.kingpin.budget=3e5", "params.recruitment.rate=0.002"])
    res = compare([BASE, lever], 2, weeks=12, window=4, out=out, client=client,
                  overrides=over)
    man = json.loads((out / "manifest.json").read_text())
    assert man["inputs"]["overrides"] == over
    assert {"tocsim", "engine", "git_commit"} <= set(man["versions"])
    base = yaml.safe_load((out / "scenarios" / "tiny-base.resolved.yaml").read_text())
    lev = yaml.safe_load((out / "scenarios" / "tiny-lever.resolved.yaml").read_text())
    # params apply to every scenario; a lever's field only where the lever is
    assert base["params"]["recruitment"]["rate"] == lev["params"]["recruitment"]["rate"] == 0.002
    assert base["interventions"] == [] and lev["interventions"][0]["budget"] == 3e5
    cost = res.table.set_index(["scenario", "metric"]).loc[("tiny-lever", "intervention_cost"),
                                                           "mean"]
    assert cost == pytest.approx(3e5)  # the overridden budget was what ran
    # counts are integers in runs.parquet, every column has its unit and definition
    part = sorted((out / "runs.parquet").glob("part-*.parquet"))[0]
    schema = pq.read_schema(part)
    for name in METRICS:
        f = schema.field(name)
        assert (f.type == "int64") == is_count(name), name
        assert f.metadata[b"unit"].decode() == METRICS[name][0]
        assert f.metadata[b"definition"].decode() == METRICS[name][1]
    assert schema.field("week").metadata[b"unit"] == b"week"
    t = pq.read_table(part).to_pandas()
    assert t["homicides"].dtype == np.int64 and t["retail_price"].dtype == np.float64
    # the CLI: an unknown lever in no scenario names --set
    assert main(["compare", BASE, lever, "-r", "2", "--weeks", "12", "--out",
                 str(tmp_path / "bad"), "--set", "interventions.nope.budget=1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--set interventions.nope.budget=1: no list item 'nope'"), err


def test_sweep_takes_set_and_writes_the_resolved_scenario(tmp_path, lever, client):
    from analysis.sensitivity.sweep import run_sweep

    out = tmp_path / "sweep"
    res = run_sweep(lever, ["interventions.kingpin.budget=0,2e5"], replicates=1, weeks=10,
                    window=4, metrics=["intervention_cost"], out=out, client=client,
                    overrides={"params.recruitment.rate": 0.002})
    man = json.loads((out / "manifest.json").read_text())
    assert man["inputs"]["overrides"] == {"params.recruitment.rate": 0.002}
    assert "git_commit" in man["versions"]
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    assert resolved["params"]["recruitment"]["rate"] == 0.002
    assert res.overrides == {"params.recruitment.rate": 0.002}


def test_sensitivity_takes_set(tmp_path, client):
    from analysis.sensitivity.batch import run_sensitivity

    out = tmp_path / "sens"
    run_sensitivity(DATA / "tiny_problem.yaml", n=2, out=out, client=client,
                    overrides={"params.recruitment.rate": 0.002})
    man = json.loads((out / "manifest.json").read_text())
    assert man["inputs"]["overrides"] == {"params.recruitment.rate": 0.002}
    resolved = yaml.safe_load((out / "scenario.resolved.yaml").read_text())
    assert resolved["params"]["recruitment"]["rate"] == 0.002


def test_version_and_list_commands(capsys):
    r = subprocess.run([sys.executable, "-m", "tocsim", "--version"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and r.stdout.startswith("tocsim ") and "git " in r.stdout
    assert main(["list", "metrics"]) == 0
    text = capsys.readouterr().out
    for name, (unit, _) in METRICS.items():
        assert f"{name}" in text and f"[{unit}]" in text
    assert main(["list", "corridors"]) == 0
    assert "Mexico-United States" in capsys.readouterr().out
    assert main(["list", "organizations"]) == 0
    assert "CJNG" in capsys.readouterr().out
    assert main(["list", "regions", "--world", BASE]) == 0
    regions = capsys.readouterr().out
    from sim.world import load_world

    tiny = load_world(str(DATA / "tiny_world.yaml"), DATA, "t")
    assert all(n in regions for n in tiny.region_names) and "Mexico" not in regions
    assert main(["list"]) == 0 and "Intervention types" in capsys.readouterr().out
    assert main(["list", "--params"]) == 0
    assert "recruitment.rate" in capsys.readouterr().out


def _walk(parser, prefix="tocsim"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, f"{prefix} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield prefix, action


def test_every_option_of_every_command_has_help():
    seen = 0
    missing = []
    for where, action in _walk(build_parser()):
        seen += 1
        if not (action.help and action.help.strip()) or action.help == argparse.SUPPRESS:
            missing.append(f"{where} {'/'.join(action.option_strings) or action.dest}")
    assert seen > 40 and not missing, missing


def test_every_command_that_builds_scenarios_takes_set():
    p = build_parser()
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    for name in ("run", "compare", "sweep", "sensitivity"):
        opts = {o for a in sub.choices[name]._actions for o in a.option_strings}
        assert "--set" in opts, name


def test_plot_titles_show_the_overrides():
    import matplotlib.pyplot as plt

    from analysis.plots import note_overrides

    fig, _ = plt.subplots()
    assert note_overrides(fig, {}) is fig and fig._suptitle is None
    fig.suptitle("Cost-effectiveness")
    note_overrides(fig, {"interventions.kingpin.budget": 2e7, "params.recruitment.rate": 0.003})
    assert fig._suptitle.get_text() == ("Cost-effectiveness\nwith --set "
                                        "interventions.kingpin.budget=20000000, "
                                        "params.recruitment.rate=0.003")
    plt.close(fig)


def test_git_commit_is_short_hash_dirty_or_unknown(tmp_path):
    from sim.provenance import git_commit

    assert git_commit(tmp_path) == "unknown"  # not a git checkout
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    (repo / "a.txt").write_text("1")
    git("add", "a.txt")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    clean = git_commit(repo)
    assert len(clean) >= 7 and "+" not in clean
    (repo / "a.txt").write_text("2")
    git_commit.cache_clear()
    assert git_commit(repo) == clean + "+dirty"
    (repo / "sub").mkdir()
    assert git_commit(repo / "sub") == "unknown"  # a folder inside another repository
