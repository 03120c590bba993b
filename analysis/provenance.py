"""Provenance of a batch folder (``compare``, ``sweep``, ``sensitivity``): the resolved
scenarios it ran and the overrides applied. The engine version, fingerprint and git commit are
in the manifest's ``versions`` (:func:`analysis.runner.versions`), the overrides in its
``inputs.overrides``."""

from __future__ import annotations

import re
from pathlib import Path

from sim.provenance import RESOLVED

from .store import write_atomic


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label)[:60] or "scenario"


def write_resolved(out: str | Path, scenarios: dict, per_label: bool = False) -> list[Path]:
    """Write each scenario's ``resolved_yaml()`` into ``out``: ``scenario.resolved.yaml``
    for a batch of one scenario, ``scenarios/<label>.resolved.yaml`` for several
    (``per_label``). Objects without ``resolved_yaml`` (test models) are skipped."""
    out = Path(out)
    written = []
    for label, scn in scenarios.items():
        if not hasattr(scn, "resolved_yaml"):
            continue
        path = out / "scenarios" / f"{_slug(label)}.resolved.yaml" if per_label else out / RESOLVED
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, scn.resolved_yaml().encode())
        written.append(path)
    return written
