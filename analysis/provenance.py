"""Provenance: where a generated document came from (the commit, whether the tree was dirty,
the command; used by docs/make_*.py), and what a batch folder (``compare``, ``sweep``,
``sensitivity``) ran: the resolved scenarios and the overrides applied.

For documents, "dirty" means tracked or untracked files differ from the commit outside the
generated outputs themselves (the documents and figures those scripts write), so regenerating
one document after another stays clean. For batches, the engine version, fingerprint and git
commit are in the manifest's ``versions`` (:func:`analysis.runner.versions`), the overrides in
its ``inputs.overrides``.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

from sim.provenance import RESOLVED

from .store import write_atomic

ROOT = Path(__file__).resolve().parents[1]
# Files the docs scripts write: changes to them do not make the model's commit dirty.
GENERATED = ("docs/VALIDATION.md", "docs/ODD.md", "docs/SENSITIVITY.md", "docs/INTERVENTIONS.md",
             "docs/figures/")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout


def commit() -> str:
    """``git rev-parse --short HEAD``, with `` (dirty)`` when code or inputs differ from it;
    ``unknown`` outside a git checkout."""
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        changed = [line[3:] for line in _git("status", "--porcelain").splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    dirty = [p for p in changed if not p.startswith(GENERATED) and not p.startswith("out/")]
    return f"{head} (dirty)" if dirty else head


def command(argv: list[str] | None = None) -> str:
    """The command line that ran, relative to the repository root."""
    argv = sys.argv if argv is None else argv
    script = Path(argv[0])
    try:
        script = script.resolve().relative_to(ROOT)
    except ValueError:
        pass
    return " ".join([".venv/bin/python", shlex.quote(str(script))]
                    + [shlex.quote(a) for a in argv[1:]])

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
