"""Exact tests of the Numba kernels on tiny hand-built cases."""

import numpy as np
import pytest

from sim.enums import Role, Status
from sim.kernels.conflict import conflict_hazards
from sim.kernels.markets import clear_markets
from sim.kernels.members import (
    add_tie,
    arrest_members_of_role,
    count_active,
    promote_leader,
    recruit,
    split_members,
    step_members,
)
from sim.kernels.officials import step_officials
from sim.kernels.routing import path_edges, ship_commodities, shortest_paths, shortest_paths_to


def line_graph():
    """0 -> 1 -> 2 (cheap, two edges) and 0 -> 2 (expensive direct), both directions."""
    frm = np.array([0, 1, 1, 2, 0, 2], np.int32)
    to = np.array([1, 0, 2, 1, 2, 0], np.int32)
    order = np.argsort(frm, kind="stable")
    start = np.searchsorted(frm[order], np.arange(4)).astype(np.int64)
    return frm, to, order.astype(np.int32), start


def test_shortest_paths_prefers_cheaper_two_hop_route():
    frm, to, adj, start = line_graph()
    w = np.array([1.0, 1.0, 1.0, 1.0, 5.0, 5.0])
    dist, pred = np.empty(3), np.empty(3, np.int32)
    shortest_paths(3, start, adj, to, w, 0, dist, pred)
    assert dist.tolist() == [0.0, 1.0, 2.0]
    out = np.empty(3, np.int32)
    n = path_edges(pred, frm, 0, 2, out)
    assert out[:n].tolist() == [0, 2]
    w[4] = 1.5  # now the direct edge is cheaper
    shortest_paths(3, start, adj, to, w, 0, dist, pred)
    n = path_edges(pred, frm, 0, 2, out)
    assert out[:n].tolist() == [4] and dist[2] == 1.5


def test_shortest_paths_to_wanted_nodes_equal_the_full_search():
    """Stopping once the wanted nodes are settled gives them the full search's distances and
    paths (random graphs, ties in weights included); and it does stop early."""
    gen = np.random.default_rng(4)
    stopped_early = 0
    for _ in range(200):
        n, m = 12, 40
        frm = gen.integers(0, n, m).astype(np.int32)
        to = gen.integers(0, n, m).astype(np.int32)
        order = np.argsort(frm, kind="stable")
        start = np.searchsorted(frm[order], np.arange(n + 1)).astype(np.int64)
        adj = order.astype(np.int32)
        w = gen.integers(0, 4, m).astype(float)  # whole numbers: many ties
        src = int(gen.integers(0, n))
        wanted = gen.random(n) < 0.3
        dist, pred = np.empty(n), np.empty(n, np.int32)
        shortest_paths(n, start, adj, to, w, src, dist, pred)
        dist2, pred2, done = np.empty(n), np.empty(n, np.int32), np.empty(n, np.bool_)
        shortest_paths_to(n, start, adj, to, w, src, dist2, pred2, done, wanted,
                          int(wanted.sum()))
        stopped_early += int(done.sum() < np.isfinite(dist).sum())
        out, out2 = np.empty(n, np.int32), np.empty(n, np.int32)
        for d in np.flatnonzero(wanted):
            assert dist2[d] == dist[d]
            k, k2 = path_edges(pred, frm, src, d, out), path_edges(pred2, frm, src, d, out2)
            assert k == k2 and out[:max(k, 0)].tolist() == out2[:max(k2, 0)].tolist()
    assert stopped_early > 50


def test_clear_markets_fixed_supply_clears_on_demand_curve():
    # offered 100 against Q_ref 400 at P_ref 90,000 with elasticity -0.5: P = P_ref * 4 ** 2
    stock = np.zeros((1, 1))
    arrivals = np.array([[100.0]])
    demand, pref = np.array([[400.0]]), np.array([[90000.0]])
    price, sold = np.zeros((1, 1)), np.zeros((1, 1))
    clear_markets(stock, arrivals, demand, pref, np.array([-0.5]), 1.0, np.array([True]),
                  np.array([1e9]), 0.01, 100.0, price, sold)
    assert price[0, 0] == pytest.approx(90000.0 * 16.0, rel=1e-12)
    assert sold[0, 0] == 100.0 and stock[0, 0] == 0.0


def test_clear_markets_cap_floor_dealers_and_stock():
    demand, pref, e = np.array([[400.0]]), np.array([[100.0]]), np.array([-1.0])
    price, sold = np.zeros((1, 1)), np.zeros((1, 1))
    # cap binds: 1 unit offered would clear at 400x; capped at 10x, demand there is 40 > 1
    stock = np.zeros((1, 1))
    clear_markets(stock, np.array([[1.0]]), demand, pref, e, 1.0, np.array([True]),
                  np.array([1e9]), 0.1, 10.0, price, sold)
    assert price[0, 0] == pytest.approx(1000.0) and sold[0, 0] == pytest.approx(1.0)
    # floor binds: 10,000 offered; at the floor (0.1 P_ref) demand takes 4,000; rest stays
    stock = np.zeros((1, 1))
    clear_markets(stock, np.array([[10000.0]]), demand, pref, e, 1.0, np.array([True]),
                  np.array([1e9]), 0.1, 10.0, price, sold)
    assert price[0, 0] == pytest.approx(10.0) and sold[0, 0] == pytest.approx(4000.0)
    assert stock[0, 0] == pytest.approx(6000.0)
    # dealers limit what is offered; half the stock is offered when sell_fraction = 0.5
    stock = np.array([[300.0]])
    clear_markets(stock, np.array([[100.0]]), demand, pref, e, 0.5, np.array([True]),
                  np.array([150.0]), 0.01, 100.0, price, sold)
    assert sold[0, 0] == 150.0 and stock[0, 0] == 250.0
    assert price[0, 0] == pytest.approx(100.0 * 400.0 / 150.0)


class Pop:
    """A hand-built population of one organization in one region (kernel arrays)."""

    def __init__(self, n, role=Role.DEALER):
        self.status = np.full(n, Status.ACTIVE, np.int8)
        self.org = np.zeros(n, np.int32)
        self.role = np.full(n, role, np.int8)
        self.region = np.zeros(n, np.int32)
        self.release = np.zeros(n, np.int32)
        self.jail = np.zeros(n, np.int64)
        self.n_jail = 0
        self.counts = np.zeros((1, 1, 6), np.int64)
        self.counts[0, 0, role] = n
        self.pool = np.full((1, 8), -1, np.int64)

    def step(self, week=0, ha=0.0, hd=0.0, he=0.0, conv=1.0, sentence_mean=10.0, ret=1.0,
             leader=-1, seed=0, h_max=None, indexed=False):
        """One week; ``indexed``: through the member index (the model's path: the live
        members walked at the organization's bound) instead of every slot at ``h_max``."""
        from sim.kernels.member_index import cells_of_index, index_members_by_org

        O, R, K = 1, 1, 6
        arrests, deaths = np.zeros((O, R), np.int64), np.zeros((O, R), np.int64)
        events = np.zeros(6, np.int64)
        lost = np.zeros(O, np.int8)
        if h_max is None:  # the tightest bound: the event probability 1 - exp(-h)
            h = ha + hd + he
            h_max = float(-np.expm1(-h)) if h < np.inf else 1.0
        n = self.status.shape[0]
        if indexed:
            start, slots = index_members_by_org(self.status, self.org, n,
                                                np.zeros(1, np.int64), np.zeros(0, np.int64),
                                                0, O)
            cell_start, cell_slots = cells_of_index(start, slots, self.region[slots], R)
            tail_from = n
        else:  # an empty index: every slot is in the tail
            cell_start, cell_slots, tail_from = np.zeros(1, np.int64), np.zeros(0, np.int32), 0
        self.n_jail = step_members(
            np.random.default_rng(seed), week, n, cell_start, cell_slots, tail_from,
            self.status, self.org, self.role, self.region, self.release, self.jail, self.n_jail,
            np.full((O, R, K), ha), np.full((O, R), conv), np.full((O, R, K), hd),
            np.full(O, he), np.full((O, R), h_max), h_max, sentence_mean, ret,
            np.ones(O, np.bool_), self.counts, arrests, deaths, events, lost,
            np.array([leader], np.int64), self.pool)
        return events, lost


def test_step_members_no_hazard_changes_nothing():
    p = Pop(50)
    events, _ = p.step()
    assert p.counts[0, 0, Role.DEALER] == 50 and events.sum() == 0
    assert (p.status == Status.ACTIVE).all()


def test_step_members_certain_arrest_then_release_on_schedule():
    p = Pop(20)
    events, _ = p.step(week=0, ha=np.inf, conv=1.0, sentence_mean=3.0)  # a certain arrest
    assert events[0] == 20 and events[1] == 20 and p.counts.sum() == 0
    assert (p.status == Status.INCARCERATED).all() and p.n_jail == 20
    assert (p.release >= 1).all()
    for week in range(1, 200):  # serve the sentences: nobody active is exposed (ha = 0)
        events, _ = p.step(week=week, ret=1.0)
        if p.n_jail == 0:
            break
    assert p.n_jail == 0 and (p.status == Status.ACTIVE).all()
    assert p.counts[0, 0, Role.DEALER] == 20  # counts follow the returns
    assert set(p.pool[0][p.pool[0] >= 0]) <= set(range(20))


def test_step_members_thinned_draws_give_each_member_its_hazard():
    """Arrests happen with probability 1 - exp(-h) per member whatever the thinning bound."""
    n, h = 200_000, 0.01
    q = -np.expm1(-h)
    for h_max, indexed in ((q, False), (0.05, False), (q, True), (0.05, True)):
        p = Pop(n)
        events, _ = p.step(ha=h, conv=0.0, seed=3, h_max=h_max, indexed=indexed)
        se = np.sqrt(n * q * (1 - q))
        assert abs(events[0] - n * q) < 4 * se
        assert events[1] == 0 and (p.status == Status.ACTIVE).all()  # nobody convicted


def test_step_members_large_hazards_are_competing_risks():
    """Hazards are rates: any size gives a probability 1 - exp(-h), split between arrest,
    death and exit in proportion to their hazards (issue 10: hazards above 1 were used as
    probabilities)."""
    n, ha, hd, he = 100_000, 3.0, 1.0, 0.5
    p = Pop(n)
    events, _ = p.step(ha=ha, hd=hd, he=he, conv=0.0, seed=5)
    h = ha + hd + he
    q = -np.expm1(-h)
    for k, hk in ((0, ha), (2, hd), (3, he)):
        pk = q * hk / h
        assert abs(events[k] - n * pk) < 4 * np.sqrt(n * pk * (1 - pk))
    assert events[0] + events[2] + events[3] < n  # exp(-4.5) of them had no event


def test_step_members_deaths_exits_and_leader_loss():
    p = Pop(10, role=Role.LEADER)
    events, lost = p.step(hd=np.inf, leader=3)
    assert events[2] == 10 and lost[0] == 1 and (p.status == Status.DEAD).all()
    assert p.counts.sum() == 0
    p = Pop(10)
    events, _ = p.step(he=np.inf)
    assert events[3] == 10 and (p.status == Status.EXITED).all()
    p = Pop(10, role=Role.LEADER)  # leaders never exit voluntarily
    events, _ = p.step(he=np.inf)
    assert events[3] == 0 and p.counts[0, 0, Role.LEADER] == 10


def test_recruit_assigns_roles_by_deficit_and_ties_to_recruiter():
    n0 = 4
    cap = 32
    status = np.zeros(cap, np.int8)
    status[:n0] = Status.ACTIVE
    org, role = np.zeros(cap, np.int32), np.zeros(cap, np.int8)
    role[:n0] = Role.ENFORCER
    region, joined, release = np.zeros(cap, np.int32), np.zeros(cap, np.int32), np.zeros(cap, np.int32)
    ties = np.full((cap, 6), -1, np.int32)
    share = np.zeros((2, 6))
    share[0, Role.LOGISTICS] = 0.5
    share[0, Role.ENFORCER] = 0.5
    counts_ok = np.zeros((1, 6), np.int64)
    counts_ok[0, Role.ENFORCER] = n0
    counts = np.zeros((1, 1, 6), np.int64)
    counts[0, 0, Role.ENFORCER] = n0
    pool = np.full((1, 4), -1, np.int64)
    pool[0, :n0] = np.arange(n0)
    new = np.array([[4]], np.int64)
    n = recruit(np.random.default_rng(0), 7, n0, new, share, np.zeros(1, np.int8), counts_ok,
                counts, status, org, role, region, joined, release, ties, pool, 1, np.zeros((1, 6)), np.ones(6))
    assert n == n0 + 4
    assert (role[n0:n] == Role.LOGISTICS).all()  # the logistics deficit is filled first
    assert counts[0, 0, Role.LOGISTICS] == 4 and (status[n0:n] == Status.ACTIVE).all()
    assert (joined[n0:n] == 7).all()
    for i in range(n0, n):  # each recruit is tied to an earlier member (its recruiter),
        t = ties[i][ties[i] >= 0]  # both ways; later recruits may pick it as their recruiter
        assert t.size >= 1 and t[0] < i and i in ties[t[0]]
        assert all(i in ties[j] for j in t)
    assert (pool[0] >= n0).any()  # recruits enter the recruiter pool


def test_add_tie_overwrites_when_full():
    ties = np.full((10, 2), -1, np.int32)
    rng = np.random.default_rng(0)
    add_tie(ties, 0, 1, rng)
    add_tie(ties, 0, 1, rng)  # no duplicate
    assert ties[0].tolist() == [1, -1] and ties[1].tolist() == [0, -1]
    add_tie(ties, 0, 2, rng)
    add_tie(ties, 0, 3, rng)
    assert 3 in ties[0] and ties[3, 0] == 0


def test_case_arrests_split_promote_and_count():
    p = Pop(10, role=Role.LIEUTENANT)
    p.role[5:] = Role.DEALER
    p.region[7:] = 1
    joined = -np.arange(10, dtype=np.int32)  # member 9 joined first
    counts = np.zeros((2, 2, 6), np.int64)
    count_active(10, p.status, p.org, p.region, p.role, counts)
    assert counts[0, 0, Role.LIEUTENANT] == 5 and counts[0, 1, Role.DEALER] == 3
    got, n_jail = arrest_members_of_role(np.random.default_rng(0), 4, 10, 0, Role.LIEUTENANT, 3,
                                         p.status, p.org, p.role, p.region, p.release, p.jail,
                                         0, 10.0, counts)
    assert got == 3 and n_jail == 3 and (p.status[:5] == Status.INCARCERATED).sum() == 3
    assert counts[0, 0, Role.LIEUTENANT] == 2 and (p.release[p.jail[:3]] > 4).all()
    moved = split_members(np.random.default_rng(0), 10, p.status, p.org, p.region, 0, 1,
                          np.array([0.0, 1.0]), p.role, counts)
    assert moved == 3 and (p.org[7:] == 1).all() and (p.org[:7] == 0).all()
    kept = counts.copy()
    count_active(10, p.status, p.org, p.region, p.role, counts)
    np.testing.assert_array_equal(kept, counts)  # the split kept the counts current
    leader = promote_leader(10, p.status, p.org, p.role, p.region, joined, 0, counts)
    free_lieutenants = [i for i in range(5) if p.status[i] == Status.ACTIVE]
    assert leader == max(free_lieutenants) and p.role[leader] == Role.LEADER  # longest tenure
    assert counts[0, 0, Role.LEADER] == 1 and counts[0, 0, Role.LIEUTENANT] == 1


def test_conflict_hazard_matches_formula():
    m = np.array([[100.0], [50.0]])
    riv, ali = np.array([[0.0, 3.0], [3.0, 0.0]]), np.zeros((2, 2))
    weights = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 2.0])
    h = np.zeros((2, 1, 6))
    exp_r, kills = np.zeros(1), np.zeros(2)
    theta, lethality = 1e-6, np.array([1.5])
    intensity = np.array([1.0, 3.0])
    conflict_hazards(m, riv, ali, 1.0, np.ones(2, np.bool_), intensity, theta, lethality,
                     weights, h, exp_r, kills)
    k = (1.0 + 3.0) / (1.0 + 0.0)
    p0 = theta * 1.5 * k * 50 * 0.5 * (1 + 3)
    p1 = theta * 1.5 * k * 100 * 0.5 * (1 + 3)
    assert h[0, 0, 3] == pytest.approx(p0) and h[0, 0, 5] == pytest.approx(2 * p0)
    assert h[1, 0, 3] == pytest.approx(p1)
    assert exp_r[0] == pytest.approx(p0 * 100 + p1 * 50)
    assert kills[1] == pytest.approx(p0 * 100) and kills[0] == pytest.approx(p1 * 50)
    ali[0, 1] = ali[1, 0] = 3.0  # alliances divide the pressure
    conflict_hazards(m, riv, ali, 1.0, np.ones(2, np.bool_), intensity, theta, lethality,
                     weights, h, exp_r, kills)
    assert h[0, 0, 3] == pytest.approx(p0 / 4)


def _conflict_hazards_reference(m, riv, ali, base, active, intensity, theta, leth, weights):
    """The hazards loop as first written: every organization o, every rival j, in order."""
    O, R = m.shape
    h, exp_r, kills = np.zeros((O, R, weights.size)), np.zeros(R), np.zeros(O)
    for r in range(R):
        for o in range(O):
            if m[o, r] <= 0.0 or not active[o]:
                continue
            pressure = 0.0
            for j in range(O):
                if j == o or m[j, r] <= 0.0 or not active[j]:
                    continue
                k = (base + riv[o, j]) / (1.0 + ali[o, j])
                term = theta * leth[r] * k * m[j, r] * 0.5 * (intensity[o] + intensity[j])
                pressure += term
                kills[j] += term * m[o, r]
            exp_r[r] += pressure * m[o, r]
            h[o, r] = np.minimum(pressure * weights, 0.5)
    return h, exp_r, kills


def test_conflict_hazards_equal_the_plain_loop_bit_for_bit():
    """The kernel (organizations taken two at a time) sums in the plain loop's order: the
    same bits, with odd and even numbers of organizations per region, absent and inactive
    ones, and hazards at the 0.5 cap."""
    gen = np.random.default_rng(8)
    for O in (1, 2, 3, 7, 12):
        R = 5
        m = np.where(gen.random((O, R)) < 0.3, 0.0, gen.integers(1, 400, (O, R))).astype(float)
        riv, ali = gen.random((O, O)) * 3, gen.random((O, O)) * 2
        active = gen.random(O) < 0.85
        intensity, leth = 1 + gen.random(O), 1 + gen.random(R)
        weights = np.array([0.0, 0.3, 1.0, 1.0, 2.0, 0.5])
        theta = 10 ** gen.uniform(-5, -2.5)  # some hazards reach the cap
        h, exp_r, kills = np.full((O, R, 6), 9.0), np.full(R, 9.0), np.full(O, 9.0)
        conflict_hazards(m, riv, ali, 0.5, active, intensity, theta, leth, weights, h, exp_r,
                         kills)
        want = _conflict_hazards_reference(m, riv, ali, 0.5, active, intensity, theta, leth,
                                           weights)
        for got, ref in zip((h, exp_r, kills), want, strict=True):
            np.testing.assert_array_equal(got, ref)


def _officials(n, patron=-1):
    return (np.zeros(n, np.int32), np.zeros(n, np.int8), np.full(n, 0.5), np.full(n, 100.0),
            np.full(n, patron, np.int32))


def _run_officials(off, offer, detect, bribe=2.0, can_pay=True, seed=0):
    region, otype, integrity, salary, patron = off
    corrupt = np.zeros((1, 4, 1), np.int64)
    bribes, events = np.zeros(1), np.zeros(3, np.int64)
    step_officials(np.random.default_rng(seed), region, otype, integrity, salary, patron,
                   np.ones(1, np.bool_), np.array([can_pay]), np.array([[10.0]]), np.zeros(1),
                   np.zeros(1), np.array([detect]), np.array([0.6]), 4.0, offer, bribe, 4.0,
                   104.0, 3.0, 0.0, 1.0, 1.0, np.ones((4, 1)), np.ones(1), np.ones(1), np.ones(1),
                   corrupt, bribes, events)
    return corrupt, bribes, events


def test_officials_detection_is_a_hazard_and_acceptance_logistic_is_stable():
    """Detection is a rate turned into 1 - exp(-d); the acceptance logistic never overflows
    (issue 10: integrity_weight 38 with noise 0.01 overflowed math.exp)."""
    from sim.kernels.officials import logistic

    n, d = 20_000, 0.7
    off = _officials(n, patron=0)
    _, _, events = _run_officials(off, offer=0.0, detect=d)
    q = -np.expm1(-d)
    assert abs(events[2] - n * q) < 4 * np.sqrt(n * q * (1 - q))
    assert logistic(-1e6) == 0.0 and logistic(1e6) == 1.0 and logistic(0.0) == 0.5
    assert abs(logistic(-700.0) - np.exp(-700.0)) < 1e-300
    assert np.isnan(logistic(np.nan))


def test_officials_no_offers_no_corruption_and_certain_detection():
    off = _officials(100)
    corrupt, bribes, events = _run_officials(off, offer=0.0, detect=0.0)
    assert corrupt.sum() == 0 and bribes[0] == 0 and events.sum() == 0
    off = _officials(100, patron=0)
    corrupt, bribes, events = _run_officials(off, offer=0.0, detect=np.inf)  # certain
    assert events[2] == 100 and (off[4] == -1).all() and corrupt.sum() == 0
    off = _officials(100, patron=0)
    corrupt, bribes, events = _run_officials(off, offer=0.0, detect=0.0)
    assert corrupt.sum() == 100 and bribes[0] == pytest.approx(100 * 2.0 * 100.0)
    off = _officials(100, patron=0)  # a patron that cannot pay loses its officials
    corrupt, _, _ = _run_officials(off, offer=0.0, detect=0.0, can_pay=False)
    assert corrupt.sum() == 0 and (off[4] == -1).all()


def test_officials_acceptance_follows_logistic_utility():
    off = _officials(20000)
    corrupt, _, events = _run_officials(off, offer=1.0, detect=0.0, bribe=2.0)
    u = 2.0 - 4.0 * 0.5  # bribe - integrity cost (no penalty, peers or threats)
    p = 1.0 / (1.0 + np.exp(-u))
    assert events[0] == 20000
    se = np.sqrt(p * (1 - p) / 20000)
    assert abs(events[1] / 20000 - p) < 4 * se


def _ship(hazard_rate, enforcement=1.0, protect=0.0, seed=0, volume=1000.0):
    frm, to, adj, start = line_graph()
    O, C, R, E = 1, 1, 3, 6
    out = dict(shipped=np.zeros(C), seized=np.zeros((C, R)), arrivals=np.zeros((O, C, R)),
               transit=np.zeros((C, R)), orf=np.zeros((O, R)), flow=np.zeros(E),
               purchase=np.zeros((O, C)), transport=np.zeros((O, C)), rrisk=np.zeros((O, C, R)),
               sent=np.zeros((O, C, R)), landed=np.zeros((O, C, R)))
    demand = np.array([[0.0, 0.0, 100.0]])
    ev, tr = np.zeros((O, E)), np.zeros((O, E))
    ship_commodities(
        np.random.default_rng(seed), np.ones(O, np.bool_), np.ones((O, C), np.bool_),
        np.zeros((O, C), np.int32), np.array([[volume]]), ev, tr, 0.9, 0.1, 2.0,
        start, adj, frm, to, np.zeros(E, np.int8), np.full(E, 100.0), np.full(E, 1e9),
        np.zeros(E), np.zeros(E), np.array([1.0, 1.0, 1.0]), np.array([hazard_rate] * 3),
        np.ones(C), np.ones(C), np.array([10.0]), np.array([[2000.0, 0.0, 0.0]]), demand,
        np.array([[0.0, 0.0, 30000.0]]), np.array([30000.0]), 1.0, 0.0,
        np.full(R, enforcement), np.zeros((O, R)), 0.0, np.full((O, R), protect),
        out["shipped"], out["seized"], out["arrivals"], out["transit"], out["orf"], out["flow"],
        out["purchase"], out["transport"], out["rrisk"], out["sent"], out["landed"],
    )
    return out, ev, tr


def test_shipping_without_hazard_delivers_everything():
    out, ev, tr = _ship(0.0)
    assert out["shipped"][0] == 1000.0 and out["arrivals"][0, 0, 2] == pytest.approx(1000.0)
    assert out["seized"].sum() == 0 and ev.sum() == 0
    assert out["purchase"][0, 0] == pytest.approx(1000.0 * 2000.0)
    # transport: two edges of 100 km at 1 USD/kg/km (the direct edge costs the same 100 km
    # but the two-hop route ties; either way 100 or 200 USD/kg)
    per_kg = out["transport"][0, 0] / 1000.0
    assert per_kg == pytest.approx(100.0) or per_kg == pytest.approx(200.0)


def test_shipping_landed_cost_compensates_perceived_seizure_risk():
    """RK86: the landed unit cost is purchase plus transport over the perceived survival of
    the path; with no seizures yet, perceived risk per edge is the prior 0.1 / 2.0."""
    out, ev, tr = _ship(0.0)
    n_edges = round(out["transport"][0, 0] / 1000.0 / 100.0)  # 100 km at 1 USD/kg/km each
    assert out["sent"][0, 0, 2] == pytest.approx(1000.0)
    want = (2000.0 + 100.0 * n_edges) / (1.0 - 0.1 / 2.0) ** n_edges
    assert out["landed"][0, 0, 2] == pytest.approx(want, rel=1e-12)
    assert out["landed"][0, 0, :2].sum() == 0.0  # no market there


def test_shipping_seizure_share_matches_hazard_and_conserves_mass():
    rate = 0.3
    out, ev, tr = _ship(rate, volume=100000.0)  # 10,000 lots
    shipped = out["shipped"][0]
    assert shipped == pytest.approx(out["seized"].sum() + out["arrivals"].sum())
    n_edges = 1 if out["transit"].sum() == 0 else 2
    p_survive = np.exp(-rate) ** n_edges
    se = np.sqrt(p_survive * (1 - p_survive) / 10000)
    assert abs(out["arrivals"].sum() / shipped - p_survive) < 4 * se
    # corrupt protection cuts the hazard: full protection means no seizures
    out, _, _ = _ship(rate, protect=1.0)
    assert out["seized"].sum() == 0.0


def _index(status, org, n, n_orgs):
    from sim.kernels.member_index import index_members_by_org

    return index_members_by_org(status, org, n, np.zeros(1, np.int64), np.zeros(0, np.int64),
                                0, n_orgs)


def test_member_index_lists_live_members_by_organization_in_slot_order():
    from sim.kernels.member_index import index_members_by_org

    status = np.array([1, 3, 1, 2, 4, 1, 1, 0], np.int8)  # active, dead, jailed, exited...
    org = np.array([1, 0, 0, 1, 0, 1, 0, 0], np.int32)
    start, slots = _index(status, org, 7, 3)  # slot 7 is unused (beyond n)
    assert start.tolist() == [0, 2, 5, 5]
    assert slots[0:2].tolist() == [2, 6] and slots[2:5].tolist() == [0, 3, 5]
    # rebuilt from itself plus two new slots, after member 2 died and 5 moved to org 2
    status[2], org[5] = 3, 2
    status = np.append(status[:7], [1, 1]).astype(np.int8)
    org = np.append(org[:7], [0, 2]).astype(np.int32)
    start2, slots2 = index_members_by_org(status, org, 9, start, slots, 7, 3)
    assert start2.tolist() == [0, 2, 4, 6]
    assert slots2.tolist() == [6, 7, 0, 3, 5, 8]


def test_indexed_member_operations_equal_the_full_scans():
    """Case arrests, promotions, splits and recounts (of all organizations, and of a split's
    two) over the index give the same members, draws and counts as the kernels that scan
    every slot, on a random population with dead, exited and jailed members."""
    from sim.kernels.member_index import (
        arrest_members_of_role_indexed,
        count_active_indexed,
        promote_leader_indexed,
        split_members_indexed,
    )

    gen = np.random.default_rng(3)
    n, O, R = 400, 4, 3
    status0 = gen.choice([1, 1, 1, 2, 3, 4], size=n).astype(np.int8)
    org0 = gen.integers(0, O - 1, n).astype(np.int32)  # org 3 starts empty (a split's)
    role0 = gen.integers(0, 6, n).astype(np.int8)
    region0 = gen.integers(0, R, n).astype(np.int32)
    joined = -gen.integers(0, 500, n).astype(np.int32)
    results = []
    for indexed in (False, True):
        status, org, role, region = status0.copy(), org0.copy(), role0.copy(), region0.copy()
        release, jail = np.zeros(n, np.int32), np.zeros(n, np.int64)
        counts = np.zeros((O, R, 6), np.int64)
        rng = np.random.default_rng(11)
        if indexed:  # the last 100 slots are an unindexed tail (recruits since the index)
            start, slots = _index(status, org, n - 100, O)
            count_active_indexed(start, slots, n - 100, n, status, org, region, role, counts)
            got, n_jail = arrest_members_of_role_indexed(
                rng, 5, 1, Role.LIEUTENANT, 6, start, slots, n - 100, n, status, org, role,
                region, release, jail, 0, 20.0, counts)
            moved = split_members_indexed(rng, start, slots, n - 100, n, status, org, region,
                                          1, 3, np.array([0.5, 0.0, 1.0]), role, counts)
            kept = counts.copy()
            start, slots = _index(status, org, n, O)
            count_active_indexed(start, slots, n, n, status, org, region, role, counts)
            np.testing.assert_array_equal(kept, counts)  # the split kept them current
            leaders = [promote_leader_indexed(start, slots, n, n, status, org, role, region,
                                              joined, o, counts) for o in range(O)]
        else:
            count_active(n, status, org, region, role, counts)
            got, n_jail = arrest_members_of_role(rng, 5, n, 1, Role.LIEUTENANT, 6, status, org,
                                                 role, region, release, jail, 0, 20.0, counts)
            moved = split_members(rng, n, status, org, region, 1, 3, np.array([0.5, 0.0, 1.0]),
                                  role, counts)
            kept = counts.copy()
            count_active(n, status, org, region, role, counts)
            np.testing.assert_array_equal(kept, counts)
            leaders = [promote_leader(n, status, org, role, region, joined, o, counts)
                       for o in range(O)]
        results.append((got, n_jail, moved, leaders, counts.copy(), status.copy(), org.copy(),
                        role.copy(), release.copy(), jail[:n_jail].copy(), rng.random()))
    a, b = results
    assert a[0] == b[0] == 6 and a[2] == b[2] > 0
    assert a[3] == b[3] and min(a[3]) >= 0
    for x, y in zip(a[4:], b[4:], strict=True):
        np.testing.assert_array_equal(x, y)


def test_indexed_promotions_and_arrests_read_the_unindexed_tail_too():
    """With part of the population not indexed yet (a tail of recruits, some of them the
    longest-serving lieutenants or the only members of their role), promotions and case
    arrests over the index pick the same members as the full scans, and pass the role as
    a plain int or as a Role."""
    from sim.kernels.member_index import arrest_members_of_role_indexed, promote_leader_indexed

    gen = np.random.default_rng(8)
    n, O, R = 300, 4, 3
    from_tail = 0
    for case in range(6):
        status = gen.choice([1, 1, 1, 2, 3], size=n).astype(np.int8)
        org = gen.integers(0, O, n).astype(np.int32)
        role = gen.integers(1, 6, n).astype(np.int8)
        region = gen.integers(0, R, n).astype(np.int32)
        joined = gen.integers(0, 50, n).astype(np.int32)
        joined[n - 60:] = -1000 + gen.integers(0, 3, 60)  # the tail holds the oldest hands
        if case % 2:
            role[: n - 60][role[: n - 60] == 4] = 5  # role 4 only in the tail
        tail_from = n - 60
        start, slots = _index(status, org, tail_from, O)
        for o in range(O):
            c1, c2 = np.zeros((O, R, 6), np.int64), np.zeros((O, R, 6), np.int64)
            r1, r2 = role.copy(), role.copy()
            want = promote_leader(n, status, org, r1, region, joined, o, c1)
            got = promote_leader_indexed(start, slots, tail_from, n, status, org, r2, region,
                                         joined, o, c2)
            assert got == want, (case, o)
            from_tail += got >= tail_from
            np.testing.assert_array_equal(r1, r2)
            np.testing.assert_array_equal(c1, c2)
            for k in (4, Role.LIEUTENANT):
                out = []
                for indexed in (False, True):
                    st, rel, jail = status.copy(), np.zeros(n, np.int32), np.zeros(n, np.int64)
                    cnt = np.zeros((O, R, 6), np.int64)
                    rng = np.random.default_rng(case)
                    if indexed:
                        res = arrest_members_of_role_indexed(
                            rng, 3, o, k, 4, start, slots, tail_from, n, st, org, role,
                            region, rel, jail, 0, 10.0, cnt)
                    else:
                        res = arrest_members_of_role(rng, 3, n, o, k, 4, st, org, role, region,
                                                     rel, jail, 0, 10.0, cnt)
                    out.append((res, st, rel, jail[: res[1]], cnt, rng.random()))
                (a, *xa), (b, *xb) = out
                assert a == b, (case, o, k)
                for x, y in zip(xa, xb, strict=True):
                    np.testing.assert_array_equal(x, y)
    assert from_tail > 0  # the tail's members were found


def test_sums_in_numpys_order_are_bit_identical_to_numpy():
    from sim.kernels.sums import pairwise_sum, sum_leading_axis

    gen = np.random.default_rng(5)
    for n in list(range(0, 140)) + [255, 256, 257, 1000, 4099]:
        a = gen.standard_normal(n) * 10.0 ** gen.integers(-6, 6, n)
        assert pairwise_sum(a) == a.sum(), n
    for O, R in ((1, 1), (7, 1), (40, 1), (5, 17), (52, 17), (3, 200)):
        a = gen.standard_normal((O, R)) * 10.0 ** gen.integers(-6, 6, (O, R))
        out = np.empty(R)
        sum_leading_axis(a, out)
        assert out.tobytes() == a.sum(axis=0).tobytes(), (O, R)
    assert pairwise_sum(np.zeros(0)) == 0.0
    for n in (1, 8, 300):  # signed zeros too
        assert np.float64(pairwise_sum(np.full(n, -0.0))).tobytes() \
            == np.full(n, -0.0).sum().tobytes()
    out = np.empty(2)
    sum_leading_axis(np.full((3, 2), -0.0), out)
    assert out.tobytes() == np.full((3, 2), -0.0).sum(axis=0).tobytes()


def test_minimum_maximum_and_clip_follow_numpy_on_ties_zeros_and_nan():
    from sim.kernels.enforcement import _np_maximum
    from sim.kernels.sums import np_clip, np_minimum

    nan = float("nan")
    cases = [(0.0, -0.0), (-0.0, 0.0), (1.0, 2.0), (2.0, 1.0), (nan, 1.0), (1.0, nan),
             (3.0, 3.0)]
    for a, b in cases:
        assert np.float64(np_minimum(a, b)).tobytes() == np.minimum(a, b).tobytes(), (a, b)
        assert np.float64(_np_maximum(a, b)).tobytes() == np.maximum(a, b).tobytes(), (a, b)
    for x in (-0.0, 0.0, -1.0, 0.5, 2.0, nan):
        assert np.float64(np_clip(x, 0.0, 1.0)).tobytes() == np.clip(x, 0.0, 1.0).tobytes(), x


def test_clip_with_array_bounds_follows_numpy_on_ties_zeros_and_nan():
    from sim.kernels.sums import np_clip_arrays

    nan = float("nan")
    vals = (-0.0, 0.0, -1.0, 0.5, 1.0, 2.0, nan)
    cases = [(x, lo, hi) for x in vals for lo in vals for hi in vals]
    x, lo, hi = (np.array(c) for c in zip(*cases, strict=True))
    want = np.clip(x, lo, hi)  # array bounds, as finance.adjust_shipments had them
    got = np.array([np_clip_arrays(*c) for c in cases])
    assert got.tobytes() == want.tobytes()


def test_member_hazard_bounds_equal_numpy_with_nan():
    """Exit hazards, the bound by (organization, region) and the active count are what the
    numpy expressions give, bit for bit, also with NaN hazards or stress."""
    from sim.kernels.member_hazards import member_hazard_bounds

    gen = np.random.default_rng(3)
    for nan_at in (None, "arrest", "death_first", "stress"):
        h_arrest, h_death = gen.random((5, 4, 6)), gen.random((5, 4, 6)) * 0.1
        h_arrest[0, 0] = 0.0  # ties and zeros
        stress = gen.random(5)
        counts = gen.integers(0, 50, (5, 4, 6))
        if nan_at == "arrest":
            h_arrest[2, 1, 3] = np.nan
        elif nan_at == "death_first":
            h_death[3, 2, 0] = np.nan
        elif nan_at == "stress":
            stress[1] = np.nan
        h_exit, bound_or = np.empty(5), np.empty((5, 4))
        n = member_hazard_bounds(h_arrest, h_death, 0.01, 2.0, stress, counts, h_exit,
                                 bound_or)
        want_exit = 0.01 * (1.0 + 2.0 * stress)
        want = (h_arrest + h_death).max(axis=2) + want_exit[:, None]
        assert h_exit.tobytes() == want_exit.tobytes(), nan_at
        assert bound_or.tobytes() == (-want).tobytes(), nan_at
        assert n == counts.sum()


def test_event_bounds_equal_numpys_where_expm1():
    """From minus the bounds and numpy's expm1 of them, ``event_bounds`` gives the event
    probability bounds of the former numpy expression, bit for bit (NaN, infinite, zero and
    negative bounds included), and their maximum."""
    from sim.kernels.member_hazards import event_bounds

    gen = np.random.default_rng(4)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, -3.0, 50.0, 1e-300]
    for case in range(4):
        bound = gen.exponential(0.01, (6, 5))
        if case:
            bound.flat[gen.choice(30, 3 * case, replace=False)] = gen.choice(specials, 3 * case)
        with np.errstate(invalid="ignore", over="ignore"):
            want = np.where(bound < np.inf, -np.expm1(-bound), 1.0)
            e = np.expm1(-bound)
        top = event_bounds(e)
        assert e.tobytes() == want.tobytes(), case
        assert top == float(want.max()), case


def test_homicides_draw_bystanders_as_numpy_poisson_does():
    """The kernel's Poisson draws are numpy's (small means by multiplication, means of 10 and
    more by PTRS), in the same order, and leave the generator where numpy leaves it; bad means
    are refused before any draw, as numpy refuses them."""
    from sim.kernels.member_hazards import homicides
    from sim.kernels.recruitment import LAM_NEGATIVE, LAM_TOO_LARGE

    gen = np.random.default_rng(8)
    deaths_or = gen.integers(0, 40, (6, 9))
    deaths_or[:, 0] = 0  # a mean of 0
    population = gen.random(9) * 1e6 + 1.0
    for ratio in (0.05, 0.7, 3.0):  # means from 0 to several hundred
        a, b = np.random.default_rng(21), np.random.default_rng(21)
        by, hom, vio = np.empty(9, np.int64), np.empty(9, np.int64), np.empty(9)
        assert homicides(a, deaths_or, ratio, population, by, hom, vio) == 0
        deaths_r = deaths_or.sum(axis=0)
        want = b.poisson(ratio * deaths_r)
        np.testing.assert_array_equal(by, want)
        np.testing.assert_array_equal(hom, deaths_r + want)
        assert vio.tobytes() == ((deaths_r + want) * 52.0 / population * 1e5).tobytes()
        assert a.random() == b.random()
    a = np.random.default_rng(1)
    by, hom, vio = np.empty(9, np.int64), np.empty(9, np.int64), np.empty(9)
    assert homicides(a, deaths_or, -1.0, population, by, hom, vio) == LAM_NEGATIVE
    assert homicides(a, deaths_or, np.nan, population, by, hom, vio) == LAM_TOO_LARGE
    assert a.random() == np.random.default_rng(1).random()  # nothing drawn




def _poisson_many(rng, lam):
    from numba import njit

    from sim.kernels.draws import poisson

    @njit
    def many(rng, lam, out):
        for i in range(lam.size):
            out[i] = poisson(rng, lam[i])

    out = np.empty(lam.size, np.int64)
    many(rng, lam, out)
    return out


def test_kernel_poisson_draws_what_numpy_draws():
    """sim.kernels.draws.poisson takes the same uniforms and returns the same values as
    Generator.poisson: over means around the switch to PTRS at 10 and far beyond, and from
    the generator state (seen in a run of the scaled world) where Numba's own sampler
    returned 0 for a mean of 10.002 where numpy returns 2 (a PTRS candidate in (-1, 0):
    Numba truncates it toward zero, numpy takes its floor and rejects it)."""
    gen = np.random.default_rng(3)
    for seed in range(20):
        lam = np.concatenate([gen.uniform(0, 12, 3000), gen.uniform(9.5, 10.5, 3000),
                              gen.gamma(0.7, 40, 3000), np.zeros(5), [1e6, 5e8]])
        gen.shuffle(lam)
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        np.testing.assert_array_equal(_poisson_many(a, lam), b.poisson(lam))
        assert a.bit_generator.state == b.bit_generator.state
    state = {"bit_generator": "PCG64",
             "state": {"state": 333283032651220286407409664660349388845,
                       "inc": 159830896147904892163034769717515976223},
             "has_uint32": 0, "uinteger": 2698396819}
    a, b = np.random.default_rng(), np.random.default_rng()
    a.bit_generator.state = b.bit_generator.state = state
    lam = np.array([10.00211445139847])
    assert _poisson_many(a, lam)[0] == b.poisson(lam)[0] == 2


def test_goods_error_equals_the_ledgers_numpy_expression():
    """The markets kernel's goods error is the numpy expression the ledger used before it
    (kept here as the reference), bit for bit, with small and large shipments, exact
    balances and NaN anywhere."""
    from sim.kernels.markets import goods_error

    def reference(shipped, seized, sold, stock_change):
        err = np.abs(shipped - seized - sold - stock_change)
        scale = np.maximum(np.abs(shipped), 1.0)
        return float((err / scale).max())

    gen = np.random.default_rng(12)
    cases = [np.array([x]) for x in (0.0, 0.4, 0.7, 1.0, 2.5, 1e6)]  # below and above 1
    cases += [gen.choice([0.0, 0.3, 5.0, 1e6], 1 + k % 4) * gen.random(1 + k % 4)
              for k in range(40)]
    for case, shipped in enumerate(cases):
        C = shipped.size
        goods = gen.random((3, C)) * shipped
        if case % 3 == 0:
            goods[2] = shipped - goods[0] - goods[1]  # balanced (rounding aside)
        if case % 7 == 1:
            (shipped if case % 2 else goods[gen.integers(0, 3)])[gen.integers(0, C)] = np.nan
        want = reference(shipped, goods[0], goods[1], goods[2])
        got = goods_error(shipped, goods)
        assert np.float64(got).tobytes() == np.float64(want).tobytes(), case


def _below_many(rng, n):
    from numba import njit

    from sim.kernels.draws import below

    @njit
    def many(rng, n, out_k, out_u):
        for i in range(n.size):
            out_k[i] = below(rng, n[i])
            out_u[i] = rng.random() if n[i] % 3 == 0 else -1.0  # interleaved 64-bit draws

    out_k, out_u = np.empty(n.size, np.int64), np.empty(n.size)
    many(rng, n, out_k, out_u)
    return out_k, out_u


def test_kernel_below_draws_what_numpy_integers_draws():
    """sim.kernels.draws.below(rng, n) returns what rng.integers(0, n) returns and leaves the
    generator in the same state (the 32-bit half-word it keeps included): over small widths,
    the recruiter pool's and tie lists' widths, widths where Lemire's rejection is frequent
    (just above 2**31) and the edges 1, 2**32 - 1 and 2**32, mixed with 64-bit draws."""
    gen = np.random.default_rng(11)
    widths = np.array([1, 2, 3, 7, 8, 64, 1000, 2**31 + 1, 3 * 2**30, 2**32 - 1, 2**32],
                      np.int64)
    for seed in range(5):
        n = gen.choice(widths, 4000)
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        got_k, got_u = _below_many(a, n)
        want_k = np.empty(n.size, np.int64)
        for i, ni in enumerate(n):
            want_k[i] = b.integers(0, ni)
            assert got_u[i] == (b.random() if ni % 3 == 0 else -1.0)
        np.testing.assert_array_equal(got_k, want_k)
        assert a.bit_generator.state == b.bit_generator.state
    for bad in (0, -3, 2**32 + 1):  # outside its domain: an error, not a wrong draw
        with pytest.raises(ValueError, match="1 <= n <= 2"):
            _below_many(np.random.default_rng(0), np.array([bad], np.int64))
    # uniform on 0 .. n - 1 (also a check that the mapping is not merely consistent)
    k, _ = _below_many(np.random.default_rng(0), np.full(64000, 64, np.int64))
    counts = np.bincount(k, minlength=64)
    assert k.min() == 0 and k.max() == 63
    assert np.abs(counts - 1000).max() < 5 * np.sqrt(1000)


def _draw_mixed(rng, n):
    from numba import njit

    from sim.kernels.draws import as_generator, below, poisson

    @njit
    def mixed(rng, n, out):
        gen = as_generator(rng)
        for i in range(n):
            out[i] = (gen.random() + below(gen, 7 + i % 5) + gen.binomial(3 + i % 4, 0.2)
                      + poisson(gen, 0.5 + i % 13) + gen.integers(0, 1000) * 1e-3)

    out = np.empty(n)
    mixed(rng, n, out)
    return out


def test_generator_pointers_draw_what_the_generator_draws():
    """A kernel given generator_pointers(rng) draws what it draws given rng itself, and leaves
    rng in the same state; the addresses are read once per generator, stay right after the
    state is set (a snapshot restore) and a copied generator gets its own."""
    import copy

    from sim.kernels.draws import generator_pointers

    a, b = np.random.default_rng(21), np.random.default_rng(21)
    ptrs = generator_pointers(a)
    assert generator_pointers(a) is ptrs and ptrs.dtype == np.uint64 and ptrs.shape == (4,)
    assert not ptrs.flags.writeable
    np.testing.assert_array_equal(_draw_mixed(ptrs, 3000), _draw_mixed(b, 3000))
    assert a.bit_generator.state == b.bit_generator.state
    assert a.random() == b.random()  # numpy's own draws go on from the same state
    saved = b.bit_generator.state
    want = _draw_mixed(b, 500)
    a.bit_generator.state = saved  # a restore: same memory, same addresses
    np.testing.assert_array_equal(_draw_mixed(generator_pointers(a), 500), want)
    c = copy.deepcopy(a)
    assert not np.array_equal(generator_pointers(c), ptrs)
    state_a = a.bit_generator.state
    got_c = _draw_mixed(generator_pointers(c), 200)
    assert a.bit_generator.state == state_a  # the copy's draws leave a alone
    np.testing.assert_array_equal(got_c, _draw_mixed(a, 200))
