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

from .problem import DUMMY  # noqa: E402

LEAD = {"sobol": ("S1", "ST"), "fast": ("S1", "ST"), "morris": ("mu_star",),
        "rbd_fast": ("S1",), "delta": ("delta", "S1"), "pawn": ("pawn_median",)}


def indices_figure(indices, output: str, method: str) -> plt.Figure:
    """Bar chart of the leading indices of one output, with 95% CIs and the noise floor."""
    kinds = LEAD[method]
    t = indices[(indices.output == output) & indices["index"].isin(kinds)]
    params = list(dict.fromkeys(t.parameter))
    fig, ax = plt.subplots(figsize=(max(6, 0.7 * len(params) + 2), 4), constrained_layout=True)
    width = 0.8 / len(kinds)
    x = np.arange(len(params))
    for j, kind in enumerate(kinds):
        tk = t[t["index"] == kind].set_index("parameter").reindex(params)
        err = tk["conf"].to_numpy(dtype=float)
        ax.bar(x + (j - (len(kinds) - 1) / 2) * width, tk["value"], width, label=kind,
               yerr=np.where(np.isnan(err), 0, err), capsize=3)
        floor = tk["noise_floor"].dropna()
        if len(floor):
            ax.axhline(float(floor.iloc[0]), ls="--", lw=1, color=f"C{j}", alpha=0.7,
                       label=f"{kind} noise floor (dummy)")
    ax.set_xticks(x, [p.split(".")[-1] if p != DUMMY else "dummy" for p in params],
                  rotation=35, ha="right")
    ax.set_title(f"{method}: {output}")
    ax.set_ylabel("index")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def morris_figure(indices, output: str) -> plt.Figure:
    t = indices[indices.output == output].pivot(index="parameter", columns="index", values="value")
    fig, ax = plt.subplots(figsize=(6, 5), constrained_layout=True)
    ax.scatter(t["mu_star"], t["sigma"])
    for p, row in t.iterrows():
        ax.annotate(p.split(".")[-1], (row["mu_star"], row["sigma"]), fontsize=8,
                    xytext=(3, 3), textcoords="offset points")
    lim = max(float(t["mu_star"].max()), float(t["sigma"].max()), 1e-12) * 1.1
    ax.plot([0, lim], [0, lim], ls=":", color="grey", lw=1, label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (interaction / non-linearity)")
    ax.set_title(f"Morris: {output}")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def convergence_figure(conv, output: str) -> plt.Figure:
    t = conv[(conv.output == output) & (conv["index"] == "ST")]
    fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    for j, (p, g) in enumerate(t.groupby("parameter", sort=False)):
        g = g.sort_values("n")
        ax.errorbar(g["n"], g["value"], yerr=g["conf"], label=p.split(".")[-1], capsize=2,
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
    for out in res.indices.output.unique():
        slug = out.replace("/", "_")
        figs[f"indices_{slug}.png"] = indices_figure(res.indices, out, method)
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


def render(res, images: dict[str, bytes]) -> str:
    p = res.plan
    spec = p.problem.spec
    esc = html.escape

    def table(df, floatfmt="{:.4g}"):
        head = "".join(f"<th>{esc(str(c))}</th>" for c in df.columns)
        body = []
        for _, row in df.iterrows():
            cells = []
            for v in row:
                if isinstance(v, float):
                    cells.append(f"<td>{'' if np.isnan(v) else floatfmt.format(v)}</td>")
                else:
                    cells.append(f"<td>{esc(str(v))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table><tr>{head}</tr>{''.join(body)}</table>"

    params = [{"parameter": n, "path": pth or "(none: noise floor)",
               "distribution": d, "bounds": str(b)}
              for n, pth, d, b in zip(p.problem.names, p.problem.paths, p.problem.salib["dists"],
                                      p.problem.salib["bounds"], strict=True)]
    import pandas as pd

    imgs = "".join(
        f'<figure><img alt="{esc(k)}" src="data:image/png;base64,{base64.b64encode(v).decode()}">'
        f"<figcaption>{esc(k)}</figcaption></figure>" for k, v in images.items())
    shown = res.indices.drop(columns=["ci_low", "ci_high"])
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>tocsim sensitivity: {esc(spec.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;font-size:13px;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}
th{{background:#f3f3f3}}img{{max-width:100%}}figure{{margin:1em 0}}.note{{background:#fff8e0;padding:.6em 1em;border-left:4px solid #e0b000}}</style>
</head><body>
<h1>Sensitivity analysis: {esc(spec.name)}</h1>
<p>{esc(spec.description)}</p>
<h2>Settings</h2>
<ul><li>Base: {esc(spec.base)}, {p.weeks} weeks per run</li>
<li>Method: {esc(p.settings['method'])} with {esc(str({k: v for k, v in p.settings.items() if k != 'method'}))};
{len(p.X)} samples x {spec.replicates} replicates = {len(p.tasks)} runs (replicate seeds shared by all samples)</li>
<li>Root seed {spec.seed}; samples SHA-256 {p.inputs()['samples_sha256'][:16]}</li></ul>
<h2>Parameters</h2>{table(pd.DataFrame(params))}
<h2>Outputs and noise</h2>
<p class="note">The model is stochastic. Each sample's output is the mean of its replicates.
<i>noise_share_of_variance</i> is the share of the between-sample variance that replicate noise
alone would produce; the <i>dummy</i> parameter changes nothing, so its index is the noise floor:
read indices below it (column <i>above_noise</i> false) as noise, not sensitivity.</p>
{table(res.noise)}
<h2>Indices</h2>{table(shown)}
<h2>Plots</h2>{imgs}
<p><small>tocsim; SALib. indices.csv, samples.parquet and noise.csv hold the numbers.</small></p>
</body></html>
"""
