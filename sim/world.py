"""The world: regions, corridors, commodities, initial organizations and agencies.

A world is read from YAML (the embedded default is ``sim/data/default_world.yaml``), checked
with pydantic, and compiled into flat numpy arrays that the kernels use. Regions and corridors
may also come from CSV files (``regions.csv``: one row per region with the region fields,
``roles`` separated by ``;``; ``corridors.csv``: from,to,mode,distance_km,capacity).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import yamlio
from .enums import REGION_ROLE_BITS, AgencyKind, Mode, OrgKind
from .errors import ScenarioError, pydantic_lines

DEFAULT_WORLD = "default"


class _Strict(BaseModel):
    # inf and NaN are refused in every number; every field has finite bounds (a world is
    # validated like the parameters in sim/params.py)
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


Name = Annotated[str, Field(min_length=1, max_length=200)]
Price = Annotated[float, Field(gt=0, le=1e9, description="USD/unit")]
Share = Annotated[float, Field(ge=0, le=1e6, description="relative weight")]
PairWeight = Annotated[float, Field(ge=0, le=100, description="ratio")]


class RegionSpec(_Strict):
    name: Name
    roles: list[Literal["source", "transit", "consumer"]] = Field(min_length=1)
    population: float = Field(ge=1, le=1e10, description="persons")
    legit_wage: float = Field(gt=0, le=1e6, description="USD/week")
    state_capacity: float = Field(ge=0, le=1)
    enforcement_capacity: float = Field(ge=0, le=5)
    judicial_capacity: float = Field(ge=0, le=1)
    officials: int = Field(ge=0, le=1_000_000)
    guns_per_1000: float = Field(default=0.0, ge=0, le=1000)
    # Where the region is drawn on a map (its capital or centroid, WGS84 degrees). Optional,
    # never read by the model: the web explorer's map and the world plots use it.
    lat: float | None = Field(default=None, ge=-90, le=90, description="degrees north")
    lon: float | None = Field(default=None, ge=-180, le=180, description="degrees east")


class CorridorSpec(_Strict):
    from_: Name = Field(alias="from")
    to: Name
    mode: Literal["land", "sea", "air"]
    distance_km: float = Field(gt=0, le=1e5)
    capacity: float = Field(gt=0, le=1e12, description="drug units per week")


class MarketSpec(_Strict):
    demand: float = Field(gt=0, le=1e12, description="units per week at the reference price")
    price: Price


class CommoditySpec(_Strict):
    name: Name
    description: str = ""
    unit: str
    lot_size: float = Field(gt=0, le=1e9)
    elasticity: float = Field(lt=0, ge=-10)
    transport_weight: float = Field(ge=0, le=1e3)
    seizure_factor: float = Field(ge=0, le=10)
    capacity_share: float = Field(gt=0, le=1)
    firearms: bool = False
    retail_by_dealers: bool = True
    origins: dict[str, Price] = Field(min_length=1)
    markets: dict[str, MarketSpec] = Field(min_length=1)


class OrgSpec(_Strict):
    name: Name
    kind: Literal["cartel", "gang"]
    home: str
    members: int = Field(ge=1, le=50_000_000)
    cash: float = Field(default=0.0, ge=0, le=1e13)
    laundered: float = Field(default=0.0, ge=0, le=1e13)
    commodities: list[str] = []
    presence: dict[str, Share] = Field(min_length=1)


class AgencySpec(_Strict):
    name: Name
    kind: Literal["local", "national", "international"]
    regions: list[str] = Field(min_length=1)
    budget: float = Field(ge=0, le=1e12, description="USD/week")
    partners: list[str] = []


class WorldSpec(_Strict):
    name: str = "custom"
    regions: list[RegionSpec] = Field(min_length=2)
    corridors: list[CorridorSpec] = Field(min_length=1)
    commodities: list[CommoditySpec] = Field(min_length=1)
    organizations: list[OrgSpec] = Field(min_length=1)
    rivalries: list[tuple[str, str, PairWeight]] = []
    alliances: list[tuple[str, str, PairWeight]] = []
    agencies: list[AgencySpec] = Field(min_length=1)


@dataclass
class World:
    """Compiled world: names plus arrays indexed by region, edge, commodity, organization."""

    spec: WorldSpec
    source: str
    region_names: list[str]
    region_roles: np.ndarray
    population: np.ndarray
    legit_wage: np.ndarray
    state_capacity: np.ndarray
    enforcement_capacity: np.ndarray
    judicial_capacity: np.ndarray
    officials: np.ndarray
    guns_per_1000: np.ndarray
    region_lat: np.ndarray  # degrees, NaN where the world gives no coordinates
    region_lon: np.ndarray
    edge_from: np.ndarray
    edge_to: np.ndarray
    edge_mode: np.ndarray
    edge_dist: np.ndarray
    edge_capacity: np.ndarray
    commodity_names: list[str]
    lot_size: np.ndarray
    elasticity: np.ndarray
    transport_weight: np.ndarray
    seizure_factor: np.ndarray
    capacity_share: np.ndarray
    is_firearm: np.ndarray
    retail_by_dealers: np.ndarray
    origin_price: np.ndarray  # [C, R], 0 where not an origin
    demand_ref: np.ndarray  # [C, R], 0 where no market
    price_ref: np.ndarray  # [C, R]
    org_names: list[str]
    org_kind: np.ndarray
    org_home: np.ndarray
    org_members: np.ndarray
    org_cash: np.ndarray
    org_laundered: np.ndarray
    org_trades: np.ndarray  # [O, C] bool
    org_presence: np.ndarray  # [O, R], rows sum to 1
    rivalry: np.ndarray  # [O, O]
    alliance: np.ndarray  # [O, O]
    agency_names: list[str]
    agency_kind: np.ndarray
    agency_regions: np.ndarray  # [A, R] bool
    agency_budget: np.ndarray
    agency_partners: np.ndarray  # [A, A] bool
    extra: dict = field(default_factory=dict)

    @property
    def n_regions(self) -> int:
        return len(self.region_names)

    @property
    def n_edges(self) -> int:
        return len(self.edge_from)

    def region_index(self, name: str) -> int:
        return self.region_names.index(name)

    def scaled(self, factor: float) -> World:
        """The same world with ``factor`` times the population, the organizations' members,
        cash and assets, officials, market demand, corridor capacity and agency budgets (for
        scaling runs). The model divides the pairwise conflict rate and the intelligence
        gained per investigator by the factor, and multiplies protection's half-saturation,
        the lieutenants arrested per case and the smallest organization that can split by it,
        so per-member rates stay close to those of the unscaled world."""
        import dataclasses

        return dataclasses.replace(
            self,
            source=f"{self.source} x{factor:g}",
            population=self.population * factor,
            officials=np.maximum(np.round(self.officials * factor), 1).astype(np.int64),
            edge_capacity=self.edge_capacity * factor,
            demand_ref=self.demand_ref * factor,
            org_members=np.maximum(np.round(self.org_members * factor), 1).astype(np.int64),
            org_cash=self.org_cash * factor,
            org_laundered=self.org_laundered * factor,
            agency_budget=self.agency_budget * factor,
            extra={**self.extra, "scale": factor},
        )


def load_world(ref: str | dict | None, base_dir: Path, file_label: str) -> World:
    """Load a world given a scenario's ``world:`` value (``default``, a YAML path or a mapping).

    The mapping form is ``{base: default|PATH, regions: regions.csv, corridors: corridors.csv}``:
    CSV files replace the base world's regions or corridors.
    """
    if ref is None or ref == DEFAULT_WORLD:
        return _compile(_read_default(), "default")
    if isinstance(ref, str):
        path = _resolve(ref, base_dir, file_label, "world")
        return _compile_file(path)
    if isinstance(ref, dict):
        unknown = set(ref) - {"base", "regions", "corridors"}
        if unknown:
            raise ScenarioError(
                f"{file_label}: world.{sorted(map(str, unknown))[0]}: unknown key; "
                "valid: base, regions, corridors"
            )
        base = ref.get("base", DEFAULT_WORLD)
        if base == DEFAULT_WORLD:
            raw, label = _read_default(), "default"
        else:
            path = _resolve(base, base_dir, file_label, "world.base")
            raw, label = _read_yaml(path), str(path)
        if "regions" in ref:
            path = _resolve(ref["regions"], base_dir, file_label, "world.regions")
            raw["regions"] = _read_csv(path, "regions")
            label += f" + {path}"
        if "corridors" in ref:
            path = _resolve(ref["corridors"], base_dir, file_label, "world.corridors")
            raw["corridors"] = _read_csv(path, "corridors")
            label += f" + {path}"
        return _compile(raw, label)
    raise ScenarioError(f"{file_label}: world: expected 'default', a file path or a mapping")


def _resolve(value, base_dir: Path, file_label: str, field_path: str) -> Path:
    if not isinstance(value, str):
        raise ScenarioError(f"{file_label}: {field_path}: expected a file path, got "
                            f"{yamlio.shorten(value)}")
    path = Path(value)
    if not path.is_absolute():
        path = base_dir / path
    try:
        found = path.is_file()
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        found = False
    if not found:
        raise ScenarioError(f"{file_label}: {field_path}: file not found: "
                            f"{yamlio.shorten(str(path), 200)[1:-1]}")
    return path


def _read_default() -> dict:
    text = resources.files("sim").joinpath("data/default_world.yaml").read_text()
    return yamlio.parse_packaged(text, "default world")


def _read_yaml(path: Path) -> dict:
    return yamlio.read_yaml(path)


CSV_COLUMNS = {
    "regions": ("name", "roles", "population", "legit_wage", "state_capacity",
                "enforcement_capacity", "judicial_capacity", "officials"),
    "corridors": ("from", "to", "mode", "distance_km", "capacity"),
}
CSV_MODELS = {"regions": RegionSpec, "corridors": CorridorSpec}


def _read_csv(path: Path, what: str) -> list[dict]:
    """Rows of a regions or corridors CSV, each validated here so that errors name the CSV
    file and line (``FILE: line 3: population: ...``)."""
    rows = yamlio.read_csv(path, required=CSV_COLUMNS[what], with_lines=True)
    out, errors = [], []
    for i, (line, row) in enumerate(rows):
        row = {k: v for k, v in row.items() if v != "" or k in CSV_COLUMNS[what]}
        if what == "regions" and "roles" in row:
            row["roles"] = [r.strip() for r in row["roles"].split(";") if r.strip()]
        try:
            CSV_MODELS[what].model_validate(row)
        except ValidationError as exc:
            errors += pydantic_lines(exc, f"{path}: line {line}", prefix=f"{what}[{i}]",
                                     model=CSV_MODELS[what])
            continue
        out.append(row)
    if not out and not errors:
        errors.append(f"{path}: no {what} rows below the header")
    if errors:
        raise ScenarioError(errors)
    return out


def _compile_file(path: Path) -> World:
    return _compile(_read_yaml(path), str(path))


def _k(name: str) -> str:
    """A mapping key as shown in a field path, cut short."""
    return name if len(name) <= 60 else yamlio.shorten(name)[1:-1]


def _compile(raw: dict, label: str) -> World:
    try:
        spec = WorldSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(pydantic_lines(exc, label, model=WorldSpec)) from None
    errors: list[str] = []
    regions = [r.name for r in spec.regions]
    ridx = {n: i for i, n in enumerate(regions)}
    if len(ridx) != len(regions):
        errors.append(f"{label}: regions: duplicate region names")

    def need_region(name: str, path: str) -> int:
        if name not in ridx:
            errors.append(f"{label}: {path}: unknown region {yamlio.shorten(name)}; "
                          f"valid: {', '.join(regions)}")
            return -1
        return ridx[name]

    R = len(regions)
    roles = np.zeros(R, np.int8)
    for i, r in enumerate(spec.regions):
        for role in r.roles:
            roles[i] |= REGION_ROLE_BITS[role]

    ef, et, em, ed, ec = [], [], [], [], []
    for k, c in enumerate(spec.corridors):
        a = need_region(c.from_, f"corridors[{k}].from")
        b = need_region(c.to, f"corridors[{k}].to")
        if a == b and a >= 0:
            errors.append(f"{label}: corridors[{k}]: a corridor must join two different regions")
        for x, y in ((a, b), (b, a)):
            ef.append(x)
            et.append(y)
            em.append(Mode[c.mode.upper()])
            ed.append(c.distance_km)
            ec.append(c.capacity)

    cnames = [c.name for c in spec.commodities]
    C = len(cnames)
    origin_price = np.zeros((C, R))
    demand_ref = np.zeros((C, R))
    price_ref = np.zeros((C, R))
    for ci, c in enumerate(spec.commodities):
        for name, price in c.origins.items():
            i = need_region(name, f"commodities[{ci}].origins.{_k(name)}")
            if price <= 0:
                errors.append(f"{label}: commodities[{ci}].origins.{_k(name)}: price must be > 0")
            if i >= 0:
                origin_price[ci, i] = price
        for name, m in c.markets.items():
            i = need_region(name, f"commodities[{ci}].markets.{_k(name)}")
            if i >= 0:
                demand_ref[ci, i] = m.demand
                price_ref[ci, i] = m.price

    onames = [o.name for o in spec.organizations]
    oidx = {n: i for i, n in enumerate(onames)}
    if len(oidx) != len(onames):
        errors.append(f"{label}: organizations: duplicate organization names")
    O = len(onames)
    presence = np.zeros((O, R))
    trades = np.zeros((O, C), np.bool_)
    home = np.zeros(O, np.int32)
    for oi, o in enumerate(spec.organizations):
        home[oi] = max(need_region(o.home, f"organizations[{oi}].home"), 0)
        for name, share in o.presence.items():
            i = need_region(name, f"organizations[{oi}].presence.{_k(name)}")
            if share < 0:
                errors.append(f"{label}: organizations[{oi}].presence.{_k(name)}: must be >= 0")
            if i >= 0:
                presence[oi, i] = share
        if presence[oi].sum() <= 0:
            errors.append(f"{label}: organizations[{oi}].presence: shares must sum to > 0")
        else:
            presence[oi] /= presence[oi].sum()
        for cname in o.commodities:
            if cname not in cnames:
                errors.append(
                    f"{label}: organizations[{oi}].commodities: unknown commodity "
                    f"{yamlio.shorten(cname)}; "
                    f"valid: {', '.join(cnames)}"
                )
            else:
                trades[oi, cnames.index(cname)] = True

    def pair_matrix(rows, key):
        m = np.zeros((O, O))
        for k, (a, b, w) in enumerate(rows):
            for n in (a, b):
                if n not in oidx:
                    errors.append(f"{label}: {key}[{k}]: unknown organization {yamlio.shorten(n)}")
            if a in oidx and b in oidx:
                m[oidx[a], oidx[b]] = m[oidx[b], oidx[a]] = w
        return m

    rivalry = pair_matrix(spec.rivalries, "rivalries")
    alliance = pair_matrix(spec.alliances, "alliances")

    anames = [a.name for a in spec.agencies]
    A = len(anames)
    a_regions = np.zeros((A, R), np.bool_)
    partners = np.zeros((A, A), np.bool_)
    for ai, a in enumerate(spec.agencies):
        for name in a.regions:
            if name in REGION_ROLE_BITS:
                a_regions[ai] |= (roles & REGION_ROLE_BITS[name]) != 0
            else:
                i = need_region(name, f"agencies[{ai}].regions")
                if i >= 0:
                    a_regions[ai, i] = True
        for p in a.partners:
            if p not in anames:
                errors.append(f"{label}: agencies[{ai}].partners: unknown agency "
                              f"{yamlio.shorten(p)}")
            else:
                partners[ai, anames.index(p)] = partners[anames.index(p), ai] = True
    if errors:
        raise ScenarioError(errors)

    f64 = lambda xs: np.asarray(xs, np.float64)  # noqa: E731
    return World(
        spec=spec,
        source=label,
        region_names=regions,
        region_roles=roles,
        population=f64([r.population for r in spec.regions]),
        legit_wage=f64([r.legit_wage for r in spec.regions]),
        state_capacity=f64([r.state_capacity for r in spec.regions]),
        enforcement_capacity=f64([r.enforcement_capacity for r in spec.regions]),
        judicial_capacity=f64([r.judicial_capacity for r in spec.regions]),
        officials=np.asarray([r.officials for r in spec.regions], np.int64),
        guns_per_1000=f64([r.guns_per_1000 for r in spec.regions]),
        region_lat=f64([np.nan if r.lat is None else r.lat for r in spec.regions]),
        region_lon=f64([np.nan if r.lon is None else r.lon for r in spec.regions]),
        edge_from=np.asarray(ef, np.int32),
        edge_to=np.asarray(et, np.int32),
        edge_mode=np.asarray(em, np.int8),
        edge_dist=f64(ed),
        edge_capacity=f64(ec),
        commodity_names=cnames,
        lot_size=f64([c.lot_size for c in spec.commodities]),
        elasticity=f64([c.elasticity for c in spec.commodities]),
        transport_weight=f64([c.transport_weight for c in spec.commodities]),
        seizure_factor=f64([c.seizure_factor for c in spec.commodities]),
        capacity_share=f64([c.capacity_share for c in spec.commodities]),
        is_firearm=np.asarray([c.firearms for c in spec.commodities], np.bool_),
        retail_by_dealers=np.asarray([c.retail_by_dealers for c in spec.commodities], np.bool_),
        origin_price=origin_price,
        demand_ref=demand_ref,
        price_ref=price_ref,
        org_names=onames,
        org_kind=np.asarray([OrgKind[o.kind.upper()] for o in spec.organizations], np.int8),
        org_home=home,
        org_members=np.asarray([o.members for o in spec.organizations], np.int64),
        org_cash=f64([o.cash for o in spec.organizations]),
        org_laundered=f64([o.laundered for o in spec.organizations]),
        org_trades=trades,
        org_presence=presence,
        rivalry=rivalry,
        alliance=alliance,
        agency_names=anames,
        agency_kind=np.asarray([AgencyKind[a.kind.upper()] for a in spec.agencies], np.int8),
        agency_regions=a_regions,
        agency_budget=f64([a.budget for a in spec.agencies]),
        agency_partners=partners,
    )
