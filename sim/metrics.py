"""Outcome metrics: names, units and definitions (one row per week in ``timeseries.csv``)."""

from __future__ import annotations

# name: (unit, definition). Prices and volumes refer to the drug market (the world's first
# commodity); per-commodity columns for the others are added by ``commodity_columns``.
# ``sim.kernels.metrics.metrics_row`` writes these columns by position, in this order: a new
# or moved metric goes there too (tests/test_fused_steps.py checks the names' order).
METRICS: dict[str, tuple[str, str]] = {
    "retail_price": ("USD/kg", "drug retail price, weighted by consumption across markets"),
    "wholesale_price": ("USD/kg",
                        "drug wholesale price in consumer markets, weighted by consumption"),
    "import_price": ("USD/kg",
                     "drug price at the consumer market's border, weighted by consumption"),
    "export_price": ("USD/kg",
                     "drug price at the origin (world origin prices), weighted by volume shipped"),
    "source_price": ("USD/kg",
                     "drug source (farm-gate, paste) price: market.source_share x export price"),
    "consumption": ("kg/week", "drug sold at retail"),
    "supply_shipped": ("kg/week", "drug shipped from source regions"),
    "seizures": ("kg/week", "drug seized in transit"),
    "criminal_revenue": ("USD/week", "income of all organizations: consumer spending that "
                         "reaches them plus returns on laundered assets"),
    "criminal_wealth": ("USD", "cash and laundered assets of active organizations"),
    "laundered_assets": ("USD", "laundered assets of active organizations"),
    "frozen_assets": ("USD", "assets frozen by sanctions"),
    "active_cartels": ("count", "active transnational organizations"),
    "active_gangs": ("count", "active local gangs"),
    "criminal_members": ("persons", "active members"),
    "recruits": ("persons/week", "new members"),
    "arrests": ("persons/week", "members arrested (street arrests and matured cases)"),
    "incarcerated": ("persons", "members in prison"),
    "homicides": ("persons/week", "members killed in conflict plus bystanders"),
    "corruption_rate": ("share", "officials on an organization's payroll"),
    "enforcement_spend": ("USD/week", "agency budgets plus intervention costs"),
    "market_hhi": ("0-1", "Herfindahl index of drug deliveries by organization"),
    "route_nodes": ("count", "distinct transit regions carrying drug flow"),
    "intervention_cost": ("USD/week", "cost of active interventions"),
    "seizure_rate": ("share", "drug seized over drug shipped"),
    "markup": ("ratio", "retail price over the mean origin (export) price of the drug"),
    "members_killed": ("persons/week", "members killed in conflict"),
    "bystanders_killed": ("persons/week", "non-members killed in criminal conflict"),
    "officials_caught": ("persons/week", "corrupt officials detected and replaced"),
    "leader_removals": ("count/week", "leaders arrested or killed"),
    "splits": ("count/week", "organizations that split after a succession"),
    "cases_matured": ("count/week", "investigations that ended in arrests"),
    "criminal_costs": ("USD/week",
                       "purchases, transport, wages, bribes, overhead and laundering fees paid"),
    "criminal_payouts": ("USD/week",
                         "wealth paid out beyond wages: leaders' and members' takings, "
                         "fronts' losses"),
    "aml_seized": ("USD/week", "laundered funds detected and seized by anti-money-laundering"),
    "case_assets_seized": ("USD/week", "cash and laundered assets seized when cases mature"),
}

COMMODITY_FIELDS = ("shipped", "seized", "sold", "price")


COMMODITY_FIELD_INFO = {
    "shipped": ("unit/week", "shipped from source regions (the commodity's own unit: kg, guns, "
                "persons)"),
    "seized": ("unit/week", "seized in transit"),
    "sold": ("unit/week", "sold at retail"),
    "price": ("USD/unit", "retail price, weighted by sales across markets"),
}
# Units of metrics that count whole things: stored as integers in runs.parquet.
COUNT_UNITS = ("count", "persons", "count/week", "persons/week")
LABEL_INFO = {
    "seed": ("", "the run's random seed"),
    "week": ("week", "week of the run, 0-based"),
    "scenario": ("", "the scenario's label in this comparison"),
    "replicate": ("", "replicate number; replicate r has the same seed in every scenario"),
    "point": ("", "grid point of a sweep (its values are in sweep.csv)"),
    "sample": ("", "sample number of a sensitivity analysis (its values are in "
               "samples.parquet)"),
}


def is_count(name: str) -> bool:
    """Whether metric ``name`` counts whole things (persons, organizations, events)."""
    return name in METRICS and METRICS[name][0] in COUNT_UNITS


def column_info(name: str) -> tuple[str, str] | None:
    """``(unit, definition)`` of a column of timeseries.csv or runs.parquet, or None."""
    if name in METRICS:
        return METRICS[name]
    if name in LABEL_INFO:
        return LABEL_INFO[name]
    commodity, _, fld = name.rpartition("_")
    if commodity and fld in COMMODITY_FIELD_INFO:
        unit, doc = COMMODITY_FIELD_INFO[fld]
        return unit, f"{commodity}: {doc}"
    return None


def commodity_columns(commodity_names: list[str]) -> list[str]:
    """Extra columns for every commodity after the first (the drug market)."""
    return [f"{c}_{f}" for c in commodity_names[1:] for f in COMMODITY_FIELDS]


REGION_FIELDS = ("drug_volume", "seizures", "homicides", "corruption_rate", "retail_price",
                 "members", "guns_per_1000")
