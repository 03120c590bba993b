"""The weekly processes whose kernel calls were fused into one call per process (issue 11,
the last push on model time) against the code they replaced, kept here as the reference:
from the same state, both leave every array and number of the state bit for bit equal."""

import copy

import numpy as np
import pytest

from sim import default_scenario
from sim import processes as p
from sim.enums import ROLE_TRANSIT, OrgKind
from sim.kernels import metrics as mk
from sim.model import TocModel


@pytest.fixture(scope="module")
def model():
    """The default world (three commodities) a few weeks in, checks on."""
    m = TocModel(default_scenario(weeks=20, seed=7))
    m.run(6)
    return m


def state_before(m, process):
    """A copy of the model's state at the start of ``process`` in its current week."""
    s = m.state.copy()
    s.reset_levers()
    s.intervention_cost = sum(iv.apply(m, s.week) for iv in s.interventions)
    for proc in p.WEEKLY:
        if proc is process:
            return s
        proc.step(s)
    raise AssertionError(process)


def _digest(obj, prefix, out, seen):
    if id(obj) in seen:
        return
    seen.add(id(obj))
    for name, v in sorted(vars(obj).items()):
        key = f"{prefix}{name}"
        if isinstance(v, np.ndarray):
            out[key] = (v.dtype.str, v.shape, v.tobytes())
        elif isinstance(v, (bool, int, float, str, np.generic)) or v is None:
            out[key] = (type(v).__name__, repr(v))
        elif isinstance(v, np.random.Generator):
            out[key] = repr(v.bit_generator.state)
        elif isinstance(v, dict) and name == "streams":
            out[key] = repr({k: g.bit_generator.state for k, g in sorted(v.items())})
        elif hasattr(v, "__dict__") and type(v).__module__.startswith("sim"):
            _digest(v, key + ".", out, seen)


def assert_same_state(a, b):
    da, db = {}, {}
    _digest(a, "", da, set())
    _digest(b, "", db, set())
    assert da.keys() == db.keys()
    differ = [k for k in da if da[k] != db[k]]
    assert not differ, differ


# ---------------------------------------------------------------- bookkeeping
def _bookkeeping_reference(s):
    """bookkeeping.step before the fusion: three kernel calls and the row built as a dict."""
    o, t = s.orgs, s.week
    members_or = np.empty((o.capacity, s.R))
    n_gone, abandoned = mk.tally_organizations(s.counts, o.active, o.cash, o.laundered,
                                               members_or)
    if n_gone:
        s.ledger.abandoned += abandoned
    th, ema = s.pars.threat, p.bookkeeping.EMA
    mk.update_threat(
        s.kills_by_o, s.income_o, s.revenue_oc, s.corrupt_otr, members_or, o.active,
        1 - ema, ema, th.w_violence, th.w_revenue, th.w_corruption, th.w_reach,
        th.w_arms_people, o.kills, o.revenue, o.arms_people, o.threat,
    )
    if t >= 0:
        w = s.world
        out, by_c = np.empty(mk.N_SCALARS), np.empty((s.C, 4))
        mk.weekly_metrics(
            s.sold, w.demand_ref, s.retail_price, s.wholesale_price, s.import_price,
            s.purchase_oc, s.shipped, w.origin_price, s.arrivals_ocr, s.transit_flow_cr,
            s.seized_cr, w.region_roles, ROLE_TRANSIT, o.active, o.cash, o.laundered,
            o.frozen, o.kind, int(OrgKind.CARTEL), int(OrgKind.GANG), s.homicides_r,
            s.deaths_or, s.bystanders_r, s.officials.patron, s.agency_budget, members_or,
            s.corrupt_share_r, s.guns, w.population, out, by_c, s.region_metrics[t],
        )
        v = out.tolist()
        retail, export_p, seized = v[mk.RETAIL], v[mk.EXPORT], out[mk.SEIZURES]
        row = {
            "retail_price": retail,
            "wholesale_price": v[mk.WHOLESALE],
            "import_price": v[mk.IMPORT],
            "export_price": export_p,
            "source_price": s.pars.market.source_share * export_p,
            "consumption": v[mk.CONSUMPTION],
            "supply_shipped": float(s.shipped[0]),
            "seizures": v[mk.SEIZURES],
            "criminal_revenue": s.criminal_income,
            "criminal_wealth": v[mk.WEALTH],
            "laundered_assets": v[mk.LAUNDERED],
            "frozen_assets": v[mk.FROZEN],
            "active_cartels": int(v[mk.ACTIVE_CARTELS]),
            "active_gangs": int(v[mk.ACTIVE_GANGS]),
            "criminal_members": int(s.ledger.active),
            "recruits": s.recruits,
            "arrests": int(s.member_events[0]) + s.case_arrests + s.intervention_arrests,
            "incarcerated": int(s.ledger.incarcerated),
            "homicides": int(v[mk.HOMICIDES]),
            "corruption_rate": v[mk.CORRUPTION_RATE],
            "enforcement_spend": v[mk.AGENCY_BUDGET] + s.intervention_cost,
            "market_hhi": v[mk.HHI],
            "route_nodes": int(v[mk.ROUTE_NODES]),
            "intervention_cost": float(s.intervention_cost),
            "seizure_rate": float(seized / s.shipped[0]) if s.shipped[0] > 0 else 0.0,
            "markup": retail / out[mk.SOURCE_MEAN],
            "members_killed": int(v[mk.MEMBERS_KILLED]),
            "bystanders_killed": int(v[mk.BYSTANDERS_KILLED]),
            "officials_caught": int(s.official_events[2]),
            "leader_removals": s.removals,
            "splits": s.n_splits,
            "cases_matured": s.cases,
            "criminal_costs": s.criminal_costs,
            "criminal_payouts": s.criminal_payouts,
            "aml_seized": s.aml_seized,
            "case_assets_seized": s.case_seized,
        }
        assert list(row) == s.metric_names[:len(row)]
        vals = list(row.values())
        for c in range(1, s.C):
            vals += by_c[c].tolist()
        s.metrics[t] = vals
    s.prev_members_or[:] = members_or
    if s.checks:
        assert not s.ledger.check(s)


def _vary_week(s, gen):
    """Push this week's numbers off the ordinary: counts and sums the row copies, a dissolved
    organization (no members left), an intervention's cost and arrests."""
    s.recruits, s.removals, s.n_splits, s.cases = (int(x) for x in gen.integers(0, 50, 4))
    s.case_arrests, s.intervention_arrests = (int(x) for x in gen.integers(0, 9, 2))
    s.case_seized, s.aml_seized = gen.random(2) * 1e6
    s.intervention_cost = float(gen.random() * 1e5)
    live = np.flatnonzero(s.orgs.active[: s.orgs.n])
    s.counts[gen.choice(live)] = 0


@pytest.mark.parametrize("vary", [False, True])
def test_bookkeeping_week_equals_its_three_kernels_and_the_dict_row(model, vary):
    s = state_before(model, p.bookkeeping)
    if vary:
        _vary_week(s, np.random.default_rng(3))
        s.checks = False  # a dissolution by hand breaks the ledger's member identity
    assert s.C > 1 and s.week >= 0
    ref, new = s.copy(), s.copy()
    _bookkeeping_reference(ref)
    p.bookkeeping.step(new)
    assert np.isfinite(new.metrics[new.week]).all()
    assert (ref.orgs.active != s.orgs.active).any() == vary  # the dissolution happened
    assert_same_state(ref, new)


def test_bookkeeping_in_spin_up_weeks_records_no_row():
    m = TocModel(default_scenario(weeks=3, seed=2))
    s = state_before(m, p.bookkeeping)
    s.week = -1
    ref, new = s.copy(), s.copy()
    _bookkeeping_reference(ref)
    p.bookkeeping.step(new)
    assert np.isnan(new.metrics).all() and np.isnan(new.region_metrics).all()
    assert_same_state(ref, new)


def test_bookkeeping_past_the_last_week_raises():
    m = TocModel(default_scenario(weeks=2, seed=2))
    m.run()
    with pytest.raises(IndexError, match="week 2 is past the 2 weeks"):
        m.step()


def test_state_digest_sees_a_difference(model):
    """The comparison can fail: one bit in one array, one counter."""
    a = model.state.copy()
    b = copy.deepcopy(a)
    assert_same_state(a, b)
    b.orgs.cash[0] = np.nextafter(b.orgs.cash[0], np.inf)
    with pytest.raises(AssertionError, match="orgs.cash"):
        assert_same_state(a, b)
    b = copy.deepcopy(a)
    b.ledger.abandoned += 1.0
    with pytest.raises(AssertionError, match="ledger.abandoned"):
        assert_same_state(a, b)


# ---------------------------------------------------------------- markets
def _markets_reference(s):
    """markets.step before the fusion: clearing, then stage_prices and pay_sellers apart."""
    from sim.enums import Role
    from sim.kernels.markets import markets_week, pay_sellers

    w, m = s.world, s.pars.market
    C, R = s.C, s.R
    arrivals_cr, dealers_r, h_r = np.empty((C, R)), np.empty(R), np.empty(R)
    goods = np.empty((3, C))
    s.ledger.goods_error = markets_week(
        s.counts, int(Role.DEALER), s.arrivals_ocr, s.stock, s.demand_ref, w.price_ref,
        w.elasticity, m.elasticity_multiplier, m.sell_fraction, w.retail_by_dealers,
        m.dealer_capacity, m.price_floor, m.price_cap, s.retail_price, s.sold, s.seized_cr,
        s.h_arrest, s.shipped, arrivals_cr, dealers_r, goods, h_r,
    )
    p.markets.update_stage_prices(s, -np.expm1(-52.0 * h_r))
    O = s.orgs.capacity
    s.income_o = np.empty(O)
    s.revenue_oc = np.empty((O, C))
    s.import_rev_oc = np.empty((O, C))
    s.consumer_spend = pay_sellers(
        s.counts, int(Role.DEALER), s.arrivals_ocr, arrivals_cr, dealers_r, s.retail_price,
        s.wholesale_price, s.import_price, s.sold, w.retail_by_dealers, w.is_firearm,
        s.guns, s.pars.conflict.firearm_decay, s.income_o, s.revenue_oc, s.import_rev_oc,
    )


@pytest.mark.parametrize("first", [False, True])
def test_markets_step_equals_stage_prices_then_pay_sellers(model, first):
    s = state_before(model, p.markets)
    s.h_arrest *= 1.0 + np.random.default_rng(1).random(s.h_arrest.shape)  # dealers at risk
    if first:  # a state saved before the expected import price existed
        del s.expected_import
    ref, new = s.copy(), s.copy()
    _markets_reference(ref)
    p.markets.step(new)
    assert new.consumer_spend > 0 and (new.income_o[: new.orgs.n] != 0).any()
    assert_same_state(ref, new)


# ---------------------------------------------------------------- corruption
def test_integrity_means_equal_the_numpy_expression():
    """New officials' mean integrity, now computed in the corruption kernel, against the
    numpy expression corruption.step passed it before (NaN, values at and over the cap)."""
    from sim.agents import INTEGRITY_FAILED, INTEGRITY_SPAN, integrity_mean
    from sim.kernels.officials import integrity_means
    from sim.processes.corruption import INTEGRITY_CAP

    gen = np.random.default_rng(5)
    cap = gen.random(400) * 1.2
    boost = gen.random(400) * 0.3 * (gen.random(400) < 0.5)
    cap[:3] = [np.nan, 1.0, (INTEGRITY_CAP - INTEGRITY_FAILED) / INTEGRITY_SPAN]
    boost[3] = np.nan
    boost[4] = -0.0
    want = np.minimum(integrity_mean(cap) + boost, INTEGRITY_CAP)
    got = np.empty(400)
    integrity_means(cap, boost, INTEGRITY_FAILED, INTEGRITY_SPAN, INTEGRITY_CAP, got)
    assert got.tobytes() == want.tobytes()
    assert (got == INTEGRITY_CAP).any() and (got < INTEGRITY_CAP).any()


# ---------------------------------------------------------------- leadership
def _leadership_reference(s):
    """leadership.step before split_log_keep and split_x: the split probabilities from the
    parameters and the cohesion after the kernel, in numpy, as the step computed them."""
    from sim.kernels.member_index import promote_leader_indexed

    c, o, m = s.pars.conflict, s.orgs, s.members
    candidates = np.empty(o.capacity, np.int64)
    done = np.empty(o.capacity, np.int64)
    s.removals, n_cand, n_done = p.leadership.run_successions(
        s.leader_lost, o.leader, o.succession, o.split_done, o.cohesion, o.active, s.counts,
        int(c.succession_weeks), c.cohesion_shock, c.cohesion_recovery, 20 * s.scale,
        0.0, candidates, np.empty(o.capacity), done,
    )
    s.n_splits = 0
    if n_cand:
        log_keep = np.log1p(-min(c.split_prob, 1.0 - 1e-12)) / c.succession_weeks
        cand = candidates[:n_cand]
        prob = (-np.expm1(log_keep * (1.0 - o.cohesion[cand]))).tolist()
        rng = s.streams["leadership"]
        for org, p_org in zip(cand.tolist(), prob, strict=True):
            if rng.random() < p_org:
                p.leadership.split(s, org, rng)
                o.split_done[org] = True
    for org in done[:n_done].tolist():
        o.leader[org] = promote_leader_indexed(*s.members_by_org(), m.status, m.org, m.role,
                                               m.region, m.joined, org, s.counts)


@pytest.mark.parametrize("split_prob", [0.3, 0.97])
def test_leadership_step_equals_the_split_probabilities_in_numpy(model, split_prob):
    s = state_before(model, p.leadership)
    s.pars.conflict.split_prob = split_prob
    p.leadership.derive(s)
    o = s.orgs
    live = np.flatnonzero(o.active[: o.n])
    s.leader_lost[live[::2]] = 1  # successions start: candidates to split
    o.cohesion[: o.n] = np.random.default_rng(2).random(o.n)
    o.succession[live[1]] = 1  # one succession runs out: a promotion
    ref, new = s.copy(), s.copy()
    _leadership_reference(ref)
    p.leadership.step(new)
    assert new.removals > 0 and (new.n_splits > 0) == (split_prob > 0.5)
    assert_same_state(ref, new)


def test_split_arguments_equal_the_numpy_expression(model):
    """The kernel's split_x and derive's split_log_keep, bit for bit, against the numpy
    expression the step used (the draws compare with them, so a last-bit change is rare to
    show in a state)."""
    s = state_before(model, p.leadership)
    c, o = s.pars.conflict, s.orgs
    live = np.flatnonzero(o.active[: o.n])
    s.leader_lost[live] = 1
    o.cohesion[: o.n] = np.random.default_rng(4).random(o.n)
    log_keep = np.log1p(-min(c.split_prob, 1.0 - 1e-12)) / c.succession_weeks
    assert s.split_log_keep == log_keep
    cand, split_x = np.empty(o.capacity, np.int64), np.empty(o.capacity)
    _, n_cand, _ = p.leadership.run_successions(
        s.leader_lost, o.leader, o.succession, o.split_done, o.cohesion, o.active, s.counts,
        int(c.succession_weeks), c.cohesion_shock, c.cohesion_recovery, 20 * s.scale,
        s.split_log_keep, cand, split_x, np.empty(o.capacity, np.int64),
    )
    assert n_cand >= 2
    want = log_keep * (1.0 - o.cohesion[cand[:n_cand]])
    assert split_x[:n_cand].tobytes() == want.tobytes()


# ---------------------------------------------------------------- enforcement
def _enforcement_reference(s):
    """enforcement.step before the fusion: enforcement_week, numpy's draws, case_hits."""
    from sim.enums import Role, Status
    from sim.kernels.draws import generator_pointers
    from sim.kernels.enforcement import case_hits, enforcement_week
    from sim.kernels.member_index import arrest_members_of_role_indexed

    e, w, o = s.pars.enforcement, s.world, s.orgs
    i = s.pars.interdiction
    s.investigators_ao = np.empty(o.intel.shape)
    s.conviction = np.empty((o.capacity, s.R))
    n_ripe = enforcement_week(
        s.counts, w.agency_regions, s.agency_budget, e.investigator_cost,
        o.threat ** s.pars.threat.targeting_exponent,
        o.active, s.task_force, e.intel_rate / s.scale, e.intel_decay, s.protect_political,
        min(e.share_rate + s.share_rate_add, 1.0), s.agency_partners, o.intel,
        e.arrest_rate, s.enforcement_capacity, i.intel_gain, s.protect_seize,
        s.arrest_exposure, s.extra_arrest, s.judicial_capacity, s.protect_judicial,
        e.case_threshold, o.n, s.investigators_ao, s.intel_or, s.h_arrest, s.conviction,
    )
    intel = o.intel
    s.case_arrests = 0
    s.cases = 0
    s.case_seized = 0.0
    if not n_ripe:
        return
    rng = s.streams["enforcement"]
    draws = rng.random((intel.shape[0], o.n))
    m = s.members
    hit_a, hit_o = np.empty(draws.size, np.int64), np.empty(draws.size, np.int64)
    n_hits = case_hits(intel, o.active, e.case_threshold, draws, e.case_rate,
                       s.case_rate_mult, hit_a, hit_o)
    for a, org in zip(hit_a[:n_hits].tolist(), hit_o[:n_hits].tolist(), strict=True):
        s.cases += 1
        leader = o.leader[org]
        if leader >= 0 and m.status[leader] == Status.ACTIVE:
            m.status[leader] = Status.INCARCERATED
            m.release[leader] = s.week + int(2 * e.sentence_weeks)
            m.jail_add(np.array([leader]))
            s.counts[org, m.region[leader], m.role[leader]] -= 1
            s.leader_lost[org] = 1
            s.case_arrests += 1
        n_arrested, m.n_jail = arrest_members_of_role_indexed(
            generator_pointers(rng), s.week, org, int(Role.LIEUTENANT),
            int(round(e.case_lieutenants * s.scale)),
            *s.members_by_org(), m.status, m.org, m.role, m.region, m.release, m.jail,
            m.n_jail, e.sentence_weeks, s.counts)
        s.case_arrests += n_arrested
        seized = e.case_asset_share * (max(o.cash[org], 0.0) + o.laundered[org])
        o.cash[org] -= e.case_asset_share * max(o.cash[org], 0.0)
        o.laundered[org] -= e.case_asset_share * o.laundered[org]
        s.case_seized += seized
        intel[a, org] *= 0.5
    s.ledger.seized += s.case_seized
    s.ledger.members_event(incarcerated=s.case_arrests)


@pytest.mark.parametrize("ripe", ["none", "some", "many"])
def test_enforcement_step_equals_numpys_draws_and_case_hits(model, ripe):
    s = state_before(model, p.enforcement)
    e = s.pars.enforcement
    if ripe == "none":
        s.orgs.intel[:] = 0.0
    else:
        gen = np.random.default_rng(6)
        s.orgs.intel[:] = e.case_threshold * 2 * gen.random(s.orgs.intel.shape)
        if ripe == "many":
            s.case_rate_mult = np.full_like(s.case_rate_mult, 0.9 / e.case_rate)
    ref, new = s.copy(), s.copy()
    _enforcement_reference(ref)
    p.enforcement.step(new)
    assert (new.cases > 0) == (ripe == "many")
    assert_same_state(ref, new)
