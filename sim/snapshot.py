"""Exact snapshots of a running model.

A snapshot is a model (or its :class:`~sim.state.State` alone, or any bundle of them) pickled.
The state is the whole simulation: every agent array, the organizations, the levers and
their base values, each process's random generator (its bit-generator state), the
interventions with their own state and generators, the weekly metrics so far, and the changes
made while it ran (``live_changes``). Restoring it and running on gives the same outputs,
byte for byte, as never having stopped (``tests/test_training.py`` checks this).

Snapshots are for continuing the same code: they are not an archive format across versions of
tocsim, numpy or Python (the header records the versions, and :func:`loads` refuses a snapshot
written by another version of tocsim).
"""

from __future__ import annotations

import pickle
import zlib
from pathlib import Path

from .errors import ScenarioError

MAGIC = b"tocsim-snapshot/1\n"


def _header() -> bytes:
    import numpy as np

    from . import __version__

    return f"tocsim={__version__} numpy={np.__version__}\n".encode()


def dumps(obj) -> bytes:
    """The snapshot of ``obj`` (a model, or any picklable bundle of models) as bytes: the
    magic line, a header line (versions, then the body's length and CRC-32, so that a file
    cut short or damaged is named as such), the pickled body."""
    body = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    check = f" bytes={len(body)} crc32={zlib.crc32(body):08x}\n".encode()
    return MAGIC + _header().rstrip(b"\n") + check + body


def loads(data: bytes, label: str = "<snapshot>"):
    """Restore what :func:`dumps` saved. A snapshot of another tocsim version, cut short,
    damaged or otherwise unreadable raises :class:`~sim.errors.ScenarioError` naming
    ``label`` (snapshots from before the length and checksum were recorded load as before)."""
    if not data.startswith(MAGIC):
        raise ScenarioError(f"{label}: not a tocsim snapshot")
    rest = data[len(MAGIC):]
    header, _, body = rest.partition(b"\n")
    want = _header().rstrip(b"\n")
    fields = header.split(b" ")
    if fields[0] != want.split(b" ")[0]:
        raise ScenarioError(f"{label}: snapshot written by {header.decode(errors='replace')}, "
                            f"this is {want.decode()}")
    info = dict(f.decode(errors="replace").partition("=")[::2] for f in fields[1:])
    if "bytes" in info and info["bytes"] != str(len(body)):
        raise ScenarioError(f"{label}: snapshot cut short or padded ({len(body):,} bytes of "
                            f"{info['bytes']}): the file is damaged")
    if "crc32" in info and info["crc32"] != f"{zlib.crc32(body):08x}":
        raise ScenarioError(f"{label}: snapshot damaged (its checksum does not match)")
    try:
        return pickle.loads(body)
    except Exception as exc:  # noqa: BLE001 - any unreadable body is a damaged file
        raise ScenarioError(f"{label}: snapshot cannot be read ({type(exc).__name__}: "
                            f"{str(exc)[:120]})") from None


def save(obj, path: str | Path) -> Path:
    """Write the snapshot of ``obj`` to ``path`` atomically (a temporary file in the same
    folder, flushed to disk, then renamed): the file is the old one or the new one, never
    half written."""
    path = Path(path)
    data = dumps(obj)
    from .output import write_atomic

    write_atomic(path, data)
    return path


def load(path: str | Path):
    """Restore the snapshot saved at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"{path}: snapshot not found")
    return loads(path.read_bytes(), str(path))


# Mesa's own bookkeeping on the model (event lists, weak references, bound methods): pickled
# and restored with the model, but not byte-stable between two processes' objects, and no part
# of the simulation's state (tocsim does not use Mesa's scheduler or agents).
_MESA_BOOKKEEPING = ("_default_schedule", "_event_generators", "_event_list", "_scenario",
                     "_user_step", "step", "_simulator", "_batch_context", "subscribers",
                     "data_registry", "_agents_by_type", "_all_agents",
                     # wall-clock measurements, not simulation state
                     "spinup_seconds")


def state_digest(model) -> str:
    """SHA-256 of the model's whole simulation state (its :class:`~sim.state.State`, or a
    state given directly), by value: every attribute in name order
    (arrays by dtype, shape and bytes; random generators by their bit-generator state;
    organizations, interventions and other objects by their attributes, recursively),
    leaving out Mesa's bookkeeping; the scenario and world count by ``Scenario.hash``. Two
    models with equal digests continue identically. (Pickles are not compared: they depend
    on object identity, e.g. which equal strings are one object, not only on values.)"""
    import hashlib

    h = hashlib.sha256()
    state = getattr(model, "state", model)  # a TocModel's simulation lives on its State
    for name in sorted(vars(state)):
        if name in _MESA_BOOKKEEPING:
            continue
        h.update(name.encode())
        value = state.config.hash if name in ("config", "world") else getattr(state, name)
        _feed(h, value, set())
    return h.hexdigest()


def _feed(h, x, seen: set) -> None:
    """Add a canonical encoding of ``x`` to the hash ``h``."""
    import numpy as np

    if x is None or isinstance(x, bool | int | float | complex | str | bytes):
        h.update(f"{type(x).__name__}:{x!r};".encode())
    elif isinstance(x, np.ndarray):
        h.update(f"nd:{x.dtype.str}:{x.shape};".encode())
        h.update(np.ascontiguousarray(x).tobytes())
    elif isinstance(x, np.generic):
        h.update(f"np:{x.dtype.str}:{x!r};".encode())
    elif isinstance(x, np.random.Generator):
        _feed(h, x.bit_generator.state, seen)
    elif isinstance(x, dict):
        h.update(f"dict:{len(x)}{{".encode())
        for k in sorted(x, key=repr):
            _feed(h, k, seen)
            _feed(h, x[k], seen)
        h.update(b"}")
    elif isinstance(x, list | tuple):
        h.update(f"{type(x).__name__}:{len(x)}[".encode())
        for v in x:
            _feed(h, v, seen)
        h.update(b"]")
    elif isinstance(x, set | frozenset):
        _feed(h, sorted(x, key=repr), seen)
    elif hasattr(x, "__dict__") and not callable(x):
        if id(x) in seen:
            h.update(b"<cycle>")
            return
        seen.add(id(x))
        h.update(f"obj:{type(x).__qualname__}(".encode())
        _feed(h, {k: v for k, v in vars(x).items()}, seen)
        h.update(b")")
    else:  # functions, modules, classes: by name
        h.update(f"other:{type(x).__qualname__}:{getattr(x, '__qualname__', '')};".encode())
