"""Peer benchmark: the member-life rules written the idiomatic Mesa way against tocsim's kernels.

The rules (the member step of the weekly cycle, ODD 7.9, and recruitment, ODD 7.11):

- each active member of organization o in region r with role k faces competing weekly hazards
  of arrest ``h_arrest[o, r, k]``, death ``h_death[o, r, k]`` and exit ``h_exit[o]`` (leaders
  never exit): an event happens with probability ``1 - exp(-h)`` and is an arrest, a death or
  an exit in proportion to the hazards;
- the arrested are convicted with probability ``conviction[o, r]`` and serve
  ``1 + floor(Exp(sentence_mean))`` weeks, the others go free at once;
- at the end of a sentence a member is released: back to the organization with probability
  ``return_prob`` (a leader comes back as a lieutenant), else out for good;
- recruitment: each (organization, region) recruits Poisson(``rate`` x its active members
  after this week's events), new members taking non-leader roles.

``MesaPeer`` writes them as Mesa 3 users would: one ``mesa.Agent`` per member holding its
organization, region, role, status and release week, ``model.agents.shuffle_do("step")``
then ``shuffle_do("recruit")`` (each active member brings Poisson(``rate``) recruits, the same
law as the organization-level draw), agents removed when they die or leave. It is written
with care for speed (parameters as Python lists, ``math`` on floats, Mesa's ``random``), so
the ratio measures one object per member and a Python loop, not avoidable overhead. ``KernelPeer``
calls tocsim's kernels on arrays, as the model's member and recruitment steps do:
``sim.kernels.members.step_members`` (thinned over the live-member index, the jail a heap by
release week) and ``recruit``. Both start from the same population
(``make_population``) with the same hazards.

Agreement: ``compare_counts`` runs replicates of each for some weeks and compares the mean
weekly arrests, convictions, deaths, exits, releases and recruits, each within 3 standard
errors of the difference. Speed: the median time per week of each at ``--members`` (default
10,000 and 100,000), and their ratio.

    .venv/bin/python benchmarks/bench_mesa_peer.py [--members 10000 100000] [--weeks 52]
        [--replicates 20] [--check-members 5000] [--check-weeks 26] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

for _v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402
import numpy as np  # noqa: E402

from sim.enums import N_ROLES, Role, Status  # noqa: E402
from sim.kernels.member_index import cells_of_index, index_members_by_org  # noqa: E402
from sim.kernels.members import jail_push_many, recruit, step_members  # noqa: E402

EVENTS = ("arrests", "convictions", "deaths", "exits", "releases", "recruits")
LEADER, LIEUTENANT = int(Role.LEADER), int(Role.LIEUTENANT)
ACTIVE, INCARCERATED = int(Status.ACTIVE), int(Status.INCARCERATED)
ROLE_SHARE = np.array([0.0, 0.10, 0.15, 0.20, 0.05, 0.50])  # leaders are never recruited


@dataclass
class Population:
    """Initial members (one leader per organization; some in prison) and the weekly
    hazards."""

    org: np.ndarray
    region: np.ndarray
    role: np.ndarray
    status: np.ndarray  # ACTIVE or INCARCERATED
    release: np.ndarray  # week of release of the incarcerated
    h_arrest: np.ndarray  # [O, R, K] per week
    h_death: np.ndarray  # [O, R, K] per week
    h_exit: np.ndarray  # [O] per week
    conviction: np.ndarray  # [O, R]
    sentence_mean: float = 20.0  # weeks
    return_prob: float = 0.5
    rate: float = 0.012  # recruits per active member per week

    @property
    def n_orgs(self) -> int:
        return self.h_exit.shape[0]

    @property
    def n_regions(self) -> int:
        return self.conviction.shape[1]


def make_population(n: int, n_orgs: int = 20, n_regions: int = 10, seed: int = 0,
                    jailed: float = 0.05) -> Population:
    """``n`` members in ``n_orgs`` organizations over ``n_regions`` regions, a share
    ``jailed`` of them in prison with release weeks spread over the next 40; hazards that
    differ by organization, region and role (around 0.4% arrests, 0.2% deaths and 0.5% exits
    a week)."""
    rng = np.random.default_rng(seed)
    org = rng.integers(0, n_orgs, n).astype(np.int32)
    region = rng.integers(0, n_regions, n).astype(np.int32)
    role = rng.choice(N_ROLES, size=n, p=ROLE_SHARE).astype(np.int8)
    first = np.unique(org, return_index=True)[1]
    role[first] = LEADER
    status = np.where(rng.random(n) < jailed, INCARCERATED, ACTIVE).astype(np.int8)
    status[first] = ACTIVE
    release = np.where(status == INCARCERATED, rng.integers(0, 40, n), 0).astype(np.int32)
    spread = rng.uniform(0.5, 1.5, (n_orgs, n_regions, 1)) * rng.uniform(0.6, 1.4, N_ROLES)
    return Population(
        org=org, region=region, role=role, status=status, release=release,
        h_arrest=0.004 * spread,
        h_death=0.002 * rng.uniform(0.5, 1.5, (n_orgs, n_regions, 1)) * np.ones(N_ROLES),
        h_exit=0.005 * rng.uniform(0.5, 1.5, n_orgs),
        conviction=rng.uniform(0.3, 0.8, (n_orgs, n_regions)),
    )


# ------------------------------------------------------------------------- idiomatic Mesa
class Member(mesa.Agent):
    """One member of a criminal organization."""

    def __init__(self, model: MesaPeer, org: int, region: int, role: int,
                 status: int = ACTIVE, release: int = 0):
        super().__init__(model)
        self.org, self.region, self.role = org, region, role
        self.status = status
        self.release = release

    def step(self) -> None:
        m = self.model
        if self.status == ACTIVE:
            o, r, k = self.org, self.region, self.role
            ha, hd = m.h_arrest[o][r][k], m.h_death[o][r][k]
            he = m.h_exit[o] if k != LEADER else 0.0
            h = ha + hd + he
            if h <= 0.0:
                return
            scale = -math.expm1(-h) / h  # event probability per unit of hazard
            u = m.random.random()
            if u < ha * scale:
                m.events["arrests"] += 1
                if m.random.random() < m.conviction[o][r]:
                    m.events["convictions"] += 1
                    self.status = INCARCERATED
                    self.release = m.week + 1 + int(
                        -m.sentence_mean * math.log(1.0 - m.random.random()))
            elif u < (ha + hd) * scale:
                m.events["deaths"] += 1
                self.remove()
            elif u < (ha + hd + he) * scale:
                m.events["exits"] += 1
                self.remove()
        elif self.status == INCARCERATED and self.release <= m.week:
            m.events["releases"] += 1
            if m.random.random() < m.return_prob:
                self.status = ACTIVE
                if self.role == LEADER:
                    self.role = LIEUTENANT
            else:
                self.remove()

    def recruit(self) -> None:
        """Bring Poisson(rate) new members into the same organization and region."""
        if self.status != ACTIVE:
            return
        m = self.model
        # Poisson by inversion: sum over members is the organization's Poisson draw
        u, k, term = m.random.random(), 0, m.p_none
        cum = term
        while u > cum:
            k += 1
            term *= m.rate / k
            cum += term
        for _ in range(k):
            role = m.random.choices(m.roles, weights=m.role_weights)[0]
            Member(m, self.org, self.region, role)
            m.events["recruits"] += 1


class MesaPeer(mesa.Model):
    """The member-life rules with one Mesa agent per member."""

    def __init__(self, pop: Population, seed: int = 0):
        super().__init__(rng=seed)
        self.pop = pop
        # parameters as Python numbers and lists: scalar arithmetic on numpy values is slow
        self.h_arrest, self.h_death = pop.h_arrest.tolist(), pop.h_death.tolist()
        self.h_exit, self.conviction = pop.h_exit.tolist(), pop.conviction.tolist()
        self.sentence_mean, self.return_prob = pop.sentence_mean, pop.return_prob
        self.rate, self.p_none = pop.rate, math.exp(-pop.rate)
        self.roles, self.role_weights = list(range(N_ROLES)), ROLE_SHARE.tolist()
        self.week = 0
        self.events = dict.fromkeys(EVENTS, 0)
        for o, r, k, st, rel in zip(pop.org.tolist(), pop.region.tolist(), pop.role.tolist(),
                                    pop.status.tolist(), pop.release.tolist(), strict=True):
            Member(self, o, r, k, st, rel)

    def step(self) -> None:
        self.events = dict.fromkeys(EVENTS, 0)
        self.agents.shuffle_do("step")
        self.agents.shuffle_do("recruit")
        self.week += 1


# ------------------------------------------------------------------------- tocsim kernels
class KernelPeer:
    """The same rules on arrays, through tocsim's member and recruitment kernels."""

    def __init__(self, pop: Population, seed: int = 0, capacity: int | None = None):
        self.pop = pop
        n = pop.org.size
        cap = capacity or 2 * n + 1024
        O, R = pop.n_orgs, pop.n_regions
        self.rng = np.random.default_rng(seed)
        self.week = 0
        self.n = n
        self.status = np.zeros(cap, np.int8)
        self.org = np.zeros(cap, np.int32)
        self.role = np.zeros(cap, np.int8)
        self.region = np.zeros(cap, np.int32)
        self.joined = np.zeros(cap, np.int32)
        self.release = np.zeros(cap, np.int32)
        self.ties = np.full((cap, 6), -1, np.int32)
        self.jail = np.zeros(cap, np.int64)
        self.n_jail = 0
        self.status[:n], self.release[:n] = pop.status, pop.release
        self.org[:n], self.region[:n], self.role[:n] = pop.org, pop.region, pop.role
        jailed = np.flatnonzero(pop.status == INCARCERATED)
        self.n_jail = jail_push_many(jailed.astype(np.int64), self.release, self.jail, 0)
        act = pop.status == ACTIVE
        self.counts = np.zeros((O, R, N_ROLES), np.int64)
        np.add.at(self.counts, (pop.org[act], pop.region[act], pop.role[act]), 1)
        self.org_active = np.ones(O, np.bool_)
        self.org_kind = np.zeros(O, np.int8)
        self.role_share = ROLE_SHARE[None, :].copy()
        self.arrests_or = np.zeros((O, R), np.int64)
        self.deaths_or = np.zeros((O, R), np.int64)
        self.member_events = np.zeros(6, np.int64)
        self.leader_lost = np.zeros(O, np.int8)
        self.leader = np.full(O, -1, np.int64)
        self.leader[pop.org[pop.role == LEADER]] = np.flatnonzero(pop.role == LEADER)
        self.pool = np.full((O, 64), -1, np.int64)
        self.memory = np.zeros((O, N_ROLES))  # no remembered headcount: roles by share
        self.fill = np.ones(N_ROLES)
        self.fill[LEADER] = 0.0
        # each organization's bound on its members' event probability, as the model's step
        self.h_max_or = -np.expm1(-((pop.h_arrest + pop.h_death).max(axis=2)
                                    + pop.h_exit[:, None]))
        self.h_max = float(self.h_max_or.max())
        # the live-member index (sim.kernels.member_index), rebuilt as State.members_by_org
        # does when the visits it wastes add up
        self.index_start, self.index_slots = np.zeros(O + 1, np.int64), np.zeros(0, np.int64)
        self.index_upto, self.wasted = 0, np.inf
        self.events = dict.fromkeys(EVENTS, 0)

    def _grow(self, extra: int) -> None:
        need = self.n + extra
        if need <= self.status.size:
            return
        cap = max(need, 2 * self.status.size)
        for name in ("status", "org", "role", "region", "joined", "release", "jail"):
            a = getattr(self, name)
            b = np.zeros(cap, a.dtype)
            b[: a.size] = a
            setattr(self, name, b)
        t = np.full((cap, self.ties.shape[1]), -1, np.int32)
        t[: self.ties.shape[0]] = self.ties
        self.ties = t

    def step(self) -> None:
        p = self.pop
        tail = self.n - self.index_upto
        self.wasted += (self.index_slots.size + tail - self.counts.sum() - self.n_jail
                        + tail) * self.h_max
        if self.wasted > (self.index_slots.size + tail) / 16:
            self.index_start, self.index_slots = index_members_by_org(
                self.status, self.org, self.n, self.index_start, self.index_slots,
                self.index_upto, p.n_orgs)
            self.index_upto, self.wasted = self.n, 0.0
            self.cell_start, self.cell_slots = cells_of_index(
                self.index_start, self.index_slots, self.region[self.index_slots], p.n_regions)
        self.n_jail = step_members(
            self.rng, self.week, self.n, self.cell_start, self.cell_slots, self.index_upto,
            self.status, self.org, self.role, self.region, self.release, self.jail,
            self.n_jail, p.h_arrest, p.conviction, p.h_death, p.h_exit, self.h_max_or,
            self.h_max, p.sentence_mean, p.return_prob, self.org_active, self.counts,
            self.arrests_or, self.deaths_or, self.member_events, self.leader_lost, self.leader,
            self.pool,
        )
        ev = self.member_events
        new_or = self.rng.poisson(p.rate * self.counts.sum(axis=2))
        n_new = int(new_or.sum())
        if n_new:
            self._grow(n_new)
            self.n = recruit(
                self.rng, self.week, self.n, new_or, self.role_share, self.org_kind,
                self.counts.sum(axis=1), self.counts, self.status, self.org, self.role,
                self.region, self.joined, self.release, self.ties, self.pool, 0, self.memory,
                self.fill,
            )
        self.events = {"arrests": int(ev[0]), "convictions": int(ev[1]), "deaths": int(ev[2]),
                       "exits": int(ev[3]), "releases": int(ev[4]), "recruits": n_new}
        self.week += 1


# ------------------------------------------------------------------------- agreement
def weekly_means(cls, pop: Population, weeks: int, replicates: int, seed0: int = 0
                 ) -> np.ndarray:
    """[replicate, event]: the mean weekly count of each event over ``weeks`` weeks."""
    out = np.zeros((replicates, len(EVENTS)))
    for rep in range(replicates):
        model = cls(pop, seed=seed0 + rep)
        for _ in range(weeks):
            model.step()
            out[rep] += [model.events[e] for e in EVENTS]
    return out / weeks


def compare_counts(pop: Population, weeks: int, replicates: int, mesa_pop: Population | None
                   = None, seed0: int = 1000) -> dict[str, dict[str, float]]:
    """Mean weekly count of each event in Mesa and in the kernels (``replicates`` runs of
    ``weeks`` weeks each from ``pop``; the Mesa side from ``mesa_pop`` when given), the
    standard error of their difference and the difference in standard errors."""
    a = weekly_means(MesaPeer, mesa_pop or pop, weeks, replicates, seed0)
    b = weekly_means(KernelPeer, pop, weeks, replicates, seed0 + 10_000)
    res = {}
    for j, e in enumerate(EVENTS):
        se = float(np.sqrt(a[:, j].var(ddof=1) / replicates + b[:, j].var(ddof=1) / replicates))
        diff = float(a[:, j].mean() - b[:, j].mean())
        res[e] = {"mesa": float(a[:, j].mean()), "kernels": float(b[:, j].mean()), "se": se,
                  "z": diff / se if se > 0 else (0.0 if diff == 0 else np.inf)}
    return res


def time_per_week(cls, pop: Population, weeks: int, seed: int = 0) -> tuple[float, float]:
    """(median seconds per week, build seconds) of one run of ``weeks`` weeks."""
    t = time.perf_counter()
    model = cls(pop, seed=seed)
    build = time.perf_counter() - t
    per = []
    for _ in range(weeks):
        t = time.perf_counter()
        model.step()
        per.append(time.perf_counter() - t)
    return statistics.median(per), build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--weeks", type=int, default=52, help="weeks timed per size")
    ap.add_argument("--check-members", type=int, default=5_000)
    ap.add_argument("--check-weeks", type=int, default=26)
    ap.add_argument("--replicates", type=int, default=20)
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, mesa {mesa.__version__}; load average "
          f"{os.getloadavg()[0]:.2f}")
    KernelPeer(make_population(100), 0).step()  # load the compiled kernels
    out: dict = {"check": {}, "speed": {}}
    pop = make_population(args.check_members, seed=1)
    res = compare_counts(pop, args.check_weeks, args.replicates)
    print(f"\nagreement: {args.check_members:,} members, {args.replicates} replicates x "
          f"{args.check_weeks} weeks each side; mean weekly count (z = difference / its SE)")
    for e, r in res.items():
        flag = "ok" if abs(r["z"]) <= 3 else "DIFFERS"
        print(f"  {e:<12} Mesa {r['mesa']:9.2f}  kernels {r['kernels']:9.2f}  "
              f"SE {r['se']:6.2f}  z {r['z']:+5.2f}  {flag}")
    out["check"] = res
    print("\nspeed: median time per week (member step and recruitment)")
    for n in args.members:
        pop = make_population(n, seed=2)
        tm, bm = time_per_week(MesaPeer, pop, args.weeks)
        tk, bk = time_per_week(KernelPeer, pop, args.weeks)
        print(f"  {n:>9,} members: Mesa {tm * 1e3:9.2f} ms/week (build {bm:.2f} s), kernels "
              f"{tk * 1e3:7.3f} ms/week (build {bk:.3f} s): kernels {tm / tk:,.0f}x faster")
        out["speed"][n] = {"mesa_s_per_week": tm, "kernels_s_per_week": tk, "ratio": tm / tk,
                           "mesa_build_s": bm, "kernels_build_s": bk}
    out["loadavg_end"] = os.getloadavg()[0]
    print(f"load average at the end: {out['loadavg_end']:.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
