"""Recruitment (step 11 of the week, ODD 7.11): from regional populations by criminal versus
legitimate pay, with saturation; roles by deficit; ties to recruiters
(``sim.kernels.members.recruit``).
"""

from __future__ import annotations

import numpy as np

from ..enums import OrgKind, Role
from ..kernels.members import recruit
from ..kernels.recruitment import recruitment_rates

# Kept between weeks (on the state): each organization's remembered headcount by role
# (orgs.role_memory) and its recruiter pool. This week's results: recruits,
# replacement_gap.
KEEPS = ("orgs.role_memory", "recruiter_pool")


def step(s) -> None:
    r, o, m, w = s.pars.recruitment, s.orgs, s.members, s.world
    members_or = s.counts.sum(axis=2).astype(np.float64)
    # replacement (D14): organizations refill each role up to the headcount they remember
    # (recent peak, forgotten over replacement_memory weeks), on top of the proportional
    # rate; a scarce role (skills, trust: launderers, traffickers) is refilled slower,
    # at replacement_rate times its fill share. Recruits take the role furthest below
    # its share, so refilled roles are the missing ones.
    by_role = s.counts.sum(axis=1)
    # the remembered headcount tracks growth at once and forgets a loss over
    # replacement_memory weeks (the gap, not the level, decays)
    o.role_memory[:] = np.maximum(
        by_role, o.role_memory - (o.role_memory - by_role) / r.replacement_memory)
    if not hasattr(s, "_role_fill"):
        s._role_fill = np.ones(by_role.shape[1])
        s._role_fill[Role.LAUNDERER] = r.fill_launderer
        s._role_fill[Role.LOGISTICS] = r.fill_logistics
        s._role_fill[Role.LEADER] = 0.0  # leaders are promoted, not recruited
    gap = np.maximum(o.role_memory - by_role, 0.0) @ np.minimum(s._role_fill, 1.0)
    s.replacement_gap = gap
    # the recruitable pool: at-risk people (saturation x residents) not reached by
    # prevention programmes. Recruiters meet at-risk people at random: a share
    # recruitable_share of those contacts can still be recruited, and recruitment
    # saturates against the smaller pool. An organization hires while it can pay: cash for
    # four weeks of wages, and an income (moving average) that covers its wage bill.
    attract = (r.reference_wage / s.legit_wage) ** r.wage_elasticity
    lam = np.empty(members_or.shape)
    recruitment_rates(
        members_or, w.population, s.recruitable_share, r.saturation, attract, s.wages_o,
        o.cash, o.revenue, s.org_region_flow, o.base_presence, o.kind == OrgKind.CARTEL,
        o.active, gap, r.rate, r.replacement_rate, lam,
    )
    new_or = s.streams["recruitment"].poisson(lam)
    n_new = int(new_or.sum())
    s.recruits = n_new
    if n_new == 0:
        return
    m.ensure(n_new)
    counts_ok = s.counts.sum(axis=1)
    m.n = recruit(
        s.streams["recruitment"], s.week, m.n, new_or, s.role_share, o.kind,
        counts_ok, s.counts, m.status, m.org, m.role, m.region, m.joined, m.release,
        m.ties, s.recruiter_pool, int(r.ties_per_recruit), o.role_memory,
        s._role_fill,
    )
    s.ledger.members_event(recruited=n_new)
