"""Named random streams (common random numbers).

Every process draws from its own ``np.random.Generator`` derived from the run seed and the
process name, so adding an intervention (which gets its own stream) does not shift the draws
of unrelated processes.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = (
    "init", "shipping", "officials", "enforcement", "members", "leadership", "recruitment",
    "conflict", "spinup",
)
# processes that draw during the week (the spin-up gives each its own sub-stream)
WEEKLY = ("shipping", "officials", "enforcement", "members", "leadership", "recruitment",
          "conflict")


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator of process ``name`` for run ``seed`` (stable across versions of Python)."""
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(key,)))


def streams(seed: int, names=STREAMS) -> dict[str, np.random.Generator]:
    return {n: stream(seed, n) for n in names}


def spinup_streams(seed: int) -> dict[str, np.random.Generator]:
    """The weekly processes' generators during the spin-up before week 0 (``spinup/<name>``):
    the spin-up never shifts the draws of the reported weeks."""
    return {n: stream(seed, f"spinup/{n}") for n in WEEKLY}
