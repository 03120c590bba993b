"""Route displacement on the Central America network: where does the flow go when the most
used corridors are cracked down on?

``tocsim compare`` reports the weekly national metrics (flow, seizures, transit regions used);
the corridors are not among them, so this script runs the same paired replicates (the seeds
``tocsim compare`` gives replicate ``r``: :func:`analysis.runner.replicate_seeds` of the
baseline's seed) and records every corridor's weekly flow (kg entering it, both directions)::

    .venv/bin/python -m calibration.central_america_displacement --rank      # top corridors
    .venv/bin/python -m calibration.central_america_displacement --replicates 8 \\
        --out out/ca-displacement      # corridors.csv, summary.csv, displacement.png

``--rank`` prints the baseline's most used corridors in its first year (how the crackdown
scenario's targets were chosen). Results are in docs/CALIBRATION.md.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from sim.enums import ROLE_CONSUMER, ROLE_SOURCE

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "central_america.yaml"
CRACKDOWN = ROOT / "scenarios" / "central_america_crackdown.yaml"


def corridor_names(world) -> list[str]:
    """``A-B`` names of the world's corridors (edges 2k and 2k+1 are corridor k)."""
    return [f"{world.region_names[world.edge_from[2 * k]]}-"
            f"{world.region_names[world.edge_to[2 * k]]}" for k in range(world.n_edges // 2)]


def corridor_flows(scn, seed: int) -> np.ndarray:
    """Weekly kg entering each corridor (both directions), ``[weeks, corridors]``."""
    from sim.model import TocModel

    scn = dataclasses.replace(scn, seed=seed, raw={**scn.raw, "seed": seed})
    m = TocModel(scn, checks=False)
    out = np.zeros((scn.weeks, m.E // 2))
    for t in range(scn.weeks):
        m.step()
        out[t] = m.edge_flow[0::2] + m.edge_flow[1::2]
    return out


def rank(replicates: int = 4, weeks: int = 52, top: int = 8) -> pd.DataFrame:
    """The baseline's most used corridors over its first ``weeks`` (mean over replicates)."""
    from analysis.runner import replicate_seeds
    from sim import load_scenario

    scn = load_scenario(BASELINE)
    flows = np.mean([corridor_flows(dataclasses.replace(scn, weeks=weeks), s)[:weeks].mean(0)
                     for s in replicate_seeds(scn.seed, replicates)], axis=0)
    names = corridor_names(scn.world)
    df = pd.DataFrame({"corridor": names, "kg_per_week": flows,
                       "share": flows / flows.sum()}).sort_values("kg_per_week",
                                                                  ascending=False)
    return df.head(top).reset_index(drop=True)


def _ci(x: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    m = float(np.mean(x))
    if len(x) < 2:
        return m, np.nan, np.nan
    h = float(stats.t.ppf(0.975, len(x) - 1) * np.std(x, ddof=1) / np.sqrt(len(x)))
    return m, m - h, m + h


def displacement(replicates: int = 8) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Paired baseline and crackdown runs. Returns per corridor the mean kg/week over the
    crackdown period in both arms, a summary of paired differences, and run info."""
    from analysis.runner import replicate_seeds
    from sim import load_scenario

    base, crack = load_scenario(BASELINE), load_scenario(CRACKDOWN)
    lever = crack.interventions[0]
    start, end = int(lever["start_week"]), int(lever.get("end_week") or crack.weeks)
    names = corridor_names(base.world)
    targeted = set()
    for c in lever["targets"]["corridors"]:
        a, _, b = c.partition("-") if isinstance(c, str) else (c["from"], "", c["to"])
        targeted |= {f"{a}-{b}", f"{b}-{a}"}
    is_t = np.array([n in targeted for n in names])
    exits = {n for n, r in zip(base.world.region_names, base.world.region_roles, strict=True)
             if r & ROLE_CONSUMER}
    seeds = replicate_seeds(base.seed, replicates)
    per_b, per_c, rows = [], [], []
    for s in seeds:
        fb = corridor_flows(base, s)[start:end].mean(0)
        fc = corridor_flows(crack, s)[start:end].mean(0)
        per_b.append(fb)
        per_c.append(fc)
        rows.append({"seed": s,
                     "targeted_b": fb[is_t].sum(), "targeted_c": fc[is_t].sum(),
                     "other_b": fb[~is_t].sum(), "other_c": fc[~is_t].sum(),
                     "share_targeted_b": fb[is_t].sum() / fb.sum(),
                     "share_targeted_c": fc[is_t].sum() / fc.sum(),
                     "used_b": int((fb > 0.01 * fb.sum() / 100).sum()),
                     "used_c": int((fc > 0.01 * fc.sum() / 100).sum())})
    pb, pc = np.array(per_b), np.array(per_c)
    corridors = pd.DataFrame({"corridor": names, "targeted": is_t,
                              "baseline_kg_week": pb.mean(0), "crackdown_kg_week": pc.mean(0),
                              "diff_kg_week": (pc - pb).mean(0)})
    corridors = corridors.sort_values("diff_kg_week").reset_index(drop=True)
    runs = pd.DataFrame(rows)
    summary = []
    for what, b, c in [
        ("flow on the targeted corridors (kg/week)", "targeted_b", "targeted_c"),
        ("flow on the other corridors (kg/week)", "other_b", "other_c"),
        ("share of corridor flow on the targeted corridors", "share_targeted_b",
         "share_targeted_c"),
        ("corridors carrying >= 0.01% of the flow", "used_b", "used_c"),
    ]:
        d, lo, hi = _ci(runs[c].to_numpy(float) - runs[b].to_numpy(float))
        summary.append({"measure": what, "baseline": runs[b].mean(), "crackdown": runs[c].mean(),
                        "diff": d, "diff_lo": lo, "diff_hi": hi, "n": len(runs)})
    info = {"start": start, "end": end, "seeds": seeds, "exits": sorted(exits),
            "budget": lever.get("budget")}
    return corridors, pd.DataFrame(summary), info


def plot(corridors: pd.DataFrame, world):
    """Corridors drawn between their regions' positions: the change in mean flow (red: less
    in the crackdown, blue: more), line width by its size; targeted corridors dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = {n: (lo, la) for n, la, lo in zip(world.region_names, world.region_lat,
                                            world.region_lon, strict=True)}
    fig, ax = plt.subplots(figsize=(9, 6.5))
    big = max(float(corridors["diff_kg_week"].abs().max()), 1e-9)
    for row in corridors.itertuples():
        a, b = _split(row.corridor, pos)
        d = row.diff_kg_week
        if abs(d) < 0.1 * big:  # small changes: a faint line, so the network stays visible
            ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]], color="0.9", lw=0.3,
                    zorder=1)
            continue
        ax.plot([pos[a][0], pos[b][0]], [pos[a][1], pos[b][1]],
                color="tab:red" if d < 0 else "tab:blue", lw=0.5 + 5 * abs(d) / big,
                ls="--" if row.targeted else "-", alpha=0.8, zorder=2)
    xs, ys = zip(*pos.values(), strict=True)
    ax.scatter(xs, ys, s=10, color="k", zorder=3)
    for i, name in enumerate(world.region_names):  # label the source and the main exit
        if world.region_roles[i] & ROLE_SOURCE or name.startswith("Mexico"):
            ax.annotate(name.split(" (")[0], pos[name], xytext=(4, 4),
                        textcoords="offset points", fontsize=8)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title("Crackdown on the most used corridors: change in mean corridor flow\n"
                 "(red: less, blue: more; dashed: targeted; width: kg/week; grey: under 10% of the "
                 "largest change)")
    ax.set_aspect("equal")
    fig.tight_layout()
    return fig


def _split(name: str, pos: dict) -> tuple[str, str]:
    """Region names of an ``A-B`` corridor name (region names may hold hyphens)."""
    for i, ch in enumerate(name):
        if ch == "-" and name[:i] in pos and name[i + 1:] in pos:
            return name[:i], name[i + 1:]
    raise ValueError(f"cannot split corridor name {name!r}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rank", action="store_true", help="print the most used corridors")
    ap.add_argument("--replicates", "-r", type=int, default=8)
    ap.add_argument("--out", default="out/ca-displacement")
    ap.add_argument("--figure", default=None, help="also save the map here (a docs figure)")
    a = ap.parse_args(argv)
    if a.rank:
        print(rank(replicates=a.replicates).to_string())
        return
    from sim import load_scenario

    corridors, summary, info = displacement(a.replicates)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    corridors.to_csv(out / "corridors.csv", index=False)
    summary.to_csv(out / "summary.csv", index=False)
    fig = plot(corridors, load_scenario(BASELINE).world)
    fig.savefig(out / "displacement.png", dpi=110)
    if a.figure:
        fig.savefig(a.figure, dpi=110)
    pd.set_option("display.width", 160)
    print(f"weeks {info['start']}-{info['end'] - 1}, {len(info['seeds'])} paired replicates")
    print(summary.to_string(index=False))
    print("largest gains:")
    print(corridors.sort_values("diff_kg_week", ascending=False).head(8).to_string(index=False))
    print("largest losses:")
    print(corridors.head(8).to_string(index=False))


if __name__ == "__main__":
    main()
