"""Conflict kernel: killing hazards between organizations that share a region."""

from numba import njit


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
    for r in range(R):
        for o in range(O):
            m_o = members_or[o, r]
            if m_o <= 0.0 or not org_active[o]:
                continue
            pressure = 0.0
            for j in range(O):
                if j == o or not org_active[j]:
                    continue
                m_j = members_or[j, r]
                if m_j <= 0.0:
                    continue
                k = (rivalry_base + rivalry[o, j]) / (1.0 + alliance[o, j])
                term = theta * lethality_r[r] * k * m_j * 0.5 * (intensity_o[o] + intensity_o[j])
                pressure += term
                kills_by_o[j] += term * m_o
            expected_deaths_r[r] += pressure * m_o
            for q in range(n_roles):
                h = pressure * role_weight[q]
                h_death[o, r, q] = h if h < 0.5 else 0.5
