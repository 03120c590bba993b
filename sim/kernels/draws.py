"""Random draws inside kernels that must equal numpy's ``Generator`` draws exactly.

Numba's ``Generator.poisson`` follows numpy's algorithms but, for means of 10 and more
(Hörmann's PTRS), truncates the candidate toward zero where numpy takes its floor: a candidate
in (-1, 0), which numpy rejects, is returned as 0. The draws then differ from numpy's (rarely:
found by a run of the scaled world) and zeros come slightly too often. :func:`poisson` is
numpy's ``random_poisson`` (numpy/random/src/distributions/distributions.c), drawing its
uniforms with ``rng.random()`` (numpy's ``next_double``), so it takes the same uniforms and
returns the same values as ``Generator.poisson``; ``tests/test_kernels.py`` checks this.

Numba's ``Generator.integers(low, high)`` draws numpy's numbers but fills a one-element array
for each scalar (a heap allocation: ~36 ns a draw against ~4 ns for ``rng.random()``).
:func:`below` is the same draw without the array: numpy's Lemire rejection on 32-bit words
(``buffered_bounded_lemire_uint32`` in distributions.c), taking its words from the bit
generator as numpy does, so ``below(rng, n)`` returns what ``rng.integers(0, n)`` returns and
leaves ``rng`` in the same state.

Passing a ``Generator`` to a kernel costs about 6.5 us a call (Numba types it in Python and
unboxes it through ctypes: three ``ctypes.cast`` calls every time) against 0.1 us for an
array. :func:`generator_pointers` reads the addresses Numba would unbox (the bit generator's
state and its three ``next_*`` functions) once per generator into a ``uint64`` array, and
:func:`as_generator` makes, inside a kernel, the same Numba ``Generator`` from that array: a
kernel that takes its generator through ``as_generator`` accepts either, and draws the same
numbers from the same state either way (the state is the generator's own memory, advanced in
place; ``tests/test_kernels.py`` checks draws and state).
"""

import ctypes
import math

import numpy as np
from numba import njit, types, uint64
from numba.core import cgutils
from numba.extending import intrinsic, overload
from numba.np.random.generator_core import next_uint32

_LOGGAM_A = np.array([8.333333333333333e-02, -2.777777777777778e-03,
                      7.936507936507937e-04, -5.952380952380952e-04,
                      8.417508417508418e-04, -1.917526917526918e-03,
                      6.410256410256410e-03, -2.955065359477124e-02,
                      1.796443723688307e-01, -1.39243221690590e+00])


@njit(cache=True, nogil=True)
def _loggam(x):
    """numpy's ``random_loggam``: log Gamma(x) by Stirling's series."""
    if x == 1.0 or x == 2.0:
        return 0.0
    n = int(7 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    gl0 = _LOGGAM_A[9]
    for k in range(8, -1, -1):
        gl0 *= x2
        gl0 += _LOGGAM_A[k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * np.log(x0) - x0
    if x < 7.0:
        for _ in range(n):
            gl -= np.log(x0 - 1.0)
            x0 -= 1.0
    return gl


@njit(cache=True, nogil=True)
def poisson(rng, lam):
    """One Poisson(``lam``) draw from ``rng``, as ``rng.poisson(lam)`` draws it (``lam`` must
    be finite, at least 0 and at most numpy's limit: callers check as numpy does)."""
    if lam >= 10:  # PTRS, Hörmann (1993)
        slam = np.sqrt(lam)
        loglam = np.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = rng.random() - 0.5
            v = rng.random()
            us = 0.5 - abs(u)
            k = np.int64(math.floor((2 * a / us + b) * u + lam + 0.43))
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b)
                    <= -lam + k * loglam - _loggam(k + 1.0)):
                return k
    if lam == 0:
        return np.int64(0)
    enlam = np.exp(-lam)  # by multiplication of uniforms
    x = np.int64(0)
    prod = 1.0
    while True:
        prod *= rng.random()
        if prod > enlam:
            x += 1
        else:
            return x


@njit(cache=True, nogil=True)
def below(rng, n):
    """One draw of ``rng.integers(0, n)`` (an int64 uniform on 0 .. n - 1) for
    ``1 <= n <= 2**32``, the same value and the same words taken from ``rng``: none when
    ``n == 1``, one 32-bit word when ``n == 2**32``, else numpy's Lemire rejection. Any
    other ``n`` raises ValueError (numpy raises for ``n < 1`` and takes 64-bit words above
    2**32)."""
    if n < 1 or n > 4294967296:
        raise ValueError("below(rng, n) needs 1 <= n <= 2**32")
    span = uint64(n - 1)  # numpy's ``rng``: high - low, inclusive
    if span == 0:
        return np.int64(0)
    bitgen = rng.bit_generator
    if span == uint64(0xFFFFFFFF):
        return np.int64(next_uint32(bitgen))
    excl = span + uint64(1)
    m = uint64(next_uint32(bitgen)) * excl
    leftover = m & uint64(0xFFFFFFFF)
    if leftover < excl:  # excl bounds the threshold: test it first, as numpy does
        threshold = (uint64(0xFFFFFFFF) - span) % excl
        while leftover < threshold:
            m = uint64(next_uint32(bitgen)) * excl
            leftover = m & uint64(0xFFFFFFFF)
    return np.int64(m >> uint64(32))


_GENERATOR = types.NumPyRandomGeneratorType("generator")
_BIT_GENERATOR = types.NumPyRandomBitGeneratorType("bit_generator")
_POINTERS: dict[int, tuple[np.random.Generator, np.ndarray]] = {}
_POINTERS_KEPT = 256  # generators whose addresses are kept (each entry keeps its generator)


def generator_pointers(rng: np.random.Generator) -> np.ndarray:
    """The addresses a kernel needs to draw from ``rng`` (``uint64[4]``: the bit generator's
    state, its ``next_uint64``, ``next_uint32`` and ``next_double``), for
    :func:`as_generator`. Read once per generator and kept here with a reference to it, so
    the addresses stay valid and an entry is never mistaken for another generator's (up to
    256 generators, then the table starts again; the array is read-only). Setting
    ``rng.bit_generator.state`` (a restore) writes into the same memory, so the addresses
    stay right; a copied generator gets its own. The array draws from ``rng``'s state: use
    it while the caller holds ``rng``."""
    hit = _POINTERS.get(id(rng))
    if hit is not None and hit[0] is rng:
        return hit[1]
    c = rng.bit_generator.ctypes
    ptrs = np.array([c.state_address,
                     ctypes.cast(c.next_uint64, ctypes.c_void_p).value,
                     ctypes.cast(c.next_uint32, ctypes.c_void_p).value,
                     ctypes.cast(c.next_double, ctypes.c_void_p).value], np.uint64)
    ptrs.flags.writeable = False
    if len(_POINTERS) >= _POINTERS_KEPT:
        _POINTERS.clear()
    _POINTERS[id(rng)] = (rng, ptrs)
    return ptrs


@intrinsic
def _generator_at(typingctx, ptrs):
    """Numba's ``Generator`` value over the addresses in ``ptrs`` (``generator_pointers``):
    the struct Numba's unboxing fills, without the Python object behind it (no parent, no
    reference count: the caller holds the generator)."""
    if not (isinstance(ptrs, types.Array) and ptrs.dtype == types.uint64 and ptrs.ndim == 1):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data

        def word(k):
            return builder.load(cgutils.gep(builder, data, k))

        bit = cgutils.create_struct_proxy(_BIT_GENERATOR)(context, builder)
        bit.parent = cgutils.get_null_value(bit.parent.type)
        bit.state_address = word(0)
        bit.state = word(0)
        bit.fnptr_next_uint64 = word(1)
        bit.fnptr_next_uint32 = word(2)
        bit.fnptr_next_double = word(3)
        bit.bit_generator = cgutils.get_null_value(bit.bit_generator.type)
        gen = cgutils.create_struct_proxy(_GENERATOR)(context, builder)
        gen.bit_generator = bit._getvalue()
        gen.meminfo = cgutils.get_null_value(gen.meminfo.type)
        gen.parent = cgutils.get_null_value(gen.parent.type)
        return gen._getvalue()

    return _GENERATOR(ptrs), codegen


def as_generator(rng):
    """Inside a kernel: ``rng`` itself if it is a ``Generator``, else the ``Generator`` over
    the addresses ``rng`` holds (``generator_pointers``)."""
    raise NotImplementedError("as_generator is for kernels (numba)")


@overload(as_generator)
def _as_generator(rng):
    if isinstance(rng, types.NumPyRandomGeneratorType):
        return lambda rng: rng
    if isinstance(rng, types.Array) and rng.dtype == types.uint64 and rng.ndim == 1:
        return lambda rng: _generator_at(rng)
    return None
