"""Around the members' week (ODD 7.9): the exit hazards and the bound on every member's
weekly hazard for ``sim.kernels.members.step_members``, and the homicides that follow."""

import numpy as np
from numba import njit

from .draws import poisson
from .recruitment import LAM_NEGATIVE, LAM_TOO_LARGE, POISSON_LAM_MAX


@njit(cache=True, nogil=True)
def exit_hazards_and_bound(h_arrest, h_death, exit_rate, unpaid_exit_multiplier, stress,
                           h_exit):
    """Fill ``h_exit[o] = exit_rate * (1 + unpaid_exit_multiplier * stress[o])`` and return
    ``(h_arrest + h_death).max() + h_exit.max()``, the largest hazard a member can have
    (NaN if any hazard is NaN, as numpy's max)."""
    O, R, K = h_arrest.shape
    top_exit = 0.0
    for o in range(O):
        h = exit_rate * (1.0 + unpaid_exit_multiplier * stress[o])
        h_exit[o] = h
        if o == 0 or h > top_exit or h != h:
            top_exit = h  # a NaN stays: nothing compares greater
    top = 0.0
    for o in range(O):
        for r in range(R):
            for k in range(K):
                h = h_arrest[o, r, k] + h_death[o, r, k]
                if (o == 0 and r == 0 and k == 0) or h > top or h != h:
                    top = h
                    if h != h:
                        return top + top_exit
    return top + top_exit


@njit(cache=True, nogil=True)
def homicides(rng, deaths_or, bystander_ratio, population, bystanders_r, homicides_r,
              violence_r):
    """The week's homicides by region: members killed (``deaths_or`` summed over
    organizations) plus bystanders, ``Poisson(bystander_ratio * members killed)`` drawn in
    region order from ``rng`` as ``rng.poisson`` does for the array of means
    (``sim.kernels.draws.poisson``, numpy's sampler); ``violence_r`` the homicides per
    100,000 residents a year. Returns 0, or where numpy would raise (nothing drawn)
    ``LAM_TOO_LARGE`` or ``LAM_NEGATIVE`` (``sim.kernels.recruitment``)."""
    O, R = deaths_or.shape
    deaths_r = np.zeros(R, np.int64)
    for o in range(O):
        for r in range(R):
            deaths_r[r] += deaths_or[o, r]
    lam = np.empty(R)
    for r in range(R):
        lam[r] = bystander_ratio * deaths_r[r]
    for r in range(R):
        if not lam[r] <= POISSON_LAM_MAX:
            return LAM_TOO_LARGE
    for r in range(R):
        if not lam[r] >= 0.0:
            return LAM_NEGATIVE
    for r in range(R):
        bystanders_r[r] = poisson(rng, lam[r])
        homicides_r[r] = deaths_r[r] + bystanders_r[r]
        violence_r[r] = homicides_r[r] * 52.0 / population[r] * 1e5
    return 0
