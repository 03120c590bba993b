"""Around the members' week (ODD 7.9): the exit hazards and the bound on the weekly hazard of
the members of each organization and region for ``sim.kernels.members.step_members``, and
the homicides that follow."""

import numpy as np
from numba import njit

from .draws import as_generator, poisson
from .recruitment import LAM_NEGATIVE, LAM_TOO_LARGE, POISSON_LAM_MAX


@njit(cache=True, nogil=True)
def member_hazard_bounds(h_arrest, h_death, exit_rate, unpaid_exit_multiplier, stress, counts,
                         h_exit, neg_bound_or):
    """Fill ``h_exit[o] = exit_rate * (1 + unpaid_exit_multiplier * stress[o])`` and
    ``neg_bound_or[o, r] = -((h_arrest + h_death)[o, r].max() + h_exit[o])`` (numpy's
    ``-((h_arrest + h_death).max(axis=2) + h_exit[:, None])``, NaN if any hazard of the
    cell is NaN): minus the largest hazard a member of organization o in region r can have,
    ready for numpy's ``expm1`` (see ``event_bounds``). Returns ``counts.sum()``, the
    active members. (numpy's max over an axis of six roles costs tens of microseconds a
    week; the maximum and the negation are exact, so the bounds are the same.)"""
    O, R, K = h_arrest.shape
    for o in range(O):
        h_exit[o] = exit_rate * (1.0 + unpaid_exit_multiplier * stress[o])
    for o in range(O):
        for r in range(R):
            top = h_arrest[o, r, 0] + h_death[o, r, 0]
            for k in range(1, K):
                h = h_arrest[o, r, k] + h_death[o, r, k]
                if h > top or h != h:
                    top = h
                    if h != h:
                        break  # NaN stays
            neg_bound_or[o, r] = -(top + h_exit[o])
    n = 0
    for v in counts.ravel():
        n += v
    return n


@njit(cache=True, nogil=True)
def event_bounds(e):
    """Turn ``e = expm1(-bound)`` (numpy's expm1 of ``member_hazard_bounds``' output) into
    the weekly event probability bound ``-e`` in place, 1 where the bound is NaN (numpy's
    ``np.where(bound < inf, -np.expm1(-bound), 1.0)``: an infinite bound gives -(-1) = 1
    there too), and return the largest (the bound of every member)."""
    top = -np.inf
    for o in range(e.shape[0]):
        for r in range(e.shape[1]):
            x = e[o, r]
            v = 1.0 if x != x else -x
            e[o, r] = v
            if v > top:
                top = v
    return top


@njit(cache=True, nogil=True)
def homicides(stream, deaths_or, bystander_ratio, population, bystanders_r, homicides_r,
              violence_r):
    """The week's homicides by region: members killed (``deaths_or`` summed over
    organizations) plus bystanders, ``Poisson(bystander_ratio * members killed)`` drawn in
    region order from ``rng`` as ``rng.poisson`` does for the array of means
    (``sim.kernels.draws.poisson``, numpy's sampler); ``violence_r`` the homicides per
    100,000 residents a year. Returns 0, or where numpy would raise (nothing drawn)
    ``LAM_TOO_LARGE`` or ``LAM_NEGATIVE`` (``sim.kernels.recruitment``)."""
    rng = as_generator(stream)  # a Generator, or generator_pointers(Generator)
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
