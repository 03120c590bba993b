"""Sums in numpy's order (and numpy's minimum and clip), for kernels that replace numpy
expressions without changing a bit.

Floating-point addition is not associative: a kernel that sums in another order than numpy
gives (slightly) different numbers, and the model's outputs would no longer be byte-identical
to those of the numpy code it replaces. numpy sums a contiguous run of float64 values
pairwise (``pairwise_sum`` in numpy's ``loops_utils.h``): runs of fewer than 8 values in
sequence from 0.0; up to 128 values in 8 interleaved partial sums combined as
``((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))`` and the remainder added in sequence;
longer runs split in two halves (the first a multiple of 8) summed the same way. A reduction
over the leading axis of a C-ordered array with more than one column adds the rows in
sequence. Both start from 0.0 (numpy's identity for addition: a sum of negative zeros is
+0.0). ``tests/test_kernels.py`` checks both against numpy.
"""

import numpy as np
from numba import njit

BLOCK = 128  # numpy's PW_BLOCKSIZE


@njit(cache=True, nogil=True)
def _block_sum(a, lo, n):
    """numpy's sum of ``a[lo:lo + n]`` for ``n <= BLOCK``."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    m = n - n % 8
    i = 8
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def pairwise_sum(a):
    """``a.sum()`` of a contiguous 1-D float64 array, bit for bit (numpy's pairwise order;
    the halving of long runs without recursion, which Numba's cache does not support)."""
    n = a.shape[0]
    if n <= BLOCK:
        return 0.0 + _block_sum(a, 0, n)  # numpy adds the sum to its identity, 0.0
    # post-order walk of numpy's halving tree: (lo, n, combine?) tasks and a value stack
    t_lo = np.empty(192, np.int64)
    t_n = np.empty(192, np.int64)
    t_join = np.empty(192, np.bool_)
    vals = np.empty(96)
    nt, nv = 1, 0
    t_lo[0], t_n[0], t_join[0] = 0, n, False
    while nt > 0:
        nt -= 1
        lo, k, join = t_lo[nt], t_n[nt], t_join[nt]
        if join:
            nv -= 1
            vals[nv - 1] = vals[nv - 1] + vals[nv]
        elif k <= BLOCK:
            vals[nv] = _block_sum(a, lo, k)
            nv += 1
        else:
            k2 = k // 2
            k2 -= k2 % 8
            t_lo[nt], t_n[nt], t_join[nt] = lo, k, True
            t_lo[nt + 1], t_n[nt + 1], t_join[nt + 1] = lo + k2, k - k2, False
            t_lo[nt + 2], t_n[nt + 2], t_join[nt + 2] = lo, k2, False
            nt += 3
    return 0.0 + vals[0]


@njit(cache=True, nogil=True)
def sum_leading_axis(a, out):
    """``a.sum(axis=0)`` of a C-ordered 2-D float64 array into ``out``, bit for bit."""
    O, R = a.shape
    if R == 1:  # one column: numpy sees a contiguous run
        out[0] = pairwise_sum(a[:, 0].copy())
        return
    for r in range(R):
        out[r] = 0.0  # numpy starts from its identity, then adds the rows in order
    for o in range(O):
        for r in range(R):
            out[r] += a[o, r]


@njit(cache=True, nogil=True)
def np_minimum(a, b):
    """``np.minimum`` of two floats: NaN if either is NaN, else ``b`` unless ``a < b``
    (numpy returns the second of two equal values: np.minimum(0.0, -0.0) is -0.0)."""
    return a if (a < b or a != a) else b


@njit(cache=True, nogil=True)
def np_clip(x, lo, hi):
    """``np.clip(x, lo, hi)`` of a float: NaN stays NaN, and a bound equal to ``x`` leaves
    ``x`` (np.clip(-0.0, 0.0, 1.0) is -0.0)."""
    if x != x:
        return x
    t = lo if x < lo else x
    return hi if t > hi else t


@njit(cache=True, nogil=True)
def np_clip_arrays(x, lo, hi):
    """``np.clip(x, lo, hi)`` with array bounds, element by element: numpy's
    ``min(max(x, lo), hi)`` where NaN in ``x`` or in either bound gives NaN and a bound
    equal to ``x`` gives the bound (np.clip(-0.0, 0.0, 1.0) is 0.0 with an array ``lo``,
    unlike ``np_clip``'s scalar bounds)."""
    t = x if (x != x or x > lo) else lo
    return t if (t != t or t < hi) else hi
