"""Memory needed by a run, estimated before it starts, against the memory the machine has.

The estimate is approximate (it errs high by 10 to 25% against the measured peak on the
default world at scales 1, 20 and 100, see docs/RELIABILITY.md): it counts the member arrays at
their initial capacity (twice the initial members; a run whose recruitment more than doubles
the organizations needs more), the officials, the organization-by-region work arrays, and
the weekly metrics with the tables written at the end. A run asking for more than the
machine has available is refused with a one-line error (``tocsim run --force`` runs it
anyway).
"""

from __future__ import annotations

import os
from pathlib import Path

from .agents import TIE_SLOTS
from .enums import N_OFFICIAL_TYPES, N_ROLES
from .errors import ScenarioError

# bytes per member slot: status, role (int8), org, region, joined, release, ties (int32),
# the jail heap (int64)
MEMBER_SLOT_BYTES = 1 + 1 + 4 + 4 + 4 + 4 + 4 * TIE_SLOTS + 8
OFFICIAL_BYTES = 4 + 1 + 8 + 8 + 4 + 16  # region, type, integrity, salary, patron, temporaries
BASE_BYTES = 300 * 2**20  # the interpreter, numpy, numba and pandas themselves


def estimate_bytes(scenario) -> int:
    """Approximate peak resident memory of running ``scenario`` (bytes)."""
    w = scenario.world
    members = int(w.org_members.sum())
    slots = max(2 * members, 1024)
    member_b = slots * MEMBER_SLOT_BYTES
    officials_b = int(w.officials.sum()) * OFFICIAL_BYTES
    O0 = len(w.org_names)
    O = max(2 * O0, O0 + 32)
    R, E, C = w.n_regions, w.n_edges, len(w.commodity_names)
    A = len(w.agency_names)
    work_b = 8 * (O * R * N_ROLES * 6 + O * C * R * 4 + O * O * 2 + O * E * 2
                  + O * N_OFFICIAL_TYPES * R + A * O * 3 + O * 64)
    weeks = scenario.weeks
    cols = 40 + 4 * C
    metrics_b = 8 * weeks * (cols + R * 7) * 4  # arrays, then the data frames and CSV text
    return BASE_BYTES + member_b + officials_b + work_b + metrics_b


def available_bytes() -> int | None:
    """Memory available to this process: MemAvailable, or a smaller cgroup limit; None when
    it cannot be read (then nothing is refused)."""
    avail = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                avail = int(line.split()[1]) * 1024
                break
    except (OSError, ValueError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = None
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            limit = int(text)
            try:
                usage_file = Path(limit_file).with_name(
                    "memory.current" if limit_file.endswith("max") else "memory.usage_in_bytes")
                limit -= int(usage_file.read_text().strip())
            except (OSError, ValueError):
                pass
            avail = limit if avail is None else min(avail, limit)
        break
    return avail


def check_memory(scenario, label: str | None = None, force: bool = False) -> int:
    """Refuse (``ScenarioError``) a run whose estimate exceeds the available memory unless
    ``force``; return the estimate in bytes."""
    need = estimate_bytes(scenario)
    have = available_bytes()
    if not force and have is not None and need > have:
        label = label or scenario.source
        raise ScenarioError(
            f"{label}: this run needs about {need / 2**30:.1f} GiB of memory "
            f"({int(scenario.world.org_members.sum()):,} members at scale "
            f"{scenario.world.extra.get('scale', 1.0):g}), the machine has "
            f"{have / 2**30:.1f} GiB available; lower scale or use --force to run anyway")
    return need
