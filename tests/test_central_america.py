"""The Central America route preset (issue 12, preset 3): the NarcoLogic network as a world,
its scenario, its targets and its crackdown scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORLD = ROOT / "scenarios" / "worlds" / "central_america.yaml"
SCENARIO = ROOT / "scenarios" / "central_america.yaml"
CRACKDOWN = ROOT / "scenarios" / "central_america_crackdown.yaml"
TARGETS = ROOT / "calibration" / "targets" / "central_america.yaml"
DATA = ROOT / "calibration" / "data" / "central_america_routes"


def test_builder_reproduces_the_committed_world():
    from calibration.make_central_america_world import build

    w = build()
    shipped = yaml.safe_load(WORLD.read_text())
    assert shipped == yaml.safe_load(yaml.safe_dump(w, allow_unicode=True))
    assert build() == w  # deterministic


def test_world_is_the_narcologic_network():
    from calibration.make_central_america_world import EDGE_KG_MONTH, MEMBERS, build

    nodes = pd.read_csv(DATA / "NodeTable.csv")
    edges = pd.read_csv(DATA / "EdgeTable.csv")
    assert len(nodes) == 163 and len(edges) == 1017
    w = build()
    names = [r["name"] for r in w["regions"]]
    # 38 departments + the source + the exit + the seven DeptCode-3 nodes
    assert len(names) == len(set(names)) == 38 + 2 + 7
    assert sum("dept" in n for n in names) == nodes.DeptCode.nunique() - 3
    assert all(r["lat"] is not None and r["lon"] is not None for r in w["regions"])
    sources = [r["name"] for r in w["regions"] if "source" in r["roles"]]
    assert sources == ["Colombia (source, node 0)"]
    src = nodes[nodes.DeptCode == 1].iloc[0]
    reg = w["regions"][names.index(sources[0])]
    assert (reg["lat"], reg["lon"]) == (round(src.Lat, 4), round(src.Lon, 4))
    # corridors: every edge between two regions is in exactly one corridor's capacity
    from calibration.make_central_america_world import node_regions

    where = node_regions(nodes)
    between = sum(where[a] != where[b] for a, b in zip(edges.EndNodes_1, edges.EndNodes_2,
                                                       strict=True))
    per_edge = EDGE_KG_MONTH * 12 / 52
    total_cap = sum(c["capacity"] for c in w["corridors"])
    assert total_cap == pytest.approx(between * per_edge, rel=1e-6)
    # the flow: M19's ~166 t/month as the exits' demand
    demand = sum(m["demand"] for m in w["commodities"][0]["markets"].values())
    assert demand == pytest.approx(166_000 * 12 / 52, rel=1e-4)
    # the two DTOs, by node count, on land
    orgs = {o["name"]: o for o in w["organizations"]}
    assert set(orgs) == {"DTO 1", "DTO 2"}
    assert abs(sum(o["members"] for o in orgs.values()) - MEMBERS) <= 1
    for o in orgs.values():
        assert not any("Pacific" in r or "Caribbean Sea" in r for r in o["presence"])
    held = {k: sum(o["presence"].values()) for k, o in orgs.items()}
    counts = nodes[nodes.DTO > 0].DTO.value_counts()
    at_sea = nodes.ID.isin([156, 157, 158])
    assert held["DTO 1"] == counts[1] - int((at_sea & (nodes.DTO == 1)).sum())
    assert held["DTO 2"] == counts[2] - int((at_sea & (nodes.DTO == 2)).sum())


def test_world_and_scenarios_validate():
    from sim.scenario import load_scenario

    scn = load_scenario(SCENARIO)
    w = scn.world
    assert w.n_regions == 47 and np.isfinite(w.region_lat).all()
    assert np.isfinite(w.region_lon).all()
    assert w.extra["scale"] == scn.raw["scale"]
    crack = load_scenario(CRACKDOWN)
    lever = crack.interventions[-1]
    assert lever["type"] == "interdiction" and len(lever["targets"]["corridors"]) >= 3
    assert crack.weeks == scn.weeks and crack.seed == scn.seed


def test_scenario_runs_with_flow_on_many_corridors():
    from sim.model import TocModel
    from sim.scenario import load_scenario

    scn = load_scenario(SCENARIO, weeks=26, overrides={"params.run.spinup_weeks": 26})
    m = TocModel(scn)
    used = np.zeros(m.E // 2)
    for _ in range(scn.weeks):
        m.step()
        used += m.edge_flow[0::2] + m.edge_flow[1::2]
    df = m.metrics_frame()
    assert np.isfinite(df.drop(columns="week").to_numpy(float)).all()
    assert (df.supply_shipped > 0).all()
    rate = df.seizure_rate.mean()
    assert 0.02 < rate < 0.8, rate
    # more corridors than two DTOs' least-cost paths of one week could use
    assert (used > 0).sum() >= 20, (used > 0).sum()
    assert df.route_nodes.max() >= 3


def test_targets_file_validates_and_matches_the_scale():
    from calibration.targets import load_targets
    from sim.params import lookup

    t = load_targets(TARGETS)
    assert {s.name for s in t.series} == {"seized_share", "flow"}
    for p in t.spec.parameters:
        d = lookup(p.path.removeprefix("params."))
        assert d.lo <= p.low < p.high <= d.hi
    flow = next(s for s in t.series if s.name == "flow")
    # kilograms are not rescaled by the calibration: the observation share is the scale
    assert flow.spec.observation.share == pytest.approx(t.scale)
    assert flow.values[0] == pytest.approx(166_000 * 12)
    share = next(s for s in t.series if s.name == "seized_share")
    lo, hi = np.exp(np.log(share.values[0]) + np.array([-1.645, 1.645])
                    * share.spec.observation.error_sd_log)
    assert lo == pytest.approx(0.25, abs=0.01) and hi == pytest.approx(0.34, abs=0.01)


def test_corridor_names_split_back_into_regions():
    from calibration.central_america_displacement import _split, corridor_names
    from sim.scenario import load_scenario

    w = load_scenario(SCENARIO).world
    pos = dict.fromkeys(w.region_names)
    names = corridor_names(w)
    assert len(names) == w.n_edges // 2
    for k, n in enumerate(names):
        a, b = _split(n, pos)
        assert (w.region_index(a), w.region_index(b)) == (w.edge_from[2 * k], w.edge_to[2 * k])
