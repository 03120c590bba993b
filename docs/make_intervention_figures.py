"""Seeded replicate runs of the lever scenarios for docs/INTERVENTIONS.md: tables and figures.

Every scenario in ``SCENARIOS`` (the files in scenarios/, plus a few variants that isolate a
side effect) runs ``--reps`` replicates; replicate r uses seed r in every scenario, so each
scenario is compared with ``scenarios/baseline.yaml`` run on the same seed (paired replicates,
common random numbers). For each outcome the script reports the baseline mean and the mean
paired difference with a 95% confidence interval (t distribution, reps - 1 degrees of
freedom) over a window of weeks; it prints markdown tables to paste into the document and
writes PNG figures to docs/figures/.

Usage (from the repository root; a few minutes on two cores)::

    .venv/bin/python docs/make_intervention_figures.py               # 5 reps x 520 weeks
    .venv/bin/python docs/make_intervention_figures.py --reps 3 --weeks 260 --workers 2

Runs are cached as pickles under ``--cache``/KEY (default out/levers/, ignored by git; one
folder per engine fingerprint and scenario files, so a change never reuses stale runs).
``--write`` puts the printed tables into docs/INTERVENTIONS.md (between ``<!-- runs:start -->`` and
``<!-- runs:end -->``) and stamps its version block with the commit. The per-week recorder
reads model state the frames do not hold (organizations' laundered assets, access, roles).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import pickle
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

os.environ.setdefault("NUMBA_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
FIGS = ROOT / "docs" / "figures"
DOC = ROOT / "docs" / "INTERVENTIONS.md"
SCN = ROOT / "scenarios"

# name -> (scenario file, dotted overrides); variants isolate one mechanism
SCENARIOS: dict[str, tuple[str, dict]] = {
    "baseline": ("baseline.yaml", {}),
    "interdiction_border_surge": ("interdiction_border_surge.yaml", {}),
    "kingpin": ("kingpin.yaml", {}),
    "mid_level": ("mid_level.yaml", {}),
    "network": ("network.yaml", {}),
    "sanctions": ("sanctions.yaml", {}),
    "sanctions_no_evasion": ("sanctions_no_evasion.yaml", {}),
    "sanctions_renewed": ("sanctions_renewed.yaml", {}),
    "anti_money_laundering": ("anti_money_laundering.yaml", {}),
    "capacity_building": ("capacity_building.yaml", {}),
    "anti_corruption": ("anti_corruption.yaml", {}),
    "demand_reduction": ("demand_reduction.yaml", {}),
    "recruitment_prevention": ("recruitment_prevention.yaml", {}),
    "information_sharing": ("information_sharing.yaml", {}),
    "whole_of_government": ("whole_of_government.yaml", {}),
    "prevention": ("prevention_vs_incapacitation_prevention.yaml", {}),
    "incapacitation": ("prevention_vs_incapacitation_incapacitation.yaml", {}),
    # variants (not files): a binding access cut, with and without evasion
    "sanctions_cut98": ("sanctions.yaml", {"interventions.designation.access_cut": 0.98}),
    "sanctions_cut98_no_evasion": ("sanctions_no_evasion.yaml",
                                   {"interventions.designation.access_cut": 0.98}),
    # incapacitation funded for years 2-5 only: do members come back after arrests stop?
    "incapacitation_stop": ("prevention_vs_incapacitation_incapacitation.yaml",
                            {"interventions.incapacitation.end_week": 259}),
}

T95 = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365, 9: 2.306,
       10: 2.262}  # t quantiles (0.975) by number of replicates


# ----------------------------------------------------------------------------- runs
def _run(job):
    """Run one scenario replicate week by week, recording what the frames do not hold."""
    name, seed, weeks, cache = job
    out = Path(cache) / f"{name}_{seed}_{weeks}.pkl"
    if out.exists():
        return str(out)
    from sim import load_scenario
    from sim.model import TocModel

    path, over = SCENARIOS[name]
    scn = load_scenario(SCN / path, seed=seed, weeks=weeks)
    if over:
        scn = scn.with_overrides(over)
    m = TocModel(scn, checks=False)
    o0 = m.orgs.n
    n_init = m.members.n
    rec = {k: [] for k in ("laundered", "access", "roles", "nmem", "intel_gap", "intel_mean")}
    for _ in range(weeks):
        m.step()
        act = m.orgs.active
        intel = m.orgs.intel[:, act]
        rec["laundered"].append(m.orgs.laundered[:o0].copy())
        rec["access"].append(m.launder_access[:o0].copy())
        rec["roles"].append(m.counts.sum(axis=(0, 1)).copy())
        rec["nmem"].append(m.members.n)
        gap = (intel.max(axis=0)[None, :] - intel).mean() if intel.size else 0.0
        rec["intel_gap"].append(float(gap))
        rec["intel_mean"].append(float(intel.mean()) if intel.size else 0.0)
    res = {k: np.array(v) for k, v in rec.items()}
    designated = np.zeros(o0, bool)
    for iv in m.interventions:
        sub = getattr(iv, "sanctions", iv)  # threat mitigation holds a sanctions part
        if hasattr(sub, "designated"):
            designated |= sub.designated[:o0]
    res.update(
        metrics=m.metrics_frame(), regions=m.regions_frame(), designated=designated,
        org_names=list(m.orgs.names), n_init=n_init,
        recruit_region=m.members.region[n_init:m.members.n].copy(),
        region_names=list(m.world.region_names),
        history=[h for iv in m.interventions for h in getattr(iv, "history", [])],
    )
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(res, f)
    tmp.replace(out)
    return str(out)


def run_all(names, reps, weeks, workers, cache):
    Path(cache).mkdir(parents=True, exist_ok=True)
    jobs = [(n, s, weeks, cache) for n in names for s in range(reps)]
    with ProcessPoolExecutor(max_workers=workers) as ex:
        paths = list(ex.map(_run, jobs))
    runs: dict[str, list[dict]] = {n: [] for n in names}
    for (n, _s, _w, _c), p in zip(jobs, paths, strict=True):
        with open(p, "rb") as f:
            runs[n].append(pickle.load(f))
    return runs


# ----------------------------------------------------------------------------- outcomes
# An outcome is f(run, ref) -> weekly series; ``ref`` is the arm's replicate paired with
# ``run`` (the same run for the arm itself), so that an outcome can depend on what the arm did.
def weekly(column):
    return lambda r, ref=None: r["metrics"][column].to_numpy()


def series(key):
    return lambda r, ref=None: np.asarray(r[key])


def regional(column, regions, how="sum"):
    def f(r, ref=None):
        rf = r["regions"]
        x = rf[rf.region.isin(regions)].groupby("week")[column]
        return (x.sum() if how == "sum" else x.mean()).to_numpy()
    return f


def designated_laundered(r, ref=None):
    """Laundered assets of the organizations the paired arm replicate designated."""
    mask = (ref if ref is not None else r)["designated"]
    return r["laundered"][:, mask].sum(axis=1)


def cumulative(column):
    return lambda r, ref=None: np.cumsum(r["metrics"][column].to_numpy())


def recruits_in(regions):
    """Recruits per week landing in ``regions`` (members are numbered in order of joining)."""
    def f(r, ref=None):
        ids = [r["region_names"].index(x) for x in regions]
        inside = np.isin(r["recruit_region"], ids)
        edges = np.concatenate([[r["n_init"]], r["nmem"]]) - r["n_init"]
        cum = np.concatenate([[0], np.cumsum(inside)])
        return np.diff(cum[np.clip(edges, 0, inside.size)])
    return f


def paired(runs, arm, outcome, window, base="baseline"):
    """Baseline mean, mean paired difference and its 95% CI half-width over ``window``."""
    a0, a1 = window
    ys = [outcome(r, r)[a0:a1].mean() for r in runs[arm]]
    bs = [outcome(b, r)[a0:a1].mean() for b, r in zip(runs[base], runs[arm], strict=True)]
    d = np.array(ys) - np.array(bs)
    n = d.size
    half = T95.get(n, 1.96) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return float(np.mean(bs)), float(d.mean()), float(half), float(d.std(ddof=1) / np.sqrt(n))


def fmt(x):
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 1e9:
        return f"{x / 1e9:.3g}e9"
    if ax >= 1e6:
        return f"{x / 1e6:.3g}e6"
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 1:
        return f"{x:.3g}"
    return f"{x:.3g}"


def row(label, runs, arm, outcome, window, base="baseline"):
    b, d, h, se = paired(runs, arm, outcome, window, base)
    rel = f"{100 * d / b:+.1f}%" if b else "n/a"
    sig = "" if not np.isfinite(h) or abs(d) <= h else " *"
    win = f"{window[0]}-{window[1] - 1}"
    return f"| {label} | {win} | {fmt(b)} | {fmt(d)} ± {fmt(h)}{sig} | {fmt(se)} | {rel} |"


# ----------------------------------------------------------------------------- tables
def tables(runs, weeks):
    last = (weeks - 52, weeks)
    ca = ["Guatemala", "Honduras", "El Salvador"]
    mnt = ["Mexico"] + ca
    r0 = runs["baseline"][0]
    transit = sorted(set(r0["region_names"]) & {
        "Colombia", "Ecuador", "Venezuela", "Brazil", "Panama", "Costa Rica", "Nicaragua",
        "Honduras", "El Salvador", "Guatemala", "Mexico", "Caribbean"})
    others = sorted(set(r0["region_names"]) - set(transit))
    surge = (312, 364)  # last year of the border surge (funded weeks 104-364)
    cb_on = (260, 312)  # last funded year of capacity building (weeks 104-312)
    print("\n### Direct effects (paired differences, 95% CI; * = CI excludes 0)\n")
    print("| scenario: outcome | weeks | baseline | difference ± 95% CI | SE | relative |")
    print("|---|---|---|---|---|---|")
    run_on = (104, weeks)
    first2 = (104, 208)  # the first two years of a lever started in week 104
    sv = "interdiction_border_surge"
    direct = [
        (sv, "seizures in the United States, kg/week", regional("seizures", ["United States"]),
         (104, 130)),
        (sv, "seizures in the United States, kg/week", regional("seizures", ["United States"]),
         surge),
        (sv, "seizure_rate", weekly("seizure_rate"), surge),
        (sv, "drug volume through Mexico, kg/week", regional("drug_volume", ["Mexico"]), surge),
        (sv, "drug volume through the Caribbean", regional("drug_volume", ["Caribbean"]), surge),
        (sv, "retail_price, USD/kg", weekly("retail_price"), (104, 130)),
        (sv, "retail_price, USD/kg", weekly("retail_price"), surge),
        (sv, "consumption, kg/week", weekly("consumption"), surge),
        (sv, "criminal_revenue, USD/week", weekly("criminal_revenue"), surge),
        (sv, "retail_price, USD/kg (after the surge)", weekly("retail_price"), last),
        ("kingpin", "leader_removals per week", weekly("leader_removals"), run_on),
        ("kingpin", "cases_matured per week", weekly("cases_matured"), run_on),
        ("kingpin", "splits per week", weekly("splits"), run_on),
        ("kingpin", "homicides per week", weekly("homicides"), first2),
        ("kingpin", "homicides per week", weekly("homicides"), run_on),
        ("kingpin", "active_cartels", weekly("active_cartels"), last),
        ("kingpin", "case_assets_seized, USD/week", weekly("case_assets_seized"), run_on),
        ("mid_level", "arrests per week", weekly("arrests"), run_on),
        ("mid_level", "homicides per week", weekly("homicides"), first2),
        ("network", "arrests per week", weekly("arrests"), run_on),
        ("network", "criminal_members", weekly("criminal_members"), last),
        ("network", "incarcerated", weekly("incarcerated"), last),
        ("mid_level", "incarcerated", weekly("incarcerated"), last),
        ("sanctions", "frozen_assets, USD", weekly("frozen_assets"), last),
        ("sanctions", "laundered assets of the designated, USD", designated_laundered, first2),
        ("sanctions", "laundered assets of the designated, USD", designated_laundered, last),
        ("sanctions", "corruption_rate", weekly("corruption_rate"), last),
        ("sanctions_no_evasion", "laundered assets of the designated, USD",
         designated_laundered, last),
        ("sanctions_renewed", "laundered assets of the designated, USD",
         designated_laundered, last),
        ("sanctions_cut98", "laundered assets of the designated, USD", designated_laundered, last),
        ("sanctions_cut98_no_evasion", "laundered assets of the designated, USD",
         designated_laundered, last),
        ("anti_money_laundering", "aml_seized, USD/week", weekly("aml_seized"), run_on),
        ("anti_money_laundering", "aml_seized, USD/week", weekly("aml_seized"), last),
        ("anti_money_laundering", "laundered_assets, USD", weekly("laundered_assets"), last),
        ("anti_money_laundering", "laundered_assets, USD", weekly("laundered_assets"), run_on),
        ("capacity_building", "corruption rate in targets", regional("corruption_rate", ca, "mean"),
         cb_on),
        ("capacity_building", "corruption rate in targets (1-2 years after withdrawal)",
         regional("corruption_rate", ca, "mean"), (364, 416)),
        ("capacity_building", "corruption rate in targets (after withdrawal)",
         regional("corruption_rate", ca, "mean"), last),
        ("capacity_building", "seizures in targets, kg/week", regional("seizures", ca), cb_on),
        ("capacity_building", "drug volume in targets, kg/week", regional("drug_volume", ca),
         cb_on),
        ("capacity_building", "arrests per week", weekly("arrests"), cb_on),
        ("anti_corruption", "corruption rate in transit regions",
         regional("corruption_rate", transit, "mean"), last),
        ("anti_corruption", "officials_caught per week", weekly("officials_caught"), run_on),
        ("anti_corruption", "corruption rate in transit regions",
         regional("corruption_rate", transit, "mean"), run_on),
        ("anti_corruption", "corruption rate outside transit regions",
         regional("corruption_rate", others, "mean"), last),
        ("demand_reduction", "consumption, kg/week", weekly("consumption"), run_on),
        ("demand_reduction", "consumption, kg/week", weekly("consumption"), last),
        ("demand_reduction", "retail_price, USD/kg", weekly("retail_price"), run_on),
        ("demand_reduction", "criminal_revenue, USD/week", weekly("criminal_revenue"), run_on),
        ("recruitment_prevention", "recruits per week in Mexico and the Northern Triangle",
         recruits_in(mnt), first2),
        ("recruitment_prevention", "recruits per week in Mexico and the Northern Triangle",
         recruits_in(mnt), last),
        ("recruitment_prevention", "recruits per week, all regions", weekly("recruits"), last),
        ("recruitment_prevention", "criminal_members", weekly("criminal_members"), last),
        ("information_sharing", "intelligence gap to the best-informed agency",
         series("intel_gap"), last),
        ("information_sharing", "cases_matured per week", weekly("cases_matured"), run_on),
        ("whole_of_government", "intervention_cost, USD/week", weekly("intervention_cost"), last),
        ("whole_of_government", "leader_removals per week", weekly("leader_removals"), run_on),
        ("whole_of_government", "frozen_assets, USD", weekly("frozen_assets"), last),
        ("prevention", "criminal_members", weekly("criminal_members"), last),
        ("prevention", "homicides per week", weekly("homicides"), run_on),
        ("incapacitation", "criminal_members", weekly("criminal_members"), last),
        ("incapacitation", "homicides per week", weekly("homicides"), run_on),
        ("incapacitation", "incarcerated", weekly("incarcerated"), last),
        ("incapacitation", "recruits per week", weekly("recruits"), run_on),
        ("incapacitation_stop", "criminal_members (week 259)", weekly("criminal_members"),
         (259, 260)),
        ("incapacitation_stop", "criminal_members", weekly("criminal_members"), last),
    ]
    for arm, label, f, win in direct:
        print(row(f"{arm}: {label}", runs, arm, f, win))

    print("\n### Strategy comparisons: arm minus comparison arm, same seed\n")
    print("| arm vs comparison: outcome | weeks | comparison | difference ± 95% CI | SE "
          "| relative |")
    print("|---|---|---|---|---|---|")
    versus = [
        ("prevention", "incapacitation", "criminal_members", last),
        ("prevention", "incapacitation", "homicides", run_on),
        ("prevention", "incapacitation", "recruits", run_on),
        ("kingpin", "network", "homicides", run_on),
        ("kingpin", "network", "criminal_members", last),
        ("kingpin", "network", "active_cartels", last),
        ("mid_level", "kingpin", "homicides", first2),
        ("sanctions_renewed", "sanctions", "laundered_assets", last),
        ("sanctions", "sanctions_no_evasion", "laundered_assets", last),
        ("sanctions", "sanctions_no_evasion",
         ("laundered assets of the designated", designated_laundered), first2),
        ("sanctions", "sanctions_no_evasion",
         ("laundered assets of the designated", designated_laundered), last),
        ("incapacitation_stop", "incapacitation", "criminal_members", last),
    ]
    for arm, base, col, win in versus:
        label, f = col if isinstance(col, tuple) else (col, weekly(col))
        print(row(f"{arm} vs {base}: {label}", runs, arm, f, win, base=base))

    cols = [("consumption", "kg/wk"), ("retail_price", "USD/kg"), ("seizure_rate", ""),
            ("criminal_members", ""), ("homicides", "/wk"), ("corruption_rate", ""),
            ("criminal_revenue", "USD/wk"), ("laundered_assets", "USD"),
            ("active_cartels", ""), ("route_nodes", "")]
    print(f"\n### All scenarios: paired difference from baseline, mean of weeks "
          f"{last[0]}-{last[1] - 1} (± 95% CI half-width)\n")
    print("| scenario | " + " | ".join(c for c, _ in cols) + " |")
    print("|---|" + "---|" * len(cols))
    b = "| baseline (level) | " + " | ".join(
        fmt(paired(runs, "baseline", weekly(c), last)[0]) for c, _ in cols) + " |"
    print(b)
    for arm in runs:
        if arm == "baseline":
            continue
        cells = []
        for c, _ in cols:
            _b, d, h, _se = paired(runs, arm, weekly(c), last)
            star = "" if not np.isfinite(h) or abs(d) <= h else "*"
            cells.append(f"{fmt(d)} ± {fmt(h)}{star}")
        print(f"| {arm} | " + " | ".join(cells) + " |")

    print("\n### Totals over the run (weeks 104-519), per replicate mean\n")
    print("| scenario | leader removals | splits | cases | arrests (thousands) "
          "| homicides (thousands) |")
    print("|---|---|---|---|---|---|")
    for arm in runs:
        vals = []
        for c, scale in (("leader_removals", 1), ("splits", 1), ("cases_matured", 1),
                         ("arrests", 1e3), ("homicides", 1e3)):
            vals.append(np.mean([r["metrics"][c].iloc[104:].sum() / scale for r in runs[arm]]))
        print(f"| {arm} | " + " | ".join(f"{v:.1f}" for v in vals) + " |")

    print("\n### Sanctions: designated organizations and access\n")
    for arm in ("sanctions", "sanctions_no_evasion", "sanctions_renewed", "sanctions_cut98",
                "sanctions_cut98_no_evasion", "whole_of_government"):
        r = runs[arm][0]
        names = [n for n, d in zip(r["org_names"], r["designated"], strict=False) if d]
        acc = np.mean([x["access"][-1][x["designated"]].mean() for x in runs[arm]])
        print(f"- {arm}: designated (seed 0) {names}; bank access of the designated at the "
              f"end {acc:.2f}")
    same = all(
        a["metrics"].to_csv() == b["metrics"].to_csv()
        for a, b in zip(runs["sanctions"], runs["sanctions_no_evasion"], strict=True))
    print(f"- sanctions and sanctions_no_evasion give byte-identical timeseries: {same}")
    for arm in ("whole_of_government",):
        hist = runs[arm][0]["history"]
        print(f"- {arm} (seed 0) reviews: first {hist[:2]}, last {hist[-1:]}")

    print("\n### Anti-money-laundering: seizures and divergence from the baseline\n")
    own = {"laundered_assets", "aml_seized", "intervention_cost", "week"}
    for s, (a, b) in enumerate(zip(runs["anti_money_laundering"], runs["baseline"],
                                   strict=True)):
        cols_ = [c for c in a["metrics"].columns if c not in own]
        x, y = a["metrics"][cols_].to_numpy(), b["metrics"][cols_].to_numpy()
        diff = ~((x == y) | (np.isnan(x) & np.isnan(y))).all(axis=1)
        first = int(np.argmax(diff)) if diff.any() else None
        seized = a["metrics"]["aml_seized"].iloc[104:].sum()
        spent = a["metrics"]["intervention_cost"].iloc[104:].sum()
        print(f"- seed {s}: seized {seized / 1e6:.1f}M USD over weeks 104-{weeks - 1} for "
              f"{spent / 1e9:.2f} bn spent (baseline "
              f"{b['metrics']['aml_seized'].iloc[104:].sum() / 1e6:.1f}M); other metrics first "
              f"differ from the baseline in week {first}")

    print("\n### Baseline corruption in Guatemala, Honduras and El Salvador, by seed\n")
    cor = regional("corruption_rate", ca, "mean")
    for s, r in enumerate(runs["baseline"]):
        y = cor(r)
        wins = [(260, 312), (364, 416), (416, 468), (last[0], last[1])]
        cells = ", ".join(f"{w0}-{w1 - 1}: {y[w0:w1].mean():.3f}" for w0, w1 in wins)
        print(f"- seed {s}: {cells}; minimum after week 104 {y[104:].min():.3f} "
              f"(week {104 + int(np.argmin(y[104:]))})")


# ----------------------------------------------------------------------------- figures
def smooth(x, k=13):
    if k <= 1:
        return x
    c = np.cumsum(np.insert(np.asarray(x, float), 0, 0.0))
    out = np.full(len(x), np.nan)
    out[k - 1:] = (c[k:] - c[:-k]) / k
    return out


def band(ax, runs, arm, outcome, color, label, k=13, base="baseline", rel=False):
    """Mean paired difference (13-week rolling mean) with its 95% CI over replicates."""
    d = np.array([smooth(outcome(a, a), k) - smooth(outcome(b, a), k)
                  for a, b in zip(runs[arm], runs[base], strict=True)])
    if rel:
        bm = np.mean([smooth(outcome(b, a), k)
                      for a, b in zip(runs[arm], runs[base], strict=True)], axis=0)
        d = 100 * d / np.where(bm == 0, np.nan, bm)
    n = d.shape[0]
    mean = d.mean(axis=0)
    half = T95.get(n, 1.96) * d.std(axis=0, ddof=1) / np.sqrt(n)
    w = np.arange(d.shape[1])
    ax.plot(w, mean, color=color, lw=1.4, label=label)
    ax.fill_between(w, mean - half, mean + half, color=color, alpha=0.2, lw=0)
    ax.axhline(0, color="k", lw=0.6)


def levels(ax, runs, arm, outcome, color, label, k=13, ref=None):
    """Mean level over replicates; ``ref`` names the arm whose replicates pair with these."""
    refs = runs[ref] if ref else runs[arm]
    y = np.mean([smooth(outcome(r, q), k) for r, q in zip(runs[arm], refs, strict=True)], axis=0)
    ax.plot(np.arange(y.size), y, color=color, lw=1.4, label=label)


def mark(ax, *weeks):
    for w in weeks:
        ax.axvline(w, color="grey", ls=":", lw=0.8)


def figures(runs, weeks):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    FIGS.mkdir(parents=True, exist_ok=True)
    ca = ["Guatemala", "Honduras", "El Salvador"]
    mnt = ["Mexico"] + ca
    transit = ["Colombia", "Ecuador", "Venezuela", "Brazil", "Panama", "Costa Rica", "Nicaragua",
               "Honduras", "El Salvador", "Guatemala", "Mexico", "Caribbean"]
    written = []

    # 1. one panel per lever: its direct effect over time
    panels = [
        ("interdiction_border_surge", "Border surge: US seizures (kg/wk)",
         regional("seizures", ["United States"]), (104, 364), False),
        ("kingpin", "Kingpin: leaders removed (cumulative)", cumulative("leader_removals"),
         (104,), False),
        ("mid_level", "Mid-level: arrests (/wk)", weekly("arrests"), (104,), False),
        ("network", "Network: arrests (/wk)", weekly("arrests"), (104,), False),
        ("sanctions", "Sanctions: laundered of designated (%)", designated_laundered, (104,), True),
        ("anti_money_laundering", "AML: seized (M USD/wk)",
         lambda r, q=None: r["metrics"]["aml_seized"].to_numpy() / 1e6, (104,), False),
        ("capacity_building", "Capacity bldg: corruption in targets",
         regional("corruption_rate", ca, "mean"), (104, 312), False),
        ("anti_corruption", "Anti-corruption: corruption in transit",
         regional("corruption_rate", transit, "mean"), (104,), False),
        ("demand_reduction", "Demand reduction: consumption (%)", weekly("consumption"),
         (104,), True),
        ("recruitment_prevention", "Recruitment prev.: recruits in MX+NT (/wk)",
         recruits_in(mnt), (104,), False),
        ("information_sharing", "Info sharing: intel gap to best agency", series("intel_gap"),
         (104,), False),
        ("whole_of_government", "Whole of govt: corruption rate", weekly("corruption_rate"),
         (104,), False),
    ]
    fig, axes = plt.subplots(4, 3, figsize=(13, 12), sharex=True)
    for ax, (arm, title, f, marks, rel) in zip(axes.flat, panels, strict=True):
        band(ax, runs, arm, f, "C0", arm, rel=rel)
        mark(ax, *marks)
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
    for ax in axes[-1]:
        ax.set_xlabel("week")
    fig.suptitle("Direct effect of each lever: scenario minus baseline, same seed (mean of "
                 f"{len(runs['baseline'])} paired replicates, 13-week rolling mean, 95% CI)",
                 fontsize=10)
    fig.tight_layout()
    written.append(_save(fig, "levers_direct_effects.png"))

    # 2. displacement under the border surge
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for reg, c in (("Mexico", "C0"), ("Caribbean", "C1"), ("Guatemala", "C2")):
        levels(axes[0], runs, "baseline", regional("drug_volume", [reg]), c, f"{reg} baseline")
        axes[0].lines[-1].set_ls("--")
        levels(axes[0], runs, "interdiction_border_surge", regional("drug_volume", [reg]), c,
               f"{reg} surge")
    axes[0].set_title("Drug volume through transit regions (kg/week)", fontsize=9)
    axes[0].legend(fontsize=7)
    band(axes[1], runs, "interdiction_border_surge", weekly("route_nodes"), "C3", "route_nodes")
    axes[1].set_title("Transit regions carrying drug flow: surge minus baseline", fontsize=9)
    band(axes[2], runs, "interdiction_border_surge", weekly("retail_price"), "C4", "retail price",
         rel=True)
    axes[2].set_title("Retail price: surge minus baseline (%)", fontsize=9)
    for ax in axes:
        mark(ax, 104, 364)
        ax.set_xlabel("week")
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    written.append(_save(fig, "side_displacement.png"))

    # 3. leadership removal: splits and violence
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for arm, c in (("baseline", "k"), ("kingpin", "C3"), ("network", "C0"), ("mid_level", "C2")):
        levels(axes[0], runs, arm, cumulative("leader_removals"), c, arm, k=1)
        levels(axes[1], runs, arm, cumulative("splits"), c, arm, k=1)
        if arm != "baseline":
            band(axes[2], runs, arm, weekly("homicides"), c, arm)
    axes[0].set_title("Leaders removed (cumulative)", fontsize=9)
    axes[1].set_title("Splits (cumulative)", fontsize=9)
    axes[2].set_title("Homicides per week: strategy minus baseline", fontsize=9)
    for ax in axes:
        mark(ax, 104)
        ax.legend(fontsize=7)
        ax.set_xlabel("week")
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    written.append(_save(fig, "side_leadership.png"))

    # 4. sanctions and evasion
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for arm, c in (("sanctions", "C0"), ("sanctions_no_evasion", "C1"),
                   ("sanctions_renewed", "C2"), ("sanctions_cut98", "C3"),
                   ("sanctions_cut98_no_evasion", "C4")):
        # each arm against the same organizations in the baseline run of the same seed
        band(axes[0], runs, arm, lambda r, q: designated_laundered(r, q) / 1e9, c, arm, k=1)
        levels(axes[1], runs, arm,
               lambda r, q: r["access"][:, r["designated"]].mean(axis=1), c, arm, k=1)
    axes[0].set_title("Laundered assets of the designated: scenario minus baseline (bn USD)",
                      fontsize=9)
    axes[1].set_title("Bank access of the designated (share of laundering capacity)", fontsize=9)
    for ax in axes:
        mark(ax, 104)
        ax.legend(fontsize=7)
        ax.set_xlabel("week")
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    written.append(_save(fig, "side_sanctions_evasion.png"))

    # 5. replacement and recovery: lieutenants under mid-level arrests; members after arrests stop
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    lieut = lambda r, q=None: r["roles"][:, 1].astype(float)  # noqa: E731
    for arm, c in (("baseline", "k"), ("mid_level", "C2"), ("kingpin", "C3")):
        levels(axes[0], runs, arm, lieut, c, arm, k=1)
    axes[0].set_title("Active lieutenants (all organizations)", fontsize=9)
    for arm, c in (("incapacitation", "C3"), ("incapacitation_stop", "C1"), ("prevention", "C0")):
        band(axes[1], runs, arm, weekly("criminal_members"), c, arm, k=1)
        band(axes[2], runs, arm, weekly("recruits"), c, arm)
    axes[1].set_title("Members: scenario minus baseline", fontsize=9)
    axes[2].set_title("Recruits per week: scenario minus baseline", fontsize=9)
    mark(axes[0], 104)
    mark(axes[1], 104, 260)
    mark(axes[2], 104, 260)
    for ax in axes:
        ax.legend(fontsize=7)
        ax.set_xlabel("week")
        ax.tick_params(labelsize=8)
    fig.tight_layout()
    written.append(_save(fig, "side_recovery.png"))

    # 6. strategy questions
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for arm, c in (("prevention", "C0"), ("incapacitation", "C3")):
        band(axes[0, 0], runs, arm, weekly("homicides"), c, arm)
        band(axes[0, 1], runs, arm, weekly("criminal_members"), c, arm, k=1)
    axes[0, 0].set_title("Prevention vs incapacitation (15M/wk): homicides/wk", fontsize=9)
    axes[0, 1].set_title("Prevention vs incapacitation: members", fontsize=9)
    for arm, c in (("kingpin", "C3"), ("network", "C0"), ("mid_level", "C2"),
                   ("whole_of_government", "C4")):
        band(axes[0, 2], runs, arm, weekly("criminal_members"), c, arm, k=1)
    axes[0, 2].set_title("Targeted strategies: members", fontsize=9)
    levels(axes[1, 0], runs, "baseline", regional("corruption_rate", ca, "mean"), "k", "baseline")
    levels(axes[1, 0], runs, "capacity_building", regional("corruption_rate", ca, "mean"), "C0",
           "capacity_building")
    axes[1, 0].set_title("Capacity building then withdrawal: corruption in GT/HN/SV", fontsize=9)
    mark(axes[1, 0], 104, 312)
    for arm, c in (("whole_of_government", "C4"), ("interdiction_border_surge", "C1"),
                   ("demand_reduction", "C0")):
        band(axes[1, 1], runs, arm, weekly("criminal_revenue"), c, arm, rel=True)
        band(axes[1, 2], runs, arm, weekly("consumption"), c, arm, rel=True)
    axes[1, 1].set_title("Criminal revenue: scenario minus baseline (%)", fontsize=9)
    axes[1, 2].set_title("Consumption: scenario minus baseline (%)", fontsize=9)
    for ax in axes.flat:
        ax.legend(fontsize=7)
        ax.set_xlabel("week")
        ax.tick_params(labelsize=8)
        if ax is not axes[1, 0]:
            mark(ax, 104)
    fig.tight_layout()
    written.append(_save(fig, "strategies.png"))
    return written


def _save(fig, name):
    import matplotlib.pyplot as plt

    path = FIGS / name
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path.relative_to(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--weeks", type=int, default=520)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", default=str(ROOT / "out" / "levers"))
    ap.add_argument("--no-figures", action="store_true")
    ap.add_argument("--write", action="store_true",
                    help="write the tables into docs/INTERVENTIONS.md (between the "
                    "runs:start/end markers) and stamp its version block with the commit")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from analysis import provenance
    from analysis.cluster import engine_fingerprint

    commit = provenance.commit()
    started = time.perf_counter()
    # runs are cached per engine: a model change never reuses stale runs
    scn_hash = hashlib.sha256(b"".join(
        (SCN / f).read_bytes() for f in sorted({f for f, _ in SCENARIOS.values()}))).hexdigest()
    cache = Path(args.cache) / f"{engine_fingerprint()}-{scn_hash[:12]}"
    runs = run_all(list(SCENARIOS), args.reps, args.weeks, args.workers, str(cache))
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        tables(runs, args.weeks)
    print(buf.getvalue())
    if not args.no_figures:
        for p in figures(runs, args.weeks):
            print(f"wrote {p}")
    seconds = time.perf_counter() - started
    if args.write:
        stamp = (f"**Version.** The figures and the generated tables at the end of this document "
                 f"come from commit `{commit}` (engine `{engine_fingerprint()}`), made on "
                 f"{datetime.now(UTC):%Y-%m-%d} by `{provenance.command()}` "
                 f"({seconds / 60:.1f} minutes with {args.workers} workers; {args.reps} "
                 f"replicates x {args.weeks} weeks; seed r in every scenario).")
        write_doc(buf.getvalue(), stamp)
        print(f"wrote {DOC.relative_to(ROOT)} (commit {commit})")
    return 0


def _between(text: str, start: str, end: str, new: str) -> str:
    if start not in text or end not in text:
        raise SystemExit(f"{DOC.relative_to(ROOT)}: markers {start} ... {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return head + start + "\n" + new.strip("\n") + "\n" + end + tail


def write_doc(tables_md: str, stamp: str) -> None:
    text = DOC.read_text()
    text = _between(text, "<!-- version:start -->", "<!-- version:end -->",
                    textwrap.fill(stamp, 96, break_on_hyphens=False))
    text = _between(text, "<!-- runs:start -->", "<!-- runs:end -->", tables_md)
    DOC.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
