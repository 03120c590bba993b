"""Tables of a comparison, computed from the stored runs without loading them all at once.

- :func:`run_summaries`: one row per run: the mean of every metric over the last ``window``
  weeks, and run totals of the flows that cost-effectiveness needs. Reads a chunk of runs at a
  time, so memory grows with the number of runs (one row each), not runs x weeks.
- :func:`comparison_table`: per scenario and metric, the mean across replicates with its 95%
  CI, and the difference from the baseline (paired or Welch) with CI, relative change, p.
- :func:`cost_effectiveness_table`: change in homicides, consumption and criminal wealth per
  million USD of added intervention cost, with delta-method t-intervals.
- :func:`timeseries_bands`: median and 5-95% band per scenario, metric and week; reads one
  scenario at a time.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.metrics import METRICS

from .stats import benjamini_hochberg, difference, holm, mean_interval, ratio_of_differences

LABELS = ("scenario", "replicate")
TOTALS = ("homicides", "consumption", "intervention_cost")  # summed over the whole run
# Cost-effectiveness outcomes: name -> (column of the per-run table, unit of the change).
OUTCOMES = {
    "homicides": ("total_homicides", "persons over the run"),
    "consumption": ("total_consumption", "kg over the run"),
    "criminal_wealth": ("criminal_wealth", "USD (mean of the window)"),
}
COST = "total_intervention_cost"
PER = 1e6  # cost-effectiveness per million USD
QUANTILES = (5, 50, 95)
BANDS_MEMORY = 64e6  # bytes of weekly values read at once for the time-series bands


def metric_columns(schema_names: Sequence[str], labels: Sequence[str] = LABELS) -> list[str]:
    skip = {*labels, "seed", "week"}
    return [c for c in schema_names if c not in skip]


def run_summaries(store, keys: Sequence[str], weeks: int, window,
                  labels: Sequence[str] = LABELS, cumulative: bool = False) -> pd.DataFrame:
    """Per run: the mean of every metric over the period, ``total_<m>`` (whole run) for
    ``TOTALS``, and ``weeks_run``; with ``cumulative``, also ``period_total_<m>`` (the sum
    over the period) for every flow (a metric in units per week).

    ``window`` is a :class:`~analysis.periods.Period` or a number of last weeks. Reads the
    runs ``keys`` of ``store`` a chunk of files at a time.
    """
    keys = sorted(keys)
    metrics = metric_columns(store.schema_names(keys[0]), labels) if keys else []
    by = [*labels, "seed"]
    totals = [m for m in TOTALS if m in metrics]
    flows = [m for m in metrics if cumulative and METRICS.get(m, ("",))[0].endswith("/week")]
    start, end = (weeks - window, weeks) if isinstance(window, int) else (window.start,
                                                                          window.end)
    sums, counts, tots, rows = [], [], [], []
    for table in store.read_chunks(keys, [*by, "week", *metrics]):
        df = table.to_pandas()
        tail = df[(df["week"] >= start) & (df["week"] < end)]
        g = tail.groupby(by, sort=False)[metrics]
        sums.append(g.sum())
        counts.append(g.count())
        g_all = df.groupby(by, sort=False)
        tots.append(g_all[totals].sum())
        rows.append(g_all.size())
        del df, tail
    if not sums:
        return pd.DataFrame(columns=[*by, *metrics, *(f"total_{m}" for m in totals)])
    s = pd.concat(sums).groupby(level=by).sum()
    n = pd.concat(counts).groupby(level=by).sum()
    means = (s / n.where(n > 0)).astype(float)
    t = pd.concat(tots).groupby(level=by).sum().add_prefix("total_")
    size = pd.concat(rows).groupby(level=by).sum().rename("weeks_run")
    out = means.join(t).join(size)
    if flows:
        out = out.join(s[flows].astype(float).add_prefix("period_total_"))
    out = out.reset_index()
    return out.sort_values(list(labels), kind="stable").reset_index(drop=True)


def _aligned(per_run: pd.DataFrame, label: str, baseline: str, col: str, paired: bool):
    x = per_run.loc[per_run["scenario"] == label].set_index("replicate")[col]
    y = per_run.loc[per_run["scenario"] == baseline].set_index("replicate")[col]
    if paired:
        common = x.index.intersection(y.index)
        return x.loc[common].to_numpy(float), y.loc[common].to_numpy(float)
    return x.to_numpy(float), y.to_numpy(float)


def comparison_table(per_run: pd.DataFrame, scenarios: Sequence[str], baseline: str,
                     metrics: Sequence[str], paired: bool) -> pd.DataFrame:
    """One row per scenario and metric (see the module docstring and docs/COMPARE.md).

    ``p_holm`` and ``p_bh`` adjust ``p_value`` for testing every metric of the table at once
    (per scenario: Holm's family-wise and Benjamini-Hochberg's false-discovery-rate
    adjustment). Where ``per_run`` has ``period_total_<m>`` columns (``cumulative``), the
    total over the period and its difference are added for those metrics."""
    rows = []
    for label in scenarios:
        sub = per_run.loc[per_run["scenario"] == label]
        for m in metrics:
            mi = mean_interval(sub[m])
            row = {"scenario": label, "metric": m, "unit": METRICS.get(m, ("",))[0],
                   "n": mi.n, "mean": mi.estimate, "mean_lo": mi.lo, "mean_hi": mi.hi,
                   "sd": mi.sd}
            if label == baseline:
                row.update(diff=np.nan, diff_lo=np.nan, diff_hi=np.nan, rel_change=np.nan,
                           rel_lo=np.nan, rel_hi=np.nan, p_value=np.nan)
            else:
                x, y = _aligned(per_run, label, baseline, m, paired)
                d = difference(x, y, paired)
                b = float(np.nanmean(y)) if y.size else np.nan
                if np.isfinite(b) and b != 0:
                    rel = (d.estimate / b, *sorted((d.lo / b, d.hi / b)))
                else:
                    rel = (np.nan, np.nan, np.nan)
                row.update(diff=d.estimate, diff_lo=d.lo, diff_hi=d.hi, rel_change=rel[0],
                           rel_lo=rel[1], rel_hi=rel[2], p_value=d.p_value)
            col = f"period_total_{m}"
            if col in per_run:
                tot = mean_interval(sub[col])
                row.update(total=tot.estimate, total_lo=tot.lo, total_hi=tot.hi)
                if label != baseline:
                    td = difference(*_aligned(per_run, label, baseline, col, paired), paired)
                    row.update(total_diff=td.estimate, total_diff_lo=td.lo,
                               total_diff_hi=td.hi)
            rows.append(row)
    df = pd.DataFrame(rows)
    if not df.empty:
        df["p_holm"] = np.nan
        df["p_bh"] = np.nan
        for _, idx in df.groupby("scenario", sort=False).groups.items():
            df.loc[idx, "p_holm"] = holm(df.loc[idx, "p_value"])
            df.loc[idx, "p_bh"] = benjamini_hochberg(df.loc[idx, "p_value"])
    return df


def cost_effectiveness_table(per_run: pd.DataFrame, scenarios: Sequence[str], baseline: str,
                             paired: bool) -> pd.DataFrame:
    """Per scenario (not the baseline) and outcome: the change from the baseline, the added
    intervention cost (million USD over the run) and the change per million USD."""
    rows = []
    if COST not in per_run:
        return pd.DataFrame()
    for label in scenarios:
        if label == baseline:
            continue
        cx, cy = _aligned(per_run, label, baseline, COST, paired)
        cost = difference(cx / PER, cy / PER, paired)
        for outcome, (col, unit) in OUTCOMES.items():
            if col not in per_run:
                continue
            x, y = _aligned(per_run, label, baseline, col, paired)
            d = difference(x, y, paired)
            ratio, lo, hi = ratio_of_differences(x, y, cx, cy, paired, scale=PER)
            if not np.isfinite(ratio):
                note = "no added intervention cost: ratio undefined"
            elif not np.isfinite(lo):
                note = "added cost's interval includes zero: no finite interval"
            else:
                note = ""
            rows.append({"scenario": label, "outcome": outcome, "unit": unit,
                         "change": d.estimate, "change_lo": d.lo, "change_hi": d.hi,
                         "added_cost_musd": cost.estimate, "added_cost_lo": cost.lo,
                         "added_cost_hi": cost.hi, "per_musd": ratio, "per_musd_lo": lo,
                         "per_musd_hi": hi, "note": note})
    return pd.DataFrame(rows)


def timeseries_bands(store, runs_by_scenario: dict[str, list[tuple[str, int]]],
                     metrics: Sequence[str], weeks: int,
                     memory_budget: float = BANDS_MEMORY) -> pd.DataFrame:
    """Median and 5-95% band across replicates, per scenario, metric and week.

    ``runs_by_scenario`` maps a scenario to its ``(key, replicate)`` runs. One scenario at a
    time, as many metrics as fit in ``memory_budget`` bytes (weeks x replicates x 8 each) are
    gathered from chunks of files into week x replicate arrays, so memory does not grow with
    the number of scenarios, metrics or stored runs.
    """
    out = []
    for label, runs in runs_by_scenario.items():
        if not runs:
            continue
        reps = np.array(sorted(r for _, r in runs))
        keys = [k for k, _ in runs]
        step = max(1, int(memory_budget // max(1.0, weeks * reps.size * 8.0)))
        for i in range(0, len(metrics), step):
            group = list(metrics[i:i + step])
            wide = {m: np.full((weeks, reps.size), np.nan) for m in group}
            for table in store.read_chunks(keys, ["replicate", "week", *group]):
                col = np.searchsorted(reps, table.column("replicate").to_numpy())
                row = table.column("week").to_numpy()
                for m in group:
                    wide[m][row, col] = table.column(m).to_numpy(zero_copy_only=False)
            for m in group:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks
                    q = np.nanpercentile(wide.pop(m), QUANTILES, axis=1)
                out.append(pd.DataFrame({"scenario": label, "metric": m,
                                         "week": np.arange(weeks), "p5": q[0],
                                         "median": q[1], "p95": q[2]}))
    if not out:
        return pd.DataFrame(columns=["scenario", "metric", "week", "p5", "median", "p95"])
    return pd.concat(out, ignore_index=True)
