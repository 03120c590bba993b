"""Build ``scenarios/worlds/central_america.yaml``, the world of the Central America route
preset, from the NarcoLogic network in ``calibration/data/central_america_routes/`` (Magliocca
et al. 2019, PNAS 116:7784; M19).

    .venv/bin/python calibration/make_central_america_world.py   # rewrites the world file

What comes from where (the world file repeats this in its header):

- **Regions.** The network's 163 nodes, grouped by ``DeptCode`` (the department, a real
  administrative unit) so the world stays small enough to run fast: 38 departments of
  Guatemala, El Salvador, Honduras, Nicaragua, Costa Rica and Panama, each drawn at the mean
  position of its nodes. The country of a department is read from its code block (981-986,
  1195, 1422-1438, 2185-2201, 2282-2288 and 93668-93673, 64822-64837), checked against the
  nodes' coordinates; the data give no department names, so regions are named by country and
  code. ``DeptCode 1`` (node 0, on Colombia's Pacific coast) is the source region;
  ``DeptCode 2`` (node 155, in south-east Mexico) is the exit north, the consumer market.
  The seven ``DeptCode 3`` nodes lie far apart, so each is its own region: three at sea
  (Caribbean, two in the eastern Pacific), one on Hispaniola, and three on Mexico's coasts
  (Quintana Roo, Chiapas, Oaxaca). The three Mexican coast nodes have no edge onward in the
  data (the network ends there), so they are exits too: consumer markets.
- **Corridors.** ``EdgeTable.csv``'s 1,017 node edges, summed over department pairs (edges
  inside a department are dropped). Capacity: the data's 32,000 kg per edge, read as per
  month (M19's time step), i.e. 32,000 x 12 / 52 kg/week, summed over the edges a corridor
  stands for. Distance: great circle between the regions' positions, times 1.3 over land
  (road sinuosity, as the Mexico world; assumption). Mode: land where both ends are on land
  and at most 350 km apart, sea otherwise (assumption: longer hops are go-fast boats and
  semi-submersibles along the coasts; the data give no mode).
- **Flow.** M19's ~166 t/month (38,300 kg/week) is the exits' reference demand, shared by the
  number of network edges entering each exit (node 155 takes 156 of 161). The price at the
  exit is REFERENCES' Mexico/Central America wholesale price (10,000-14,000 USD/kg; 12,000),
  paid to the trafficker who delivers (``retail_by_dealers: false``: the buyers are Mexican
  organizations); the export price at the source is the default world's Colombia (2,000, in
  REFERENCES' 1,500-3,000). Lots of 400 kg: M19's ~120 interdiction events a month against a
  seized share of ~0.3 of 166 t/month (0.3 x 166,000 / 120 = 415 kg per event).
- **Organizations.** The data's two DTOs (column ``DTO``), present in each department in
  proportion to the nodes they hold there (land regions only: no members live at sea); home:
  the department with most of their nodes. Size: 100,000 members shared by node count
  (assumption: at the default ``transport.capacity_per_trafficker`` and cartel structure, the
  logistics members of 100,000 can carry about M19's flow; the calibration fits the capacity).
  No rivalry or alliance is recorded (the data have none).
- **Populations, wages, capacities.** Per country, the default world's figures (population,
  weekly wage, state, enforcement and judicial capacity, officials, guns per 1,000); a
  country's population and officials are shared over its departments by node count
  (assumption: the data give no department populations). Mexico's exit has the default
  world's Mexico; the coastal nodes of Mexico and Hispaniola 1,000,000 people each with
  Mexico's or the Caribbean's figures (assumption); the open-sea nodes 1,000 people, no
  officials and enforcement capacity 1.0 (US-led maritime patrols; assumption).
- **Agencies.** One national police per country over its regions, budgets the default
  world's partner police (3 million USD/week) shared by population; a US-led international
  task force (the default world's international partner, 1.5 million USD/week) over every
  region, partnered with all (assumption).
- Not used: the suitability layers (zero for most nodes), ``Stock``, ``Capital``,
  ``pintcpt`` (its meaning is not documented with the data) and the edge ``Weight`` and
  ``Flows`` columns (all 1).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd

from calibration.world_files import great_circle_km, write_world

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "calibration" / "data" / "central_america_routes"
OUT = ROOT / "scenarios" / "worlds" / "central_america.yaml"

SOURCE_CODE, EXIT_CODE, SPECIAL_CODE = 1, 2, 3
MEMBERS = 100_000  # both DTOs together (assumption, see the docstring)
FLOW_KG_MONTH = 166_000  # M19
EDGE_KG_MONTH = 32_000  # the data's Capacity column, per month (M19's time step)
WEEKS_PER_MONTH = 52 / 12
EXIT_PRICE = 12_000.0  # REFERENCES: Mexico/Central America 10,000-14,000 USD/kg
EXPORT_PRICE = 2_000.0  # the default world's Colombia; REFERENCES 1,500-3,000
LOT_KG = 400  # M19: 0.3 x 166 t/month over ~120 events a month
LAND_KM = 350  # longest land hop (assumption)
ROAD = 1.3  # land distance over great circle (assumption, as the Mexico world)

# The default world's figures (sim/data/default_world.yaml): population, wage, state,
# enforcement, judicial capacity, officials, guns per 1,000.
COUNTRY = {
    "Colombia": (52_000_000, 110, 0.55, 0.7, 0.35, 420, 10),
    "Panama": (4_400_000, 180, 0.55, 0.6, 0.4, 90, 6),
    "Costa Rica": (5_200_000, 200, 0.65, 0.55, 0.5, 90, 4),
    "Nicaragua": (6_900_000, 60, 0.35, 0.35, 0.25, 100, 3),
    "Honduras": (10_400_000, 70, 0.3, 0.35, 0.2, 140, 8),
    "El Salvador": (6_300_000, 90, 0.45, 0.5, 0.3, 100, 8),
    "Guatemala": (17_600_000, 85, 0.35, 0.35, 0.25, 170, 7),
    "Mexico": (128_000_000, 130, 0.45, 0.5, 0.25, 700, 13),
    "Caribbean": (22_000_000, 110, 0.45, 0.45, 0.35, 200, 6),
}
# Department code blocks (GAUL-style first-level codes) and the box their nodes must lie in.
BLOCKS = [
    ((981, 987), "Costa Rica", (8.0, 11.3, -86.0, -82.5)),
    ((1195, 1195), "El Salvador", (13.1, 14.5, -90.2, -87.6)),
    ((1418, 1438), "Honduras", (12.9, 16.6, -89.4, -83.1)),
    ((2185, 2201), "Nicaragua", (10.7, 15.1, -87.7, -82.6)),
    ((2282, 2288), "Panama", (7.1, 9.7, -83.1, -77.1)),
    ((93668, 93673), "Panama", (7.1, 9.7, -83.1, -77.1)),
    ((64822, 64837), "Guatemala", (13.7, 17.9, -92.3, -88.2)),
]
# The seven DeptCode-3 nodes: name, country figures (None: open sea), exit (consumer)?
SPECIAL = {
    156: ("Caribbean Sea (node 156)", None, False),
    157: ("Eastern Pacific (node 157)", None, False),
    158: ("Eastern Pacific, south (node 158)", None, False),
    159: ("Hispaniola (node 159)", "Caribbean", False),
    160: ("Quintana Roo coast (node 160)", "Mexico", True),
    161: ("Chiapas coast (node 161)", "Mexico", True),
    162: ("Oaxaca coast (node 162)", "Mexico", True),
}
COAST_POP = 1_000_000  # people around a coastal node (assumption)
SEA_POP = 1_000  # at sea (assumption: the field needs a positive population)
SOURCE = "Colombia (source, node 0)"
EXIT = "Mexico (exit north, node 155)"
AGENCY_BUDGET = 3.0e6  # the default world's partner police
TASK_FORCE_BUDGET = 1.5e6  # the default world's international partner


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    return great_circle_km(a[0], a[1], b[0], b[1])


def country_of(code: int, lat: float, lon: float) -> str:
    """The country of a department code, checked against a node's position."""
    for (lo, hi), name, (la0, la1, lo0, lo1) in BLOCKS:
        if lo <= code <= hi:
            if not (la0 <= lat <= la1 and lo0 <= lon <= lo1):
                raise ValueError(f"DeptCode {code}: node at {lat:.2f}, {lon:.2f} lies outside "
                                 f"{name}")
            return name
    raise ValueError(f"DeptCode {code}: no known country block")


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.read_csv(DATA / "NodeTable.csv"), pd.read_csv(DATA / "EdgeTable.csv")


def node_regions(nodes: pd.DataFrame) -> dict[int, str]:
    """Region name of every node ID."""
    out = {}
    for row in nodes.itertuples():
        code = int(row.DeptCode)
        if code == SOURCE_CODE:
            out[row.ID] = SOURCE
        elif code == EXIT_CODE:
            out[row.ID] = EXIT
        elif code == SPECIAL_CODE:
            out[row.ID] = SPECIAL[int(row.ID)][0]
        else:
            out[row.ID] = f"{country_of(code, row.Lat, row.Lon)} dept {code}"
    return out


def _figures(country: str, population: float, officials: int) -> dict:
    _, wage, state, enf, jud, _, guns = COUNTRY[country]
    return {"population": int(round(population)), "legit_wage": float(wage),
            "state_capacity": state, "enforcement_capacity": enf, "judicial_capacity": jud,
            "officials": int(officials), "guns_per_1000": float(guns)}


def build() -> dict:
    nodes, edges = load()
    where = node_regions(nodes)
    members_of = defaultdict(list)
    for row in nodes.itertuples():
        members_of[where[row.ID]].append(row)
    # countries of departments, and their node counts (to share populations and officials)
    dept_country = {r: r.split(" dept ")[0] for r in members_of if " dept " in r}
    country_nodes = defaultdict(int)
    for r, c in dept_country.items():
        country_nodes[c] += len(members_of[r])

    exit_in = defaultdict(int)  # network edges entering each exit
    exits = {EXIT} | {v[0] for v in SPECIAL.values() if v[2]}
    for e in edges.itertuples():
        for a, b in ((e.EndNodes_1, e.EndNodes_2), (e.EndNodes_2, e.EndNodes_1)):
            if where[b] in exits and where[a] != where[b]:
                exit_in[where[b]] += 1

    regions, pos, at_sea = [], {}, set()
    order = sorted(members_of, key=lambda r: (r != SOURCE, r in exits, r))
    for name in order:
        rows = members_of[name]
        lat = round(sum(x.Lat for x in rows) / len(rows), 4)
        lon = round(sum(x.Lon for x in rows) / len(rows), 4)
        pos[name] = (lat, lon)
        if name == SOURCE:
            roles, fig = ["source"], _figures("Colombia", COUNTRY["Colombia"][0],
                                              COUNTRY["Colombia"][5])
        elif name == EXIT:
            roles, fig = ["consumer"], _figures("Mexico", COUNTRY["Mexico"][0],
                                                COUNTRY["Mexico"][5])
        elif name in dept_country:
            c = dept_country[name]
            share = len(rows) / country_nodes[c]
            roles = ["transit"]
            fig = _figures(c, COUNTRY[c][0] * share, max(1, round(COUNTRY[c][5] * share)))
        else:
            _, country, is_exit = SPECIAL[int(rows[0].ID)]
            roles = ["consumer"] if is_exit else ["transit"]
            if country is None:
                at_sea.add(name)
                fig = {"population": SEA_POP, "legit_wage": COUNTRY["Colombia"][1],
                       "state_capacity": 0.9, "enforcement_capacity": 1.0,
                       "judicial_capacity": 0.7, "officials": 0, "guns_per_1000": 0.0}
            else:
                fig = _figures(country, COAST_POP, max(1, round(
                    COUNTRY[country][5] * COAST_POP / COUNTRY[country][0])))
        regions.append({"name": name, "roles": roles, **fig, "lat": lat, "lon": lon})

    # corridors: node edges summed over region pairs (in the data's order of first use)
    pair_edges: dict[tuple[str, str], int] = {}
    for e in edges.itertuples():
        a, b = where[e.EndNodes_1], where[e.EndNodes_2]
        if a == b:
            continue
        key = (a, b) if order.index(a) <= order.index(b) else (b, a)
        pair_edges[key] = pair_edges.get(key, 0) + 1
    corridors = []
    for (a, b), n in pair_edges.items():
        km = _km(pos[a], pos[b])
        land = a not in at_sea and b not in at_sea and km <= LAND_KM
        corridors.append({"from": a, "to": b, "mode": "land" if land else "sea",
                          "distance_km": max(1, round(km * (ROAD if land else 1.0))),
                          "capacity": round(n * EDGE_KG_MONTH / WEEKS_PER_MONTH, 1)})

    demand = FLOW_KG_MONTH / WEEKS_PER_MONTH
    total_in = sum(exit_in.values())
    commodities = [{
        "name": "drugs",
        "description": "cocaine, Colombia -> Central America -> Mexico (kg); sold at the "
                       "exits at the Mexico/Central America wholesale price",
        "unit": "kg", "lot_size": LOT_KG, "elasticity": -0.5, "transport_weight": 1.0,
        "seizure_factor": 1.0, "capacity_share": 0.85, "firearms": False,
        "retail_by_dealers": False, "origins": {SOURCE: EXPORT_PRICE},
        "markets": {x: {"demand": round(demand * exit_in[x] / total_in, 2), "price": EXIT_PRICE}
                    for x in sorted(exits, key=order.index)},
    }]

    dto_nodes = defaultdict(lambda: defaultdict(int))
    for row in nodes.itertuples():
        if row.DTO > 0 and where[row.ID] not in at_sea:
            dto_nodes[int(row.DTO)][where[row.ID]] += 1
    total_nodes = sum(sum(v.values()) for v in dto_nodes.values())
    orgs = []
    for dto in sorted(dto_nodes):
        held = dto_nodes[dto]
        n = sum(held.values())
        members = int(round(MEMBERS * n / total_nodes))
        home = max(held, key=lambda r: (held[r], -order.index(r)))
        orgs.append({"name": f"DTO {dto}", "kind": "cartel", "home": home, "members": members,
                     "cash": float(2000 * members), "laundered": float(20000 * members),
                     "commodities": ["drugs"],
                     "presence": {r: held[r] for r in sorted(held, key=order.index)}})

    agencies = []
    countries = sorted(set(dept_country.values()))
    for c in countries:
        regs = [r for r in order if dept_country.get(r) == c]
        agencies.append({"name": f"{c} police", "kind": "national", "regions": regs,
                         "budget": 0.0, "partners": ["Regional task force"]})
    pops = {a["name"]: sum(r["population"] for r in regions if r["name"] in a["regions"])
            for a in agencies}
    for a in agencies:
        a["budget"] = round(AGENCY_BUDGET * pops[a["name"]] / sum(pops.values()), -3)
    agencies.append({"name": "Regional task force", "kind": "international",
                     "regions": ["source", "transit", "consumer"], "budget": TASK_FORCE_BUDGET,
                     "partners": [a["name"] for a in agencies]})
    return {"name": "central-america-narcologic", "regions": regions, "corridors": corridors,
            "commodities": commodities, "organizations": orgs, "rivalries": [],
            "alliances": [], "agencies": agencies}


HEADER = """\
# The Central America route world: generated by calibration/make_central_america_world.py
# from calibration/data/central_america_routes (the NarcoLogic network, Magliocca et al. 2019,
# PNAS 116:7784; see that folder's README). Do not edit by hand: edit the script and rerun it.
# Sources and assumptions (see the script's docstring and docs/CALIBRATION.md):
#   regions: the 163 nodes grouped by DeptCode (38 departments), each DeptCode-3 node its own
#     region; DeptCode 1 = the source (Colombia), DeptCode 2 and the Mexican coast nodes with
#     no onward edge = the exits (consumer markets); lat/lon = the mean of the nodes;
#   corridors: the data's edges summed over department pairs; capacity 32,000 kg/month per
#     edge; distance = great circle (x 1.3 over land); land if <= 350 km between land
#     regions, sea otherwise (assumption);
#   flow: M19's ~166 t/month as the exits' demand; exit price 12,000 USD/kg (REFERENCES:
#     Mexico/Central America 10,000-14,000); lots of 400 kg (M19: ~120 events a month);
#   organizations: the data's two DTOs by node count, 100,000 members together (assumption);
#   populations, wages, capacities: the default world's countries, shared by node count
#     (assumption); agencies: national police per country and a regional task force.
"""


def main() -> None:
    write_world(OUT, HEADER, build())


if __name__ == "__main__":
    main()
