"""Corruption kernel: bribe offers, acceptance, payment and detection of officials."""

import numpy as np
from numba import njit

from .counts import members_by_org_region
from .draws import as_generator
from .sums import np_minimum


@njit(cache=True, nogil=True)
def logistic(x):
    """1 / (1 + exp(-x)) without overflow for any x (NaN gives NaN)."""
    if x >= 0.0:
        return 1.0 / (1.0 + np.exp(-x))
    z = np.exp(x)
    return z / (1.0 + z)


@njit(cache=True, nogil=True)
def step_officials(
    rng, region, otype, integrity, salary, patron, org_active, org_can_pay, presence_or,
    corrupt_share_r, violence_r, detect_r, integrity_mean_r, integrity_conc,
    offer_rate, bribe_multiple, integrity_weight, penalty_weeks, peer_weight, threat_weight,
    noise, unpaid_quit, detect_type_mult, detect_patron_mult, penalty_mult_r, pay_mult_r,
    corrupt_otr, bribes_o, events,
):
    """One week for every official.

    Corrupt officials are caught with the weekly probability ``1 - exp(-d)`` of the detection
    hazard ``d = detect_r * detect_type_mult * detect_patron_mult`` and replaced by a new honest
    official (fresh integrity draw), or stay and are paid ``bribe_multiple * salary`` by their
    patron; they fall back to honesty when the patron is gone, and with probability
    ``unpaid_quit`` in each week it cannot pay them (they serve unpaid meanwhile). An honest
    official receives an offer with probability ``offer_rate`` if organizations are present, from an
    organization drawn in proportion to its members there, and accepts with the logistic
    probability of (bribe - integrity cost - expected penalty + peer pull + threat pull) in
    units of ``noise * salary`` (H00: peer pull makes corruption tip). Policy levers:
    detection is multiplied by ``detect_type_mult[type, region]`` and ``detect_patron_mult[patron]``
    (anti-corruption units, sanctions), the penalty by ``penalty_mult_r``, and higher pay
    (``pay_mult_r``) makes a bribe of the same size worth less to the official. Fills
    ``corrupt_otr[o, type, r]``, ``bribes_o`` and ``events`` = [offers, accepted, caught].
    """
    O = presence_or.shape[0]
    R = presence_or.shape[1]
    corrupt_otr[:] = 0
    bribes_o[:] = 0.0
    events[:] = 0
    tot = np.zeros(R)
    for r in range(R):
        for o in range(O):
            tot[r] += presence_or[o, r]
    for j in range(region.shape[0]):
        r = region[j]
        p = patron[j]
        if p >= 0:
            if not org_active[p]:
                patron[j] = -1
                continue
            unpaid = not org_can_pay[p]
            if unpaid and rng.random() < unpaid_quit:
                patron[j] = -1
                continue
            # detection hazard (rate per week) -> weekly probability
            hz = detect_r[r] * detect_type_mult[otype[j], r] * detect_patron_mult[p]
            d = -np.expm1(-max(hz, 0.0))
            if rng.random() < d:
                events[2] += 1
                patron[j] = -1
                mu = integrity_mean_r[r]
                integrity[j] = rng.beta(mu * integrity_conc, (1.0 - mu) * integrity_conc)
                continue
            if not unpaid:
                bribes_o[p] += bribe_multiple * salary[j]
            corrupt_otr[p, otype[j], r] += 1
            continue
        if tot[r] <= 0.0 or rng.random() >= offer_rate:
            continue
        events[0] += 1
        x = rng.random() * tot[r]
        o = 0
        acc = presence_or[0, r]
        while acc < x and o < O - 1:
            o += 1
            acc += presence_or[o, r]
        if not org_active[o] or not org_can_pay[o]:
            continue
        hz = detect_r[r] * detect_type_mult[otype[j], r] * detect_patron_mult[o]
        d = -np.expm1(-max(hz, 0.0))
        utility = (
            bribe_multiple / pay_mult_r[r]
            - integrity_weight * integrity[j]
            - d * penalty_weeks * penalty_mult_r[r]
            + peer_weight * corrupt_share_r[r]
            + threat_weight * violence_r[r]
        ) / noise
        if rng.random() < logistic(utility):
            patron[j] = o
            events[1] += 1
            bribes_o[o] += bribe_multiple * salary[j]
            corrupt_otr[o, otype[j], r] += 1


@njit(cache=True, nogil=True, error_model="numpy")
def protection_from_officials(
    corrupt_otr, officials_r, protection_max, protection_half, police, customs, judicial,
    political, corrupt_share_r, protect_seize, protect_judicial, protect_political,
):
    """Protection bought by corrupt officials (ODD 7.5): with n officials of a kind on an
    organization's payroll, ``protection_max * n / (n + protection_half)`` against seizures
    and arrests (police and customs in the region), in court (judges in the region) and
    politically (politicians anywhere); also each region's share of corrupt officials."""
    O, T, R = corrupt_otr.shape
    for r in range(R):
        n = 0
        for o in range(O):
            for t in range(T):
                n += corrupt_otr[o, t, r]
        corrupt_share_r[r] = n / officials_r[r]
    for o in range(O):
        n_pol = 0
        for r in range(R):
            n = corrupt_otr[o, police, r] + corrupt_otr[o, customs, r]
            protect_seize[o, r] = protection_max * n / (n + protection_half)
            n = corrupt_otr[o, judicial, r]
            protect_judicial[o, r] = protection_max * n / (n + protection_half)
            n_pol += corrupt_otr[o, political, r]
        protect_political[o] = protection_max * n_pol / (n_pol + protection_half)


@njit(cache=True, nogil=True, error_model="numpy")
def integrity_means(state_capacity, integrity_boost, failed, span, cap, out):
    """``out[r]`` = numpy's ``np.minimum(failed + span * state_capacity + integrity_boost,
    cap)`` (``sim.agents.integrity_mean`` plus the boost, capped), bit for bit."""
    for r in range(out.shape[0]):
        out[r] = np_minimum(failed + span * state_capacity[r] + integrity_boost[r], cap)


@njit(cache=True, nogil=True, error_model="numpy")
def officials_week(
    stream, region, otype, integrity, salary, patron, org_active, cash, counts, corrupt_share_r,
    violence_r, detection_rate, judicial_capacity, detection_multiplier, state_capacity,
    integrity_boost, integrity_failed, integrity_span, integrity_cap, integrity_conc, offer_rate,
    bribe_multiple, integrity_weight, penalty_weeks, peer_weight,
    threat_weight, noise, unpaid_quit, detect_type_mult, detect_patron_mult, penalty_mult_r,
    pay_mult_r, corrupt_otr, bribes_o, events, officials_r, protection_max, protection_half,
    police, customs, judicial, political, protect_seize, protect_judicial, protect_political,
):
    """The week of every official (``step_officials``) with the organizations' presence
    from the kept counts, the detection hazard ``detection_rate * judicial_capacity *
    detection_multiplier`` and organizations able to pay while their cash is positive; then
    the protection they buy (``protection_from_officials``, at least one official a
    region). New officials' mean integrity by region is ``integrity_failed + integrity_span *
    state_capacity`` (``sim.agents.integrity_mean``) plus ``integrity_boost``, at most
    ``integrity_cap`` (numpy's minimum: NaN stays)."""
    rng = as_generator(stream)  # a Generator, or generator_pointers(Generator)
    O, R, _ = counts.shape
    presence_or = np.empty((O, R))
    members_by_org_region(counts, presence_or)
    can_pay = np.empty(cash.shape[0], np.bool_)
    for o in range(cash.shape[0]):
        can_pay[o] = cash[o] > 0
    detect_r = np.empty(R)
    for r in range(R):
        detect_r[r] = detection_rate * judicial_capacity[r] * detection_multiplier[r]
    integrity_mean_r = np.empty(R)
    integrity_means(state_capacity, integrity_boost, integrity_failed, integrity_span,
                    integrity_cap, integrity_mean_r)
    step_officials(
        rng, region, otype, integrity, salary, patron, org_active, can_pay, presence_or,
        corrupt_share_r, violence_r, detect_r, integrity_mean_r, integrity_conc, offer_rate,
        bribe_multiple, integrity_weight, penalty_weeks, peer_weight, threat_weight, noise,
        unpaid_quit, detect_type_mult, detect_patron_mult, penalty_mult_r, pay_mult_r,
        corrupt_otr, bribes_o, events,
    )
    at_least_one = np.empty(R, officials_r.dtype)
    for r in range(R):
        at_least_one[r] = officials_r[r] if officials_r[r] > 1 else 1
    protection_from_officials(
        corrupt_otr, at_least_one, protection_max, protection_half, police, customs,
        judicial, political, corrupt_share_r, protect_seize, protect_judicial,
        protect_political,
    )
