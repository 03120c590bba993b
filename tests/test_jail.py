"""Member life at the cost of events (issue 11): the jail heap releases exactly the members
due, and the member step's thinning over the live-member index gives each organization's
members their own probabilities."""

import numpy as np

from sim.enums import Role, Status
from sim.kernels.member_index import cells_of_index, index_members_by_org
from sim.kernels.members import (
    _jail_before,
    jail_heapify,
    jail_push_many,
    step_members,
)
from tests.conftest import tiny_scenario

N_ROLES = 6


def _is_heap(jail, n_jail, release) -> bool:
    return all(not _jail_before(jail[j], jail[(j - 1) // 2], release) for j in range(1, n_jail))


class World:
    """A hand-built population of ``n`` active members in ``O`` organizations."""

    def __init__(self, n, O=3, R=2, seed=0):
        gen = np.random.default_rng(seed)
        self.n, self.O, self.R = n, O, R
        self.status = np.full(n, Status.ACTIVE, np.int8)
        self.org = gen.integers(0, O, n).astype(np.int32)
        self.region = gen.integers(0, R, n).astype(np.int32)
        self.role = gen.integers(0, N_ROLES, n).astype(np.int8)
        self.release = np.zeros(n, np.int32)
        self.jail = np.zeros(n, np.int64)
        self.n_jail = 0
        self.pool = np.full((O, 8), -1, np.int64)
        self.org_active = np.ones(O, np.bool_)
        self.counts = self.recount()

    def recount(self):
        c = np.zeros((self.O, self.R, N_ROLES), np.int64)
        a = self.status == Status.ACTIVE
        np.add.at(c, (self.org[a], self.region[a], self.role[a]), 1)
        return c

    def step(self, week, rng, ha=0.0, hd=0.0, ret=0.5, h_arrest=None, tail_from=None):
        O, R = self.O, self.R
        h_arrest = np.full((O, R, N_ROLES), ha) if h_arrest is None else h_arrest
        h_death = np.full((O, R, N_ROLES), hd)
        bound_or = -np.expm1(-(h_arrest + h_death).max(axis=2))
        n_idx = self.n if tail_from is None else tail_from
        start, slots = index_members_by_org(self.status, self.org, n_idx, np.zeros(1, np.int64),
                                            np.zeros(0, np.int64), 0, O)
        cell_start, cell_slots = cells_of_index(start, slots, self.region[slots], R)
        events = np.zeros(6, np.int64)
        self.arrests_or = np.zeros((O, R), np.int64)
        self.n_jail = step_members(
            rng, week, self.n, cell_start, cell_slots, n_idx, self.status, self.org,
            self.role, self.region, self.release, self.jail, self.n_jail, h_arrest,
            np.zeros((O, R)), h_death, np.zeros(O), bound_or, float(bound_or.max()), 10.0, ret,
            self.org_active, self.counts, self.arrests_or, np.zeros((O, R), np.int64), events,
            np.zeros(O, np.int8), np.full(O, -1, np.int64), self.pool)
        return events


def test_the_jail_releases_exactly_the_members_due():
    """Members are jailed every week with random release weeks (some due the same week), an
    amnesty now and then brings some forward; each week exactly those whose release week
    has come leave (nobody early, nobody late), each once, the heap stays a heap of the
    incarcerated, and counts follow the returns (return with return_prob, else exit; a
    leader comes back as a lieutenant; members of an inactive organization exit)."""
    w = World(4000)
    w.org_active[2] = False
    gen, rng = np.random.default_rng(1), np.random.default_rng(2)
    released = returned = 0
    was_leader = np.zeros(w.n, bool)
    for week in range(260):
        active = np.flatnonzero(w.status == Status.ACTIVE)
        idx = gen.choice(active, size=min(active.size, int(gen.integers(0, 40))), replace=False)
        w.status[idx] = Status.INCARCERATED
        w.release[idx] = week + gen.integers(0, 60, idx.size)
        np.subtract.at(w.counts, (w.org[idx], w.region[idx], w.role[idx]), 1)
        was_leader[idx] = w.role[idx] == Role.LEADER
        w.n_jail = jail_push_many(idx.astype(np.int64), w.release, w.jail, w.n_jail)
        if week % 37 == 5:  # an amnesty: some are due now
            held = w.jail[: w.n_jail]
            freed = held[gen.random(held.size) < 0.3]
            w.release[freed] = week
            jail_heapify(w.release, w.jail, w.n_jail)
        assert _is_heap(w.jail, w.n_jail, w.release)
        before = w.status == Status.INCARCERATED
        events = w.step(week, rng)
        left = before & (w.status != Status.INCARCERATED)
        still = w.status == Status.INCARCERATED
        assert (w.release[left] == week).all()  # nobody early (nor late: stepped weekly)
        assert not (still & (w.release <= week)).any()  # nobody due is kept
        assert events[4] == left.sum() and events[5] == (w.status[left] == Status.ACTIVE).sum()
        assert w.n_jail == still.sum()
        assert sorted(w.jail[: w.n_jail]) == sorted(np.flatnonzero(still))
        assert _is_heap(w.jail, w.n_jail, w.release)
        back = left & (w.status == Status.ACTIVE)
        assert (w.status[left & (w.org == 2)] == Status.EXITED).all()
        assert not (w.role[back & was_leader] == Role.LEADER).any()
        np.testing.assert_array_equal(w.counts, w.recount())
        assert set(w.pool[w.pool >= 0]) >= set() and all(
            w.org[i] == o for o in range(w.O) for i in w.pool[o] if i >= 0)
        released += events[4]
        returned += events[5]
    assert released > 2000 and 0.3 * released < returned < 0.6 * released


def test_thinning_over_the_index_gives_each_cell_its_hazard():
    """(Organization, region) cells with different hazards, each walked at its own bound,
    dead, exited and jailed members in the index and a tail of unindexed slots (walked at the
    largest bound): every active member is arrested with its own probability 1 - exp(-h);
    dead, exited and jailed members are never touched."""
    n, tail = 400_000, 50_000
    w = World(n, O=3, R=2, seed=4)
    gen = np.random.default_rng(5)
    gone = gen.random(n) < 0.3
    w.status[gone] = gen.choice([Status.DEAD, Status.EXITED, Status.INCARCERATED], gone.sum())
    w.counts = w.recount()
    h = np.array([[0.002, 0.03], [0.02, 0.0], [0.2, 0.05]])
    h_arrest = np.repeat(h[:, :, None], N_ROLES, axis=2)
    active0 = w.status == Status.ACTIVE
    status0 = w.status.copy()
    w.step(0, np.random.default_rng(6), h_arrest=h_arrest, tail_from=n - tail)
    np.testing.assert_array_equal(w.status[~active0], status0[~active0])
    assert w.n_jail == 0  # no conviction (conviction 0): the arrested go free
    for o in range(3):
        for r in range(2):
            m = int((active0 & (w.org == o) & (w.region == r)).sum())
            q = -np.expm1(-h[o, r])
            se = max(np.sqrt(m * q * (1 - q)), 1e-9)
            assert abs(w.arrests_or[o, r] - m * q) <= 4 * se, (o, r, w.arrests_or[o, r], m * q)


def test_a_model_with_amnesty_and_direct_arrests_keeps_its_jail_and_checks():
    """Interventions' arrests and an amnesty enter the same heap; the conservation checks
    (jail list = the incarcerated) hold every week and a copy continues identically."""
    from sim.model import TocModel
    from sim.snapshot import state_digest

    m = TocModel(tiny_scenario(weeks=60, seed=3), checks=True)
    m.run(20)
    mem = m.members
    act = np.flatnonzero(mem.status[: mem.n] == Status.ACTIVE)
    assert m.arrest_members(act[:25], sentence_weeks=7) == 25
    assert _is_heap(mem.jail, mem.n_jail, mem.release)
    m.run(3)
    held = mem.jail[: mem.n_jail].copy()
    assert held.size > 0
    assert m.release_prisoners(1.0) == held.size
    assert _is_heap(mem.jail, mem.n_jail, mem.release)
    copy = TocModel.from_state(m.state.copy())
    m.step()
    copy.step()
    assert not (mem.status[held] == Status.INCARCERATED).any()
    m.run(20)
    copy.run(20)
    assert state_digest(m) == state_digest(copy)
    assert _is_heap(mem.jail, mem.n_jail, mem.release)


def test_the_member_index_is_rebuilt_when_wasted_visits_add_up():
    """The member step reports the visits a stale index wastes; once they add up to a
    sixteenth of the index, it is rebuilt with the live members only (not before)."""
    from sim import from_dict
    from sim.model import TocModel

    scn = from_dict({"name": "t", "scale": 0.2, "weeks": 4,
                     "params": {"run": {"spinup_weeks": 0}}}, "<test>")
    s = TocModel(scn, checks=False).state
    mem = s.members
    start, slots, _, _ = s.members_by_org()
    dead = slots[::2]
    mem.status[dead] = Status.DEAD
    s.recount()  # counts follow
    budget = (slots.size + mem.n - s.member_index_upto) / 16
    assert s.members_by_org(wasted=0.6 * budget)[1] is slots  # not yet: kept
    assert s.members_by_org(wasted=0.6 * budget)[1] is not slots  # added up: rebuilt
    slots2 = s.members_by_org()[1]
    np.testing.assert_array_equal(slots2, np.setdiff1d(slots, dead))
    assert s.member_index_wasted == 0.0


def test_the_models_index_rebuild_equals_the_reference_with_regions():
    """``reindex_members_by_org`` (one read of each member) gives the same index as
    ``index_members_by_org`` plus each slot's region and the cells ``cells_of_index`` makes
    of it, from a previous index and a tail, also when a member moved to an earlier
    organization (the full-scan fallback)."""
    from sim.kernels.member_index import reindex_members_by_org

    gen = np.random.default_rng(9)
    n, O = 5000, 6
    for case in range(3):
        status = gen.choice([1, 1, 1, 2, 3, 4], n).astype(np.int8)
        org = gen.integers(0, O, n).astype(np.int32)
        region = gen.integers(0, 7, n).astype(np.int32)
        start0, slots0 = index_members_by_org(status, org, 4000, np.zeros(1, np.int64),
                                              np.zeros(0, np.int64), 0, O)
        region0 = region[slots0]
        status[gen.integers(0, n, 500)] = Status.DEAD
        if case == 1:  # a split: members of org 2 join org 5 (a new, later group)
            org[(org == 2) & (gen.random(n) < 0.5)] = 5
        if case == 2:  # a move to an earlier group breaks slot order: full-scan fallback
            org[np.flatnonzero(org == 4)[:3]] = 0
        want = index_members_by_org(status, org, n, start0, slots0, 4000, O)
        got = reindex_members_by_org(status, org, region, n, start0, slots0, region0, 4000, O,
                                     7)
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        np.testing.assert_array_equal(got[2], region[want[1]])
        cell_start, cell_slots = cells_of_index(want[0], want[1], region[want[1]], 7)
        np.testing.assert_array_equal(got[3], cell_start)
        np.testing.assert_array_equal(got[4], cell_slots)
        assert got[4].dtype == cell_slots.dtype


def test_a_state_saved_before_the_jail_heap_continues():
    """A state pickled by the previous version (jail in list order, no cell index) loads,
    gets a heap and a fresh index, and runs on with its conservation checks."""
    from sim.model import TocModel
    from sim.snapshot import dumps, loads

    m = TocModel(tiny_scenario(weeks=40, seed=4), checks=True)
    m.run(15)
    s = m.state
    mem = s.members
    assert mem.n_jail > 2
    mem.jail[: mem.n_jail] = np.sort(mem.jail[: mem.n_jail])[::-1]  # a list, not a heap
    for name in ("member_index_region", "member_cells_start", "member_cells_slots",
                 "member_index_wasted"):
        delattr(s, name)
    old = loads(dumps(s))
    assert _is_heap(old.members.jail, old.members.n_jail, old.members.release)
    back = TocModel.from_state(old)
    back.run(10)  # conservation checks on: the jail heap and the counts stay right
    assert _is_heap(back.members.jail, back.members.n_jail, back.members.release)
