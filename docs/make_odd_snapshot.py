"""Rewrite the "Baseline snapshot" column of docs/ODD.md section 8.1 from one seeded run.

The table lies between ``<!-- snapshot:start -->`` and ``<!-- snapshot:end -->``; its rows are
found by the start of their first cell (``SNAPSHOT`` below) and only their last cell is
replaced, so the other columns stay hand-written. The commit and the command go between
``<!-- snapshot-commit:start -->`` and ``<!-- snapshot-commit:end -->``.

Usage (from the repository root; a few seconds)::

    .venv/bin/python docs/make_odd_snapshot.py           # rewrite docs/ODD.md
    .venv/bin/python docs/make_odd_snapshot.py --print   # print the snapshot values only
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("NUMBA_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis import provenance  # noqa: E402

ODD = ROOT / "docs" / "ODD.md"
START, END = "<!-- snapshot:start -->", "<!-- snapshot:end -->"
C_START, C_END = "<!-- snapshot-commit:start -->", "<!-- snapshot-commit:end -->"
SEED, WEEKS, LAST = 42, 520, 52  # the run and the window (last year: weeks 468-519)


def run():
    from sim import load_scenario, run_scenario

    scn = load_scenario(ROOT / "scenarios" / "baseline.yaml", seed=SEED, weeks=WEEKS)
    model = run_scenario(scn, checks=False)
    return scn, model.metrics_frame(), model.regions_frame()


def snapshot(scn, df, reg) -> dict[str, str]:
    """Row prefix -> snapshot cell."""
    last = df.iloc[-LAST:]

    def m(col):
        return float(last[col].mean())

    members = m("criminal_members")
    us = reg[(reg.region == "United States") & (reg.week >= WEEKS - LAST)]
    demand = float(scn.world.demand_ref[0].sum())
    per_year = {k: 52 * m(k) / members * 100 for k in ("recruits", "arrests", "members_killed")}
    return {
        "20–35% of drug flow seized": f"`seizure_rate` {m('seizure_rate'):.2f}",
        "Price chain": (f"US retail ≈ {us.retail_price.mean() / 1e3:.0f}k, wholesale (consumer "
                        f"markets, weighted) ≈ {m('wholesale_price') / 1e3:.0f}k; `markup` "
                        f"{m('markup'):.0f}"),
        "Demand elasticity": f"consumption ≈ {m('consumption') / demand:.2f} × reference demand",
        "Recruitment rho": f"recruits ≈ {per_year['recruits']:.0f}%/yr of members (PC23 ≈ 11%)",
        "Incapacitation": f"arrests ≈ {per_year['arrests']:.1f}%/yr of members",
        "Killing rate": f"members killed ≈ {per_year['members_killed']:.1f}%/yr (PC23 ≈ 3.7%)",
        "Homicides per member killed": (f"members killed = "
                                        f"{100 * m('members_killed') / m('homicides'):.0f}% "
                                        "of homicides"),
        "AML touches": (f"AML seizes {100 * m('aml_seized') / m('criminal_revenue'):.4f}% of "
                        "criminal revenue"),
        "Bribes": "— (bribes are not a separate metric)",
        "Leadership removal": (f"{int(df.leader_removals.sum())} removals, "
                               f"{int(df.splits.sum())} splits in {WEEKS // 52} years"),
        "Mid-level arrests": "—",
        "Corruption tipping": (f"`corruption_rate` {m('corruption_rate'):.2f} (week 0: "
                               f"{df.corruption_rate.iloc[0]:.2f})"),
        "Route spreading": f"`route_nodes` ≈ {m('route_nodes'):.0f}",
    }


def rewrite(text: str, cells: dict[str, str], stamp: str) -> str:
    head, rest = text.split(START, 1)
    table, tail = rest.split(END, 1)
    out, used = [], set()
    for line in table.split("\n"):
        if line.startswith("| ") and not line.startswith("| Target"):
            first = line[2:].split(" | ", 1)[0]
            key = next((k for k in cells if first.startswith(k)), None)
            if key is not None:
                keep = line.rstrip().rstrip("|").rstrip()
                line = keep[: keep.rfind(" | ")] + f" | {cells[key]} |"
                used.add(key)
        out.append(line)
    missing = sorted(set(cells) - used)
    if missing:
        raise SystemExit(f"docs/ODD.md: section 8.1: no table row starts with {missing}")
    text = head + START + "\n".join(out) + END + tail
    a, rest = text.split(C_START, 1)
    _, b = rest.split(C_END, 1)
    return a + C_START + "\n" + stamp + "\n" + C_END + b


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--print", action="store_true", help="print the values, write nothing")
    args = ap.parse_args(argv)
    commit = provenance.commit()
    scn, df, reg = run()
    cells = snapshot(scn, df, reg)
    if args.print:
        for k, v in cells.items():
            print(f"{k}: {v}")
        return 0
    stamp = f"commit `{commit}`, `{provenance.command()}`."
    ODD.write_text(rewrite(ODD.read_text(), cells, stamp))
    print(f"wrote the snapshot column of {ODD.relative_to(ROOT)} (commit {commit})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
