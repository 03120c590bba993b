"""The stage prices of the price-chain preset against REFERENCES' ranges (docs/CALIBRATION.md).

Runs ``scenarios/baseline.yaml`` and ``scenarios/price_chain.yaml`` (the fitted values) on the
same seeds for one year after the model's own spin-up, and prints a markdown table: per stage,
the range the fit targets (``calibration/targets/price_chain.yaml``), the mean over seeds of
each scenario's yearly mean price, its lowest and highest seed, and whether the mean is inside.

    .venv/bin/python -m calibration.price_chain_table --seeds 4
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "calibration" / "targets" / "price_chain.yaml"
SCENARIOS = {"baseline": ROOT / "scenarios" / "baseline.yaml",
             "price_chain": ROOT / "scenarios" / "price_chain.yaml"}


def stage_prices(path: Path, seeds: list[int]) -> dict[str, np.ndarray]:
    """Per target of the price-chain targets file: the yearly mean price of each seed."""
    from calibration.observe import ObservedScenario
    from calibration.targets import load_targets
    from sim.scenario import load_scenario

    targets = load_targets(TARGETS)
    scn = load_scenario(path)
    obs = ObservedScenario(scn, (), targets.region_metrics())
    out: dict[str, list[float]] = {s.name: [] for s in targets.series}
    for seed in seeds:
        frame = obs.evaluate({}, seed, targets.weeks)
        for s in targets.series:
            out[s.name].append(float(frame[s.spec.metric].to_numpy()[:52].mean()))
    return {k: np.array(v) for k, v in out.items()}


def table(seeds: list[int]) -> str:
    from calibration.targets import load_targets

    targets = load_targets(TARGETS)
    res = {name: stage_prices(p, seeds) for name, p in SCENARIOS.items()}
    lines = ["| stage (metric) | range (USD/kg) | baseline: mean [lowest, highest seed] | "
             "price_chain.yaml: mean [lowest, highest seed] | inside (baseline, fitted) |",
             "| --- | --- | --- | --- | --- |"]
    for s in targets.series:
        lo, hi = float(s.lows[0]), float(s.highs[0])
        cells, inside = [], []
        for name in SCENARIOS:
            x = res[name][s.name]
            cells.append(f"{x.mean():,.0f} [{x.min():,.0f}, {x.max():,.0f}]")
            inside.append("yes" if lo <= x.mean() <= hi else "**no**")
        lines.append(f"| {s.name} (`{s.spec.metric}`) | {lo:,.0f}-{hi:,.0f} | {cells[0]} | "
                     f"{cells[1]} | {', '.join(inside)} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=4, help="seeds per scenario (1, 2, ...)")
    a = p.parse_args(argv)
    print(table(list(range(1, a.seeds + 1))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
