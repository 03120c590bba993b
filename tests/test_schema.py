"""The JSON Schemas of `tocsim schema`: valid schemas, the shipped files pass, bad files fail."""

import json
from pathlib import Path

import pytest

from sim import yamlio
from sim.params import PARAMS

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + [
    ROOT / "tests/data/tiny_base.yaml", ROOT / "tests/data/tiny_surge.yaml"]
PROBLEMS = sorted((ROOT / "sensitivity").glob("*.yaml")) + [
    ROOT / "tests/data/tiny_problem.yaml", ROOT / "tests/data/ishigami.yaml"]


@pytest.fixture(scope="module")
def scenario_validator():
    from sim.schema import scenario_schema

    schema = scenario_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def problem_validator():
    from analysis.schema import problem_schema

    schema = problem_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _errors(v, data):
    return sorted(e.message for e in v.iter_errors(data))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_pass_the_schema(scenario_validator, path):
    assert _errors(scenario_validator, yamlio.load(path.read_text())) == []


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_shipped_problems_pass_the_schema(problem_validator, path):
    assert _errors(problem_validator, yamlio.load(path.read_text())) == []


def test_every_declared_parameter_is_in_the_schema_with_its_range(scenario_validator):
    props = scenario_validator.schema["properties"]["params"]["properties"]
    for g, grp in PARAMS.items():
        for n, p in grp.items():
            s = props[g]["properties"][n]
            assert (s["minimum"], s["maximum"]) == (p.lo, p.hi)
            assert p.unit in s["description"]


def test_bad_scenarios_fail_the_schema(scenario_validator):
    ok = {"name": "x", "interventions": [{"type": "targeted_enforcement", "name": "k",
                                          "budget": 1e6, "targets": {"top_n": 3}}]}
    assert _errors(scenario_validator, ok) == []
    bad_cases = [
        {"name": "x", "params": {"recruitment": {"rate": -1}}},           # below range
        {"name": "x", "params": {"recruitment": {"nope": 1}}},            # unknown parameter
        {"name": "x", "params": {"nogroup": {"rate": 1}}},                # unknown group
        {"name": "x", "weeks": 0},
        {"name": "x", "colour": "red"},                                    # unknown key
        {"description": "no name and no extends"},
        {"name": "x", "interventions": [{"type": "teleport", "budget": 1}]},
        {"name": "x", "interventions": [{"type": "interdiction", "budget": 1, "intensity": 1}]},
        {"name": "x", "interventions": [{"type": "interdiction"}]},        # no budget/intensity
        {"name": "x", "interventions": [{"type": "interdiction", "budget": 1, "colour": 1}]},
        {"name": "x", "interventions": [{"type": "interdiction", "budget": 1,
                                         "after_end": "later"}]},
        {"name": "x", "interventions": [{"type": "interdiction", "budget": 1,
                                         "targets": {"kinds": ["pirates"]}}]},
    ]
    for case in bad_cases:
        assert _errors(scenario_validator, case), json.dumps(case)


def test_schema_command_writes_both_schemas(tmp_path, capsys):
    from tocsim.cli import main

    assert main(["schema", "--out", str(tmp_path / "s.json")]) == 0
    assert json.loads((tmp_path / "s.json").read_text())["title"] == "tocsim scenario"
    capsys.readouterr()
    assert main(["schema", "problem"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "tocsim sensitivity problem"


def test_schema_out_that_cannot_be_written_is_one_line(tmp_path, capsys):
    """`tocsim schema --out` under a file or at a folder ended in a FileExistsError or
    IsADirectoryError traceback; now one line, exit 2. A good path is written whole."""
    from tocsim.cli import main

    (tmp_path / "file").write_text("x")
    assert main(["schema", "scenario", "--out", str(tmp_path / "file" / "s.json")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"--out: {tmp_path / 'file' / 's.json'}: cannot write the schema (File exists: "
        f"{tmp_path / 'file'})")
    assert main(["schema", "scenario", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"--out: {tmp_path}: is a folder; give the schema file's name")
    assert main(["schema", "problem", "--out", str(tmp_path / "new" / "p.json")]) == 0
    assert json.loads((tmp_path / "new" / "p.json").read_text())["type"] == "object"
