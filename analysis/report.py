"""``report.html`` of a comparison: one self-contained page (images embedded as base64) that
someone who did not run the comparison can read. It opens with the scenario's question (its
description) and a one-paragraph answer with its uncertainty, then the schedule of levers, the
effect over time (periods, years, plots), and then the tables, plots and settings.

Every HTML report of tocsim (this one, the sensitivity analysis and the sweep) is rendered
from the Jinja2 templates in ``analysis/templates`` (one ``base.html.j2``: one style)."""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TEMPLATES = Path(__file__).parent / "templates"


def _shared_css() -> str:
    """The reports' one style sheet (the <style> block of templates/base.html.j2), for pages
    built without the template (calibration's report)."""
    text = (TEMPLATES / "base.html.j2").read_text(encoding="utf-8")
    return text.split("<style>", 1)[1].split("</style>", 1)[0]


CSS = _shared_css()


def render_page(template: str, **context: Any) -> str:
    """Render ``analysis/templates/<template>`` (which extends ``base.html.j2``). Values are
    escaped unless the template marks them ``| safe`` (the prebuilt tables and images)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=jinja2.select_autoescape(["j2", "html"]),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    context.setdefault("generated", _dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    context.setdefault("question", "")
    context.setdefault("answer", "")
    context.setdefault("warnings", [])
    context.setdefault("footer", "")
    return env.get_template(template).render(**context)


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


def sfmt(v: Any) -> str:
    """:func:`fmt` with a sign for positive values (differences)."""
    text = fmt(v)
    return "+" + text if isinstance(v, int | float | np.floating) and math.isfinite(v) \
        and v > 0 else text


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
    tot = res.cumulative and "total_diff" in res.table
    k_cols = 5 if tot else 4
    base = html.escape(res.baseline) + ("" if res.baseline == "baseline" else " (baseline)")
    head = "<tr><th class=l rowspan=2>metric</th><th class=l rowspan=2>unit</th>" \
           f"<th colspan=2>{base}</th>" + "".join(
               f"<th colspan={k_cols}>{html.escape(k)}</th>" for k in others) + "</tr><tr>" \
           "<th>mean</th><th>95% CI</th>" + ("<th>mean</th><th>difference [95% CI]</th>"
                                             "<th>change</th><th>p</th>"
                                             + ("<th>total difference over the period "
                                                "[95% CI]</th>" if tot else "")) * len(others) \
        + "</tr>"
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
            if tot:
                v = r.get("total_diff", np.nan)
                cells.append(f"<td>{fmt(v)} {_ci(r['total_diff_lo'], r['total_diff_hi'])}</td>"
                             if np.isfinite(v) else "<td>&ndash;</td>")
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
            ("period averaged", res.period.label if res.period is not None
             else f"last {res.window} weeks"),
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


def _verdict(d, lo, hi, n) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no interval (too few replicates)"
    if lo > 0:
        return "higher than the baseline beyond replicate noise"
    if hi < 0:
        return "lower than the baseline beyond replicate noise"
    return (f"no difference detectable with {n} replicates (the interval includes zero, and "
            "also effects as large as its ends)")


def answer(res) -> str:
    """One paragraph per compared scenario: the key metric's difference from the baseline in
    the intervention period, the year of the largest difference, and at the end of the run,
    each with its 95% interval and what it means (HTML)."""
    eff = res.effects
    key = res.key_metric
    unit = _unit(key)
    parts = []
    for label in [k for k in res.labels if k != res.baseline]:
        said = []
        per = pd.DataFrame(columns=["diff_lo", "diff_hi"])
        if eff is not None and not eff.periods.empty:
            per = eff.periods[(eff.periods.scenario == label) & (eff.periods.metric == key)]
            for _, r in per.iterrows():
                txt = (f"{html.escape(r['period'])} (weeks {r['first_week']}-{r['last_week']}): "
                       f"<b>{sfmt(r['diff'])} {unit}</b> {_ci(r['diff_lo'], r['diff_hi'])}"
                       f" ({fmt(r['rel_change'], rel=True)} of the baseline's "
                       f"{fmt(r['baseline_mean'])}), "
                       f"{_verdict(r['diff'], r['diff_lo'], r['diff_hi'], r['n'])}")
                if "total_diff" in r and np.isfinite(r.get("total_diff", np.nan)):
                    txt += (f"; in total over the period {sfmt(r['total_diff'])} "
                            f"{html.escape(str(r['total_unit']))} "
                            f"{_ci(r['total_diff_lo'], r['total_diff_hi'])}")
                said.append(txt)
        if eff is not None and not eff.yearly.empty:
            y = eff.yearly[(eff.yearly.scenario == label) & (eff.yearly.metric == key)]
            sig = y[(y.diff_lo > 0) | (y.diff_hi < 0)]
            if not y.empty:
                up = [f"year {int(r['year'])}: {sfmt(r['diff'])} {_ci(r['diff_lo'], r['diff_hi'])}"
                      for _, r in sig.iterrows()]
                txt = (f"year by year, the interval excludes zero in {len(sig)} of {len(y)} "
                       "years")
                said.append(txt + (" (" + "; ".join(up) + ")" if up else ""))
                hidden = not per.empty and not ((per.diff_lo > 0) | (per.diff_hi < 0)).any()
                if len(sig) and hidden:
                    said.append("<b>the effect changes over time: averages over long "
                                "periods hide it; read the year-by-year table and the "
                                "effect-over-time plot</b>")
                if (sig["diff"] > 0).any() and (sig["diff"] < 0).any():
                    said.append("the difference changes sign: higher in years "
                                + _years(sig[sig["diff"] > 0]) + ", lower in years "
                                + _years(sig[sig["diff"] < 0]))
        parts.append(f"<p><b>{html.escape(label)}</b> compared with "
                     f"{html.escape(res.baseline)}, {html.escape(key.replace('_', ' '))} "
                     f"({html.escape(unit)}), {res.replicates} "
                     f"{'paired' if res.paired else 'independent'} replicates, difference "
                     "[95% CI]: " + "; ".join(said) + ".</p>")
    return "".join(parts)


def _years(df) -> str:
    return ", ".join(str(int(y)) for y in df["year"])


def _unit(metric: str) -> str:
    from sim.metrics import METRICS

    return METRICS.get(metric, ("",))[0]


def schedule_table(levers, weeks: int) -> str:
    if not levers:
        return "<p>No scenario schedules a lever that the baseline lacks.</p>"
    rows = pd.DataFrame([{"scenario": lv.scenario, "lever": lv.name, "type": lv.type,
                          "first week": str(lv.start),
                          "last funded week": str(lv.end - 1) if lv.end < weeks
                          else f"{weeks - 1} (run's end)",
                          "budget USD/week": fmt(lv.budget) if lv.budget is not None else "",
                          "intensity": fmt(lv.intensity) if lv.intensity is not None else "",
                          "after end": lv.after_end or "type's default"} for lv in levers])
    return _frame(rows, left=("scenario", "lever", "type", "after end"))


def _span_table(df: pd.DataFrame, key: str, by: str) -> str:
    if df is None or df.empty:
        return ""
    t = df[df.metric == key]
    if t.empty:
        return ""
    rows = []
    for _, r in t.iterrows():
        sig = np.isfinite(r["diff_lo"]) and (r["diff_lo"] > 0 or r["diff_hi"] < 0)
        row = {"scenario": r["scenario"], by: str(r[by]),
               "weeks": f"{r['first_week']}-{r['last_week']}",
               "baseline mean": fmt(r["baseline_mean"]),
               "difference [95% CI]": ("*" if sig else "") + f"{sfmt(r['diff'])} "
               f"{_ci(r['diff_lo'], r['diff_hi'])}",
               "change": fmt(r["rel_change"], rel=True), "p": _p_text(r["p_value"])}
        if "total_diff" in t and np.isfinite(r.get("total_diff", np.nan)):
            row[f"total over the span ({r['total_unit']})"] = (
                f"{sfmt(r['total_diff'])} {_ci(r['total_diff_lo'], r['total_diff_hi'])}")
        rows.append(row)
    return (_frame(pd.DataFrame(rows), left=("scenario", by))
            + "<p class=muted>* the interval excludes zero.</p>")


def _p_text(p: float) -> str:
    return "\u2013" if not np.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.3f}")


def render(res, images: dict[str, bytes]) -> str:
    """The report page for the :class:`~analysis.comparison.Comparison` ``res``."""
    others = [k for k in res.labels if k != res.baseline]
    sessions = res.manifest.get("sessions", [])
    wall = sum(s.get("wall_s", 0) or 0 for s in sessions)
    inp = res.manifest["inputs"]
    title = f"{', '.join(others)} compared with {res.baseline}"
    test = "paired t-interval" if res.paired else "Welch t-interval"
    period = res.period.label if res.period is not None else f"last {res.window} weeks"
    intro = (
        f"<p>Each scenario was simulated <b>{inp['replicates']}</b> times for "
        f"<b>{inp['weeks']}</b> weeks ({inp['weeks'] / 52:.1f} years). The key results average "
        f"each metric over <b>{html.escape(period)}</b> of every run (choose with --period or "
        "--window); the tables give the mean of these run averages across replicates with a "
        f"95% Student-t confidence interval, and the difference from the baseline with a 95% "
        f"{test}. The effect-over-time tables and plots do the same for each period, year and "
        "week. "
        + ("Replicate <i>r</i> used the same random seed in every scenario (common random "
           "numbers), so each difference is computed replicate by replicate, which removes "
           "most of the noise the scenarios share. " if res.paired else
           "Scenarios used independent seeds. ")
        + "A difference whose interval excludes zero (in <b>bold</b>) is larger than the "
        "replicate-to-replicate noise at the 95% level; p is the matching two-sided t-test "
        "(comparison.csv also gives p_holm and p_bh, adjusted for testing every metric). "
        f"Total run time {wall / 60:.1f} min.</p>")
    scen = res.scenarios[["label", "name", "source", "description", "runs", "hash"]]
    eff = res.effects
    key = res.key_metric
    ts = "".join(_img(images, f"timeseries_{m}.png", m) for m in res.metrics)
    effect_plots = "".join(_img(images, f"effect_over_time_{m}.png", m) for m in res.metrics)
    target = res.manifest.get("settings", {}).get("target_ci")
    warnings = list(res.warnings())
    if target:
        rounds = target.get("rounds", [])
        last = rounds[-1] if rounds else {}
        ok = last.get("pct", float("inf")) <= target["pct"]
        warnings.append(
            f"--target-ci {target['pct']:g}: {inp['replicates']} replicates per scenario were "
            f"run in {len(rounds)} rounds; the 95% CI half-width of {key}'s difference is "
            f"{last.get('pct', float('nan')):.1f}% of the difference"
            + ("" if ok else f", still above the target at the maximum of "
               f"{target['max_replicates']} replicates"
               " (a difference near zero cannot be measured to a relative precision)") + ".")
    return render_page(
        "compare.html.j2", kind="comparison", title=title,
        heading=f"Scenario comparison: {title}", command="tocsim compare", out=str(res.out),
        question=res.question, answer=answer(res), warnings=warnings,
        schedule=schedule_table(res.levers, res.weeks), key=key, test=test,
        periods=_span_table(eff.periods if eff else None, key, "period"),
        yearly=_span_table(eff.yearly if eff else None, key, "year"),
        effect_plots=effect_plots, intro=intro,
        scenarios=_frame(scen, left=("label", "name", "source", "description", "hash")),
        period_label=period, cumulative=res.cumulative, key_table=_key_table(res),
        forest=_img(images, "forest.png", "forest plot"), timeseries=ts,
        ce=_ce_section(res, images), settings=_settings(res),
        full=_frame(res.table.copy(), left=("scenario", "metric", "unit")),
        footer="Every run's weekly results are in <code>runs.parquet</code>, the inputs, "
        "seeds and versions in <code>manifest.json</code>; the full table is "
        "<code>comparison.csv</code>, the effect over time <code>yearly.csv</code>, "
        "<code>periods.csv</code> and <code>effect_over_time.csv</code>. Method: "
        "docs/COMPARE.md.")
