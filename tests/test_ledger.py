"""The conservation checks' member audit (sim.kernels.audit, sim.ledger): exact cases, and
agreement with the straightforward numpy recount it replaced on randomly corrupted states."""

import numpy as np
import pytest
from conftest import tiny_scenario

from sim.enums import Status
from sim.kernels.audit import AUDIT_BLOCK, AUDIT_COPIES, N_STATUS, audit_members
from sim.kernels.members import count_active
from sim.model import ConservationError, TocModel


def _audit(n, status, org, region, role, counts, jail, n_jail, block=AUDIT_BLOCK):
    hist = np.zeros((AUDIT_COPIES, counts.size + N_STATUS), np.int32)
    by = np.zeros(N_STATUS + 1, np.int64)
    keys = np.zeros(block, np.int32)
    res = audit_members(n, status, org, region, role, counts, jail, n_jail, hist, keys, by)
    return tuple(int(x) for x in res), by


def _small():
    """Six members in 2 organizations x 2 regions x 3 roles: active, jailed, dead, exited."""
    status = np.array([1, 1, 2, 3, 4, 1], np.int8)
    org = np.array([0, 1, 0, 1, 0, 1], np.int32)
    region = np.array([0, 1, 1, 0, 0, 1], np.int32)
    role = np.array([2, 0, 1, 2, 2, 0], np.int8)
    counts = np.zeros((2, 2, 3), np.int64)
    counts[0, 0, 2] = 1
    counts[1, 1, 0] = 2
    jail = np.array([2, 0, 0], np.int64)
    return [6, status, org, region, role, counts, jail, 1]


def test_audit_of_a_consistent_state_finds_nothing():
    (differing, recounted, out_of_range, bad_jail), by = _audit(*_small())
    assert (differing, recounted, out_of_range, bad_jail) == (0, 3, 0, 0)
    assert by.tolist() == [0, 3, 1, 1, 1, 0]


@pytest.mark.parametrize("corrupt, expect", [
    # a kept count off by one: one cell differs
    (lambda a: a[5].__setitem__((0, 1, 1), 1), (1, 3, 0, 0)),
    # an active member moved to another region without the counts: two cells differ
    (lambda a: a[3].__setitem__(0, 1), (2, 3, 0, 0)),
    # an active member's organization beyond the counts: out of range, its cell differs
    (lambda a: a[2].__setitem__(0, 7), (1, 2, 1, 0)),
    (lambda a: a[3].__setitem__(5, -1), (1, 2, 1, 0)),
    # the jail list names an active member
    (lambda a: a[6].__setitem__(0, 1), (0, 3, 0, 1)),
    # the jail list names a slot beyond the used ones
    (lambda a: a[6].__setitem__(0, 6), (0, 3, 0, 1)),
])
def test_audit_finds_each_corruption(corrupt, expect):
    args = _small()
    corrupt(args)
    assert _audit(*args)[0] == expect


@pytest.mark.parametrize("code", [0, 5, 9, -1, -128])
def test_audit_counts_invalid_status_codes_apart(code):
    args = _small()
    args[1][3] = code  # the dead member's slot gets an unused or invalid code
    _, by = _audit(*args)
    assert by[Status.DEAD] == 0
    assert (by[0] if code == 0 else by[N_STATUS]) == 1


def _reference_audit(n, status, org, region, role, counts, jail, n_jail):
    """The audit in numpy, slot by slot in meaning: what ``audit_members`` must return."""
    s = status[:n].astype(np.int64)
    code = np.where((s >= 0) & (s < N_STATUS), s, N_STATUS)
    by = np.bincount(code, minlength=N_STATUS + 1)
    O, R, K = counts.shape
    act = code == Status.ACTIVE
    o, r, k = org[:n][act], region[:n][act], role[:n][act].astype(np.int64)
    inside = (o >= 0) & (o < O) & (r >= 0) & (r < R) & (k >= 0) & (k < K)
    fresh = np.zeros(counts.size, np.int64)
    np.add.at(fresh, ((o * R + r) * K + k)[inside], 1)
    differing = int((fresh != counts.reshape(-1)).sum())
    j = jail[:n_jail]
    ok = (j >= 0) & (j < n)
    ok[ok] = status[j[ok]] == Status.INCARCERATED
    return (differing, int(fresh.sum()), int((~inside).sum()), int((~ok).sum())), by


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("block", [1, 5, 64, AUDIT_BLOCK])
def test_audit_matches_the_numpy_reference_over_blocks(seed, block):
    """Random member arrays recounted in blocks of every size (the last one short, the
    slot count not a multiple of AUDIT_COPIES), some with an invalid code or index in a late
    block, so the careful pass restarts after valid blocks were already counted."""
    rng = np.random.default_rng(seed)
    O, R, K = 5, 4, 6
    n = int(rng.integers(1, 700))
    status = rng.choice(np.array([1, 1, 2, 3, 4, 0], np.int8), n + 9)
    org = rng.integers(0, O, n + 9).astype(np.int32)
    region = rng.integers(0, R, n + 9).astype(np.int32)
    role = rng.integers(0, K, n + 9).astype(np.int8)
    counts = np.zeros((O, R, K), np.int64)
    act = status[:n] == 1
    np.add.at(counts, (org[:n][act], region[:n][act], role[:n][act]), 1)
    if seed % 2:  # a corruption in the last slots
        i = n - 1 - int(rng.integers(min(n, 3)))
        which = seed % 4
        if which == 1:
            org[i] = O + 2
        else:
            status[i] = rng.choice([5, -1])
        status[i] = 1 if which == 1 else status[i]
    counts[0, 0, 0] += seed % 3 == 0  # a kept count off by one
    jail = np.flatnonzero(status[:n] == 2).astype(np.int64)
    if seed == 4 and jail.size:
        jail[0] = n + 3  # beyond the used slots
    args = (n, status, org, region, role, counts, jail, jail.size)
    got, by = _audit(*args, block=block)
    want, by_want = _reference_audit(*args)
    assert got == want
    assert by.tolist() == by_want.tolist()


def _old_member_problems(model) -> set[str]:
    """The member checks as they were before the audit kernel (numpy and count_active)."""
    m, led = model.members, model.ledger
    st = np.bincount(m.status[: m.n].astype(np.int64) % 256, minlength=len(Status))
    got = (int(st[Status.ACTIVE]), int(st[Status.INCARCERATED]), int(st[Status.DEAD]),
           int(st[Status.EXITED]))
    found = set()
    if got != (led.active, led.incarcerated, led.dead, led.exited):
        found.add("status")
    if led.initial_members + led.recruited != sum(got):
        found.add("total")
    fresh = np.zeros_like(model.counts)
    count_active(m.n, m.status, m.org, m.region, m.role, fresh)
    if not np.array_equal(fresh, model.counts):
        found.add("counts")
    jailed = m.jail[: m.n_jail]
    if m.n_jail != got[1] or not (m.status[jailed] == Status.INCARCERATED).all():
        found.add("jail")
    return found


def _new_member_problems(model) -> set[str]:
    keys = {"status counts": "status", "initial + recruited": "total",
            "kept counts": "counts", "jail list": "jail", "outside the kept": "counts"}
    msgs = [p for p in model.ledger.check(model) if p.startswith("members:")]
    return {v for k, v in keys.items() for p in msgs if k in p}


def test_audit_flags_what_the_numpy_recount_flagged_on_random_corruptions():
    """Corrupt a running model's member arrays at random (in range, so the old recount can
    run): the kernel flags each kind of problem exactly when the old numpy checks did."""
    model = TocModel(tiny_scenario(weeks=30, seed=11), checks=True)
    model.run(20)
    m = model.members
    base = {k: getattr(m, k).copy() for k in ("status", "org", "region", "role", "jail")}
    counts0, n_jail0 = model.counts.copy(), m.n_jail
    assert _new_member_problems(model) == set() == _old_member_problems(model)
    rng = np.random.default_rng(0)
    O, R, K = model.counts.shape
    kinds_seen = set()
    for _ in range(200):
        for k, v in base.items():
            getattr(m, k)[:] = v
        model.counts[:] = counts0
        m.n_jail = n_jail0
        for _ in range(rng.integers(1, 3)):
            what = rng.integers(6)
            i = int(rng.integers(m.n))
            if what == 0:
                m.status[i] = rng.integers(0, 5)
            elif what == 1:
                m.org[i] = rng.integers(O)
            elif what == 2:
                m.region[i] = rng.integers(R)
            elif what == 3:
                m.role[i] = rng.integers(K)
            elif what == 4:
                model.counts[tuple(rng.integers([O, R, K]))] += rng.choice([-1, 1])
            else:
                m.jail[rng.integers(max(m.n_jail, 1))] = i
        old = _old_member_problems(model)
        assert _new_member_problems(model) == old
        kinds_seen |= old
    assert kinds_seen == {"status", "total", "counts", "jail"}  # every kind was exercised


def test_model_stops_on_a_corrupted_count_and_an_invalid_status():
    model = TocModel(tiny_scenario(weeks=10), checks=True)
    model.run(2)
    model.counts[0, 0, 5] += 1  # a member no process added
    with pytest.raises(ConservationError, match="kept counts"):
        model.step()
    model = TocModel(tiny_scenario(weeks=10), checks=True)
    model.run(2)
    model.members.status[0] = -3  # numpy's bincount raised ValueError on this
    with pytest.raises(ConservationError, match="status counts"):
        model.step()


def test_plain_run_recounts_quarterly_and_in_the_last_week(monkeypatch):
    """At run.conservation_checks = 1 the slot-by-slot recount runs every RECOUNT_WEEKS
    weeks and in the last week; totals are checked every week; level 2 recounts weekly."""
    import sim.ledger

    monkeypatch.setattr(sim.ledger, "RECOUNT_WEEKS", 13)
    # a member moved to another region behind the kept counts: the totals still agree, so
    # only a recount sees it, at the next recount week (12, then 25) or in the last week
    for start, weeks, caught in ((2, 30, 12), (13, 30, 25), (26, 28, 27)):
        model = TocModel(tiny_scenario(weeks=weeks), checks=True)
        assert model.checks == 1
        model.run(start)
        m = model.members
        i = int(np.flatnonzero(m.status[: m.n] == Status.ACTIVE)[0])
        m.region[i] = (m.region[i] + 1) % model.counts.shape[1]
        with pytest.raises(ConservationError, match=f"week {caught}: .*kept counts"):
            model.run(weeks - start)
    # a count off by one breaks the weekly totals: caught the same week
    model = TocModel(tiny_scenario(weeks=30), checks=True)
    model.run(2)
    model.counts[0, 0, 5] += 1
    with pytest.raises(ConservationError, match="week 2: .*kept counts total"):
        model.step()
    # level 2: the moved member is caught the same week
    model = TocModel(tiny_scenario(weeks=30, params={"run": {"conservation_checks": 2}}))
    assert model.checks == 2
    model.run(2)
    m = model.members
    i = int(np.flatnonzero(m.status[: m.n] == Status.ACTIVE)[0])
    m.region[i] = (m.region[i] + 1) % model.counts.shape[1]
    with pytest.raises(ConservationError, match="week 2: .*differ from a recount"):
        model.step()


def test_checks_false_and_true_override_the_level():
    assert TocModel(tiny_scenario(weeks=2), checks=False).checks == 0
    two = tiny_scenario(weeks=2, params={"run": {"conservation_checks": 2}})
    assert TocModel(two, checks=True).checks == 2
    off = tiny_scenario(weeks=2, params={"run": {"conservation_checks": 0}})
    assert TocModel(off, checks=True).checks == 1
    assert TocModel(off).checks == 0


@pytest.mark.parametrize("value, signed, bad", [
    (np.nan, True, True), (np.inf, True, True), (-np.inf, True, True), (-1.0, True, False),
    (-1.0, False, True), (np.nan, False, True), (0.0, False, False), (1e300, False, False),
])
def test_first_invalid_finds_the_array_with_a_bad_value(value, signed, bad):
    from sim.kernels.audit import first_invalid

    arrays = [np.zeros(3), np.ones((2, 5)), np.arange(4.0)]
    arrays[1][1, 2] = value
    flags = np.array([False, signed, False])
    assert first_invalid(flags, *arrays) == (1 if bad else -1)
    assert first_invalid(np.array([False, True, False]), np.zeros(2), np.zeros((0, 3)),
                         np.full(2, -1.0)) == 2  # an empty array is valid


def test_state_problems_name_the_array_and_the_value():
    from sim.ledger import state_problems

    def arrays_problems(model):  # week 2's metrics row is not written yet: leave it out
        return [p for p in state_problems(model) if not p.startswith(("metric", "region"))]

    model = TocModel(tiny_scenario(weeks=5), checks=True)
    model.run(2)
    assert arrays_problems(model) == []
    model.orgs.cash[1] = -5.0  # cash may be negative (debt)
    assert arrays_problems(model) == []
    model.guns[2] = np.nan
    model.h_death[0, 1, 2] = -0.5
    got = arrays_problems(model)
    assert any(p.startswith("guns: 1 of") and "not finite" in p for p in got)
    assert any(p.startswith("h_death: 1 of") and "negative" in p and "[0, 1, 2]" in p
               for p in got)


def test_every_state_array_named_in_the_checks_exists():
    """STATE_ARRAYS names arrays the model has after a week (a renamed array would otherwise
    drop out of the test unnoticed: ``orgs.size_memory`` did, when it became
    ``orgs.role_memory``), and an array the model lacks is named, not passed as valid."""
    from sim.ledger import STATE_ARRAYS, _state_array, state_problems

    def arrays_problems(state):  # week 1's metrics row is not written yet: leave it out
        return [p for p in state_problems(state) if not p.startswith(("metric", "region"))]

    model = TocModel(tiny_scenario(weeks=5), checks=True)
    model.run(1)
    for name, _ in STATE_ARRAYS:
        a = _state_array(model.state, name)
        assert isinstance(a, np.ndarray) and a.dtype == np.float64 and a.size > 0, name
    assert arrays_problems(model.state) == []
    model.orgs.role_memory[0, 0] = -1.0  # a negative headcount to remember
    assert any(p.startswith("orgs.role_memory: 1 of") for p in arrays_problems(model.state))
    del model.orgs.role_memory
    assert state_problems(model.state) == ["orgs.role_memory: no such state array"]


def test_goods_that_do_not_add_up_stop_a_checked_run(monkeypatch):
    """The markets kernel hands the goods identity's error to the ledger: drug shipped but
    neither seized, sold nor stocked stops a run with checks on, at that week."""
    import sim.processes as procs

    m = TocModel(tiny_scenario(weeks=10, seed=2), checks=True)
    m.run(3)  # the identity holds
    orig = procs.shipping.step

    def leaky(s):
        orig(s)
        s.shipped[0] += 50.0  # counted as shipped, never arrives

    monkeypatch.setattr(procs.shipping, "step", leaky)
    with pytest.raises(ConservationError, match="goods"):
        m.step()


def test_rows_finite_and_kept_and_held_equal_their_numpy_expressions():
    """The weekly checks' kernels (sim.kernels.audit): the rows' test is numpy's finite sums
    (a region's retail price counts only where it has a market), the sums are numpy's bit for
    bit."""
    from sim.kernels.audit import kept_and_held, rows_finite
    from sim.ledger import _J_PRICE

    gen = np.random.default_rng(4)
    for case in range(200):
        R, F = 1 + case % 9, 7
        row, reg = gen.random(40), gen.random((R, F))
        demand = gen.choice([0.0, 1.0], R)
        if case % 3 == 1:  # one bad value somewhere
            bad = gen.choice([np.nan, np.inf, -np.inf])
            if case % 2:
                row[gen.integers(0, 40)] = bad
            else:
                reg[gen.integers(0, R), gen.integers(0, F)] = bad
        sums = reg.sum(axis=0)
        sums[_J_PRICE] = reg[demand > 0, _J_PRICE].sum()
        want = bool(np.isfinite(row.sum()) and np.isfinite(sums).all())
        assert rows_finite(row, reg, demand, _J_PRICE) is want, case
        counts = gen.integers(0, 50, (1 + case % 5, R, 6))
        money = [gen.normal(0, 10.0 ** (case % 12), 1 + case % 300) for _ in range(3)]
        kept, held = kept_and_held(counts, *money)
        assert kept == counts.sum()
        want_held = float(money[0].sum() + money[1].sum() + money[2].sum())
        assert np.float64(held).tobytes() == np.float64(want_held).tobytes(), case
