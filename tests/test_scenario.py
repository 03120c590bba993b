"""Scenario loading and validation: every bad input gets a one-line FILE: field: message."""

import pytest

from sim import ScenarioError, load_scenario
from sim.scenario import parse_set


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def errors_of(path, **kw):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path, **kw)
    return exc.value.lines


def test_baseline_file_loads(tmp_path):
    s = load_scenario("scenarios/baseline.yaml")
    assert s.name == "baseline" and s.weeks == 520 and s.seed == 42
    assert s.world.n_regions >= 17 and len(s.hash) == 16


def test_unknown_key_lists_the_valid_ones(tmp_path):
    p = write(tmp_path, "s.yaml", "name: x\nwekks: 10\n")
    (line,) = errors_of(p)
    assert line.startswith(f"{p}: wekks: unknown key; valid: ")
    assert "weeks" in line and "interventions" in line


def test_wrong_types_and_ranges(tmp_path):
    p = write(tmp_path, "s.yaml", "name: x\nweeks: many\nseed: -1\n")
    lines = errors_of(p)
    assert any(line.startswith(f"{p}: weeks:") for line in lines)
    assert any(line.startswith(f"{p}: seed:") for line in lines)


def test_parameter_overrides_are_checked(tmp_path):
    p = write(tmp_path, "s.yaml", """
name: x
params:
  recruitment: {rate: 2.0, ratte: 1}
  nonsense: {a: 1}
  market: {sell_fraction: yes}
""")
    lines = errors_of(p)
    text = "\n".join(lines)
    assert f"{p}: params.recruitment.rate: 2.0 is out of range" in text
    assert f"{p}: params.recruitment.ratte: unknown parameter; valid: rate" in text
    assert f"{p}: params.nonsense: unknown parameter group" in text
    assert f"{p}: params.market.sell_fraction: expected a number" in text
    assert len(lines) == 4


def test_missing_file_and_bad_yaml(tmp_path):
    (line,) = errors_of(tmp_path / "nope.yaml")
    assert line == f"{tmp_path / 'nope.yaml'}: file not found"
    p = write(tmp_path, "bad.yaml", "name: [unclosed\n")
    (line,) = errors_of(p)
    assert line.startswith(f"{p}:") and "not valid YAML" in line


def test_world_file_errors_name_the_world_file(tmp_path):
    p = write(tmp_path, "s.yaml", "name: x\nworld: missing_world.yaml\n")
    (line,) = errors_of(p)
    assert line == f"{p}: world: file not found: {tmp_path / 'missing_world.yaml'}"
    w = (tmp_path / "w.yaml")
    w.write_text(open("tests/data/tiny_world.yaml").read().replace(
        "{from: Source, to: Transit,", "{from: Atlantis, to: Transit,"))
    p = write(tmp_path, "s2.yaml", "name: x\nworld: w.yaml\n")
    lines = errors_of(p)
    assert any(line.startswith(f"{w}: corridors[0].from: unknown region 'Atlantis'; valid: Source")
               for line in lines)


def test_extends_inherits_overrides_and_appends(tmp_path):
    write(tmp_path, "base.yaml", "name: base\nweeks: 30\nseed: 7\nparams: {market: {sell_fraction: 0.4}}\n")
    p = write(tmp_path, "child.yaml",
              "extends: base.yaml\nname: child\nparams: {recruitment: {rate: 0.001}}\n")
    s = load_scenario(p)
    assert (s.name, s.weeks, s.seed) == ("child", 30, 7)
    assert s.params["market"]["sell_fraction"] == 0.4
    assert s.params["recruitment"]["rate"] == 0.001
    p = write(tmp_path, "loop.yaml", "extends: loop.yaml\nname: loop\n")
    (line,) = errors_of(p)
    assert "circular" in line


def test_set_overrides_and_cli_seed_weeks():
    over = parse_set(["params.recruitment.rate=0.004", "weeks=12",
                      "interventions.kingpin.budget=2e7"])
    assert over == {"params.recruitment.rate": 0.004, "weeks": 12,
                    "interventions.kingpin.budget": 2e7}
    s = load_scenario("scenarios/kingpin.yaml", overrides=over, seed=9)
    assert s.params["recruitment"]["rate"] == 0.004 and s.weeks == 12 and s.seed == 9
    assert s.interventions[0]["budget"] == 2e7
    assert s.overrides == over
    with pytest.raises(ScenarioError, match="expected dotted.key=value"):
        parse_set(["novalue"])
    with pytest.raises(ScenarioError, match="expected dotted.key=value"):
        parse_set(["params..rate=1"])
    bad = parse_set(["params.recruitment.rate=-1"])
    with pytest.raises(ScenarioError, match="params.recruitment.rate") as exc:
        load_scenario("scenarios/baseline.yaml", overrides=bad)
    # a bad --set names the option, not the file
    assert all(line.startswith("--set params.recruitment.rate=-1: ") for line in exc.value.lines)


def test_a_bad_set_names_the_option_not_the_file():
    with pytest.raises(ScenarioError) as exc:
        load_scenario("scenarios/kingpin.yaml", overrides=parse_set(["interventions.nope.budget=1"]))
    (line,) = exc.value.lines
    assert line.startswith("--set interventions.nope.budget=1: no list item 'nope' in "
                           "interventions (give an index < 1 or a name: kingpin)"), line
    with pytest.raises(ScenarioError) as exc:
        load_scenario("scenarios/kingpin.yaml",
                      overrides=parse_set(["interventions.kingpin.budget=-5"]))
    (line,) = exc.value.lines
    assert line == ("--set interventions.kingpin.budget=-5: interventions[0].budget: must be "
                    ">= 0, got -5"), line
    with pytest.raises(ScenarioError) as exc:
        load_scenario("scenarios/baseline.yaml", overrides=parse_set(["wekks=5"]))
    assert exc.value.lines[0].startswith("--set wekks=5: "), exc.value.lines
    assert "scenarios/baseline.yaml" not in " ".join(exc.value.lines)


def test_resolved_yaml_loads_back_to_the_same_scenario(tmp_path):
    s = load_scenario("scenarios/kingpin.yaml",
                      overrides=parse_set(["interventions.kingpin.budget=2e7",
                                           "params.recruitment.rate=0.003"]))
    text = s.resolved_yaml()
    assert "# overrides: interventions.kingpin.budget=20000000, params.recruitment.rate=0.003" in text
    assert "extends" not in text.split("\n", 2)[-1]  # inheritance is resolved
    p = tmp_path / "resolved.yaml"
    p.write_text(text)
    back = load_scenario(p)
    assert back.hash == s.hash and back.interventions == s.interventions
    assert back.params == s.params and back.weeks == s.weeks and back.seed == s.seed


def test_interventions_list_empty_is_fine_unknown_type_is_not(tmp_path):
    p = write(tmp_path, "s.yaml", "name: x\ninterventions:\n  - {type: teleport}\n")
    (line,) = errors_of(p)
    assert line.startswith(f"{p}: interventions[0].type: unknown type 'teleport'; known:")


def test_hash_changes_with_content(tmp_path):
    a = load_scenario("scenarios/baseline.yaml")
    b = load_scenario("scenarios/baseline.yaml", overrides={"params.market.sell_fraction": 0.3})
    assert a.hash != b.hash
    assert a.hash == load_scenario("scenarios/baseline.yaml").hash


def test_regions_and_corridors_from_csv(tmp_path):
    (tmp_path / "regions.csv").write_text(
        "name,roles,population,legit_wage,state_capacity,enforcement_capacity,judicial_capacity,officials\n"
        "Source,source,5000000,150,0.5,0.5,0.4,100\n"
        "Transit,transit,5000000,150,0.5,0.5,0.4,100\n"
        "Market,consumer,50000000,150,0.9,1.0,0.7,100\n"
        "Market2,consumer;transit,20000000,150,0.9,1.0,0.7,50\n")
    (tmp_path / "corridors.csv").write_text(
        "from,to,mode,distance_km,capacity\nSource,Transit,land,500,5000\n"
        "Transit,Market,land,500,5000\nMarket,Market2,air,800,100\n")
    import shutil

    shutil.copy("tests/data/tiny_world.yaml", tmp_path / "tiny.yaml")
    p = write(tmp_path, "s.yaml", "name: x\nworld: {base: tiny.yaml, regions: regions.csv, corridors: corridors.csv}\n")
    s = load_scenario(p)
    assert s.world.n_regions == 4 and s.world.n_edges == 6
    assert s.world.region_roles[3] == 4 | 2
    (tmp_path / "corridors.csv").write_text("from,to,mode,distance_km,capacity\nSource,Transit,boat,1,1\n")
    lines = errors_of(p)
    assert any("corridors[0].mode" in line for line in lines)


def test_with_overrides_reaches_intervention_fields_and_revalidates():
    s = load_scenario("scenarios/kingpin.yaml")
    t = s.with_overrides({"interventions.kingpin.budget": 5e6, "interventions.0.ramp_weeks": 3,
                          "params.recruitment.rate": 0.003, "weeks": 10})
    assert t.interventions[0]["budget"] == 5e6 and t.interventions[0]["ramp_weeks"] == 3
    assert t.params["recruitment"]["rate"] == 0.003 and t.weeks == 10
    assert s.interventions[0]["budget"] == 1e7  # the original is untouched
    with pytest.raises(ScenarioError, match="no list item 'nope'"):
        s.with_overrides({"interventions.nope.budget": 1})
    with pytest.raises(ScenarioError, match=r"interventions\[0\].budget: must be >= 0"):
        s.with_overrides({"interventions.kingpin.budget": -1})
