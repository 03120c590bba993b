"""The weekly cartel-size model of Prieto-Curiel, Campedelli & Hope (2023), reimplemented from
its published equations (docs/REFERENCES.md, "Cartel recruitment, incapacitation and
conflict"), as a reference to hold tocsim's Mexico preset against.

For cartel sizes ``C_i`` (members), one step a week::

    C_i <- C_i + C_i * (rho - eta / sum(C) - theta * sum_j K_ij C_j - omega * C_i)
    K_ij = (rivalry_ij + 1) / (alliance_i + 1),  K_ii = 0

where ``rivalry_ij`` is the number of reported rivalry ties between i and j and ``alliance_i``
the total number of i's reported alliance ties (both from the 2020 group network, taken as
symmetric). Recruits per week are ``rho * sum(C)``, deaths ``theta * C^T K C`` (each cartel's
share ``theta * C_i (K C)_i``), arrests ``eta`` (shared by size) and the saturation loss
``omega * sum(C_i^2)`` (members who leave). Initial sizes are proportional to 1/rank, ranked by
total rivalry plus alliance ties (ties kept in file order).

This module is pure numpy and imports nothing from ``sim``: it is a reference, not the model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data" / "mexico_cartels_2020"

#: Published fit (PC23): per week, except eta (members per week) and omega (per member-week).
PUBLISHED = {"rho": 2.527e-3, "eta": 110.0, "theta": 1.549e-8, "omega": 4e-8, "c0": 115_000.0}


@dataclass(frozen=True)
class CartelNetwork:
    """The 2020 group network: names, home states, symmetric rivalry and alliance weights."""

    names: tuple[str, ...]
    states: tuple[str, ...]
    rivalry: np.ndarray  # [N, N] reported rivalry ties (symmetric, zero diagonal)
    alliance: np.ndarray  # [N, N] reported alliance ties (symmetric, zero diagonal)

    @property
    def n(self) -> int:
        return len(self.names)

    def interaction(self) -> np.ndarray:
        """K_ij = (rivalry_ij + 1) / (alliance_i + 1), K_ii = 0."""
        k = (self.rivalry + 1.0) / (self.alliance.sum(axis=1)[:, None] + 1.0)
        np.fill_diagonal(k, 0.0)
        return k

    def initial_sizes(self, total: float) -> np.ndarray:
        """Sizes proportional to 1/rank, rank by total rivalry plus alliance ties."""
        score = self.rivalry.sum(axis=1) + self.alliance.sum(axis=1)
        rank = np.empty(self.n)
        rank[np.argsort(-score, kind="stable")] = np.arange(1, self.n + 1)
        c = 1.0 / rank
        return c / c.sum() * total


def load_network(folder: str | Path = DATA) -> CartelNetwork:
    """Read the BACRIM 2020 nodes, alliances and rivalries (edges made symmetric: the larger
    weight of the two directions)."""
    import pandas as pd

    folder = Path(folder)
    nodes = pd.read_csv(folder / "BACRIM2020_Nodes.csv", encoding="utf-8-sig")
    index = {node: i for i, node in enumerate(nodes["Node"])}

    def weights(name: str) -> np.ndarray:
        m = np.zeros((len(index), len(index)))
        edges = pd.read_csv(folder / name, encoding="utf-8-sig")
        for a, b, w in zip(edges["Node"], edges["RNode"], edges["weight"], strict=True):
            i, j = index[a], index[b]
            m[i, j] = m[j, i] = max(m[i, j], float(w))
        np.fill_diagonal(m, 0.0)
        return m

    return CartelNetwork(tuple(nodes["Group"]), tuple(nodes["State"]),
                         weights("BACRIM2020_Rivals.csv"), weights("BACRIM2020_Alliances.csv"))


@dataclass(frozen=True)
class ReferenceParams:
    rho: float = PUBLISHED["rho"]  # recruitment per member-week
    eta: float = PUBLISHED["eta"]  # arrests (incapacitation) per week
    theta: float = PUBLISHED["theta"]  # conflict deaths per member pair-week, times K
    omega: float = PUBLISHED["omega"]  # saturation per member-week, times own size
    c0: float = PUBLISHED["c0"]  # members at the start (2012)

    def but(self, **changes) -> ReferenceParams:
        return replace(self, **changes)


@dataclass
class ReferenceRun:
    """Weekly totals of a reference run (arrays of length ``weeks``; ``sizes`` is [weeks+1, N])."""

    sizes: np.ndarray
    recruits: np.ndarray
    deaths: np.ndarray
    arrests: np.ndarray
    exits: np.ndarray

    @property
    def members(self) -> np.ndarray:
        return self.sizes.sum(axis=1)

    def yearly(self, what: str) -> np.ndarray:
        """Sums over 52-week years of ``recruits``, ``deaths``, ``arrests`` or ``exits``."""
        x = getattr(self, what)
        years = len(x) // 52
        return x[: years * 52].reshape(years, 52).sum(axis=1)


def simulate(params: ReferenceParams = ReferenceParams(), weeks: int = 520,
             network: CartelNetwork | None = None, start: np.ndarray | None = None) -> ReferenceRun:
    """Run the reference model for ``weeks`` weeks (explicit weekly steps, sizes kept >= 0),
    from ``start`` sizes if given, else from ``params.c0`` members shared by 1/rank."""
    net = network or load_network()
    k = net.interaction()
    c = net.initial_sizes(params.c0) if start is None else np.asarray(start, float).copy()
    sizes = np.empty((weeks + 1, net.n))
    sizes[0] = c
    out = {name: np.empty(weeks) for name in ("recruits", "deaths", "arrests", "exits")}
    for t in range(weeks):
        total = c.sum()
        recruits = params.rho * c
        deaths = params.theta * c * (k @ c)
        arrests = params.eta * c / total if total > 0 else np.zeros_like(c)
        exits = params.omega * c * c
        c = np.maximum(c + recruits - deaths - arrests - exits, 0.0)
        sizes[t + 1] = c
        for name, value in (("recruits", recruits), ("deaths", deaths), ("arrests", arrests),
                            ("exits", exits)):
            out[name][t] = value.sum()
    return ReferenceRun(sizes=sizes, **out)


#: The policy experiments of PC23 / docs/CALIBRATION.md, as changes of the published fit.
EXPERIMENTS = {
    "status quo": {},
    "double incapacitation": {"eta": 2 * PUBLISHED["eta"]},
    "halve recruitment": {"rho": 0.5 * PUBLISHED["rho"]},
    "stop recruitment": {"rho": 0.0},
}


def experiments(weeks: int = 260, params: ReferenceParams = ReferenceParams(),
                network: CartelNetwork | None = None,
                history_weeks: int = 520) -> dict[str, ReferenceRun]:
    """Each experiment run for ``weeks`` (default: five years, 2022-2027) from the state the
    status quo reaches after ``history_weeks`` (2012-2021), as in PC23."""
    net = network or load_network()
    start = simulate(params, history_weeks, net).sizes[-1]
    return {name: simulate(params.but(**change), weeks, net, start)
            for name, change in EXPERIMENTS.items()}
