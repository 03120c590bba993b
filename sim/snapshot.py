"""Exact snapshots of a running model.

A snapshot is the whole model pickled: every agent array, the organizations, the levers and
their base values, each process's random generator (its bit-generator state), the
interventions with their own state and generators, the weekly metrics so far, and the changes
made while it ran (``model.live_changes``). Restoring it and running on gives the same outputs,
byte for byte, as never having stopped (``tests/test_training.py`` checks this).

Snapshots are for continuing the same code: they are not an archive format across versions of
tocsim, numpy or Python (the header records the versions, and :func:`loads` refuses a snapshot
written by another version of tocsim).
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path

from .errors import ScenarioError

MAGIC = b"tocsim-snapshot/1\n"


def _header() -> bytes:
    import numpy as np

    from . import __version__

    return f"tocsim={__version__} numpy={np.__version__}\n".encode()


def dumps(obj) -> bytes:
    """The snapshot of ``obj`` (a model, or any picklable bundle of models) as bytes."""
    return MAGIC + _header() + pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def loads(data: bytes, label: str = "<snapshot>"):
    """Restore what :func:`dumps` saved."""
    if not data.startswith(MAGIC):
        raise ScenarioError(f"{label}: not a tocsim snapshot")
    rest = data[len(MAGIC):]
    header, _, body = rest.partition(b"\n")
    want = _header().rstrip(b"\n")
    if header.split(b" ")[0] != want.split(b" ")[0]:
        raise ScenarioError(f"{label}: snapshot written by {header.decode()}, this is "
                            f"{want.decode()}")
    return pickle.loads(body)


def save(obj, path: str | Path) -> Path:
    """Write the snapshot of ``obj`` to ``path`` atomically (a temporary file in the same
    folder, flushed to disk, then renamed): the file is the old one or the new one, never
    half written."""
    path = Path(path)
    data = dumps(obj)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
                     "data_registry", "_agents_by_type", "_all_agents")


def state_digest(model) -> str:
    """SHA-256 of the model's whole simulation state: every attribute's pickle, in name order
    (arrays, organizations, generator states, interventions, metrics), leaving out Mesa's
    bookkeeping; the scenario and world count by their hash (``Scenario.hash``). Two models
    with equal digests continue identically."""
    import hashlib

    h = hashlib.sha256()
    for name in sorted(vars(model)):
        if name in _MESA_BOOKKEEPING:
            continue
        h.update(name.encode())
        value = getattr(model, name)
        if name in ("config", "world"):  # immutable inputs: compared by value (pydantic's
            value = model.config.hash     # pickles are not byte-stable across a round trip)
        h.update(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return h.hexdigest()
