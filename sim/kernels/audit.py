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


# The recount's scratch: hist[AUDIT_COPIES, counts.size + N_STATUS] (copy j takes the slots
# i with i % AUDIT_COPIES == j, so that consecutive slots landing in one bin do not wait on each
# other's increment) and a block of AUDIT_BLOCK keys (int32).
AUDIT_COPIES = 4
AUDIT_BLOCK = 4096


@njit(cache=True, nogil=True)
def audit_members(n_used, status, org, region, role, counts, jail, n_jail, hist, keys,
                  by_status):
    """Recount the first ``n_used`` member slots against the kept ``counts``.

    ``hist`` (``AUDIT_COPIES`` rows of ``counts.size + N_STATUS`` int32) and ``keys`` (a block
    of int32) are scratch. The slots are read in blocks of ``keys.shape[0]``; each block's keys
    (an active member's cell of ``counts``; else ``counts.size`` plus its status code) are
    computed branch-free with the minima and maxima of its codes and indices (a loop that
    vectorizes), then counted into ``AUDIT_COPIES`` interleaved histograms (half the slots are
    dead or exited: one histogram would make each of those increments wait on the last).
    (A pass that branches on the status costs three times as much: live and dead slots are
    interleaved, so the branch is mispredicted.) A block with a code or index outside the
    counts' shape sends the whole recount to a careful pass that tests every slot.

    Writes ``by_status[k]``, the slots with status ``k`` (k = 0..4; ``by_status[5]``: no valid
    code), and returns ``(differing, recounted, out_of_range, bad_jail)``: the cells of
    ``counts`` that differ from the recount of active members, the active members recounted
    in a cell, the active members whose organization, region or role lies outside ``counts``
    (a corrupted index), and the first ``n_jail`` entries of ``jail`` that are not a used slot
    holding an incarcerated member.
    """
    n_org, n_region, n_role = counts.shape
    size = n_org * n_region * n_role
    hist[:] = 0
    for k in range(N_STATUS + 1):
        by_status[k] = 0
    out_of_range = 0
    valid = True
    b0 = 0
    while b0 < n_used:
        m = min(keys.shape[0], n_used - b0)
        st = status[b0:b0 + m]
        og = org[b0:b0 + m]
        rg = region[b0:b0 + m]
        rl = role[b0:b0 + m]
        s_lo = s_hi = st[0]
        o_lo = o_hi = og[0]
        r_lo = r_hi = rg[0]
        k_lo = k_hi = rl[0]
        for j in range(m):
            s, o, r, k = st[j], og[j], rg[j], rl[j]
            s_lo = min(s_lo, s)
            s_hi = max(s_hi, s)
            o_lo = min(o_lo, o)
            o_hi = max(o_hi, o)
            r_lo = min(r_lo, r)
            r_hi = max(r_hi, r)
            k_lo = min(k_lo, k)
            k_hi = max(k_hi, k)
            active = s == ACTIVE
            keys[j] = active * ((o * n_region + r) * n_role + k) + (1 - active) * (size + s)
        if not (s_lo >= 0 and s_hi < N_STATUS and o_lo >= 0 and o_hi < n_org and r_lo >= 0
                and r_hi < n_region and k_lo >= 0 and k_hi < n_role):
            valid = False
            break
        m4 = m - m % AUDIT_COPIES
        for i in range(0, m4, AUDIT_COPIES):
            hist[0, keys[i]] += 1
            hist[1, keys[i + 1]] += 1
            hist[2, keys[i + 2]] += 1
            hist[3, keys[i + 3]] += 1
        for i in range(m4, m):
            hist[0, keys[i]] += 1
        b0 += m
    if valid:
        for k in range(N_STATUS):
            for c in range(AUDIT_COPIES):
                by_status[k] += hist[c, size + k]
    else:  # a code or index out of range somewhere: test every slot
        hist[:] = 0
        for i in range(n_used):
            s = np.uint8(status[i])  # a negative code becomes >= 128: invalid like any other
            s = s if s < N_STATUS else N_STATUS
            by_status[s] += 1
            if s == ACTIVE:
                if (0 <= org[i] < n_org and 0 <= region[i] < n_region
                        and 0 <= role[i] < n_role):
                    hist[0, (np.int64(org[i]) * n_region + region[i]) * n_role + role[i]] += 1
                else:
                    out_of_range += 1
    differing = 0
    recounted = 0
    for o in range(n_org):
        for r in range(n_region):
            for k in range(n_role):
                c = (o * n_region + r) * n_role + k
                h = 0
                for j in range(AUDIT_COPIES):
                    h += hist[j, c]
                recounted += h
                if counts[o, r, k] != h:
                    differing += 1
    if valid:
        by_status[ACTIVE] = recounted
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
    made with a minimum and a maximum per array. (Testing ``v - v != 0`` and ``v < 0`` is a
    quarter cheaper than ``0 <= v < inf`` and ``abs(v) < inf``.)"""
    j = 0
    for a in literal_unroll(arrays):
        bad = False
        if signed[j]:
            for v in a.flat:
                bad |= (v - v) != 0.0  # v - v is NaN for NaN and +-inf, else 0
        else:
            for v in a.flat:
                bad |= ((v - v) != 0.0) | (v < 0.0)
        if bad:
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
