"""Numba kernels: the arithmetic of the weekly cycle.

Kernels take only arrays, scalars and ``np.random.Generator`` objects (never globals or model
objects), write into preallocated output arrays, and are compiled with
``@njit(cache=True, nogil=True)`` so a second process loads them from the cache.
"""
