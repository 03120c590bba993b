"""Recruitment: the roles organizations remember, how many recruits each organization may
expect in each region, and the draws of how many it gets.

``draw_recruits`` compiles ``sim.kernels.members.recruit`` and the draws of
``sim.kernels.draws`` into itself, and Numba's cache checks only this file: after a change
there, delete ``sim/kernels/__pycache__/*.nb*`` (or this file's entries) so that it is
compiled again."""

import numpy as np
from numba import njit

from .counts import members_by_org_region, members_by_org_role
from .draws import as_generator, poisson
from .members import recruit
from .sums import np_clip, np_minimum, pairwise_sum

# numpy's largest Poisson mean (numpy/random/_common.pyx); the draws check it as numpy does
POISSON_LAM_MAX = np.iinfo(np.int64).max - np.sqrt(np.iinfo(np.int64).max) * 10
LAM_TOO_LARGE, LAM_NEGATIVE = -1, -2  # draw_recruits' error codes


@njit(cache=True, nogil=True)
def remember_roles(counts, replacement_memory, memory, members_or, by_role, short):
    """Fill ``members_or`` (float64) and ``by_role`` (int64) from the kept counts; update
    each organization's remembered headcount by role (D14): it tracks growth at once and
    forgets a loss over ``replacement_memory`` weeks,
    ``memory = maximum(by_role, memory - (memory - by_role) / replacement_memory)``; and
    ``short = maximum(memory - by_role, 0)``, the members missing in each role. The
    arithmetic is that of the numpy expressions it replaced (np.maximum: NaN propagates)."""
    members_by_org_region(counts, members_or)
    members_by_org_role(counts, by_role)
    O, K = memory.shape
    for o in range(O):
        for k in range(K):
            b = float(by_role[o, k])
            x = memory[o, k] - (memory[o, k] - b) / replacement_memory
            m = b if b > x else x  # np.maximum(b, x): b is never NaN
            memory[o, k] = m
            d = m - b
            short[o, k] = d if (d > 0.0 or d != d) else 0.0


@njit(cache=True, nogil=True, error_model="numpy")
def recruitment_rates(
    members_or, population, recruitable_share, saturation, attract, wages_o, cash, revenue,
    org_region_flow, base_presence, is_cartel, org_active, gap, rate, replacement_rate, lam,
):
    """Fill ``lam[o, r]``, the expected recruits of organization o in region r this week
    (ODD 7.11): ``drive_o * target_or * attract_r * sat_r`` where

    - ``sat_r = share_r * clip(1 - members_r / pool_r, 0, 1)`` with the recruitable pool
      ``pool_r = saturation * population_r * share_r`` (0 without a pool);
    - ``drive_o = (rate * members_o + replacement_rate * gap_o) * health_o * active_o``, the
      organization's health ``clip(min(cash / (4 wages), revenue / wages), 0, 1)`` (1
      without wages);
    - ``target_or`` its presence shares, for a cartel half from its presence and half from
      its routes (share of its flows through the region).

    The arithmetic is that of the numpy expressions it replaced, in the same order.
    """
    O, R = members_or.shape
    sat = np.empty(R)
    for r in range(R):
        total = 0.0
        for o in range(O):  # members (whole numbers): exact in any order
            total += members_or[o, r]
        pool = saturation * population[r] * recruitable_share[r]
        if pool > 0:
            sat[r] = recruitable_share[r] * np_clip(1.0 - total / pool, 0.0, 1.0)
        else:
            sat[r] = recruitable_share[r] * 0.0
        sat[r] = attract[r] * sat[r]
    for o in range(O):
        if wages_o[o] > 0:
            health = np_clip(np_minimum(cash[o] / (4.0 * wages_o[o]), revenue[o] / wages_o[o]),
                             0.0, 1.0)
        else:
            health = 1.0
        m_o = 0.0
        for r in range(R):
            m_o += members_or[o, r]
        drive = (rate * m_o + replacement_rate * gap[o]) * health * (
            1.0 if org_active[o] else 0.0)
        fsum = pairwise_sum(org_region_flow[o])
        for r in range(R):
            route = org_region_flow[o, r] / fsum if fsum > 0 else base_presence[o, r]
            if is_cartel[o]:
                target = 0.5 * base_presence[o, r] + 0.5 * route
            else:
                target = base_presence[o, r]
            lam[o, r] = drive * target * sat[r]


@njit(cache=True, nogil=True, error_model="numpy")
def draw_recruits(
    rng, members_or, population, recruitable_share, saturation, attract, wages_o, cash,
    revenue, org_region_flow, base_presence, org_kind, cartel, org_active, gap, rate,
    replacement_rate, lam, new_or, week, n_used, role_share, counts_ok, counts, status, org,
    role, region, joined, release, ties, pool, ties_per_recruit, memory, fill,
):
    """Fill ``lam`` (``recruitment_rates``), draw ``new_or[o, r] ~ Poisson(lam[o, r])`` in
    C order from ``rng`` as ``rng.poisson(lam)`` does (``sim.kernels.draws.poisson``, numpy's
    sampler: the draws are the same) and, if the member arrays have room, append the
    recruits (``sim.kernels.members.recruit``, same ``rng``). Returns (recruits, new
    ``n_used``); ``n_used`` is -1 when the arrays lack room (nothing recruited yet: make
    room and call ``recruit``). Where numpy would raise, nothing is drawn and the first
    value is ``LAM_TOO_LARGE`` (a mean above ``POISSON_LAM_MAX`` or NaN) or
    ``LAM_NEGATIVE``. Cartels (``org_kind == cartel``) recruit half along their routes."""
    gen = as_generator(rng)  # a Generator, or generator_pointers(Generator): the same draws
    is_cartel = np.empty(org_kind.shape[0], np.bool_)
    for o in range(org_kind.shape[0]):
        is_cartel[o] = org_kind[o] == cartel
    recruitment_rates(
        members_or, population, recruitable_share, saturation, attract, wages_o, cash,
        revenue, org_region_flow, base_presence, is_cartel, org_active, gap, rate,
        replacement_rate, lam,
    )
    O, R = lam.shape
    for o in range(O):
        for r in range(R):
            if not lam[o, r] <= POISSON_LAM_MAX:
                return LAM_TOO_LARGE, n_used
    for o in range(O):
        for r in range(R):
            if not lam[o, r] >= 0.0:
                return LAM_NEGATIVE, n_used
    n = 0
    for o in range(O):
        for r in range(R):
            k = poisson(gen, lam[o, r])
            new_or[o, r] = k
            n += k
    if n == 0:
        return 0, n_used
    if n_used + n > status.shape[0]:
        return n, -1
    return n, recruit(
        gen, week, n_used, new_or, role_share, org_kind, counts_ok, counts,
        status, org, role, region, joined, release, ties, pool, ties_per_recruit, memory,
        fill,
    )
