"""Scheduling policy levers: bad entries are refused with clear lines; levels, ramps, costs."""

import math

import pytest
from conftest import tiny_scenario

from sim import ScenarioError, load_scenario
from sim.interventions import REGISTRY
from sim.model import TocModel


def errors(entry, tmp_path=None):
    with pytest.raises(ScenarioError) as exc:
        tiny_scenario(weeks=20, interventions=[entry])
    return exc.value.lines


def test_all_ten_levers_are_registered():
    assert set(REGISTRY) == {
        "interdiction", "targeted_enforcement", "sanctions", "anti_money_laundering",
        "capacity_building", "anti_corruption", "demand_reduction", "recruitment_prevention",
        "information_sharing", "threat_mitigation"}


def test_unknown_type_lists_known_ones():
    (line,) = errors({"type": "bombing", "budget": 1})
    assert "interventions[0].type: unknown type 'bombing'; known: anti_corruption" in line


def test_bad_schedule_budget_and_targets():
    lines = errors({"type": "interdiction", "start_week": 10, "end_week": 5, "budget": -3,
                    "targets": {"regions": ["Atlantis"], "organizations": ["Nobody"]}})
    text = "\n".join(lines)
    assert "interventions[0].end_week: 5 is before start_week 10" in text
    assert "interventions[0].budget: must be >= 0, got -3" in text
    assert "interventions[0].targets.regions: unknown region 'Atlantis'; valid: Source" in text
    assert "interventions[0].targets.organizations: unknown organization 'Nobody'; valid: Alpha" in text
    assert all(line.startswith("<test>: interventions[0]") for line in lines)


def test_parameters_of_another_type_are_refused():
    (line,) = errors({"type": "sanctions", "intensity": 1, "hazard_per_million": 2})
    assert line.startswith("<test>: interventions[0].hazard_per_million: unknown field for type "
                           "'sanctions'; valid: type, name")
    assert "evasion_rate" in line


def test_other_common_mistakes():
    assert any("give either budget" in e for e in errors(
        {"type": "demand_reduction", "budget": 1, "intensity": 1}))
    assert any("give a budget" in e for e in errors({"type": "demand_reduction"}))
    assert any("needs one of: regions, corridors" in e for e in errors(
        {"type": "interdiction", "budget": 1}))
    assert any("strategy: unknown strategy 'decapitate'" in e for e in errors(
        {"type": "targeted_enforcement", "budget": 1, "strategy": "decapitate"}))
    assert any("no corridor joins Source and Market2" in e for e in errors(
        {"type": "interdiction", "budget": 1, "targets": {"corridors": ["Source-Market2"]}}))
    assert any("evasion_rate: 2 is out of range" in e for e in errors(
        {"type": "sanctions", "intensity": 1, "evasion_rate": 2}))
    assert any("share_* must sum to 1" in e for e in errors(
        {"type": "threat_mitigation", "budget": 1, "share_sanctions": 0.5}))
    with pytest.raises(ScenarioError, match="duplicate intervention name"):
        tiny_scenario(weeks=20, interventions=[
            {"type": "demand_reduction", "name": "a", "budget": 1},
            {"type": "demand_reduction", "name": "a", "budget": 2}])


def test_every_scenario_in_the_library_validates():
    import glob

    files = sorted(glob.glob("scenarios/*.yaml"))
    assert len(files) >= 15
    for f in files:
        s = load_scenario(f)
        assert s.description.strip(), f"{f} has no description"


def test_level_ramp_end_and_after_end_rules():
    m = TocModel(tiny_scenario(weeks=30, interventions=[
        {"type": "capacity_building", "name": "cb", "start_week": 2, "end_week": 9,
         "ramp_weeks": 4, "budget": 2e6, "after_end": "decay", "decay_rate": 0.1,
         "targets": {"regions": ["Transit"]}},
        {"type": "demand_reduction", "name": "dr", "start_week": 0, "end_week": 3, "intensity": 1,
         "after_end": "persist"},
        {"type": "interdiction", "name": "ban", "start_week": 5, "end_week": 6, "budget": 1e6,
         "targets": {"corridors": ["Source-Transit"]}}]))
    cb, dr, ban = m.interventions
    assert cb.intensity == 2.0 and cb.level(1) == 0.0
    assert [cb.level(t) for t in (2, 3, 4, 5, 9)] == [0.5, 1.0, 1.5, 2.0, 2.0]
    assert cb.level(12) == pytest.approx(2.0 * math.exp(-0.3))
    assert dr.level(20) == dr.level(3) == 1.0
    assert ban.level(6) == 1.0 and ban.level(7) == 0.0
    m.run()
    # costs are paid only while funded: cb ramps 0.5+1+1.5+2*5 million, dr 4 x 1 million
    assert cb.cumulative_cost == pytest.approx((0.5 + 1 + 1.5 + 2 * 5) * 1e6)
    assert dr.cumulative_cost == pytest.approx(4e6)
    assert ban.cumulative_cost == pytest.approx(2e6)
    df = m.metrics_frame()
    assert df.intervention_cost.sum() == pytest.approx(cb.cumulative_cost + dr.cumulative_cost
                                                      + ban.cumulative_cost)
    assert (df.enforcement_spend - df.intervention_cost).nunique() == 1


def test_zero_budget_interventions_leave_outputs_identical():
    base = TocModel(tiny_scenario(weeks=40, seed=11)).run().metrics_frame().to_csv()
    zero = [
        {"type": "interdiction", "budget": 0, "targets": {"regions": ["Transit"]}},
        {"type": "targeted_enforcement", "budget": 0, "strategy": "network"},
        {"type": "sanctions", "intensity": 0},
        {"type": "threat_mitigation", "budget": 0},
        {"type": "demand_reduction", "budget": 0},
    ]
    got = TocModel(tiny_scenario(weeks=40, seed=11, interventions=zero)).run().metrics_frame()
    assert got.to_csv() == base
