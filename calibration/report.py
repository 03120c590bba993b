"""``report.html`` of a calibration: one self-contained page (images embedded) with the
fitted values and their intervals, warnings, goodness of fit, the plots and the provenance."""

from __future__ import annotations

import html
import json

import numpy as np

from analysis.report import CSS, _img, fmt


def _table(df, cols, left=()) -> str:
    head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(c)}</th>' for c in cols)
    body = []
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cls = ' class="l"' if c in left else ""
            if isinstance(v, bool | np.bool_):
                text = "yes" if v else "NO"
            else:
                text = v if isinstance(v, str) else fmt(v)
            if c.startswith("coverage"):
                text = f"{v:.0%}"
            cells.append(f"<td{cls}>{html.escape(str(text))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _method(res) -> str:
    """How the posterior was made, in a sentence (and, for ABC, a table of generations)."""
    prov = res.provenance
    if "abc" not in prov:
        return (f"{len(res.trials)} trials of {prov['replicates']} replicates (common random "
                f"numbers), the best {len(res.rescored)} re-scored on fresh seeds; posterior "
                f"by importance resampling of {len(res.draws)} proposal draws (effective "
                f"sample size {prov['effective_sample_size']}).")
    a = prov["abc"]
    rows = "".join(f"<tr><td>{g['generation']}</td><td>{g['temperature']:.4g}</td>"
                   f"<td>{g['accepted']}</td><td>{g['evaluated']}</td><td>{g['runs']}</td>"
                   "</tr>" for g in a["generations"])
    return (f"ABC-SMC (pyabc): {len(a['generations'])} generations of {a['population']} "
            f"particles, each parameter set run {prov['replicates']} times on the same seeds "
            "(common random numbers), accepted with probability (likelihood / the previous "
            "population's largest)<sup>1/T</sup>; the last generation, at temperature T = 1, is "
            f"the posterior (effective sample size {prov['effective_sample_size']}); "
            f"{a['proposals']} proposals run in all (plus a prior sample); the best "
            f"{len(res.rescored)} re-scored on fresh seeds.</p><table><tr><th>generation</th>"
            "<th>temperature</th><th>accepted</th><th>evaluated</th><th>runs</th></tr>"
            f"{rows}</table><p class='muted'>")


def render(res, images: dict[str, bytes]) -> str:
    t = res.targets
    spec = t.spec
    p = res.parameters.copy()
    p["90% interval"] = [f"[{fmt(a)}, {fmt(b)}]" for a, b in zip(p.q05, p.q95, strict=True)]
    p["50% interval"] = [f"[{fmt(a)}, {fmt(b)}]" for a, b in zip(p.q25, p.q75, strict=True)]
    warn = "".join(f"<li>{html.escape(w)}</li>" for w in res.warnings) or "<li>none</li>"
    sources = "".join(
        f"<tr><td class='l'>{html.escape(s.name)}</td><td class='l'>{html.escape(s.spec.metric)}"
        f"</td><td class='l'>{html.escape(s.spec.aggregate)}</td><td class='l'>"
        f"{html.escape(s.spec.unit)}</td><td>{s.spec.observation.share:g}</td>"
        f"<td>{s.spec.observation.share_sd_log:g}</td><td>{s.spec.observation.error_sd_log:g}"
        f"</td><td class='l'>{html.escape(s.spec.source)}</td></tr>" for s in t.series)
    hold = (f"Years from {spec.holdout.from_year} are held out: fitted on the years before, "
            "predicted from the fit (rows <em>holdout</em> below)." if spec.holdout else
            "No held-out years.")
    prov = html.escape(json.dumps(res.provenance, indent=1, default=str))
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>calibration: {html.escape(spec.name)}</title><style>{CSS}</style></head><body>
<h1>Calibration: {html.escape(spec.name)}</h1>
<p>{html.escape(spec.description)}</p>
<p class="muted">Base scenario <code>{html.escape(str(t.base_path))}</code>; {_method(res)}
Intervals are approximate: the likelihood is a synthetic (replicate-based) one and the
posterior rests on the draws made.</p>
<h2>Fitted values</h2>
{_table(p, ["parameter", "path", "prior", "low", "high", "best", "median", "50% interval",
            "90% interval", "at_bound", *(["known", "known_in_90"] if "known" in p else [])],
        left=("parameter", "path", "prior", "50% interval", "90% interval", "at_bound",
              "known_in_90"))}
<h2>Warnings</h2><ul>{warn}</ul>
<h2>Goodness of fit</h2>
<p>{hold} Coverage: share of observed years inside the model's 50% and 90% predictive bands;
log-likelihood: posterior mean of the target's log-likelihood over those years.</p>
{_table(res.gof, ["target", "part", "first_year", "last_year", "rmse", "rmse_rel",
                  "coverage_50", "coverage_90", "loglik", "unit"],
        left=("target", "part", "unit"))}
{_img(images, "targets.png", "data against the model's bands")}
<h2>Posterior</h2>
{_img(images, "corner.png", "corner plot of the posterior")}
{_img(images, "trace.png", "search trace")}
<h2>Targets and observation models</h2>
<table><tr><th class="l">target</th><th class="l">metric</th><th class="l">aggregate</th>
<th class="l">unit</th><th>share</th><th>share sd (log)</th><th>error sd (log)</th>
<th class="l">source</th></tr>{sources}</table>
<h2>Provenance</h2><pre>{prov}</pre>
<p class="muted">Rerun: <code>tocsim calibrate {html.escape(t.source)} --out DIR</code>
(add <code>--resume</code> to continue an interrupted calibration).</p>
</body></html>
"""
