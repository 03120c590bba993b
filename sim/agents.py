"""Agents as struct-of-arrays: members, officials, organizations and agencies.

Arrays are preallocated for the run; members are flagged (dead, jailed, exited), never deleted,
and member capacity doubles when recruitment needs more slots (the weekly member step walks
only the live members through the member index, so dead and exited slots cost memory, not
time). The jailed are kept in a heap ordered by release week, so a week reads only those
due. Organization capacity doubles when a split needs a new slot.
"""

from __future__ import annotations

import numpy as np

from .enums import N_ROLES, OfficialType, OrgKind, Role, Status
from .kernels.members import init_ties, jail_heapify, jail_push_many

TIE_SLOTS = 6
MAX_MEMBER_SLOTS = 2**31 - 1  # member indices are int32 (ties, org arrays)
OFFICIAL_TYPE_SHARES = {
    OfficialType.POLICE: 0.5,
    OfficialType.CUSTOMS: 0.2,
    OfficialType.JUDICIAL: 0.2,
    OfficialType.POLITICAL: 0.1,
}
INTEGRITY_CONCENTRATION = 4.0


def role_share_table(pars) -> np.ndarray:
    """[kind, role] target role shares (leaders are appointed, not recruited)."""
    s = pars.structure
    table = np.zeros((len(OrgKind), N_ROLES))
    for kind, prefix in ((OrgKind.CARTEL, "cartel"), (OrgKind.GANG, "gang")):
        for role in (Role.LIEUTENANT, Role.LOGISTICS, Role.ENFORCER, Role.LAUNDERER, Role.DEALER):
            table[kind, role] = getattr(s, f"{prefix}_{role.name.lower()}")
        total = table[kind].sum()
        if total > 0:
            table[kind] /= total
    return table


# mean official integrity: INTEGRITY_FAILED in a failed state (capacity 0), plus INTEGRITY_SPAN
# in a strong one (capacity 1); the corruption kernel computes it from the same constants
INTEGRITY_FAILED, INTEGRITY_SPAN = 0.3, 0.6


def integrity_mean(state_capacity: np.ndarray) -> np.ndarray:
    """Mean official integrity by region: 0.3 in a failed state up to 0.9 in a strong one."""
    return INTEGRITY_FAILED + INTEGRITY_SPAN * state_capacity


class Members:
    """Individual members of criminal organizations."""

    def __init__(self, capacity: int):
        self.n = 0
        self._alloc(capacity)

    def _alloc(self, cap: int) -> None:
        self.status = np.zeros(cap, np.int8)
        self.org = np.zeros(cap, np.int32)
        self.role = np.zeros(cap, np.int8)
        self.region = np.zeros(cap, np.int32)
        self.joined = np.zeros(cap, np.int32)  # week of joining (tenure = week - joined)
        self.release = np.zeros(cap, np.int32)  # week of release while incarcerated
        self.ties = np.full((cap, TIE_SLOTS), -1, np.int32)
        # indices of incarcerated members (first n_jail): a binary min-heap by (release
        # week, slot), see sim.kernels.members.jail_push
        self.jail = np.zeros(cap, np.int64)
        self.n_jail = 0

    @property
    def capacity(self) -> int:
        return self.status.shape[0]

    def ensure(self, extra: int) -> None:
        """Make room for ``extra`` more members, doubling capacity as often as needed."""
        need = self.n + extra
        if need <= self.capacity:
            return
        if need > MAX_MEMBER_SLOTS:  # member indices are int32 in the kernels
            from .errors import ModelLimitError

            raise ModelLimitError(f"members: {extra:,} new members asked for on top of "
                                  f"{self.n:,}, beyond the model's limit of "
                                  f"{MAX_MEMBER_SLOTS:,} member slots")
        cap = self.capacity
        while cap < need:
            cap *= 2
        cap = min(cap, MAX_MEMBER_SLOTS)
        for name in ("status", "org", "role", "region", "joined", "release", "ties", "jail"):
            old = getattr(self, name)
            shape = (cap,) + old.shape[1:]
            try:
                new = (np.full(shape, -1, old.dtype) if name == "ties"
                       else np.zeros(shape, old.dtype))
            except MemoryError:
                from .errors import ModelLimitError

                raise ModelLimitError(f"members: not enough memory for {cap:,} member slots "
                                      f"({extra:,} new members on top of {self.n:,})") from None
            keep = self.n_jail if name == "jail" else self.n
            new[:keep] = old[:keep]
            setattr(self, name, new)

    def jail_add(self, idx: np.ndarray) -> None:
        """Put newly incarcerated members in the jail heap (status and release week already
        set: the heap is ordered by release week)."""
        self.n_jail = jail_push_many(np.asarray(idx, np.int64), self.release, self.jail,
                                     self.n_jail)

    def jail_reorder(self) -> None:
        """Restore the jail heap's order after release weeks of jailed members changed."""
        jail_heapify(self.release, self.jail, self.n_jail)

    def count_status(self) -> np.ndarray:
        return np.bincount(self.status[: self.n], minlength=len(Status))


class Officials:
    """Police, customs, judicial and political officials (fixed posts, replaced when caught)."""

    def __init__(self, world, pars, rng: np.random.Generator):
        counts = world.officials
        n = int(counts.sum())
        self.region = np.repeat(np.arange(world.n_regions, dtype=np.int32), counts)
        types = np.array(list(OFFICIAL_TYPE_SHARES), np.int8)
        probs = np.array(list(OFFICIAL_TYPE_SHARES.values()))
        self.otype = rng.choice(types, size=n, p=probs).astype(np.int8)
        mu = integrity_mean(world.state_capacity)[self.region]
        c = INTEGRITY_CONCENTRATION
        self.integrity = rng.beta(mu * c, (1 - mu) * c)
        self.salary = pars.corruption.official_pay_ratio * world.legit_wage[self.region]
        self.patron = np.full(n, -1, np.int32)

    @property
    def n(self) -> int:
        return self.region.shape[0]


ORG_ARRAYS_1D = (
    "kind", "home", "active", "leader", "succession", "cohesion", "cash", "laundered", "frozen",
    "threat", "kills", "revenue", "arms_people", "parent", "stress", "split_done",
)


class Organizations:
    """Criminal organizations (cartels and gangs); capacity doubles when a split needs a slot."""

    def __init__(self, world, n_edges: int, n_agencies: int, capacity: int):
        O, R, C = len(world.org_names), world.n_regions, len(world.commodity_names)
        self.n = O
        self.names = list(world.org_names)
        cap = max(capacity, O)
        self.kind = np.zeros(cap, np.int8)
        self.home = np.zeros(cap, np.int32)
        self.active = np.zeros(cap, np.bool_)
        self.leader = np.full(cap, -1, np.int64)
        self.succession = np.zeros(cap, np.int32)
        self.cohesion = np.ones(cap)
        self.cash = np.zeros(cap)
        self.laundered = np.zeros(cap)
        self.frozen = np.zeros(cap)
        self.threat = np.zeros(cap)
        self.kills = np.zeros(cap)  # EMA of kills attributed
        self.revenue = np.zeros(cap)  # EMA of weekly revenue
        self.arms_people = np.zeros(cap)  # EMA of firearms and persons trafficked (USD)
        self.parent = np.full(cap, -1, np.int32)
        self.stress = np.zeros(cap)  # 1 when the org cannot pay its wage bill
        # slowly forgotten recent headcount by role (replacement target; set from the
        # initial members by the model)
        self.role_memory = np.zeros((cap, N_ROLES))
        self.split_done = np.zeros(cap, np.bool_)  # this succession already produced a split
        self.trades = np.zeros((cap, C), np.bool_)
        self.origin = np.full((cap, C), -1, np.int32)
        self.ship_target = np.zeros((cap, C))
        self.base_presence = np.zeros((cap, R))
        self.rivalry = np.zeros((cap, cap))
        self.alliance = np.zeros((cap, cap))
        self.risk_ev = np.zeros((cap, n_edges))
        self.risk_tr = np.zeros((cap, n_edges))
        self.intel = np.zeros((n_agencies, cap))
        self.kind[:O] = world.org_kind
        self.home[:O] = world.org_home
        self.active[:O] = True
        self.cash[:O] = world.org_cash
        self.laundered[:O] = world.org_laundered
        self.trades[:O] = world.org_trades
        self.base_presence[:O] = world.org_presence
        self.rivalry[:O, :O] = world.rivalry
        self.alliance[:O, :O] = world.alliance

    @property
    def capacity(self) -> int:
        return self.kind.shape[0]

    def grow(self) -> None:
        """Double the organization capacity (all org-indexed arrays, including [O, O])."""
        old, cap = self.capacity, self.capacity * 2
        for name in ORG_ARRAYS_1D + ("trades", "origin", "ship_target", "base_presence",
                                      "risk_ev", "risk_tr", "role_memory"):
            a = getattr(self, name)
            fill = (-1 if name in ("leader", "parent", "origin")
                    else 1.0 if name == "cohesion" else 0)
            b = np.full((cap,) + a.shape[1:], fill, a.dtype)
            b[:old] = a
            setattr(self, name, b)
        for name in ("rivalry", "alliance"):
            a = getattr(self, name)
            b = np.zeros((cap, cap))
            b[:old, :old] = a
            setattr(self, name, b)
        b = np.zeros((self.intel.shape[0], cap))
        b[:, :old] = self.intel
        self.intel = b


def nearest_origins(world, orgs: Organizations) -> None:
    """Each trading organization buys each commodity at the origin fewest corridors from its
    home (ties broken by the cheaper price)."""
    R = world.n_regions
    hops = np.full((R, R), R + 1, np.int64)
    for s in range(R):
        hops[s, s] = 0
        frontier = [s]
        while frontier:
            nxt = []
            for u in frontier:
                for v in world.edge_to[world.edge_from == u]:
                    if hops[s, v] > hops[s, u] + 1:
                        hops[s, v] = hops[s, u] + 1
                        nxt.append(int(v))
            frontier = nxt
    for o in range(orgs.n):
        for c in range(len(world.commodity_names)):
            if not orgs.trades[o, c]:
                continue
            cands = np.nonzero(world.origin_price[c] > 0)[0]
            key = [(hops[orgs.home[o], r], world.origin_price[c, r]) for r in cands]
            orgs.origin[o, c] = cands[min(range(len(cands)), key=lambda k: key[k])]


def init_members(world, pars, rng: np.random.Generator, capacity_factor: float = 2.0) -> Members:
    """Place each organization's members by its presence shares, roles by the target shares,
    one leader in the home region, and initial ties inside (org, region) blocks."""
    shares = role_share_table(pars)
    total = int(world.org_members.sum())
    mem = Members(max(int(total * capacity_factor), 1024))
    block_start = [0]
    leaders = np.full(len(world.org_names), -1, np.int64)
    i = 0
    for o in range(len(world.org_names)):
        n_o = int(world.org_members[o])
        by_region = rng.multinomial(n_o, world.org_presence[o])
        home = int(world.org_home[o])
        if by_region[home] == 0:  # the leader lives in the home region
            donor = int(np.argmax(by_region))
            by_region[donor] -= 1
            by_region[home] += 1
        for r in range(world.n_regions):
            n = int(by_region[r])
            if n == 0:
                continue
            roles = rng.choice(N_ROLES, size=n, p=shares[world.org_kind[o]]).astype(np.int8)
            if r == home and leaders[o] < 0:
                roles[0] = Role.LEADER
                leaders[o] = i
            sl = slice(i, i + n)
            mem.status[sl] = Status.ACTIVE
            mem.org[sl] = o
            mem.role[sl] = roles
            mem.region[sl] = r
            mem.joined[sl] = -rng.integers(0, 520, size=n)  # up to 10 years of tenure
            i += n
            block_start.append(i)
    mem.n = i
    init_ties(rng, np.asarray(block_start, np.int64), mem.ties, int(pars.structure.initial_ties))
    mem.initial_leaders = leaders
    return mem
