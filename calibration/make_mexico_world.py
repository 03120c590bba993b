"""Build ``scenarios/worlds/mexico.yaml``, the world of the Mexico 2012-2021 preset, from the
2020 group network in ``calibration/data/mexico_cartels_2020/``.

    .venv/bin/python calibration/make_mexico_world.py     # rewrites scenarios/worlds/mexico.yaml

What comes from where (the world file repeats this in its header):

- **Organizations**: the 150 groups of ``BACRIM2020_Nodes.csv`` with their home state (the
  file's ``State``). Members in 2012: PC23's 115,000 shared by 1/rank of the groups' total
  rivalry plus alliance ties, as in the reference model (:mod:`calibration.reference`). The 20
  largest are cartels (trade drugs and firearms, present in the United States and at the
  source); the others are local gangs (assumption: the data give no activity type).
- **Rivalries and alliances**: ``BACRIM2020_Rivals.csv`` and ``BACRIM2020_Alliances.csv``, made
  symmetric (the larger weight of the two directions), as the reference model does.
- **Regions**: Mexico's 32 states with their 2020 census populations (INEGI, Censo de
  Población y Vivienda 2020; transcribed, rounded to the person as published), the United
  States as the consumer market, Colombia as the source and Guatemala as the Central American
  transit, with the default world's figures for those three.
- **Wages**: one national figure for every state, USD 80 a week (assumption: about MXN 7,000 a
  month, a rounded ENOE-type mean labour income, at about 20 MXN/USD; the data give no state
  wages). Capacities (state, enforcement, judicial), officials per person and guns per 1,000
  residents are the default world's Mexico values for every state (assumption).
- **Corridors**: land corridors between neighbouring states, distances 1.3 times the great
  circle between state capitals (approximate coordinates; assumption); border states to the
  United States; sea routes from Colombia to four Pacific and Gulf coast states; Colombia to
  Guatemala to Chiapas and Tabasco.
- **Coordinates** (``lat``/``lon``, degrees; for maps only, the model never reads them): each
  state at its capital (the capitals' published coordinates, Wikipedia's infoboxes after
  GeoNames, rounded to 0.01 degree; the same points give the corridor distances); the United
  States, Colombia and Guatemala at their capitals (Washington, Bogota, Guatemala City), as in
  the default world (``sim/data/default_world.yaml``).
- **Commodities**: the default world's drug and firearms commodities, with the default world's
  United States market and Mexico's domestic market and gun demand split over the states by
  population.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from calibration.reference import load_network
from calibration.world_files import great_circle_km, write_world

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "scenarios" / "worlds" / "mexico.yaml"
MEMBERS_2012 = 115_000  # PC23
N_CARTELS = 20

# INEGI, Censo de Población y Vivienda 2020 (population by state); capital (lat, lon) in
# degrees: the capitals' published coordinates (Wikipedia infoboxes, after GeoNames), rounded
# to 0.01 degree.
STATES = {
    "Aguascalientes": (1_425_607, 21.88, -102.29),
    "Baja California": (3_769_020, 32.62, -115.45),
    "Baja California Sur": (798_447, 24.14, -110.31),
    "Campeche": (928_363, 19.85, -90.53),
    "Coahuila": (3_146_771, 25.42, -101.00),
    "Colima": (731_391, 19.24, -103.72),
    "Chiapas": (5_543_828, 16.75, -93.12),
    "Chihuahua": (3_741_869, 28.63, -106.07),
    "Ciudad de México": (9_209_944, 19.43, -99.13),
    "Durango": (1_832_650, 24.02, -104.65),
    "Guanajuato": (6_166_934, 21.02, -101.26),
    "Guerrero": (3_540_685, 17.55, -99.50),
    "Hidalgo": (3_082_841, 20.12, -98.73),
    "Jalisco": (8_348_151, 20.67, -103.35),
    "México": (16_992_418, 19.29, -99.66),
    "Michoacán": (4_748_846, 19.70, -101.19),
    "Morelos": (1_971_520, 18.92, -99.23),
    "Nayarit": (1_235_456, 21.50, -104.89),
    "Nuevo León": (5_784_442, 25.67, -100.31),
    "Oaxaca": (4_132_148, 17.07, -96.72),
    "Puebla": (6_583_278, 19.04, -98.21),
    "Querétaro": (2_368_467, 20.59, -100.39),
    "Quintana Roo": (1_857_985, 18.50, -88.30),
    "San Luis Potosí": (2_822_255, 22.15, -100.98),
    "Sinaloa": (3_026_943, 24.80, -107.39),
    "Sonora": (2_944_840, 29.07, -110.96),
    "Tabasco": (2_402_598, 17.99, -92.93),
    "Tamaulipas": (3_527_735, 23.74, -99.15),
    "Tlaxcala": (1_342_977, 19.32, -98.24),
    "Veracruz": (8_062_579, 19.54, -96.91),
    "Yucatán": (2_320_898, 20.97, -89.62),
    "Zacatecas": (1_622_138, 22.77, -102.58),
}

NEIGHBOURS = {
    "Baja California": ["Baja California Sur", "Sonora"],
    "Sonora": ["Chihuahua", "Sinaloa"],
    "Chihuahua": ["Sinaloa", "Durango", "Coahuila"],
    "Coahuila": ["Durango", "Zacatecas", "San Luis Potosí", "Nuevo León"],
    "Nuevo León": ["Tamaulipas", "San Luis Potosí", "Zacatecas"],
    "Tamaulipas": ["San Luis Potosí", "Veracruz"],
    "Sinaloa": ["Durango", "Nayarit"],
    "Durango": ["Nayarit", "Zacatecas"],
    "Zacatecas": ["San Luis Potosí", "Guanajuato", "Aguascalientes", "Jalisco", "Nayarit"],
    "Nayarit": ["Jalisco"],
    "Aguascalientes": ["Jalisco"],
    "Jalisco": ["Guanajuato", "Michoacán", "Colima", "San Luis Potosí"],
    "Colima": ["Michoacán"],
    "San Luis Potosí": ["Veracruz", "Hidalgo", "Querétaro", "Guanajuato"],
    "Guanajuato": ["Querétaro", "Michoacán"],
    "Querétaro": ["Hidalgo", "México", "Michoacán"],
    "Hidalgo": ["Veracruz", "Puebla", "Tlaxcala", "México"],
    "Michoacán": ["México", "Guerrero"],
    "México": ["Tlaxcala", "Puebla", "Morelos", "Guerrero", "Ciudad de México"],
    "Ciudad de México": ["Morelos"],
    "Morelos": ["Puebla", "Guerrero"],
    "Tlaxcala": ["Puebla"],
    "Puebla": ["Veracruz", "Oaxaca", "Guerrero"],
    "Guerrero": ["Oaxaca"],
    "Veracruz": ["Oaxaca", "Chiapas", "Tabasco"],
    "Oaxaca": ["Chiapas"],
    "Chiapas": ["Tabasco"],
    "Tabasco": ["Campeche"],
    "Campeche": ["Yucatán", "Quintana Roo"],
    "Yucatán": ["Quintana Roo"],
}
BORDER = {"Baja California": 300, "Sonora": 400, "Chihuahua": 400, "Coahuila": 450,
          "Nuevo León": 250, "Tamaulipas": 350}  # km to the border crossing, approximate
SEA = {"Michoacán": 3300, "Guerrero": 3100, "Veracruz": 3000, "Quintana Roo": 2000}

MX = {"state_capacity": 0.45, "enforcement_capacity": 0.5, "judicial_capacity": 0.25,
      "guns_per_1000": 13}  # the default world's Mexico
MX_OFFICIALS = 700  # the default world's Mexico, shared by population
MX_WAGE = 80.0  # USD/week, assumption (see the docstring)
EXTERNAL = [
    {"name": "United States", "roles": ["consumer"], "population": 333000000, "legit_wage": 900,
     "state_capacity": 0.9, "enforcement_capacity": 1.0, "judicial_capacity": 0.7,
     "officials": 700, "guns_per_1000": 0, "lat": 38.9, "lon": -77.0},
    {"name": "Colombia", "roles": ["source"], "population": 52000000, "legit_wage": 110,
     "state_capacity": 0.55, "enforcement_capacity": 0.7, "judicial_capacity": 0.35,
     "officials": 420, "guns_per_1000": 10, "lat": 4.6, "lon": -74.1},
    {"name": "Guatemala", "roles": ["transit"], "population": 17600000, "legit_wage": 85,
     "state_capacity": 0.35, "enforcement_capacity": 0.35, "judicial_capacity": 0.25,
     "officials": 170, "guns_per_1000": 7, "lat": 14.6, "lon": -90.5},
]


def _km(a: str, b: str) -> float:
    _, la1, lo1 = STATES[a]
    _, la2, lo2 = STATES[b]
    return 1.3 * great_circle_km(la1, lo1, la2, lo2)


def build() -> dict:
    net = load_network()
    sizes = net.initial_sizes(MEMBERS_2012)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty(net.n, int)
    rank[order] = np.arange(net.n)
    total_pop = sum(p for p, _, _ in STATES.values())
    regions = []
    for name, (pop, lat, lon) in STATES.items():
        regions.append({"name": name, "roles": ["transit", "consumer"], "population": pop,
                        "legit_wage": MX_WAGE, **{k: MX[k] for k in ("state_capacity",
                                                                     "enforcement_capacity",
                                                                     "judicial_capacity")},
                        "officials": max(5, round(MX_OFFICIALS * pop / total_pop)),
                        "guns_per_1000": MX["guns_per_1000"], "lat": lat, "lon": lon})
    regions += EXTERNAL
    corridors = []
    for a, bs in NEIGHBOURS.items():
        for b in bs:
            corridors.append({"from": a, "to": b, "mode": "land",
                              "distance_km": round(_km(a, b)), "capacity": 3000})
    for s, km in BORDER.items():
        corridors.append({"from": s, "to": "United States", "mode": "land", "distance_km": km,
                          "capacity": 3000})
    for s, km in SEA.items():
        corridors.append({"from": "Colombia", "to": s, "mode": "sea", "distance_km": km,
                          "capacity": 3000})
    corridors += [
        {"from": "Colombia", "to": "Guatemala", "mode": "sea", "distance_km": 2600,
         "capacity": 3000},
        {"from": "Guatemala", "to": "Chiapas", "mode": "land", "distance_km": 400,
         "capacity": 4000},
        {"from": "Guatemala", "to": "Tabasco", "mode": "land", "distance_km": 500,
         "capacity": 2000},
        {"from": "Baja California", "to": "United States", "mode": "sea", "distance_km": 1500,
         "capacity": 1000},
    ]
    share = {s: p / total_pop for s, (p, _, _) in STATES.items()}
    commodities = [
        {"name": "drugs", "description": "cocaine-like drug, Colombia -> Mexico -> United "
         "States (kg); the default world's figures", "unit": "kg", "lot_size": 250,
         "elasticity": -0.5, "transport_weight": 1.0, "seizure_factor": 1.0,
         "capacity_share": 0.85, "firearms": False, "retail_by_dealers": True,
         "origins": {"Colombia": 2000},
         "markets": {"United States": {"demand": 4500, "price": 95000},
                     **{s: {"demand": round(250 * share[s], 2), "price": 20000}
                        for s in STATES}}},
        {"name": "firearms", "description": "trafficked firearms, United States -> Mexico "
         "(guns); the default world's Mexico demand split by population", "unit": "gun",
         "lot_size": 40, "elasticity": -1.0, "transport_weight": 0.15, "seizure_factor": 0.6,
         "capacity_share": 0.1, "firearms": True, "retail_by_dealers": False,
         "origins": {"United States": 600},
         "markets": {s: {"demand": round(3500 * share[s], 2), "price": 2500}
                     for s in STATES}},
    ]
    orgs = []
    for i in range(net.n):
        members = max(1, int(round(sizes[i])))
        home = net.states[i]
        if rank[i] < N_CARTELS:
            near = [b for a, bs in NEIGHBOURS.items() for b in bs if a == home]
            near += [a for a, bs in NEIGHBOURS.items() if home in bs]
            presence = {home: 0.75, "United States": 0.07, "Colombia": 0.03}
            for s in near:
                presence[s] = round(0.15 / len(near), 4)
            orgs.append({"name": net.names[i], "kind": "cartel", "home": home,
                         "members": members, "cash": float(2000 * members),
                         "laundered": float(20000 * members),
                         "commodities": ["drugs", "firearms"], "presence": presence})
        else:
            orgs.append({"name": net.names[i], "kind": "gang", "home": home,
                         "members": members, "cash": float(500 * members),
                         "presence": {home: 1.0}})
    rivalries, alliances = [], []
    for m, out in ((net.rivalry, rivalries), (net.alliance, alliances)):
        for i in range(net.n):
            for j in range(i + 1, net.n):
                if m[i, j] > 0:
                    out.append([net.names[i], net.names[j], float(m[i, j])])
    agencies = [
        {"name": "Mexican federal forces", "kind": "national", "regions": list(STATES),
         "budget": 3.0e6, "partners": ["US federal agencies"]},
        {"name": "State police", "kind": "local", "regions": list(STATES), "budget": 2.0e6},
        {"name": "US federal agencies", "kind": "national", "regions": ["United States"],
         "budget": 6.0e6, "partners": ["Mexican federal forces"]},
        {"name": "Source-country police", "kind": "local", "regions": ["Colombia", "Guatemala"],
         "budget": 1.5e6},
    ]
    return {"name": "mexico-2020", "regions": regions, "corridors": corridors,
            "commodities": commodities, "organizations": orgs, "rivalries": rivalries,
            "alliances": alliances, "agencies": agencies}


HEADER = """\
# The Mexico world (2012-2021 preset): generated by calibration/make_mexico_world.py from
# calibration/data/mexico_cartels_2020 (CentroGeo/GeoInt/DataLab via the PPD portal, as used by
# Prieto-Curiel, Campedelli & Hope 2023; see that folder's README). Do not edit by hand: edit
# the script and rerun it. Sources and assumptions (see the script's docstring):
#   organizations, home states, rivalries, alliances: BACRIM 2020 (150 groups);
#   members 2012: PC23's 115,000 shared by 1/rank of ties; the 20 largest are cartels (assumption);
#   state populations: INEGI Censo 2020; wages: USD 80/week in every state (assumption);
#   capacities, officials, guns per 1,000: the default world's Mexico (assumption);
#   corridors: neighbouring states, 1.3 x great-circle distance of capitals (assumption);
#   United States, Colombia, Guatemala and the commodities: the default world's figures;
#   lat/lon (maps only; never read by the model): state capitals (Wikipedia after GeoNames,
#   0.01 degree), Washington, Bogota and Guatemala City for the other three.
"""


def main() -> None:
    write_world(OUT, HEADER, build())


if __name__ == "__main__":
    main()
