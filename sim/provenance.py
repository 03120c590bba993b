"""Where a result comes from: the engine's version and fingerprint, the git commit of the
source tree, and the overrides applied to a scenario.

Every output folder (``run``, ``compare``, ``sweep``, ``sensitivity``) records
:func:`provenance` in its ``summary.json`` or ``manifest.json`` and holds the resolved scenario
(``scenario.resolved.yaml``, see :meth:`sim.scenario.Scenario.resolved_yaml`), so a result can
be traced to the exact model and inputs that made it.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from pathlib import Path
from typing import Any

RESOLVED = "scenario.resolved.yaml"


@functools.cache
def engine_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the engine's source and data files: a run is reproducible
    only with the same engine, whatever its version number says."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    files = sorted(p for pat in ("*.py", "data/*.yaml") for p in root.rglob(pat)
                   if "__pycache__" not in p.parts)
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


@functools.cache
def git_commit(root: str | Path | None = None) -> str:
    """The short hash of the source tree's commit, with ``+dirty`` when tracked files have
    uncommitted changes; ``unknown`` outside a git checkout of tocsim (an installed package,
    or a folder inside some other repository) or without git. ``root``: the checkout's top
    folder (default: the one holding this package)."""
    root = Path(root) if root is not None else Path(__file__).resolve().parent.parent

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10)

    try:
        found = git("rev-parse", "--show-toplevel", "--short", "HEAD")  # one git, not two
        lines = found.stdout.split("\n")
        if found.returncode != 0 or len(lines) < 2 or not lines[1].strip() \
                or Path(lines[0].strip()).resolve() != root.resolve():
            return "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = lines[1].strip()
    return commit + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")


def provenance(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """What an output folder records about its origin: the overrides applied (dotted path:
    value), the tocsim version, the engine fingerprint and the git commit."""
    from . import __version__

    return {"overrides": dict(overrides or {}), "tocsim_version": __version__,
            "engine": engine_fingerprint(), "git_commit": git_commit()}


def version_line() -> str:
    """``tocsim 0.1.0 (engine 1a2b..., git abc1234)``: what ``tocsim --version`` prints."""
    from . import __version__

    return f"tocsim {__version__} (engine {engine_fingerprint()}, git {git_commit()})"


def write_resolved(scn, path: Path) -> Path:
    """Write ``scn.resolved_yaml()`` to ``path`` (folders created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scn.resolved_yaml(), encoding="utf-8")
    return path
