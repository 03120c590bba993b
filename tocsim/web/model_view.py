"""The one adapter between the web explorer and the model.

Everything the explorer knows about a running model comes through here, so that the model's
internals can change without touching the pages. It uses the public API where there is one:
``TocModel(scenario)``, ``model.step()``, ``model.week``, ``model.metrics_frame()``,
``model.regions_frame()``, ``model.world`` (its public fields: region names, populations,
coordinates, edge endpoints and modes) and :data:`sim.metrics.METRICS`.

Internal attributes read (the only ones; keep this list current):

- ``model.edge_flow``: drug moved over each directed corridor edge in the last simulated week
  (transport-weighted units per week, set by the shipping kernel). There is no public
  per-corridor flow yet; :func:`corridor_flows` is the one place that reads it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas  # noqa: F401  (imported here, once: a first import racing in two threads fails)

from sim.metrics import METRICS

# The charts of the explorer: a few key metrics (names from ``tocsim list metrics``).
KEY_METRICS = ("homicides", "retail_price", "corruption_rate", "criminal_members", "seizures",
               "arrests")
# How regions may be coloured on the map: name -> (label, unit).
REGION_COLOURINGS = {
    "homicides": ("homicide rate", "per 100,000 residents per year"),
    "corruption": ("officials corrupted", "share of the region's officials"),
}
MODES = ("land", "sea", "air")  # sim.enums.Mode order


@dataclass(frozen=True)
class Geometry:
    """Where regions and corridors are drawn. ``geographic`` is False when the world gives no
    coordinates for some region and a deterministic schematic layout was used for those."""

    names: tuple[str, ...]
    x: np.ndarray  # longitude (degrees east) or schematic x
    y: np.ndarray  # latitude (degrees north) or schematic y
    geographic: bool
    placed: np.ndarray  # bool per region: at its own coordinates
    population: np.ndarray
    corridor_ends: np.ndarray  # [K, 2] region indices of each undirected corridor
    corridor_mode: tuple[str, ...]  # per corridor
    edge_corridor: np.ndarray  # [E] corridor index of each directed edge


def geometry(world) -> Geometry:
    """Region positions and the undirected corridors of ``world``.

    Regions with coordinates sit at (lon, lat). Regions without are placed deterministically:
    with no coordinates at all, on a circle in the world's order; with some, on a ring around
    the placed ones (in the world's order), so the same world always gives the same picture.
    """
    names = tuple(world.region_names)
    lat = np.asarray(world.region_lat, float)
    lon = np.asarray(world.region_lon, float)
    placed = np.isfinite(lat) & np.isfinite(lon)
    x, y = lon.copy(), lat.copy()
    missing = np.nonzero(~placed)[0]
    if placed.any():
        cx, cy = x[placed].mean(), y[placed].mean()
        span = max(np.ptp(x[placed]), np.ptp(y[placed]), 10.0)
        radius = 0.6 * span + 5.0
    else:
        cx, cy, radius = 0.0, 0.0, 1.0
    for k, r in enumerate(missing):
        a = math.pi / 2 - 2 * math.pi * k / max(len(missing), 1)
        x[r], y[r] = cx + radius * math.cos(a), cy + radius * math.sin(a)
    ef, et, em = (np.asarray(world.edge_from), np.asarray(world.edge_to),
                  np.asarray(world.edge_mode))
    keys: dict[tuple[int, int, int], int] = {}
    edge_corridor = np.empty(len(ef), np.int64)
    for e in range(len(ef)):
        a, b = sorted((int(ef[e]), int(et[e])))
        edge_corridor[e] = keys.setdefault((a, b, int(em[e])), len(keys))
    ends = np.array([[a, b] for a, b, _ in keys], np.int64).reshape(-1, 2)
    modes = tuple(MODES[m] for _, _, m in keys)
    return Geometry(names=names, x=x, y=y, geographic=bool(placed.all()), placed=placed,
                    population=np.asarray(world.population, float).copy(), corridor_ends=ends,
                    corridor_mode=modes, edge_corridor=edge_corridor)


def build(scenario):
    """A model of ``scenario``, spun up and ready at week 0 (``sim.TocModel``)."""
    from sim.model import TocModel

    return TocModel(scenario)


def step(model) -> None:
    """Simulate one week."""
    model.step()


def week(model) -> int:
    """Weeks simulated so far (the next week to run)."""
    return int(model.week)


def corridor_flows(model, geo: Geometry) -> np.ndarray:
    """Flow over each undirected corridor in the last simulated week (both directions summed;
    transport-weighted units per week). Reads ``model.edge_flow`` (internal)."""
    out = np.zeros(len(geo.corridor_ends))
    if model.week <= 0:
        return out
    np.add.at(out, geo.edge_corridor, np.asarray(model.edge_flow, float))
    return out


@dataclass(frozen=True)
class Snapshot:
    """What the page shows of a run at one moment: immutable, safe to hand across threads."""

    week: int  # weeks simulated
    weeks: int  # weeks in the run
    series: dict[str, np.ndarray] = field(default_factory=dict)  # key metric -> weekly values
    homicide_rate: np.ndarray | None = None  # per region, last week, per 100k per year
    corruption: np.ndarray | None = None  # per region, last week, share of officials
    homicide_rate_max: float = 0.0  # largest regional rate so far (a stable colour scale)
    flow: np.ndarray | None = None  # per corridor, last week

    def region_values(self, colouring: str) -> np.ndarray | None:
        return self.homicide_rate if colouring == "homicides" else self.corruption


def empty_snapshot(weeks: int, geo: Geometry) -> Snapshot:
    """The snapshot of a run not started yet."""
    R, K = len(geo.names), len(geo.corridor_ends)
    return Snapshot(week=0, weeks=weeks,
                    series={m: np.zeros(0) for m in KEY_METRICS},
                    homicide_rate=np.full(R, np.nan), corruption=np.full(R, np.nan),
                    flow=np.zeros(K))


def snapshot(model, geo: Geometry, weeks: int) -> Snapshot:
    """Copy what the page needs from ``model`` (call from the thread that steps it)."""
    n = week(model)
    if n <= 0:
        return empty_snapshot(weeks, geo)
    mf = model.metrics_frame()
    series = {m: mf[m].to_numpy(float).copy() for m in KEY_METRICS}
    rf = model.regions_frame()
    R = len(geo.names)
    hom = rf["homicides"].to_numpy(float).reshape(n, R)
    rate = hom * 52.0 / np.maximum(geo.population, 1.0)[None, :] * 1e5
    corr = rf["corruption_rate"].to_numpy(float).reshape(n, R)
    return Snapshot(week=n, weeks=weeks, series=series, homicide_rate=rate[-1].copy(),
                    corruption=corr[-1].copy(),
                    homicide_rate_max=float(np.nanmax(rate)) if np.isfinite(rate).any() else 0.0,
                    flow=corridor_flows(model, geo))


def metric_label(name: str) -> str:
    """``homicides [persons/week]``: a chart title from the metric's declaration."""
    unit = METRICS[name][0] if name in METRICS else ""
    return f"{name.replace('_', ' ')} [{unit}]" if unit else name.replace("_", " ")
