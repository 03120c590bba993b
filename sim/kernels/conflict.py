"""Conflict kernel: killing hazards between organizations that share a region."""

import numpy as np
from numba import njit

from .counts import members_by_org_region, role_by_org
from .sums import np_clip, np_minimum, pairwise_sum


@njit(cache=True, nogil=True)
def conflict_hazards(
    members_or, rivalry, alliance, rivalry_base, org_active, intensity_o, theta, lethality_r,
    role_weight, h_death, expected_deaths_r, kills_by_o,
):
    """Death hazards per (org, region, role) from rival presence (PC23, regionalised).

    Expected deaths of org o's members in region r:
    ``theta * L_r * m_or * sum_j K_oj * m_jr * (I_o + I_j) / 2`` with
    ``K_oj = (rivalry_base + rivalry_oj) / (1 + alliance_oj)`` and I the organizations'
    violence intensities (succession, power shifts, lieutenants to organize). The per-member
    hazard is that total over ``m_or``, times the role's exposure ``role_weight[k]``, capped
    at 0.5 per week.
    Fills ``h_death``, ``expected_deaths_r`` and attributes kills to their authors in
    ``kills_by_o`` (expected values, for the threat score).
    """
    O, R = members_or.shape
    n_roles = role_weight.shape[0]
    h_death[:] = 0.0
    expected_deaths_r[:] = 0.0
    kills_by_o[:] = 0.0
    # K_oj once for every pair of active organizations (the same value in every region)
    k_oj = np.empty((O, O))
    for o in range(O):
        if org_active[o]:
            for j in range(O):
                if org_active[j]:
                    k_oj[o, j] = (rivalry_base + rivalry[o, j]) / (1.0 + alliance[o, j])
    present = np.empty(O, np.int64)  # the region's active organizations with members
    m_p = np.empty(O)  # their members in the region, intensities and kills so far
    i_p = np.empty(O)
    kills_p = np.empty(O)
    for r in range(R):
        n = 0
        for o in range(O):
            if not (members_or[o, r] <= 0.0) and org_active[o]:
                present[n] = o
                m_p[n] = members_or[o, r]
                i_p[n] = intensity_o[o]
                kills_p[n] = kills_by_o[o]
                n += 1
        tl = theta * lethality_r[r]
        # the same sums, in the same order, as a loop over every organization o (pressure:
        # over j in order; each author's kills: over o in order), two organizations at a
        # time so that their two running sums overlap
        for i in range(0, n, 2):
            o, o2 = present[i], present[i + 1] if i + 1 < n else -1
            m_o, m_o2 = m_p[i], m_p[i + 1] if i + 1 < n else 0.0
            pressure, pressure2 = 0.0, 0.0
            for jj in range(n):
                j = present[jj]
                if jj != i:
                    term = tl * k_oj[o, j] * m_p[jj] * 0.5 * (i_p[i] + i_p[jj])
                    pressure += term
                    kills_p[jj] += term * m_o
                if o2 >= 0 and jj != i + 1:
                    term2 = tl * k_oj[o2, j] * m_p[jj] * 0.5 * (i_p[i + 1] + i_p[jj])
                    pressure2 += term2
                    kills_p[jj] += term2 * m_o2
            expected_deaths_r[r] += pressure * m_o
            for q in range(n_roles):
                h = pressure * role_weight[q]
                h_death[o, r, q] = h if h < 0.5 else 0.5
            if o2 >= 0:
                expected_deaths_r[r] += pressure2 * m_o2
                for q in range(n_roles):
                    h = pressure2 * role_weight[q]
                    h_death[o2, r, q] = h if h < 0.5 else 0.5
        for jj in range(n):
            kills_by_o[present[jj]] = kills_p[jj]


@njit(cache=True, nogil=True, error_model="numpy")
def conflict_intensity(
    members_or, prev_members_or, lieutenants_o, lieutenant_share_o, succession,
    succession_weeks, succession_boost, mid_level_coordination, power_shift_boost, intensity,
):
    """Each organization's violence intensity (ODD 7.8): ``(1 + succession_boost * struggle)
    * (1 - mlc + mlc * coord) * (1 + power_shift_boost * shift)`` where the struggle is the
    share of the succession still to run, ``coord`` the lieutenants present over those its
    size needs (at most 1) and ``shift`` the member-weighted change of its share of each
    region's members since last week. The arithmetic is that of the numpy code it replaced,
    in its order (row sums in numpy's pairwise order)."""
    O, R = members_or.shape
    tot_r = np.zeros(R)
    ptot = np.zeros(R)
    for o in range(O):  # members (whole numbers): exact in any order
        for r in range(R):
            tot_r[r] += members_or[o, r]
            ptot[r] += prev_members_or[o, r]
    row = np.empty(R)
    for o in range(O):
        m_o = 0.0
        for r in range(R):
            m_o += members_or[o, r]
        need = lieutenant_share_o[o] * m_o
        coord = np_minimum(lieutenants_o[o] / need, 1.0) if need > 0 else 1.0
        for r in range(R):
            share = members_or[o, r] / tot_r[r] if tot_r[r] > 0 else 0.0
            prev = prev_members_or[o, r] / ptot[r] if ptot[r] > 0 else 0.0
            row[r] = abs(share - prev) * members_or[o, r]
        shift = pairwise_sum(row) / m_o if m_o > 0 else 0.0
        struggle = np_clip(succession[o] / succession_weeks, 0.0, 1.0)
        intensity[o] = (1.0 + succession_boost * struggle) \
            * (1.0 - mid_level_coordination + mid_level_coordination * coord) \
            * (1.0 + power_shift_boost * shift)


@njit(cache=True, nogil=True, error_model="numpy")
def conflict_week(
    counts, prev_members_or, role_share, org_kind, lieutenant, succession, succession_weeks,
    succession_boost, mid_level_coordination, power_shift_boost, rivalry, alliance,
    rivalry_base, org_active, theta, arms_lethality, guns, population, role_weight,
    intensity, h_death, expected_deaths_r, kills_by_o,
):
    """The week's conflict from the kept counts ``counts[o, r, role]``: each organization's
    violence intensity (``conflict_intensity``, its lieutenants against the share
    ``role_share[kind, lieutenant]`` its size needs), the regions' lethality
    ``1 + arms_lethality * guns / population * 1000`` (guns per 1,000 residents) and the
    death hazards (``conflict_hazards``). Fills ``intensity``, ``h_death``,
    ``expected_deaths_r`` and ``kills_by_o``."""
    O, R, _ = counts.shape
    members_or = np.empty((O, R))
    members_by_org_region(counts, members_or)
    lieutenants_o = np.empty(O, np.int64)
    role_by_org(counts, lieutenant, lieutenants_o)
    lieutenant_share_o = np.empty(O)
    for o in range(O):
        lieutenant_share_o[o] = role_share[org_kind[o], lieutenant]
    conflict_intensity(
        members_or, prev_members_or, lieutenants_o, lieutenant_share_o, succession,
        succession_weeks, succession_boost, mid_level_coordination, power_shift_boost,
        intensity,
    )
    lethality = np.empty(R)
    for r in range(R):
        lethality[r] = 1.0 + arms_lethality * guns[r] / population[r] * 1000.0
    conflict_hazards(
        members_or, rivalry, alliance, rivalry_base, org_active, intensity, theta, lethality,
        role_weight, h_death, expected_deaths_r, kills_by_o,
    )
