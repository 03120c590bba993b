"""Totals of the kept member counts ``counts[org, region, role]``.

The counts are whole numbers, so their totals are exact in any order and equal numpy's
``counts.sum(axis=...)`` bit for bit (and as float64, ``.astype(np.float64)`` of it). The
weekly processes need them several times a week; a numpy reduction over the short role axis
costs about ten microseconds, these a fraction of one, and the processes' kernels call them
directly.
"""

from numba import njit


@njit(cache=True, nogil=True)
def members_by_org_region(counts, out):
    """``out[o, r]`` = active members of organization o in region r (float64)."""
    O, R, K = counts.shape
    for o in range(O):
        for r in range(R):
            n = 0
            for k in range(K):
                n += counts[o, r, k]
            out[o, r] = n


@njit(cache=True, nogil=True)
def members_by_org_role(counts, out):
    """``out[o, k]`` = active members of organization o with role k (int64)."""
    O, R, K = counts.shape
    for o in range(O):
        for k in range(K):
            out[o, k] = 0
        for r in range(R):
            for k in range(K):
                out[o, k] += counts[o, r, k]


@njit(cache=True, nogil=True)
def role_by_org(counts, k, out):
    """``out[o]`` = active members of organization o with role k (int64)."""
    O, R, _ = counts.shape
    for o in range(O):
        n = 0
        for r in range(R):
            n += counts[o, r, k]
        out[o] = n
