"""Recruitment (step 11 of the week, ODD 7.11): from regional populations by criminal versus
legitimate pay, with saturation; roles by deficit; ties to recruiters
(``sim.kernels.members.recruit``).
"""

from __future__ import annotations

import numpy as np

from ..enums import N_ROLES, OrgKind, Role
from ..kernels.draws import generator_pointers
from ..kernels.members import recruit
from ..kernels.recruitment import LAM_TOO_LARGE, draw_recruits, remember_roles

# Kept between weeks (on the state): each organization's remembered headcount by role
# (orgs.role_memory) and its recruiter pool. This week's results: recruits,
# replacement_gap.
KEEPS = ("orgs.role_memory", "recruiter_pool")


def derive(s) -> None:
    """Tables from parameters (rebuilt when parameters change): the fill share by role (a
    scarce role is filled at that share of the common roles' rate)."""
    r = s.pars.recruitment
    s.role_fill = np.ones(N_ROLES)
    s.role_fill[Role.LAUNDERER] = r.fill_launderer
    s.role_fill[Role.LOGISTICS] = r.fill_logistics
    s.role_fill[Role.LEADER] = 0.0  # leaders are promoted, not recruited
    s.role_refill = np.minimum(s.role_fill, 1.0)  # the replacement gap's weights by role


def step(s) -> None:
    r, o, m, w = s.pars.recruitment, s.orgs, s.members, s.world
    # replacement (D14): organizations refill each role up to the headcount they remember
    # (recent peak, forgotten over replacement_memory weeks), on top of the proportional
    # rate; a scarce role (skills, trust: launderers, traffickers) is refilled slower,
    # at replacement_rate times its fill share. Recruits take the role furthest below
    # its share, so refilled roles are the missing ones.
    O = o.capacity
    members_or = np.empty((O, s.R))
    by_role = np.empty((O, N_ROLES), np.int64)
    short = np.empty((O, N_ROLES))
    # the remembered headcount tracks growth at once and forgets a loss over
    # replacement_memory weeks (the gap, not the level, decays)
    remember_roles(s.counts, r.replacement_memory, o.role_memory, members_or, by_role, short)
    gap = short @ s.role_refill  # BLAS order: stays in numpy
    s.replacement_gap = gap
    # the recruitable pool: at-risk people (saturation x residents) not reached by
    # prevention programmes. Recruiters meet at-risk people at random: a share
    # recruitable_share of those contacts can still be recruited, and recruitment
    # saturates against the smaller pool. An organization hires while it can pay: cash for
    # four weeks of wages, and an income (moving average) that covers its wage bill.
    attract = (r.reference_wage / s.legit_wage) ** r.wage_elasticity  # numpy's pow
    # expected recruits by organization and region, the Poisson draws of how many, and the
    # recruits themselves (roles by deficit, ties to recruiters) in one kernel call
    new_or = np.empty((O, s.R), np.int64)
    rng = s.streams["recruitment"]
    n_new, n_used = draw_recruits(
        generator_pointers(rng),  # the stream, without a Generator's dispatch cost
        members_or, w.population, s.recruitable_share, r.saturation, attract, s.wages_o,
        o.cash, o.revenue, s.org_region_flow, o.base_presence, o.kind, int(OrgKind.CARTEL),
        o.active, gap, r.rate, r.replacement_rate, np.empty((O, s.R)), new_or, s.week, m.n,
        s.role_share, by_role, s.counts, m.status, m.org, m.role, m.region, m.joined,
        m.release, m.ties, s.recruiter_pool, int(r.ties_per_recruit), o.role_memory,
        s.role_fill,
    )
    if n_new < 0:  # as numpy's Generator.poisson would have raised, before any draw
        raise ValueError("lam value too large" if n_new == LAM_TOO_LARGE
                         else "lam < 0 or lam contains NaNs")
    s.recruits = n_new
    if n_new == 0:
        return
    if n_used < 0:  # the member arrays were full: make room, then recruit
        m.ensure(n_new)
        n_used = recruit(
            rng, s.week, m.n, new_or, s.role_share, o.kind, by_role, s.counts, m.status,
            m.org, m.role, m.region, m.joined, m.release, m.ties, s.recruiter_pool,
            int(r.ties_per_recruit), o.role_memory, s.role_fill,
        )
    m.n = n_used
    s.ledger.members_event(recruited=n_new)
