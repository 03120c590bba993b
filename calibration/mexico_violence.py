"""Where the Mexico preset's killings come from, year by year (docs/CALIBRATION.md, the Mexico
preset: "where the fit is still off and why").

The killing law (ODD 7.8) makes a region's expected deaths ``theta / scale * L_r * sum_{o != j}
K_oj m_or m_jr (I_o + I_j) / 2``: rivals' sizes multiplied. This script runs a scenario and,
at the start of every week, splits the *rival mass* ``C K C = sum_r sum_{o < j} K_oj m_or m_jr``
into the pairs of the world's own organizations, the pairs of a fragment and the organization
it split from (rivalry ``conflict.split_rivalry``), and the other pairs that involve a fragment,
next to the number of organizations, the pairs of organizations sharing a region, the regions a
cartel holds, the lethality of firearms ``L`` (weighted by the members in each region), the
members, the members killed and the splits. Yearly means (sums for the flows), averaged over
seeds.

    .venv/bin/python -m calibration.mexico_violence scenarios/mexico.yaml --seeds 4
    .venv/bin/python -m calibration.mexico_violence scenarios/mexico.yaml --seeds 4 \\
        --set params.conflict.split_prob=0 --csv out/violence.csv

It reads the model's state and changes nothing: the runs are those of ``tocsim run`` on the
same seeds (with conservation checks off).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = ["orgs", "pairs_sharing_region", "ckc", "ckc_world_orgs", "ckc_fragment_parent",
           "ckc_fragment_other", "cartel_regions", "lethality"]


def rival_mass(members_or: np.ndarray, active: np.ndarray, rivalry: np.ndarray,
               alliance: np.ndarray, rivalry_base: float, parent: np.ndarray, n_world: int):
    """``C K C`` over unordered pairs of active organizations sharing a region, split into pairs
    of the world's organizations, fragment-parent pairs and other pairs with a fragment; and
    the number of such pairs. ``members_or`` is [organizations, regions]."""
    n = members_or.shape[0]
    m = members_or * active[:n, None]
    k = (rivalry_base + rivalry[:n, :n]) / (1.0 + alliance[:n, :n])
    world = np.arange(n) < n_world
    both_world = world[:, None] & world[None, :]
    par = parent[:n]
    idx = np.arange(n)
    fp = (par[:, None] == idx[None, :]) | (par[None, :] == idx[:, None])
    upper = np.triu(np.ones((n, n), bool), 1)
    masks = {"ckc_world_orgs": both_world & upper, "ckc_fragment_parent": fp & upper,
             "ckc_fragment_other": ~both_world & ~fp & upper}
    out = dict.fromkeys(masks, 0.0)
    pairs = 0
    for r in range(m.shape[1]):
        mr = m[:, r]
        present = mr > 0
        p = int(present.sum())
        pairs += p * (p - 1) // 2
        prod = k * np.outer(mr, mr)
        for name, mask in masks.items():
            out[name] += float(prod[mask].sum())
    out["ckc"] = sum(out[name] for name in masks)
    out["pairs_sharing_region"] = pairs
    return out


def measure(scenario) -> pd.DataFrame:
    """Weekly rival mass and its parts, with the weekly metrics, for one run of ``scenario``
    (a :class:`sim.scenario.Scenario`), the spin-up included in the model's set-up."""
    from sim.enums import OrgKind
    from sim.model import TocModel

    model = TocModel(scenario, checks=False)
    s = model.state
    c = s.pars.conflict
    n_world = len(s.world.org_names)
    states = np.asarray(s.world.population, float)
    rows = []
    for week in range(scenario.weeks):
        o = s.orgs
        n = o.n
        members_or = s.counts[:n].sum(axis=2).astype(float)
        active = np.asarray(o.active[:n], bool)
        row = rival_mass(members_or, active, o.rivalry, o.alliance, c.rivalry_base, o.parent,
                         n_world)
        row["orgs"] = int(active.sum())
        cartels = active & (np.asarray(o.kind[:n]) == OrgKind.CARTEL)
        row["cartel_regions"] = float((members_or[cartels] > 0).sum(axis=1).mean()) \
            if cartels.any() else 0.0
        lethality = 1.0 + c.arms_lethality * s.guns / states * 1000.0
        weights = members_or[active].sum(axis=0)
        row["lethality"] = float(np.average(lethality, weights=weights)) if weights.sum() else 1.0
        row["week"] = week
        rows.append(row)
        model.step()
    df = pd.DataFrame(rows)
    met = model.metrics_frame()
    for name in ("criminal_members", "members_killed", "arrests", "recruits", "splits",
                 "leader_removals"):
        df[name] = met[name].to_numpy()
    return df


def yearly(weekly: pd.DataFrame, start_year: int = 2012) -> pd.DataFrame:
    """Yearly means of the state measures, members at the year's end, sums of the flows."""
    w = weekly.assign(year=start_year + weekly["week"] // 52)
    agg = {name: "mean" for name in COLUMNS}
    agg.update(criminal_members="last", members_killed="sum", arrests="sum", recruits="sum",
               splits="sum", leader_removals="sum")
    return w.groupby("year").agg(agg)


def main(argv: list[str] | None = None) -> int:
    from sim.errors import ScenarioError
    from sim.scenario import load_scenario, parse_set

    ap = argparse.ArgumentParser(prog="python -m calibration.mexico_violence",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("--seeds", type=int, default=4, help="runs on seeds 1..N (default 4)")
    ap.add_argument("--set", action="append", metavar="PATH=VALUE", help="override, as tocsim run")
    ap.add_argument("--csv", help="write the yearly table (mean over seeds) here")
    args = ap.parse_args(argv)
    if args.seeds < 1:
        ap.error("--seeds: must be at least 1")
    try:
        overrides = parse_set(args.set)
        scenarios = [load_scenario(args.scenario, overrides=overrides, seed=seed)
                     for seed in range(1, args.seeds + 1)]
    except ScenarioError as e:
        print(e, file=sys.stderr)
        return 2
    tables = [yearly(measure(scn)) for scn in scenarios]
    mean = sum(tables) / len(tables)
    with pd.option_context("display.width", 250, "display.max_columns", 30):
        print(f"{args.scenario} {overrides or ''} mean of {len(tables)} seeds "
              "(rival mass C K C in member pairs at the tenth-size scale)")
        print(mean.round(2).to_string())
    if args.csv:
        Path(args.csv).parent.mkdir(parents=True, exist_ok=True)
        mean.to_csv(args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
