"""Plots and the self-contained HTML report of a sensitivity analysis."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LEAD = {"sobol": ("S1", "ST"), "fast": ("S1", "ST"), "morris": ("mu_star",),
        "rbd_fast": ("S1",), "delta": ("delta", "S1"), "pawn": ("pawn_median",)}


ABOVE, BELOW = "#1f77b4", "#b0b0b0"  # bars above the noise floor, and at or below it


def indices_figure(indices, output: str, method: str, unit: str = "") -> plt.Figure:
    """Horizontal bars of the leading indices of one output, largest first, with 95% CIs;
    coloured where the index is above the noise floor (the dummy), grey where it is not."""
    from .batch import short_name

    kinds = LEAD[method]
    t = indices[(indices.output == output) & indices["index"].isin(kinds)]
    first = t[t["index"] == kinds[-1]].assign(size=lambda d: d["value"].abs())
    params = list(first.sort_values("size", ascending=True, kind="stable").parameter)
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(params) * len(kinds) + 1.8),
                           constrained_layout=True)
    height = 0.8 / len(kinds)
    y = np.arange(len(params))
    for j, kind in enumerate(kinds):
        tk = t[t["index"] == kind].set_index("parameter").reindex(params)
        err = tk["conf"].to_numpy(dtype=float)
        above = tk["above_noise"].to_numpy(dtype=object)
        colors = [ABOVE if a is True else BELOW for a in above]
        alpha = 1.0 if j == len(kinds) - 1 else 0.55
        ax.barh(y + (j - (len(kinds) - 1) / 2) * height, tk["value"].abs(), height,
                xerr=np.where(np.isnan(err), 0, err), capsize=2, color=colors, alpha=alpha,
                label=kind if len(kinds) > 1 else None, edgecolor="white")
        floor = tk["noise_floor"].dropna()
        if len(floor):
            ax.axvline(float(floor.iloc[0]), ls="--", lw=1, color="#aa3333",
                       label=f"{kind} noise floor (dummy)" if j == len(kinds) - 1 else None)
    ax.set_yticks(y, [short_name(p) for p in params])
    ax.set_title(f"{method}: {output} (blue: above the noise floor)", fontsize=10)
    index_names = " and ".join(("|" + k + "|") if k != "mu_star" else
                               f"mu* (mean |elementary effect|{', ' + unit if unit else ''})"
                               for k in kinds)
    ax.set_xlabel(f"{index_names}, 95% CI")
    ax.grid(axis="x", alpha=0.3)
    if len(kinds) > 1 or len(floor):
        ax.legend(fontsize=8, loc="lower right")
    return fig


def morris_figure(indices, output: str) -> plt.Figure:
    from .batch import short_name

    t = indices[indices.output == output].pivot(index="parameter", columns="index", values="value")
    fig, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
    ax.scatter(t["mu_star"], t["sigma"])
    lim = max(float(t["mu_star"].max()), float(t["sigma"].max()), 1e-12) * 1.1
    placed: list[tuple[float, float]] = []  # label anchors already used (data units)
    for p, row in t.sort_values("sigma", ascending=False).iterrows():
        x, y = float(row["mu_star"]), float(row["sigma"])
        dy = 3
        # move a label down while it would overlap one placed near the same point
        while any(abs(x - px) < 0.12 * lim and abs(y + dy / 300 * lim - py) < 0.03 * lim
                  for px, py in placed):
            dy -= 9
        placed.append((x, y + dy / 300 * lim))
        ax.annotate(short_name(p), (x, y), fontsize=8, xytext=(3, dy),
                    textcoords="offset points")
    ax.plot([0, lim], [0, lim], ls=":", color="grey", lw=1, label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (interaction / non-linearity)")
    ax.set_title(f"Morris: {output}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def convergence_figure(conv, output: str) -> plt.Figure:
    from .batch import short_name

    t = conv[(conv.output == output) & (conv["index"] == "ST")]
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for j, (p, g) in enumerate(t.groupby("parameter", sort=False)):
        g = g.sort_values("n")
        ax.errorbar(g["n"], g["value"], yerr=g["conf"], label=short_name(p), capsize=2,
                    marker="o", ms=3, color=f"C{j % 10}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("N (base samples)")
    ax.set_ylabel("ST")
    ax.set_title(f"Sobol convergence: {output}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    return fig


def write_plots(res, folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    method = res.plan.settings["method"]
    images: dict[str, bytes] = {}
    figs = {}
    from sim.metrics import METRICS

    problem = res.plan.problem
    units = {n: METRICS.get(o.metric, ("",))[0] for n, o in
             zip(problem.output_names(), problem.spec.outputs, strict=True)}
    for out in res.indices.output.unique():
        slug = out.replace("/", "_")
        figs[f"indices_{slug}.png"] = indices_figure(res.indices, out, method,
                                                     units.get(out, ""))
        if method == "morris":
            figs[f"morris_{slug}.png"] = morris_figure(res.indices, out)
        if method == "sobol" and not res.convergence.empty:
            figs[f"convergence_{slug}.png"] = convergence_figure(res.convergence, out)
    from ..plots import note_overrides

    over = getattr(res.plan.bases.get("base"), "overrides", None)  # --set on the base scenario
    for name, fig in figs.items():
        note_overrides(fig, over)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        images[name] = buf.getvalue()
        (folder / name).write_bytes(images[name])
    return images


def render(res, images: dict[str, bytes], out: str | Path = "") -> str:
    """The report: the ranking and its conclusions first, then the settings, parameters,
    noise, plots and the full table (the template every tocsim report shares)."""
    import pandas as pd

    from ..report import _frame, render_page
    from .batch import conclusions, summary_table

    p = res.plan
    spec = p.problem.spec
    esc = html.escape
    params = pd.DataFrame([{"parameter": n, "path": pth or "(none: noise floor)",
                            "distribution": d, "bounds": str(b)}
                           for n, pth, d, b in zip(p.problem.names, p.problem.paths,
                                                   p.problem.salib["dists"],
                                                   p.problem.salib["bounds"], strict=True)])
    imgs = "".join(
        f'<figure><img alt="{esc(k)}" src="data:image/png;base64,'
        f'{base64.b64encode(v).decode()}"><figcaption>{esc(k)}</figcaption></figure>'
        for k, v in images.items())
    method = p.settings["method"]
    ranked = summary_table(res).reset_index(names="parameter")
    effect = p.problem.is_effect
    settings = pd.DataFrame([
        {"setting": "base", "value": spec.base},
        *([{"setting": "reference (effect = base - reference)", "value": spec.reference}]
          if effect else []),
        {"setting": "weeks per run", "value": str(p.weeks)},
        {"setting": "method", "value": f"{method} "
         f"{ {k: v for k, v in p.settings.items() if k != 'method'} }"},
        {"setting": "runs", "value": f"{len(p.X)} samples x {spec.replicates} replicates"
         f"{' x 2 arms' if effect else ''} = {len(p.tasks)} (replicate seeds shared by all "
         "samples)"},
        {"setting": "root seed", "value": f"{spec.seed}; samples SHA-256 "
         f"{p.inputs()['samples_sha256'][:16]}"}])
    answer = "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in conclusions(res)) + "</ul>"
    question = " ".join(spec.description.split())
    if effect:
        question += (f" (Sensitivity of an effect: each output is the paired difference "
                     f"between {spec.base} and the reference {spec.reference}, at the same "
                     "parameter values and seed.)")
    return render_page(
        "sensitivity.html.j2", kind="sensitivity", title=spec.name,
        heading=f"Sensitivity analysis: {spec.name}", command="tocsim sensitivity",
        out=str(out), question=question, answer=answer,
        ranking_note=f"The leading index ({LEAD[method][-1]}) of every parameter for every "
        "output, the most important parameter first. An index counts only above the noise "
        "floor, the index of the dummy parameter that changes nothing.",
        ranking=_frame(ranked, left=("parameter",)), settings=_frame(settings,
                                                                     left=("setting", "value")),
        parameters=_frame(params, left=("parameter", "path", "distribution", "bounds")),
        noise=_frame(res.noise, left=("output",)), plots=imgs,
        indices=_frame(res.indices.drop(columns=["ci_low", "ci_high"]),
                       left=("method", "output", "parameter", "index", "above_noise")),
        footer="tocsim; SALib. indices.csv, samples.parquet and noise.csv hold the numbers. "
        "Method: docs/SENSITIVITY.md.")


def render_sweep(sw, images: dict[str, bytes], out: str | Path = "") -> str:
    """The sweep's report: the question, the largest dose's effect per metric, the schedule,
    the table of paired differences from the zero-dose point, the plots."""
    import pandas as pd

    from ..report import _ci, _frame, _img, fmt, render_page, schedule_table

    t = sw.table
    zero = t[t.point == sw.zero_point].iloc[0]
    zero_label = ", ".join(f"{p} = {zero[p]:g}" for p in sw.paths)
    top = t["point"].max()
    said = []
    for m in sw.metrics:
        r = t[(t.metric == m) & (t.point == top)].iloc[0]
        sig = np.isfinite(r["diff_lo"]) and (r["diff_lo"] > 0 or r["diff_hi"] < 0)
        at = ", ".join(f"{p} = {r[p]:g}" for p in sw.paths)
        said.append(f"<li>{html.escape(m)}: at {html.escape(at)}, {fmt(r['diff'])} "
                    f"{_ci(r['diff_lo'], r['diff_hi'])} from the zero-dose point "
                    f"({'beyond' if sig else 'within'} replicate noise)</li>")
    rows = []
    for _, r in t.iterrows():
        sig = np.isfinite(r["diff_lo"]) and (r["diff_lo"] > 0 or r["diff_hi"] < 0)
        row = {p: f"{r[p]:g}" for p in sw.paths}
        row.update({"metric": r["metric"], "mean [95% CI]":
                    f"{fmt(r['mean'])} {_ci(r['ci_low'], r['ci_high'])}",
                    "difference [95% CI]": ("*" if sig else "") +
                    f"{fmt(r['diff'])} {_ci(r['diff_lo'], r['diff_hi'])}"})
        if "total_diff" in t and np.isfinite(r.get("total_diff", np.nan)):
            row["total difference over the period"] = (
                f"{fmt(r['total_diff'])} {_ci(r['total_diff_lo'], r['total_diff_hi'])}")
        rows.append(row)
    settings = pd.DataFrame([{"setting": "varied", "value": ", ".join(sw.paths)},
                             {"setting": "replicates per point", "value": str(sw.replicates)},
                             {"setting": "weeks per run", "value": str(sw.weeks)},
                             {"setting": "period", "value": sw.period.label}])
    warnings = [f"Idle lever (run with --allow-idle): {x}" for x in (sw.idle or [])]
    if sw.replicates < 10:
        warnings.append(f"Only {sw.replicates} replicates per point: intervals are wide and "
                        "their width is itself uncertain; do not read a flat curve as "
                        "\"no effect\" without more replicates.")
    return render_page(
        "sweep.html.j2", kind="sweep", title=sw.scenario,
        heading=f"Sweep: {sw.scenario} over {', '.join(sw.paths)}", command="tocsim sweep",
        out=str(out), question=sw.description, answer="<ul>" + "".join(said) + "</ul>",
        warnings=warnings, schedule=schedule_table(sw.levers or [], sw.weeks),
        replicates=sw.replicates, period_label=sw.period.label, zero_label=zero_label,
        table=_frame(pd.DataFrame(rows), left=("metric",)),
        plots="".join(_img(images, k, k) for k in images),
        settings=_frame(settings, left=("setting", "value")),
        footer="sweep.csv holds the numbers, runs.parquet every run (the varied values are "
        "columns). Method: docs/SENSITIVITY.md.")
