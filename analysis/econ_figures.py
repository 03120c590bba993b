"""Figures for the economic mechanisms of issue 8 (docs/ODD.md 7.4, 7.6; sanctions in 7.1).

    .venv/bin/python analysis/econ_figures.py [--seeds 10]

Prints: the baseline's stage prices (seed 42, last year of 520 weeks), overall and in the
United States; criminal wealth by year and wealth over annual revenue; the paired effect of
the border interdiction surge on import and retail prices (years 3-6, the surge's full
years; 95% CI over seeds); and the laundered-asset gap of the three sanctions scenarios by
year after designation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from sim import default_scenario, load_scenario
from sim.model import TocModel

ROOT = Path(__file__).resolve().parents[1]
STAGES = ["source_price", "export_price", "import_price", "wholesale_price", "retail_price"]


def _frame(scenario):
    return TocModel(scenario, checks=False).run().metrics_frame()


def baseline() -> None:
    m = TocModel(default_scenario(weeks=520, seed=42), checks=False)
    us = m.world.region_index("United States")
    acc = {k: [] for k in ("import", "wholesale", "retail")}
    for t in range(520):
        m.step()
        if t >= 468:
            acc["import"].append(m.import_price[0, us])
            acc["wholesale"].append(m.wholesale_price[0, us])
            acc["retail"].append(m.retail_price[0, us])
    df = m.metrics_frame()
    last = df.iloc[-52:]
    print("baseline seed 42, last year (consumption-weighted over markets):")
    for s in STAGES:
        print(f"  {s:16s} {last[s].mean():10,.0f} USD/kg")
    print("  United States: " + ", ".join(f"{k} {np.mean(v):,.0f}" for k, v in acc.items()))
    print("year  criminal_wealth(bn USD, end)  wealth/annual revenue")
    for y in range(10):
        yr = df.iloc[52 * y: 52 * (y + 1)]
        w = yr.criminal_wealth.iloc[-1]
        print(f"  {y + 1:2d}  {w / 1e9:8.2f}  {w / (52 * yr.criminal_revenue.mean()):6.2f}")


def _ci(x):
    x = np.asarray(x)
    se = x.std(ddof=1) / np.sqrt(x.size)
    lo, hi = 100 * (x.mean() - 1.96 * se), 100 * (x.mean() + 1.96 * se)
    return f"{100 * x.mean():+.1f}% [{lo:+.1f}, {hi:+.1f}]"


def interdiction(seeds) -> None:
    di, dr, dg = [], [], []
    w = slice(156, 364)
    for s in seeds:
        b = _frame(load_scenario(ROOT / "scenarios/baseline.yaml", seed=s))
        a = _frame(load_scenario(ROOT / "scenarios/interdiction_border_surge.yaml", seed=s))
        pi = a.import_price[w].mean() / b.import_price[w].mean() - 1
        pr = a.retail_price[w].mean() / b.retail_price[w].mean() - 1
        di.append(pi)
        dr.append(pr)
        dg.append(pi - pr)
    print(f"interdiction surge vs baseline, weeks 156-363, {len(seeds)} paired seeds (95% CI):")
    print(f"  import price {_ci(di)}; retail price {_ci(dr)}; difference {_ci(dg)}")


def sanctions(seeds) -> None:
    runs = {}
    for name in ("baseline", "sanctions", "sanctions_no_evasion", "sanctions_renewed"):
        path = ROOT / f"scenarios/{name}.yaml"
        runs[name] = [_frame(load_scenario(path, seed=s)).laundered_assets.to_numpy()
                      for s in seeds]
    b = np.array(runs["baseline"])
    print("laundered-asset gap to baseline by year after designation (week 104), mean over seeds:")
    for name in ("sanctions", "sanctions_no_evasion", "sanctions_renewed"):
        gap = np.array(runs[name]) / b - 1
        yrs = [gap[:, 104 + 52 * k: 156 + 52 * k].mean() for k in range(4)]
        print(f"  {name:22s} " + " ".join(f"y{k + 1} {100 * g:+.0f}%" for k, g in enumerate(yrs)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    args = ap.parse_args()
    seeds = list(range(1, args.seeds + 1))
    baseline()
    interdiction(seeds)
    sanctions(seeds[: max(2, args.seeds // 2)])


if __name__ == "__main__":
    main()
