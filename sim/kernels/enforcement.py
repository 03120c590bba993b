"""Enforcement kernel: investigators by threat, intelligence learned and shared, arrest
hazards (ODD 7.7)."""

import numpy as np
from numba import njit

from .counts import members_by_org_region
from .draws import as_generator
from .sums import np_clip, pairwise_sum


@njit(cache=True, nogil=True)
def _np_maximum(a, b):
    """``np.maximum`` of two floats: NaN if either is NaN, else ``b`` unless ``a > b``."""
    return a if (a > b or a != a) else b


@njit(cache=True, nogil=True, error_model="numpy")
def investigate(
    members_or, agency_regions, investigators, threat_pow, org_active, task_force,
    intel_rate, intel_decay, protect_political, share, agency_partners, intel,
    arrest_rate, enforcement_capacity, intel_gain, protect_seize, exposure, extra_arrest,
    assigned, intel_or, h_arrest,
):
    """One week of investigation for every agency a and organization o.

    Investigators ``investigators[a]`` are assigned to the active organizations present in
    the agency's regions in proportion to ``threat ** targeting_exponent`` (given as
    ``threat_pow``, at least 1e-9), plus an equal part of each organization's dedicated
    ``task_force`` per agency present. Intelligence grows with investigators against the
    organization's political protection and decays,
    ``intel += intel_rate * assigned * (1 - intel) * (1 - protect_political)
    - intel_decay * intel``, then each agency takes ``share`` of the largest lead of a
    partner agency (``agency_partners[a, b] * max(intel_b - intel_a, 0)``) and intelligence
    stays in [0, 1]. ``intel_or`` is the best intelligence on o among agencies covering r;
    the arrest hazard of a member of o in r with role k is
    ``arrest_rate * capacity_r * (1 + intel_gain * intel_or) * (1 - protect_seize_or)
    * exposure_k + extra_arrest_ok``. Fills ``assigned``, ``intel`` (in place), ``intel_or``
    and ``h_arrest``; the arithmetic is that of the numpy code it replaced, in its order.
    """
    A, O = intel.shape
    R = agency_regions.shape[1]
    present = np.zeros((A, O), np.bool_)
    n_present = np.zeros(O, np.int64)
    weight = np.empty(O)
    for a in range(A):
        for o in range(O):
            for r in range(R):
                if agency_regions[a, r] > 0 and members_or[o, r] > 0:
                    present[a, o] = True
                    n_present[o] += 1
                    break
        for o in range(O):
            w = threat_pow[o] * (1.0 if org_active[o] else 0.0) * (
                1.0 if present[a, o] else 0.0)
            weight[o] = _np_maximum(w, 1e-9) if (present[a, o] and org_active[o]) else 0.0
        total = pairwise_sum(weight)
        for o in range(O):
            assigned[a, o] = investigators[a] * weight[o] / total if total > 0 else 0.0
    any_task_force = False
    for o in range(O):
        if task_force[o] != 0:
            any_task_force = True
    if any_task_force:
        for a in range(A):
            for o in range(O):
                per = task_force[o] / n_present[o] if n_present[o] > 0 else 0.0
                assigned[a, o] = assigned[a, o] + per * (1.0 if present[a, o] else 0.0)
    for a in range(A):
        for o in range(O):
            x = intel[a, o]
            intel[a, o] = x + (intel_rate * assigned[a, o] * (1.0 - x)
                               * (1.0 - protect_political[o]) - intel_decay * x)
    lead = np.empty((A, O))
    for a in range(A):
        for o in range(O):
            best = agency_partners[a, 0] * _np_maximum(intel[0, o] - intel[a, o], 0.0)
            for b in range(1, A):
                best = _np_maximum(best, agency_partners[a, b]
                                   * _np_maximum(intel[b, o] - intel[a, o], 0.0))
            lead[a, o] = best
    for a in range(A):
        for o in range(O):
            intel[a, o] = np_clip(intel[a, o] + share * lead[a, o], 0.0, 1.0)
    for o in range(O):
        for r in range(R):
            best = intel[0, o] * agency_regions[0, r]
            for a in range(1, A):
                best = _np_maximum(best, intel[a, o] * agency_regions[a, r])
            intel_or[o, r] = best
            base = arrest_rate * enforcement_capacity[r] * (1.0 + intel_gain * intel_or[o, r]) \
                * (1.0 - protect_seize[o, r])
            for k in range(exposure.shape[0]):
                h_arrest[o, r, k] = base * exposure[k] + extra_arrest[o, k]


@njit(cache=True, nogil=True, error_model="numpy")
def enforcement_week(
    counts, agency_regions, agency_budget, investigator_cost, threat_pow, org_active,
    task_force, intel_rate, intel_decay, protect_political, share, agency_partners, intel,
    arrest_rate, enforcement_capacity, intel_gain, protect_seize, exposure, extra_arrest,
    judicial_capacity, protect_judicial, case_threshold, n_orgs, assigned, intel_or,
    h_arrest, conviction,
):
    """The week's investigation (``investigate``) with ``agency_budget / investigator_cost``
    investigators per agency and the members present from the kept counts; the conviction
    probability ``conviction[o, r] = judicial_capacity[r] * (1 - protect_judicial[o, r])``.
    Returns how many (agency, organization) pairs among the first ``n_orgs`` organizations
    are ripe for a case (intelligence above ``case_threshold``, organization active)."""
    O, R, _ = counts.shape
    A = agency_regions.shape[0]
    members_or = np.empty((O, R))
    members_by_org_region(counts, members_or)
    regions = np.empty((A, R))
    for a in range(A):
        for r in range(R):
            regions[a, r] = 1.0 if agency_regions[a, r] else 0.0
    investigators = np.empty(A)
    for a in range(A):
        investigators[a] = agency_budget[a] / investigator_cost
    investigate(
        members_or, regions, investigators, threat_pow, org_active, task_force, intel_rate,
        intel_decay, protect_political, share, agency_partners, intel, arrest_rate,
        enforcement_capacity, intel_gain, protect_seize, exposure, extra_arrest, assigned,
        intel_or, h_arrest,
    )
    for o in range(O):
        for r in range(R):
            conviction[o, r] = judicial_capacity[r] * (1.0 - protect_judicial[o, r])
    n_ripe = 0
    for a in range(A):
        for o in range(n_orgs):
            if intel[a, o] > case_threshold and org_active[o]:
                n_ripe += 1
    return n_ripe


@njit(cache=True, nogil=True)
def case_hits(intel, org_active, case_threshold, draws, case_rate, case_rate_mult, hit_a,
              hit_o):
    """The cases that mature this week: (agency a, organization o) pairs, o among the first
    ``draws.shape[1]`` organizations, that are ripe (intelligence above ``case_threshold``,
    organization active) and whose uniform draw ``draws[a, o]`` is below
    ``case_rate * case_rate_mult[o]``; written to ``hit_a``, ``hit_o`` in C order (as
    ``np.nonzero``). Returns how many."""
    A, n_orgs = draws.shape
    n = 0
    for a in range(A):
        for o in range(n_orgs):
            if intel[a, o] > case_threshold and org_active[o] \
                    and draws[a, o] < case_rate * case_rate_mult[o]:
                hit_a[n] = a
                hit_o[n] = o
                n += 1
    return n


@njit(cache=True, nogil=True, error_model="numpy")
def enforcement_and_cases(
    stream, counts, agency_regions, agency_budget, investigator_cost, threat_pow, org_active,
    task_force, intel_rate, intel_decay, protect_political, share, agency_partners, intel,
    arrest_rate, enforcement_capacity, intel_gain, protect_seize, exposure, extra_arrest,
    judicial_capacity, protect_judicial, case_threshold, n_orgs, assigned, intel_or,
    h_arrest, conviction, case_rate, case_rate_mult, hit_a, hit_o,
):
    """The week's ``enforcement_week`` and, when cases are ripe, the cases that mature
    (``case_hits``) on one uniform draw per agency and organization in use (the first
    ``n_orgs``), in C order, from ``stream`` (a Generator or ``generator_pointers`` of one):
    the draws of ``Generator.random((agencies, n_orgs))``. Returns how many cases matured
    (in ``hit_a``, ``hit_o``)."""
    n_ripe = enforcement_week(
        counts, agency_regions, agency_budget, investigator_cost, threat_pow, org_active,
        task_force, intel_rate, intel_decay, protect_political, share, agency_partners,
        intel, arrest_rate, enforcement_capacity, intel_gain, protect_seize, exposure,
        extra_arrest, judicial_capacity, protect_judicial, case_threshold, n_orgs, assigned,
        intel_or, h_arrest, conviction,
    )
    if n_ripe == 0:
        return 0
    rng = as_generator(stream)
    draws = np.empty((intel.shape[0], n_orgs))
    for a in range(intel.shape[0]):
        for o in range(n_orgs):
            draws[a, o] = rng.random()
    return case_hits(intel, org_active, case_threshold, draws, case_rate, case_rate_mult,
                     hit_a, hit_o)
