"""Regenerate docs/figures/web/*.png (the web app's pages, for docs/WEB.md) by running the
browser test that plays the mini exercise, with its screenshots sent there.

Needs Debian's chromium and the playwright package. Run from the repository root:
``python docs/make_web_figures.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures" / "web"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TOCSIM_WEB_FIGURES": str(OUT), "CI": "true",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    rc = subprocess.call([sys.executable, "-m", "pytest", "-q", "-x",
                          "tests/web/test_web_browser.py", "-k", "two_teams"], cwd=ROOT, env=env)
    if rc == 0:
        print("\n".join(str(p.relative_to(ROOT)) for p in sorted(OUT.glob("*.png"))))
    return rc


if __name__ == "__main__":
    sys.exit(main())
