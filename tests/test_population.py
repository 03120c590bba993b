"""Population mechanisms (issue 8): organization growth, leadership removal, replacement
after losses, recruitment prevention and the spin-up. Paired replicates share seeds."""

import numpy as np
import pandas as pd
import pytest
from conftest import tiny_scenario

from sim.model import TocModel

# many removals and splits in a tiny world: every succession splits
SPLITTY = {"conflict": {"split_prob": 1.0, "cohesion_shock": 1.0, "succession_weeks": 8},
           "enforcement": {"case_rate": 0.05, "case_threshold": 0.0, "case_lieutenants": 0}}
KINGPIN = [{"type": "targeted_enforcement", "strategy": "kingpin", "budget": 2e6,
            "targets": {"top_n": 3}}]


def test_growing_the_organization_arrays_changes_no_result():
    """A model that starts with no spare organization slots grows its arrays mid-week at
    every split that needs one; its weekly records must equal those of a model that never
    grows (the bug: the growth week's shipments, seizures, arrests, ... came out zero)."""
    sc = tiny_scenario(weeks=80, seed=3, params=SPLITTY, interventions=KINGPIN)
    grown = TocModel(sc, org_capacity=3)
    weeks_grown = []
    for _ in range(sc.weeks):
        cap = grown.orgs.capacity
        grown.step()
        if grown.orgs.capacity > cap:
            weeks_grown.append(grown.week - 1)
    roomy = TocModel(sc, org_capacity=512).run()
    assert roomy.orgs.capacity == 512 and grown.orgs.n == roomy.orgs.n
    assert len(weeks_grown) >= 3, "the world must force several growths"
    a, b = grown.metrics_frame(), roomy.metrics_frame()
    assert (a.splits.sum() >= 10) and a.splits.sum() == b.splits.sum()
    floats = [c for c in a.columns if a[c].dtype.kind == "f"]
    ints = [c for c in a.columns if c not in floats]
    pd.testing.assert_frame_equal(a[ints], b[ints])
    # sums over longer (zero-padded) org arrays may round differently in the last bit
    np.testing.assert_allclose(a[floats].to_numpy(), b[floats].to_numpy(), rtol=1e-12, atol=0)
    growth = a.loc[weeks_grown]
    assert (growth.supply_shipped > 0).all() and (growth.consumption > 0).all()
    assert (growth.route_nodes > 0).all() and (growth.arrests > 0).all() and (growth.splits > 0).all()
    n = grown.orgs.n
    np.testing.assert_array_equal(grown.counts[:n], roomy.counts[:n])
    np.testing.assert_array_equal(grown.orgs.cash[:n], roomy.orgs.cash[:n])


def _remove_leader(m, org=0):
    leader = m.orgs.leader[org]
    assert leader >= 0 and m.arrest_members([leader]) == 1


def test_a_split_moves_active_members_in_every_region_and_keeps_the_jailed():
    params = {"conflict": {"split_prob": 1.0, "cohesion_shock": 1.0, "cohesion_recovery": 0.0},
              "enforcement": {"arrest_rate": 0.02}}  # many jailed members before the split
    m = TocModel(tiny_scenario(weeks=30, seed=5, params=params))
    m.run(20)
    alpha, n0 = 0, m.orgs.n
    mem = m.members
    jailed_before = ((mem.org[: mem.n] == alpha) & (mem.status[: mem.n] == 2)).sum()
    assert jailed_before > 0
    regions = np.nonzero(m.counts[alpha].sum(axis=1) > 0)[0]
    assert regions.size >= 3
    _remove_leader(m, alpha)
    m.run(1)  # the removal starts the succession; with cohesion 0 the split is certain
    assert m.orgs.n == n0 + 1
    frag = n0
    jailed_after = ((mem.org[: mem.n] == alpha) & (mem.status[: mem.n] == 2)).sum()
    assert ((mem.org[: mem.n] == frag) & (mem.status[: mem.n] == 2)).sum() == 0
    assert jailed_after >= jailed_before  # the jailed stay with the parent (plus new arrests)
    frag_r = m.counts[frag].sum(axis=1)
    assert (frag_r[regions] > 0).all(), "the fragment takes members in every region"
    # about split_share of the parent's active members in each region (binomial, 4 s.e.)
    both = m.counts[frag].sum(axis=1) + m.counts[alpha].sum(axis=1)
    for r in regions:
        se = np.sqrt(both[r] * 0.25)
        assert abs(frag_r[r] - 0.5 * both[r]) < 4 * se + 2
    o = m.orgs
    assert o.cash[alpha] >= 0 and o.cash[frag] >= 0
    assert (o.ship_target[alpha] >= 0).all() and (o.ship_target[frag] >= 0).all()


def test_the_succession_boost_is_highest_when_the_leader_falls():
    """Exact: the conflict intensity of an organization in succession is
    1 + succession_boost * (weeks left / succession_weeks) times that of the same state
    without a succession."""
    from sim.processes import conflict

    m = TocModel(tiny_scenario(weeks=5, seed=2))
    m.run(2)
    c = m.pars.conflict
    S = int(c.succession_weeks)
    m.orgs.succession[:] = 0
    conflict.step(m.state)
    calm, calm_h = m.intensity_o.copy(), m.h_death[0].sum()
    ratios = []
    for left in (S, S // 2, 1):
        m.orgs.succession[0] = left
        conflict.step(m.state)
        ratio = m.intensity_o[0] / calm[0]
        np.testing.assert_allclose(ratio, 1 + c.succession_boost * left / S, rtol=1e-12)
        np.testing.assert_array_equal(m.intensity_o[1:], calm[1:])
        assert m.h_death[0].sum() > calm_h
        ratios.append(ratio)
    assert ratios[0] > ratios[1] > ratios[2] > 1


def _split_week(seed, params, weeks):
    m = TocModel(tiny_scenario(weeks=weeks + 3, seed=seed, params=params))
    m.run(1)
    n0 = m.orgs.n
    _remove_leader(m, 0)
    for k in range(weeks):
        m.step()
        if m.orgs.n > n0:
            return k
    return None


def test_splits_cluster_in_the_first_months_of_a_succession():
    """Known answer: with cohesion c_k = 1 - shock * (1 - recovery)^(k+1) in week k after the
    fall, the weekly split probability is 1 - (1 - split_prob)^((1 - c_k) / S). The simulated
    share of splits in the first half of the succession matches it (binomial, 4 s.e.) and
    exceeds one half."""
    S, shock, rec, sp = 26, 0.6, 0.02, 0.9
    params = {"conflict": {"split_prob": sp, "cohesion_shock": shock, "cohesion_recovery": rec,
                           "succession_weeks": S}}
    weeks = [_split_week(seed, params, S) for seed in range(40)]
    k = np.arange(S)
    p = 1 - (1 - sp) ** ((shock * (1 - rec) ** (k + 1)) / S)
    alive = np.concatenate([[1.0], np.cumprod(1 - p)[:-1]])
    first = alive * p  # probability that the split happens in week k
    p_total, p_early = first.sum(), first[: S // 2].sum() / first.sum()
    got = [w for w in weeks if w is not None]
    assert abs(len(got) / len(weeks) - p_total) < 4 * np.sqrt(p_total * (1 - p_total) / 40)
    early = np.mean([w < S // 2 for w in got])
    assert p_early > 0.5
    assert abs(early - p_early) < 4 * np.sqrt(p_early * (1 - p_early) / len(got))


QUIET = {"enforcement": {"arrest_rate": 0.0, "exit_rate": 0.0, "case_rate": 0.0},
         "conflict": {"theta": 0.0}}  # only recruitment changes headcounts


def _lose(seed, role, n, weeks, params=None):
    """Tiny world, seed ``seed``: at week 10 arrest ``n`` active members of Alpha in ``role``;
    return the role's headcount right after and then weekly, and the recruits of all
    organizations over the ``weeks``."""
    from sim.enums import Status

    m = TocModel(tiny_scenario(weeks=weeks + 10, seed=seed, params=params))
    m.run(10)
    mem = m.members
    idx = np.nonzero((mem.org[: mem.n] == 0) & (mem.status[: mem.n] == Status.ACTIVE)
                     & (mem.role[: mem.n] == role))[0][:n]
    assert m.arrest_members(idx) == n
    heads, recruits = [int(m.counts[0, :, role].sum())], 0
    for _ in range(weeks):
        m.step()
        recruits += m.recruits
        heads.append(int(m.counts[0, :, role].sum()))
    return np.array(heads), recruits


def test_losses_raise_recruitment_until_the_roles_are_refilled():
    """Paired seeds: an organization that lost three quarters of its dealers recruits more over the
    next half year than without the loss, and refills the role faster than it would
    without replacement (replacement_rate 0)."""
    from sim.enums import Role

    extra, faster = [], []
    no_repl = dict(QUIET, recruitment={"replacement_rate": 0.0})
    for seed in range(6):
        heads, lost = _lose(seed, Role.DEALER, 300, 26, QUIET)
        _, none = _lose(seed, Role.DEALER, 0, 26, QUIET)
        heads0, _ = _lose(seed, Role.DEALER, 300, 26, no_repl)
        extra.append(lost - none)
        faster.append(heads[-4:].mean() - heads0[-4:].mean())
    extra, faster = np.array(extra), np.array(faster)
    assert extra.mean() - 3 * extra.std(ddof=1) / np.sqrt(6) > 0, extra
    assert faster.mean() - 3 * faster.std(ddof=1) / np.sqrt(6) > 0, faster


def test_scarce_roles_slow_recovery_most():
    """Paired seeds, no other losses: a quarter after losing 30 members of a role, the share
    refilled is smaller for launderers (fill_launderer 0.3: few recruits can take the role)
    than for dealers, and smaller for traffickers (fill_logistics 0.6) than for dealers."""
    from sim.enums import Role

    refilled = {}
    for role in (Role.LAUNDERER, Role.LOGISTICS, Role.DEALER):
        # 20 paired seeds (tiny world, ~1 s): with 10 the trafficker gap was 2.6 se on the
        # merged model (price chain), short of the 3 se asked
        heads = [_lose(seed, role, 30, 13, QUIET)[0] for seed in range(20)]
        refilled[role] = np.array([(h[-1] - h[0]) / 30 for h in heads])
    for scarce in (Role.LAUNDERER, Role.LOGISTICS):
        d = refilled[Role.DEALER] - refilled[scarce]
        assert d.mean() - 3 * d.std(ddof=1) / np.sqrt(d.size) > 0, refilled
    assert refilled[Role.DEALER].mean() > 0.8  # a common role is refilled within a quarter
    assert refilled[Role.LAUNDERER].mean() < refilled[Role.LOGISTICS].mean()


def _prevention(budget, **extra):
    return [dict({"type": "recruitment_prevention", "name": "rp", "start_week": 2,
                  "budget": budget, "targets": {"regions": ["Market"]}}, **extra)]


def test_prevention_reach_removes_people_from_the_recruitable_pool():
    """Known answer: a budget B reaches B / cost_per_person at-risk people a week, spread by
    at-risk population over the targets and capped at max_reach; with lag_weeks 1 the
    share reached is in place the first funded week, and only the targets change."""
    m = TocModel(tiny_scenario(weeks=6, seed=1, interventions=_prevention(
        2.5e6, lag_weeks=1.0, max_uplift=0.0)))
    m.run(3)
    w, iv = m.world, m.interventions[0]
    market = w.region_names.index("Market")
    at_risk = m.pars.recruitment.saturation * w.population[market]
    want = min(2.5e6 / iv.p["cost_per_person"] / at_risk, iv.p["max_reach"])
    assert 0 < want < iv.p["max_reach"]
    expect = np.ones(w.n_regions)
    expect[market] = 1 - want
    np.testing.assert_allclose(m.recruitable_share, expect, rtol=1e-12)
    np.testing.assert_array_equal(m.legit_wage, w.legit_wage)  # wage channel off
    assert m.metrics_frame().intervention_cost.iloc[2] == 2.5e6
    assert iv.reached_people == pytest.approx(2.5e6 / iv.p["cost_per_person"])
    # a budget beyond the pool is capped at max_reach
    m = TocModel(tiny_scenario(weeks=6, seed=1, interventions=_prevention(
        1e9, lag_weeks=1.0, max_uplift=0.0)))
    m.run(3)
    assert m.recruitable_share[market] == pytest.approx(1 - iv.p["max_reach"])


def test_prevention_reach_lowers_recruitment_in_the_targets():
    """Paired seeds, the wage channel switched off: reaching ~40% of the Market's at-risk
    people cuts recruits there, by about that share once enrolment has built."""
    def recruits_in_market(interventions, seed):
        m = TocModel(tiny_scenario(weeks=40, seed=seed, interventions=interventions))
        m.run(14)
        n0 = m.members.n
        m.run(26)
        market = m.world.region_names.index("Market")
        return (m.members.region[n0: m.members.n] == market).sum()

    arm = _prevention(5e6, lag_weeks=4.0, max_uplift=0.0)
    d = np.array([recruits_in_market(arm, s) / max(recruits_in_market([], s), 1)
                  for s in range(6)])
    assert d.mean() + 3 * d.std(ddof=1) / np.sqrt(d.size) < 1.0, d
    assert 0.4 < d.mean() < 0.8, d


# ----------------------------------------------------------------------------- spin-up
def test_the_spin_up_is_deterministic_unreported_and_on_its_own_streams():
    from sim.rng import stream

    a = TocModel(tiny_scenario(weeks=10, seed=4, spinup=30))
    assert a.week == 0 and a.spinup_seconds > 0
    # the reported weeks' generators have not drawn yet: the spin-up used spinup/<name>
    for name in ("members", "recruitment", "conflict", "shipping"):
        assert a.streams[name].bit_generator.state == stream(4, name).bit_generator.state
    assert a.members.n > 0 and (a.members.joined[: a.members.n] < 0).all()  # joined before 0
    a.run()
    b = TocModel(tiny_scenario(weeks=10, seed=4, spinup=30)).run()
    fa = a.metrics_frame()
    assert len(fa) == 10 and not fa.isna().any().any()
    assert fa.to_csv() == b.metrics_frame().to_csv()
    cold = TocModel(tiny_scenario(weeks=10, seed=4)).run().metrics_frame()
    assert fa.to_csv() != cold.to_csv()  # week 0 starts from the spun-up state


def test_a_zero_budget_intervention_equals_the_baseline_after_the_spin_up():
    zero = [{"type": "targeted_enforcement", "strategy": "kingpin", "budget": 0.0},
            {"type": "recruitment_prevention", "budget": 0.0, "targets": {"regions": ["Market"]}}]
    base = TocModel(tiny_scenario(weeks=20, seed=9, spinup=40)).run().metrics_frame()
    got = TocModel(tiny_scenario(weeks=20, seed=9, spinup=40, interventions=zero)).run()
    assert got.metrics_frame().to_csv() == base.to_csv()


def test_interventions_do_not_act_during_the_spin_up():
    arm = [{"type": "targeted_enforcement", "strategy": "mid_level", "budget": 5e6}]
    a = TocModel(tiny_scenario(weeks=1, seed=2, spinup=20, interventions=arm))
    b = TocModel(tiny_scenario(weeks=1, seed=2, spinup=20))
    np.testing.assert_array_equal(a.counts, b.counts)  # identical state at week 0
    assert a.interventions[0].cumulative_cost == 0.0


def test_the_spin_up_removes_the_first_year_drift():
    """Paired seeds on the tiny world: without a spin-up the jail population and the
    corruption rate drift over the first year (they start at zero and at the single
    initial offer); after the default spin-up the change over the year is smaller."""
    from sim.params import PARAMS

    spin = PARAMS["run"]["spinup_weeks"].default

    def drift(seed, weeks):
        df = TocModel(tiny_scenario(weeks=52, seed=seed, spinup=weeks)).run().metrics_frame()
        q1, q4 = df.iloc[:13].mean(), df.iloc[39:].mean()
        return np.array([abs(q4.incarcerated - q1.incarcerated) / max(q4.incarcerated, 1),
                         abs(q4.corruption_rate - q1.corruption_rate)])

    cold = np.array([drift(s, 0) for s in range(3)])
    warm = np.array([drift(s, spin) for s in range(3)])
    assert (cold[:, 0] > 0.5).all(), cold  # the jail fills from zero
    assert (warm[:, 0] < 0.25).all(), warm
    assert warm[:, 1].mean() < cold[:, 1].mean(), (cold, warm)


def test_mid_level_arrests_dip_violence_in_the_short_run():
    """Paired seeds: arresting the lieutenants of the two rival cartels starts no succession
    and lowers the expected killings of the following month (fewer lieutenants to organize
    violence, conflict.mid_level_coordination), unlike removing their leaders."""
    from sim.enums import Role, Status

    def expected_deaths(seed, what):
        m = TocModel(tiny_scenario(weeks=20, seed=seed))
        m.run(6)
        mem = m.members
        live = mem.status[: mem.n] == Status.ACTIVE
        if what == "lieutenants":
            idx = np.nonzero(live & (mem.org[: mem.n] < 2)
                             & (mem.role[: mem.n] == Role.LIEUTENANT))[0]
            m.arrest_members(idx)
        elif what == "leaders":
            m.arrest_members(m.orgs.leader[:2])
        total = 0.0
        for _ in range(4):
            m.step()
            total += m.expected_deaths_r.sum()
        return total, m.orgs.succession[:2].copy()

    dips, rises = [], []
    for seed in range(6):
        none, _ = expected_deaths(seed, "none")
        mid, succ = expected_deaths(seed, "lieutenants")
        top, succ_top = expected_deaths(seed, "leaders")
        assert (succ == 0).all() and (succ_top > 0).all()
        dips.append(mid / none - 1)
        rises.append(top / none - 1)
    dips, rises = np.array(dips), np.array(rises)
    assert dips.mean() + 3 * dips.std(ddof=1) / np.sqrt(6) < 0, dips
    assert rises.mean() - 3 * rises.std(ddof=1) / np.sqrt(6) > 0, rises
