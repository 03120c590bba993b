"""Recruitment intensity: how many recruits each organization may expect in each region."""

import numpy as np
from numba import njit

from .sums import np_clip, np_minimum, pairwise_sum


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
        fsum = pairwise_sum(org_region_flow[o].copy())
        for r in range(R):
            route = org_region_flow[o, r] / fsum if fsum > 0 else base_presence[o, r]
            if is_cartel[o]:
                target = 0.5 * base_presence[o, r] + 0.5 * route
            else:
                target = base_presence[o, r]
            lam[o, r] = drive * target * sat[r]
