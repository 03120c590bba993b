"""Effects over time: the paired difference from the baseline week by week, year by year and
over named periods, with 95% t-intervals, from the same week x replicate arrays that give the
time-series bands.

- ``weekly``: per scenario, metric and week, the mean over replicates of (scenario - baseline)
  in that week, with its 95% interval (paired t, or Welch with independent seeds).
- ``yearly``: per scenario, metric and year (52 weeks), the difference of the year's mean.
- ``periods``: the same for the report's periods (the intervention, the years after it, the
  end of the run); for flows (units per week) also the total over the period (deaths
  averted, kilograms not consumed) with its interval.
- ``bands``: median and 5-95% of replicates per scenario, metric and week.

Memory: one metric group at a time, every scenario's weeks x replicates array of it (8 bytes
a value), as many metrics at once as fit in ``memory_budget``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.metrics import METRICS

from .periods import Period, years
from .stats import difference, interval_rows, mean_interval, welch_rows

QUANTILES = (5, 50, 95)
MEMORY = 64e6


def is_flow(metric: str) -> bool:
    """Metrics in units per week, whose totals over a period mean something."""
    return METRICS.get(metric, ("",))[0].endswith("/week")


def total_unit(metric: str) -> str:
    return METRICS.get(metric, ("",))[0].removesuffix("/week") or "units"


@dataclass
class Effects:
    bands: pd.DataFrame
    weekly: pd.DataFrame
    yearly: pd.DataFrame
    periods: pd.DataFrame


def _wide(store, runs, metrics, weeks):
    reps = np.array(sorted(r for _, r in runs))
    wide = {m: np.full((weeks, reps.size), np.nan) for m in metrics}
    for table in store.read_chunks([k for k, _ in runs], ["replicate", "week", *metrics]):
        col = np.searchsorted(reps, table.column("replicate").to_numpy())
        row = table.column("week").to_numpy()
        for m in metrics:
            wide[m][row, col] = table.column(m).to_numpy(zero_copy_only=False)
    return reps, wide


def effects(store, runs_by: dict[str, list[tuple[str, int]]], metrics: Sequence[str],
            weeks: int, baseline: str, paired: bool, periods: Sequence[Period] = (),
            memory_budget: float = MEMORY) -> Effects:
    """Bands, weekly, yearly and period differences (see the module docstring)."""
    labels = [k for k, runs in runs_by.items() if runs]
    total_reps = sum(len(runs_by[k]) for k in labels)
    step = max(1, int(memory_budget // max(1.0, weeks * total_reps * 8.0)))
    bands, weekly, yearly, per = [], [], [], []
    spans = [(p, "year") for p in years(weeks)] + [(p, "period") for p in periods]
    for i in range(0, len(metrics), step):
        group = list(metrics[i:i + step])
        data = {k: _wide(store, runs_by[k], group, weeks) for k in labels}
        for m in group:
            for k in labels:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN weeks
                    q = np.nanpercentile(data[k][1][m], QUANTILES, axis=1)
                bands.append(pd.DataFrame({"scenario": k, "metric": m, "week": np.arange(weeks),
                                           "p5": q[0], "median": q[1], "p95": q[2]}))
            if baseline not in data:
                continue
            yreps, ywide = data[baseline][0], data[baseline][1][m]
            for k in labels:
                if k == baseline:
                    continue
                xreps, xwide = data[k][0], data[k][1][m]
                if paired:
                    common = np.intersect1d(xreps, yreps)
                    x = xwide[:, np.searchsorted(xreps, common)]
                    y = ywide[:, np.searchsorted(yreps, common)]
                    w = interval_rows(x - y)
                else:
                    x, y = xwide, ywide
                    w = welch_rows(x, y)
                weekly.append(pd.DataFrame({"scenario": k, "metric": m, "week": np.arange(weeks),
                                            "diff": w["estimate"], "diff_lo": w["lo"],
                                            "diff_hi": w["hi"], "n": w["n"]}))
                for p, kind in spans:
                    row = _span_row(k, m, p, x, y, paired)
                    (yearly if kind == "year" else per).append(row)
        del data
    cols = ["scenario", "metric", "week"]
    return Effects(
        pd.concat(bands, ignore_index=True) if bands else
        pd.DataFrame(columns=[*cols, "p5", "median", "p95"]),
        pd.concat(weekly, ignore_index=True) if weekly else
        pd.DataFrame(columns=[*cols, "diff", "diff_lo", "diff_hi", "n"]),
        _frame(yearly, "year"), _frame(per, "period"))


def _span_row(label, metric, p: Period, x, y, paired) -> dict:
    xs, ys = x[p.start:p.end], y[p.start:p.end]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        xm, ym = np.nanmean(xs, axis=0), np.nanmean(ys, axis=0)
    d = difference(xm, ym, paired)
    b = mean_interval(ym).estimate
    rel = d.estimate / b if np.isfinite(b) and b != 0 else np.nan
    row = {"scenario": label, "metric": metric, "unit": METRICS.get(metric, ("",))[0],
           "period": p.name, "first_week": p.start, "last_week": p.end - 1,
           "baseline_mean": b, "mean": mean_interval(xm).estimate, "diff": d.estimate,
           "diff_lo": d.lo, "diff_hi": d.hi, "rel_change": rel, "p_value": d.p_value, "n": d.n}
    if is_flow(metric):
        t = difference(np.nansum(xs, axis=0), np.nansum(ys, axis=0), paired)
        row.update(total_unit=total_unit(metric), total_diff=t.estimate, total_diff_lo=t.lo,
                   total_diff_hi=t.hi)
    return row


def _frame(rows: list[dict], kind: str) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    if kind == "year":
        df = df.rename(columns={"period": "year"})
        df["year"] = df["year"].str.removeprefix("year ").astype(int)
    return df
