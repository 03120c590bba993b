"""The seeded default run that the regression baseline summarises.

Refresh the stored baseline after a reviewed change of behaviour::

    .venv/bin/python tests/baseline_run.py --refresh

and commit ``tests/baselines/default_156w.json`` with a CHANGELOG line saying why.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PATH = Path(__file__).resolve().parent / "baselines" / "default_156w.json"
WEEKS, SEED = 156, 2024


def summary() -> dict:
    from sim import default_scenario
    from sim.model import TocModel

    m = TocModel(default_scenario(weeks=WEEKS, seed=SEED))
    df = m.run().metrics_frame()
    tail = df.iloc[-52:]
    return {
        "weeks": WEEKS,
        "seed": SEED,
        "mean_last_52": {c: float(tail[c].mean()) for c in df.columns if c != "week"},
        "final": {c: float(df[c].iloc[-1]) for c in df.columns if c != "week"},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--refresh", action="store_true", help="rewrite the stored baseline")
    args = ap.parse_args()
    s = summary()
    if args.refresh:
        PATH.parent.mkdir(parents=True, exist_ok=True)
        PATH.write_text(json.dumps(s, indent=1, sort_keys=True) + "\n")
        print(f"wrote {PATH}")
    else:
        print(json.dumps(s["mean_last_52"], indent=1))


if __name__ == "__main__":
    main()
