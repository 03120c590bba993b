"""Audit kernels: the member side of the conservation checks (``sim.ledger``) in one pass.

The checks recount the member arrays every week; done with numpy (a ``bincount`` of the
statuses, a recount of active members by organization, region and role, a gather of the
jailed statuses) that pass cost more than some weekly processes. These kernels do the same
recount in one loop over the used slots and report what differs; ``sim.ledger`` turns the
result into messages.
"""

import numpy as np
from numba import literal_unroll, njit

from .sums import pairwise_sum

# Codes mirror sim.enums.Status (numba cannot read IntEnum members inside kernels).
UNUSED = 0
ACTIVE = 1
INCARCERATED = 2
DEAD = 3
EXITED = 4
N_STATUS = 5  # by_status[N_STATUS] counts codes outside 0..4


@njit(cache=True, nogil=True)
def _all_in_range(n_used, status, org, region, role, n_org, n_region, n_role):
    """Are the first ``n_used`` statuses valid codes (0..4) and organizations, regions and
    roles inside the counts' shape? Minima and maxima only: a pass that vectorizes."""
    if n_used == 0:
        return True
    s_lo = s_hi = status[0]
    o_lo = o_hi = org[0]
    r_lo = r_hi = region[0]
    k_lo = k_hi = role[0]
    for i in range(n_used):
        s_lo = min(s_lo, status[i])
        s_hi = max(s_hi, status[i])
        o_lo = min(o_lo, org[i])
        o_hi = max(o_hi, org[i])
        r_lo = min(r_lo, region[i])
        r_hi = max(r_hi, region[i])
        k_lo = min(k_lo, role[i])
        k_hi = max(k_hi, role[i])
    return (s_lo >= 0 and s_hi < N_STATUS and o_lo >= 0 and o_hi < n_org and r_lo >= 0
            and r_hi < n_region and k_lo >= 0 and k_hi < n_role)


@njit(cache=True, nogil=True)
def audit_members(n_used, status, org, region, role, counts, jail, n_jail, hist, by_status):
    """Recount the first ``n_used`` member slots against the kept ``counts``.

    One branch-free pass adds every slot to ``hist[status, cell]``, a scratch array of shape
    ``(N_STATUS + 1, counts.size + 1)``: row ``N_STATUS`` takes status codes outside 0..4,
    the last column slots whose (organization, region, role) lies outside ``counts``. (A
    pass that branches on the status costs three times as much: live and dead slots are
    interleaved, so the branch is mispredicted.) Then writes ``by_status[k]``, the slots
    with status ``k`` (k = 0..4; ``by_status[5]``: no valid code), and returns
    ``(differing, recounted, out_of_range, bad_jail)``: the cells of ``counts`` that differ
    from the recount of active members, the active members recounted in a cell, the active
    members whose organization, region or role lies outside ``counts`` (a corrupted index),
    and the first ``n_jail`` entries of ``jail`` that are not a used slot holding an
    incarcerated member.
    """
    n_org, n_region, n_role = counts.shape
    size = n_org * n_region * n_role
    hist[:] = 0
    if _all_in_range(n_used, status, org, region, role, n_org, n_region, n_role):
        # the usual case, known from a cheap first pass: every code and index is valid, so
        # the recount needs no test per slot
        for i in range(n_used):
            hist[status[i], (np.int64(org[i]) * n_region + region[i]) * n_role + role[i]] += 1
    else:
        for i in range(n_used):
            s = np.uint8(status[i])  # a negative code becomes >= 128: invalid like any other
            s = s if s < N_STATUS else N_STATUS
            cell = (np.int64(org[i]) * n_region + region[i]) * n_role + role[i]
            ok = 0 <= org[i] < n_org and 0 <= region[i] < n_region and 0 <= role[i] < n_role
            hist[s, cell if ok else size] += 1
    for k in range(N_STATUS + 1):
        by_status[k] = hist[k].sum()
    differing = 0
    for o in range(n_org):
        for r in range(n_region):
            for k in range(n_role):
                if counts[o, r, k] != hist[ACTIVE, (o * n_region + r) * n_role + k]:
                    differing += 1
    out_of_range = hist[ACTIVE, size]
    recounted = by_status[ACTIVE] - out_of_range
    bad_jail = 0
    for j in range(n_jail):
        i = jail[j]
        if not (0 <= i < n_used and status[i] == INCARCERATED):
            bad_jail += 1
    return differing, recounted, out_of_range, bad_jail


@njit(cache=True, nogil=True)
def first_invalid(signed, *arrays):
    """The index of the first of ``arrays`` holding a value that is not finite, or a negative
    value where ``signed[j]`` is False; -1 when every value is valid. One call for all the
    weekly state arrays (``sim.ledger.STATE_ARRAYS``): the test ``sim.ledger.state_problems``
    made with a minimum and a maximum per array."""
    j = 0
    for a in literal_unroll(arrays):
        ok = True
        if signed[j]:
            for v in a.flat:
                ok &= abs(v) < np.inf  # False for NaN and +-inf
        else:
            for v in a.flat:
                ok &= 0.0 <= v < np.inf
        if not ok:
            return j
        j += 1
    return -1


@njit(cache=True, nogil=True)
def rows_finite(row, reg, demand, j_price):
    """Are this week's metrics ``row`` and region rows ``reg`` finite, the region's retail
    price (column ``j_price``) only where the region has a market (``demand > 0``)? The test
    ``sim.ledger.state_problems`` made with numpy sums (a sum is finite when every term is,
    or overflows: then neither finds a culprit); the messages are found in Python."""
    ok = True
    for v in row:
        ok &= abs(v) < np.inf  # False for NaN and +-inf
    for r in range(reg.shape[0]):
        for j in range(reg.shape[1]):
            if j != j_price or demand[r] > 0:
                ok &= abs(reg[r, j]) < np.inf
    return ok


@njit(cache=True, nogil=True)
def kept_and_held(counts, cash, laundered, frozen):
    """The kept counts' total and the money the organizations hold, ``cash.sum() +
    laundered.sum() + frozen.sum()`` as numpy adds them (``pairwise_sum``): the two sums of
    the weekly identities in one call."""
    kept = 0
    for v in counts.flat:
        kept += v
    return kept, pairwise_sum(cash) + pairwise_sum(laundered) + pairwise_sum(frozen)
