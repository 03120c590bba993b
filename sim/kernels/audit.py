"""Audit kernels: the member side of the conservation checks (``sim.ledger``) in one pass.

The checks recount the member arrays every week; done with numpy (a ``bincount`` of the
statuses, a recount of active members by organization, region and role, a gather of the
jailed statuses) that pass cost more than some weekly processes. These kernels do the same
recount in one loop over the used slots and report what differs; ``sim.ledger`` turns the
result into messages.
"""

import numpy as np
from numba import njit

# Codes mirror sim.enums.Status (numba cannot read IntEnum members inside kernels).
UNUSED = 0
ACTIVE = 1
INCARCERATED = 2
DEAD = 3
EXITED = 4
N_STATUS = 5  # by_status[N_STATUS] counts codes outside 0..4


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
