"""Calibration plots: data against the model's 50% and 90% predictive bands per target, a
corner plot of the posterior, and the search's trace. Each function returns a Figure."""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def targets_figure(res) -> plt.Figure:
    """One panel per target: observed points, the predictive median and 50%/90% bands; the
    held-out years (if any) shaded."""
    series = res.targets.series
    n = len(series)
    cols = min(3, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.3 * rows), squeeze=False)
    hold = res.targets.spec.holdout
    for ax, s in zip(axes.flat, series, strict=False):
        b = res.bands[s.name]
        x = s.years
        if len(x) > 1:
            ax.fill_between(x, b["q05"], b["q95"], color="#9ecae1", alpha=0.55,
                            label="model 90%")
            ax.fill_between(x, b["q25"], b["q75"], color="#3182bd", alpha=0.55,
                            label="model 50%")
            ax.plot(x, b["q50"], color="#08519c", lw=1.2, label="model median")
        else:  # one year: the bands as boxes
            ax.bar(x, b["q95"] - b["q05"], bottom=b["q05"], width=0.5, color="#9ecae1",
                   alpha=0.55, label="model 90%")
            ax.bar(x, b["q75"] - b["q25"], bottom=b["q25"], width=0.5, color="#3182bd",
                   alpha=0.55, label="model 50%")
            ax.plot([x[0] - 0.25, x[0] + 0.25], [b["q50"][0]] * 2, color="#08519c", lw=1.2,
                    label="model median")
            ax.set_xlim(x[0] - 1, x[0] + 1)
        if s.lows is not None:  # range data: the range, not a point
            ax.errorbar(x, s.values, yerr=[s.values - s.lows, s.highs - s.values], fmt="none",
                        ecolor="#d94801", elinewidth=2, capsize=6, label="data (range)")
        else:
            ax.plot(x, s.values, "o", color="#d94801", ms=4, label="data")
        if (hold is not None and s.spec.fit and s.spec.holdout
                and (x >= hold.from_year).any()):
            ax.axvspan(hold.from_year - 0.5, x[-1] + 0.5, color="#bbbbbb", alpha=0.25, lw=0,
                       label="held out")
        if not s.spec.fit:
            ax.set_facecolor("#f4f4f4")
        ax.set_title(s.name + ("" if s.spec.fit else " (not fitted)"), fontsize=10)
        ax.set_ylabel(s.spec.unit, fontsize=8)
        ax.tick_params(labelsize=8)
        ax.set_ylim(bottom=0)
        if len(x) > 1:
            ax.set_xticks(x[:: max(1, len(x) // 5)])
        else:
            ax.set_xticks(x)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    h, lab = [], []
    for ax in axes.flat:  # every label once, whichever panel has it
        for hh, ll in zip(*ax.get_legend_handles_labels(), strict=True):
            if ll not in lab:
                h.append(hh)
                lab.append(ll)
    fig.legend(h, lab, loc="lower center", ncol=len(lab), fontsize=8, frameon=False)
    fig.suptitle(f"{res.targets.spec.name}: data and the calibrated model "
                 "(posterior predictive)", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 0.95))
    return fig


def corner_figure(res, truth: dict[str, float] | None = None) -> plt.Figure:
    """Histograms of each fitted parameter's posterior and pairwise 2-D histograms; the best
    (re-scored) trial as a red line, ``truth`` (a known answer) as a black one."""
    names = res.targets.names
    specs = res.targets.spec.parameters
    d = len(names)
    fig, axes = plt.subplots(d, d, figsize=(2.6 * d + 0.8, 2.6 * d + 0.6), squeeze=False)
    post = res.posterior
    best = res.parameters.set_index("parameter")["best"]

    def tr(p, v):
        return np.log10(v) if p.prior == "log" else v

    def lims(k):
        """Zoom on the posterior (and the best and true values), not the whole prior."""
        p = specs[k]
        x = tr(p, post[names[k]].to_numpy())
        pts = [*np.quantile(x, [0.002, 0.998]), tr(p, best[names[k]])]
        if truth and names[k] in truth:
            pts.append(tr(p, truth[names[k]]))
        lo, hi = min(pts), max(pts)
        pad = max(hi - lo, 1e-3 * (tr(p, p.high) - tr(p, p.low))) * 0.25
        return max(lo - pad, tr(p, p.low)), min(hi + pad, tr(p, p.high))

    for i in range(d):
        for j in range(d):
            ax = axes[i, j]
            pi, pj = specs[i], specs[j]
            if j > i:
                ax.axis("off")
                continue
            xi = tr(pj, post[names[j]].to_numpy())
            lo, hi = lims(j)
            if i == j:
                ax.hist(xi, bins=30, range=(lo, hi), color="#3182bd")
                ax.axvline(tr(pj, best[names[j]]), color="#d94801", lw=1.2)
                if truth and names[j] in truth:
                    ax.axvline(tr(pj, truth[names[j]]), color="k", lw=1.2, ls="--")
                ax.set_yticks([])
            else:
                yi = tr(pi, post[names[i]].to_numpy())
                ax.hist2d(xi, yi, bins=25, range=[[lo, hi], list(lims(i))], cmap="Blues")
                ax.plot(tr(pj, best[names[j]]), tr(pi, best[names[i]]), "o", color="#d94801",
                        ms=4)
                if truth and names[i] in truth and names[j] in truth:
                    ax.plot(tr(pj, truth[names[j]]), tr(pi, truth[names[i]]), "kx", ms=7)
            ax.set_xlim(lo, hi)
            ax.tick_params(labelsize=7)
            if i == d - 1:
                ax.set_xlabel(("log10 " if pj.prior == "log" else "") + names[j], fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(("log10 " if pi.prior == "log" else "") + names[i], fontsize=8)
    how = "ABC-SMC" if "abc" in res.provenance else "importance resampling"
    fig.suptitle(f"posterior ({how}), zoomed on it\norange: best re-scored "
                 "trial" + ("; black dashed / x: known answer" if truth else ""), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    return fig


def trace_figure(res) -> plt.Figure:
    """Log-likelihood of every trial in the order Optuna asked for them."""
    fig, ax = plt.subplots(figsize=(6, 3.2))
    t = res.trials
    ll = t["loglik"].to_numpy()
    floor = np.nanpercentile(ll, 10) if len(ll) > 3 else np.nanmin(ll)
    ax.plot(t["trial"], np.maximum(ll, floor), ".", color="#3182bd", label="trial")
    ax.plot(t["trial"], np.maximum(np.maximum.accumulate(ll), floor), "-", color="#d94801",
            label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("log-likelihood (fitted years)")
    what = "ABC proposals, generation by generation" if "abc" in res.provenance else "search"
    ax.set_title(f"{what}: {len(t)} trials (values below the 10th percentile drawn at it)",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def save_all(res, folder: Path, truth: dict[str, float] | None = None) -> dict[str, bytes]:
    """Write targets.png, corner.png and trace.png to ``folder``; return their bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, fn in (("targets.png", lambda: targets_figure(res)),
                     ("corner.png", lambda: corner_figure(res, truth)),
                     ("trace.png", lambda: trace_figure(res))):
        fig = fn()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        out[name] = buf.getvalue()
        (folder / name).write_bytes(out[name])
    return out
