"""Plots of a scenario comparison. Each function returns a ``Figure`` and never shows it.

- :func:`timeseries`: one metric over time, the median and 5-95% band of each scenario; lever
  periods shaded, starts and ends marked.
- :func:`effect_over_time`: the paired difference from the baseline week by week with its
  95% band, lever periods shaded.
- :func:`forest`: relative change from the baseline with 95% CIs, per metric and scenario.
- :func:`cost_effectiveness`: change in homicides, consumption and criminal wealth per
  million USD of added intervention cost.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim.metrics import METRICS  # noqa: E402

from .plots import mark_levers, plain_numbers  # noqa: E402

COLORS = plt.rcParams["axes.prop_cycle"].by_key()["color"]
BASELINE_COLOR = "#444444"


def _colors(labels: list[str], baseline: str) -> dict[str, str]:
    others = iter(COLORS)
    return {k: BASELINE_COLOR if k == baseline else next(others, "#888888") for k in labels}


def _title(metric: str) -> str:
    unit = METRICS.get(metric, ("",))[0]
    return f"{metric.replace('_', ' ')} ({unit})" if unit else metric.replace("_", " ")


def _legend_label(label: str, baseline: str) -> str:
    return f"{label} (baseline)" if label == baseline and label != "baseline" else label


def timeseries(bands: pd.DataFrame, metric: str, labels: list[str], baseline: str,
               levers=()) -> plt.Figure:
    """Median (line) and 5-95% band (shade) across replicates of ``metric``, per scenario;
    each lever's funded period shaded in its scenario's colour."""
    fig, ax = plt.subplots(figsize=(8, 4.2), constrained_layout=True)
    colors = _colors(labels, baseline)
    d = bands[bands["metric"] == metric]
    scale, suffix = _scale(d[["p5", "median", "p95"]].to_numpy(float))
    for label in labels:
        s = d[d["scenario"] == label]
        if s.empty:
            continue
        years = s["week"].to_numpy() / 52.0
        c = colors[label]
        ax.fill_between(years, s["p5"] / scale, s["p95"] / scale, color=c, alpha=0.18, lw=0)
        ax.plot(years, s["median"] / scale, color=c, lw=1.6,
                label=_legend_label(label, baseline))
    weeks = int(d["week"].max()) + 1 if not d.empty else 0
    mark_levers(ax, list(levers), weeks, colors)
    ax.set_title(_title(metric) + suffix, fontsize=11)
    ax.set_xlabel("year of the run")
    ax.set_ylabel(_unit(metric) + suffix.replace(" [", " (").replace("]", ")"))
    plain_numbers(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", title="median and 5-95% of replicates", title_fontsize=8)
    return fig


def _unit(metric: str) -> str:
    return METRICS.get(metric, ("",))[0] or "value"


def effect_over_time(weekly: pd.DataFrame, metric: str, labels: list[str], baseline: str,
                     levers=()) -> plt.Figure:
    """Scenario minus baseline, week by week: the mean paired difference (line) and its 95%
    confidence band (shade) per scenario, a zero line, lever periods shaded. A 4-week running
    mean is drawn over the weekly line, which is noisy."""
    fig, ax = plt.subplots(figsize=(8, 4.2), constrained_layout=True)
    colors = _colors(labels, baseline)
    d = weekly[weekly["metric"] == metric]
    scale, suffix = _scale(d[["diff_lo", "diff", "diff_hi"]].to_numpy(float))
    for label in labels:
        s = d[d["scenario"] == label]
        if s.empty or label == baseline:
            continue
        years = s["week"].to_numpy() / 52.0
        c = colors[label]
        ax.fill_between(years, s["diff_lo"] / scale, s["diff_hi"] / scale, color=c, alpha=0.22,
                        lw=0, label=f"{label}: 95% CI")
        y = s["diff"].to_numpy(float) / scale
        ax.plot(years, y, color=c, lw=0.6, alpha=0.6)
        smooth = pd.Series(y).rolling(4, min_periods=1, center=True).mean()
        ax.plot(years, smooth, color=c, lw=1.8, label=f"{label} - {baseline} (4-week mean)")
    ax.axhline(0, color="black", lw=0.8)
    weeks = int(d["week"].max()) + 1 if not d.empty else 0
    mark_levers(ax, [lv for lv in levers if lv.scenario != baseline], weeks, colors)
    n = int(d["n"].max()) if not d.empty else 0
    ax.set_title(f"Effect on {_title(metric)}{suffix}: difference from {baseline}, "
                 f"{n} paired replicates", fontsize=10)
    ax.set_xlabel("year of the run")
    ax.set_ylabel(f"difference ({_unit(metric)}){suffix.replace(' [', ' (').replace(']', ')')}")
    plain_numbers(ax)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    return fig


def _scale(values: np.ndarray) -> tuple[float, str]:
    top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 0.0
    for f, s in ((1e9, " [billions]"), (1e6, " [millions]")):
        if top >= f:
            return f, s
    return 1.0, ""


def forest(table: pd.DataFrame, metrics: list[str], labels: list[str],
           baseline: str, period: str = "the window") -> plt.Figure:
    """Relative change from the baseline (%) with its 95% CI, one row per metric, one marker
    per scenario; filled where the CI excludes zero (a difference beyond replicate noise).
    Intervals that run past the axis end in an arrow; metrics whose baseline mean is zero have
    no relative change and say so."""
    others = [k for k in labels if k != baseline]
    colors = _colors(labels, baseline)
    t = table.set_index(["scenario", "metric"])
    present = [m for m in metrics if m in set(table["metric"])]
    rows = [m for m in present if any(np.isfinite(t.at[(k, m), "rel_change"])
                                      for k in others if (k, m) in t.index)]
    dropped = [m for m in present if m not in rows]
    n = len(others)
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(rows) * max(1, n) ** 0.5 + 2.0),
                           constrained_layout=True)
    offsets = np.linspace(0.22, -0.22, n) if n > 1 else np.zeros(1)  # first scenario on top

    def col(label, name):
        return np.array([t.at[(label, m), name] if (label, m) in t.index else np.nan
                         for m in rows], dtype=float) * 100

    est_all = np.concatenate([col(k, "rel_change") for k in others]) if others else np.array([])
    top = np.nanmax(np.abs(est_all)) if np.isfinite(est_all).any() else 1.0
    lim = max(5.0, 1.35 * top)
    y0 = np.arange(len(rows))[::-1]
    for j, label in enumerate(others):
        est, lo, hi = col(label, "rel_change"), col(label, "rel_lo"), col(label, "rel_hi")
        y = y0 + offsets[j]
        c = colors[label]
        for i in range(len(rows)):
            if not np.isfinite(est[i]):
                continue
            a, b = max(lo[i], -lim), min(hi[i], lim)
            if np.isfinite(lo[i]):
                ax.plot([a, b], [y[i], y[i]], color=c, lw=1.4)
                for end, cut, mk in ((a, lo[i] < -lim, "<"), (b, hi[i] > lim, ">")):
                    ax.plot([end], [y[i]], marker=mk if cut else "|", color=c, ms=7)
            sig = np.isfinite(lo[i]) and (lo[i] > 0 or hi[i] < 0)
            ax.plot([np.clip(est[i], -lim, lim)], [y[i]], "o", ms=6, color=c,
                    mfc=c if sig else "white", mew=1.5)
        ax.plot([], [], "o", color=c, label=label)
    ax.plot([], [], "o", color="#555555", mfc="white", mew=1.5, label="CI includes 0")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_yticks(y0, [m.replace("_", " ") for m in rows])
    xlabel = f"change from {baseline} (%) in the mean of {period}, with 95% CI"
    if dropped:
        xlabel += "\nnot shown (baseline mean 0, no relative change): " + ", ".join(
            m.replace("_", " ") for m in dropped)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_title("Difference from the baseline (filled: interval excludes zero)", fontsize=11)
    return fig


def cost_effectiveness(ce: pd.DataFrame, labels: list[str], baseline: str) -> plt.Figure:
    """Change per million USD of added intervention cost, per outcome and scenario."""
    outcomes = [("homicides", "homicides per M USD"), ("consumption", "kg consumed per M USD"),
                ("criminal_wealth", "USD of criminal wealth per M USD")]
    colors = _colors(labels, baseline)
    others = [k for k in labels if k != baseline]
    defined = not ce.empty and np.isfinite(ce["per_musd"].to_numpy(float)).any()
    if not defined:
        fig, ax = plt.subplots(figsize=(8, 2.2), constrained_layout=True)
        ax.axis("off")
        ax.text(0.5, 0.5, f"No scenario adds intervention cost over {baseline}:\n"
                "the change per million USD of intervention cost is undefined.\n"
                "(The changes themselves are in comparison.csv and the forest plot.)",
                ha="center", va="center", fontsize=11, color="#555555")
        ax.set_title("Cost-effectiveness", fontsize=11)
        return fig
    fig, axes = plt.subplots(1, 3, figsize=(12, 0.5 * len(others) + 2.4), sharey=True,
                             constrained_layout=True)
    for ax, (outcome, title) in zip(axes, outcomes, strict=True):
        ax.set_title(title, fontsize=10)
        ax.axvline(0, color="black", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
        sub = ce[ce["outcome"] == outcome].set_index("scenario")
        for i, label in enumerate(others):
            if label not in sub.index or not np.isfinite(sub.at[label, "per_musd"]):
                continue
            est, lo, hi = (sub.at[label, c] for c in ("per_musd", "per_musd_lo", "per_musd_hi"))
            xerr = [[max(est - lo, 0)], [max(hi - est, 0)]] if np.isfinite(lo) else None
            ax.errorbar([est], [i], xerr=xerr, fmt="o", color=colors[label], capsize=3)
        ax.set_xlabel("change per million USD (95% CI)", fontsize=9)
        plain_numbers(ax, "x")
    axes[0].set_yticks(range(len(others)), others)
    axes[0].set_ylim(len(others) - 0.5, -0.5)
    fig.suptitle(f"Cost-effectiveness: change from {baseline} per million USD of added "
                 "intervention cost (95% CI)", fontsize=11)
    return fig
