"""``report.html`` of a comparison: one self-contained page (images embedded as base64) that
someone who did not run the comparison can read: what was compared, how, the results with
their uncertainty, and the settings needed to reproduce them."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
from typing import Any

import numpy as np
import pandas as pd

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.88em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}
.sig{font-weight:bold}.muted{color:#666;font-size:.9em}
img{max-width:100%;border:1px solid #eee;margin:.4em 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:.5em}
code{background:#f5f5f5;padding:0 .2em}
"""


def fmt(v: Any, rel: bool = False) -> str:
    """A number for a table: 3 significant digits (bn and M for large values), thousands
    separators, a dash for NaN; ``rel`` gives a signed percentage."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "\u2013"
    if rel:
        return f"{v * 100:+.1f}%"
    v = float(v)
    if v == 0:
        return "0"
    for scale, suffix in ((1e9, " bn"), (1e6, " M")):
        if abs(v) >= scale:
            return f"{v / scale:,.3g}{suffix}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _ci(lo, hi) -> str:
    return f"[{fmt(lo)}, {fmt(hi)}]"


def _img(images: dict[str, bytes], name: str, alt: str) -> str:
    if name not in images:
        return ""
    b64 = base64.b64encode(images[name]).decode()
    return f'<img src="data:image/png;base64,{b64}" alt="{html.escape(alt)}">'


def _key_table(res) -> str:
    t = res.headline().set_index(["scenario", "metric"])
    others = [k for k in res.labels if k != res.baseline]
    head = "<tr><th class=l rowspan=2>metric</th><th class=l rowspan=2>unit</th>" \
           f"<th colspan=2>{html.escape(res.baseline)} (baseline)</th>" + "".join(
               f"<th colspan=4>{html.escape(k)}</th>" for k in others) + "</tr><tr>" \
           "<th>mean</th><th>95% CI</th>" + "<th>mean</th><th>difference [95% CI]</th>" \
           "<th>change</th><th>p</th>" * len(others) + "</tr>"
    rows = []
    for m in res.metrics:
        b = t.loc[(res.baseline, m)]
        cells = [f"<td class=l>{m}</td><td class=l>{html.escape(str(b['unit']))}</td>",
                 f"<td>{fmt(b['mean'])}</td><td>{_ci(b['mean_lo'], b['mean_hi'])}</td>"]
        for k in others:
            r = t.loc[(k, m)]
            sig = np.isfinite(r["diff_lo"]) and (r["diff_lo"] > 0 or r["diff_hi"] < 0)
            cls = ' class="sig"' if sig else ""
            cells.append(f"<td>{fmt(r['mean'])}</td><td{cls}>{fmt(r['diff'])} "
                         f"{_ci(r['diff_lo'], r['diff_hi'])}</td><td{cls}>"
                         f"{fmt(r['rel_change'], rel=True)}</td><td>{_p(r['p_value'])}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _p(p: float) -> str:
    if not np.isfinite(p):
        return "&ndash;"
    return "&lt;0.001" if p < 0.001 else f"{p:.3f}"


def _frame(df: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th{' class=l' if c in left else ''}>{html.escape(c)}</th>"
                   for c in df.columns)
    body = []
    for _, row in df.iterrows():
        cells = []
        for c in df.columns:
            v = row[c]
            text = fmt(v) if isinstance(v, float | np.floating) else html.escape(str(v))
            cells.append(f"<td{' class=l' if c in left else ''}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _ce_section(res, images) -> str:
    ce = res.cost_effectiveness
    if ce.empty:
        return "<p>No cost-effectiveness table (no scenario besides the baseline).</p>"
    shown = pd.DataFrame({
        "scenario": ce["scenario"], "outcome": ce["outcome"],
        "change [95% CI]": [f"{fmt(a)} {_ci(b, c)}" for a, b, c in
                            zip(ce["change"], ce["change_lo"], ce["change_hi"], strict=True)],
        "unit": ce["unit"],
        "added cost, M USD [95% CI]": [f"{fmt(a)} {_ci(b, c)}" for a, b, c in zip(
            ce["added_cost_musd"], ce["added_cost_lo"], ce["added_cost_hi"], strict=True)],
        "change per M USD [95% CI]": [f"{fmt(a)} {_ci(b, c)}" for a, b, c in zip(
            ce["per_musd"], ce["per_musd_lo"], ce["per_musd_hi"], strict=True)],
        "note": ce["note"]})
    note = ""
    if not np.isfinite(ce["per_musd"].to_numpy(float)).any():
        note = ("<p><b>No scenario adds intervention cost over the baseline</b>, so the change "
                "per million USD is undefined; the changes themselves are in the table.</p>")
    return (note + "<p>Change from the baseline (mean over replicates; homicides and "
            "consumption summed over the whole run, criminal wealth as the mean of the "
            "window) per million USD of added intervention cost over the run, with 95% "
            "t-intervals (for the ratio, by the delta method; see docs/COMPARE.md).</p>"
            + _frame(shown, left=("scenario", "outcome", "unit", "note"))
            + _img(images, "cost_effectiveness.png", "cost-effectiveness"))


def _settings(res) -> str:
    man = res.manifest
    inp, ver = man["inputs"], man.get("versions", {})
    runs = man.get("runs", [])
    base_seeds = [r["seed"] for r in runs if r["labels"]["scenario"] == res.baseline]
    shown = ", ".join(str(s) for s in base_seeds[:8]) + (", ..." if len(base_seeds) > 8 else "")
    walls = [r["wall_s"] for r in runs if r.get("wall_s") is not None]
    sessions = man.get("sessions", [])
    rows = [("replicates per scenario", inp["replicates"]), ("weeks per run", inp["weeks"]),
            ("window (weeks averaged)", res.window),
            ("root seed", f"{inp['seed']} (numpy SeedSequence; replicate r uses child r)"),
            ("seeds", "common random numbers: replicate r has the same seed in every scenario"
             if inp["paired"] else "independent: every scenario has its own seeds"),
            (f"seeds of {res.baseline}", shown),
            ("runs", f"{len(runs)}; mean {np.mean(walls):.2f} s of compute each"
             if walls else str(len(runs))),
            ("sessions", "; ".join(f"{s.get('started', '?')}: {s.get('status')}, "
                                   f"{s.get('runs_done', 0)} runs in {s.get('wall_s', 0):.0f} s "
                                   f"on {s.get('cluster', '?')}" for s in sessions)),
            ("versions", ", ".join(f"{k} {v}" for k, v in ver.items()))]
    return "<table>" + "".join(f"<tr><th class=l>{html.escape(k)}</th><td class=l>"
                               f"{html.escape(str(v))}</td></tr>" for k, v in rows) + "</table>"


def render(res, images: dict[str, bytes]) -> str:
    """The report page for the :class:`~analysis.comparison.Comparison` ``res``."""
    others = [k for k in res.labels if k != res.baseline]
    sessions = res.manifest.get("sessions", [])
    wall = sum(s.get("wall_s", 0) or 0 for s in sessions)
    inp = res.manifest["inputs"]
    title = f"{', '.join(others)} compared with {res.baseline}"
    test = "paired t-interval" if res.paired else "Welch t-interval"
    intro = (
        f"<p>Each scenario was simulated <b>{inp['replicates']}</b> times for "
        f"<b>{inp['weeks']}</b> weeks ({inp['weeks'] / 52:.1f} years). For every run, each "
        f"metric is averaged over the last <b>{res.window}</b> weeks; the tables give the mean "
        "of these run averages across replicates with a 95% Student-t confidence interval, and "
        f"the difference from the baseline with a 95% {test}. "
        + ("Replicate <i>r</i> used the same random seed in every scenario (common random "
           "numbers), so each difference is computed replicate by replicate, which removes "
           "most of the noise the scenarios share. " if res.paired else
           "Scenarios used independent seeds. ")
        + "A difference whose interval excludes zero (in <b>bold</b>) is larger than the "
        "replicate-to-replicate noise at the 95% level; p is the matching two-sided t-test. "
        f"Total run time {wall / 60:.1f} min.</p>")
    scen = res.scenarios[["label", "name", "source", "description", "runs", "hash"]]
    ts = "".join(_img(images, f"timeseries_{m}.png", m) for m in res.metrics)
    full = res.table.copy()
    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        f"<title>tocsim comparison: {html.escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>Scenario comparison: {html.escape(title)}</h1>",
        f"<p class=muted>Generated {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by "
        f"<code>tocsim compare</code> from <code>{html.escape(str(res.out))}</code>.</p>",
        intro,
        "<h2>Scenarios</h2>", _frame(scen, left=("label", "name", "source", "description",
                                                 "hash")),
        "<h2>Key results</h2>",
        f"<p>Mean of the last {res.window} weeks; differences are scenario minus baseline.</p>",
        _key_table(res),
        "<h2>Differences from the baseline</h2>",
        "<p>Relative change of each metric with its 95% confidence interval. Points whose "
        "bars do not cross the zero line differ from the baseline beyond the noise.</p>",
        _img(images, "forest.png", "forest plot"),
        "<h2>Time series</h2>",
        "<p>Median (line) and 5&ndash;95% range (shade) across replicates, week by week.</p>",
        f"<div class=grid>{ts}</div>",
        "<h2>Cost-effectiveness</h2>", _ce_section(res, images),
        "<h2>Settings and reproducibility</h2>", _settings(res),
        "<p class=muted>Every run's weekly results are in <code>runs.parquet</code>, the "
        "inputs, seeds and versions in <code>manifest.json</code>; the full table below is "
        "<code>comparison.csv</code>. Method: docs/COMPARE.md.</p>",
        "<h2>All metrics</h2><details><summary>Show the full table</summary>",
        _frame(full, left=("scenario", "metric", "unit")), "</details>",
        "</body></html>",
    ]
    return "\n".join(parts)
