"""Where a generated document came from: the commit, whether the tree was dirty, the command.

Used by the scripts that regenerate docs (docs/make_*.py). "dirty" means tracked or untracked
files differ from the commit outside the generated outputs themselves (the documents and
figures those scripts write), so regenerating one document after another stays clean.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

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
