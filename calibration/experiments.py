"""PC23's five-year policy experiments on the ABM, next to the reference model.

Each replicate runs the scenario's history (``history_weeks``, 2012-2021), then branches: a copy
of the model per arm, its parameters changed from that week on, runs five more years. The arms
share the history and the seed (common random numbers), so their differences from the status
quo are paired. The arms change the ABM's counterparts of PC23's parameters:

- double incapacitation: ``enforcement.arrest_rate`` x 2 (PC23: eta x 2);
- halve recruitment: ``recruitment.rate`` and ``recruitment.replacement_rate`` x 0.5 (PC23:
  rho x 0.5; the ABM also recruits to refill losses, so both halve);
- stop recruitment: both set to 0 (PC23: rho = 0).

    .venv/bin/python -m calibration.experiments out/cal-mexico/calibrated.yaml \\
        --replicates 6 --workers 2 --out out/experiments

writes ``DIR/experiments.csv`` (ABM paired differences with 95% CIs and the reference model's
figures) and prints a markdown table (docs/CALIBRATION.md).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ARMS: dict[str, dict[str, float]] = {  # multipliers (0 stops)
    "status quo": {},
    "double incapacitation": {"enforcement.arrest_rate": 2.0},
    "halve recruitment": {"recruitment.rate": 0.5, "recruitment.replacement_rate": 0.5},
    "stop recruitment": {"recruitment.rate": 0.0, "recruitment.replacement_rate": 0.0},
}
METRICS = ("criminal_members", "members_killed", "arrests", "recruits", "homicides")
SEP = "|"


class Branching:
    """A runner base: history, then one branch per arm (``evaluate`` returns the branches'
    weekly metrics as columns ``ARM|METRIC``)."""

    def __init__(self, scenario, history_weeks: int, arms=ARMS, metrics=METRICS):
        self.scenario, self.history_weeks = scenario, history_weeks
        self.arms, self.metrics = dict(arms), tuple(metrics)

    def evaluate(self, overrides, seed, weeks):
        from sim.model import TocModel

        scn = self.scenario.with_overrides(overrides) if overrides else self.scenario
        total = self.history_weeks + weeks
        scn = dataclasses.replace(scn, seed=seed, weeks=total,
                                  raw={**scn.raw, "seed": seed, "weeks": total})
        model = TocModel(scn, checks=False).run(self.history_weeks)
        out = {"week": np.arange(weeks)}
        for arm, change in self.arms.items():
            m = copy.deepcopy(model)
            for path, factor in change.items():
                group, name = path.split(".")
                ns = getattr(m.pars, group)
                setattr(ns, name, getattr(ns, name) * factor)
            m.run(weeks)
            f = m.metrics_frame().iloc[self.history_weeks:]
            for c in self.metrics:
                out[f"{arm}{SEP}{c}"] = f[c].to_numpy()
        return pd.DataFrame(out)


def summarise(frames: list[pd.DataFrame], scale: float, arms=ARMS) -> pd.DataFrame:
    """Per arm: members at the end (relative to the start of the experiment) and killed,
    arrested and recruited in the last year, each as a paired difference from the status quo
    (mean and 95% t interval over replicates), in persons at the world's full size."""
    from scipy import stats

    rows = []
    for arm in arms:
        vals = {"members_end": [], "killed_last_year": [], "arrests_last_year": [],
                "recruits_last_year": []}
        base = {k: [] for k in vals}
        for f in frames:
            for store, a in ((vals, arm), (base, "status quo")):
                store["members_end"].append(f[f"{a}{SEP}criminal_members"].iloc[-1] / scale)
                for key, col in (("killed_last_year", "members_killed"),
                                 ("arrests_last_year", "arrests"),
                                 ("recruits_last_year", "recruits")):
                    store[key].append(f[f"{a}{SEP}{col}"].iloc[-52:].sum() / scale)
        start = np.array([f[f"status quo{SEP}criminal_members"].iloc[0] / scale for f in frames])
        for key in vals:
            x, b = np.array(vals[key]), np.array(base[key])
            d = (x - b) / b
            n = len(d)
            half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
            rows.append({"arm": arm, "measure": key, "value": x.mean(),
                         "change_vs_status_quo": d.mean(), "ci_low": d.mean() - half,
                         "ci_high": d.mean() + half, "replicates": n,
                         "start_members": start.mean()})
    return pd.DataFrame(rows)


def reference_rows() -> pd.DataFrame:
    from .reference import experiments

    runs = experiments()
    sq = runs["status quo"]
    rows = []
    for arm, r in runs.items():
        for key, x, b in (("members_end", r.members[-1], sq.members[-1]),
                          ("killed_last_year", r.yearly("deaths")[-1], sq.yearly("deaths")[-1]),
                          ("arrests_last_year", r.yearly("arrests")[-1], sq.yearly("arrests")[-1]),
                          ("recruits_last_year", r.yearly("recruits")[-1],
                           sq.yearly("recruits")[-1])):
            rows.append({"arm": arm, "measure": key, "reference_value": x,
                         "reference_change": (x - b) / b if b else np.nan,
                         "reference_start_members": sq.members[0]})
    return pd.DataFrame(rows)


def run(scenario_path, replicates=6, workers=2, out="out/experiments", history_weeks=520,
        weeks=260, seed=2027):
    from analysis.runner import Task, replicate_seeds, run_tasks, versions
    from analysis.store import RunStore
    from sim.scenario import load_scenario

    scn = load_scenario(scenario_path)
    seeds = replicate_seeds(seed, replicates)
    tasks = [Task(key=f"r{r:03d}", base="base", seed=s, weeks=weeks, labels={"replicate": r})
             for r, s in enumerate(seeds)]
    store = RunStore(out)
    store.open(kind="calibration-experiments", inputs={"scenario": str(scenario_path),
                                                       "scenario_hash": scn.hash,
                                                       "history_weeks": history_weeks,
                                                       "arms": ARMS}, versions=versions(),
               runs=[t.record() for t in tasks], resume=store.manifest_path.exists())
    run_tasks(tasks, {"base": Branching(scn, history_weeks)}, store, workers=workers)
    frames = [pd.read_parquet(store.part_path(t.key)) for t in tasks]
    scale = float(scn.world.extra.get("scale", 1.0))
    table = summarise(frames, scale).merge(reference_rows(), on=["arm", "measure"])
    table.to_csv(Path(out) / "experiments.csv", index=False)
    return table


def markdown(table: pd.DataFrame) -> str:
    lines = ["| arm | measure | ABM change vs status quo (95% CI) | reference model change |",
             "| --- | --- | --- | --- |"]
    for r in table.itertuples():
        if r.arm == "status quo":
            continue
        lines.append(f"| {r.arm} | {r.measure} | {r.change_vs_status_quo:+.1%} "
                     f"[{r.ci_low:+.1%}, {r.ci_high:+.1%}] | {r.reference_change:+.1%} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("scenario")
    p.add_argument("--replicates", type=int, default=6)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default="out/experiments")
    a = p.parse_args(argv)
    table = run(a.scenario, a.replicates, a.workers, a.out)
    print(markdown(table))
    sq = table[(table.arm == "status quo") & (table.measure == "members_end")].iloc[0]
    print(f"\nABM status quo: {sq.start_members:,.0f} members at the start of the experiment, "
          f"{sq.value:,.0f} after five years; reference: {sq.reference_start_members:,.0f} "
          f"-> {sq.reference_value:,.0f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
