"""``debrief.html`` (self-contained: plots embedded as base64 PNG), its plots, the tables as
CSV and the event log as ``log.csv``."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .briefing import num  # noqa: E402

COLORS = {"plan": "#1f77b4", "status quo": "#7f7f7f"}
ALT_COLORS = ["#2ca02c", "#9467bd", "#8c564b", "#e377c2"]
TEAM_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def _color(label: str, alts: list[str]) -> str:
    if label in COLORS:
        return COLORS[label]
    return ALT_COLORS[alts.index(label) % len(ALT_COLORS)] if label in alts else "#333"


# ---------------------------------------------------------------------------- plots
def draw_bands(ax, res, metric: str) -> None:
    """On ``ax``: ``metric``'s weekly mean over replicates with its 5-95% band for the status
    quo, the plan and each alternative (from the warm-up's end), the session's own run
    (dashed) and the turns' starts. Shared by ``metrics_figure`` and the web debrief page."""
    ex, b = res.exercise, res.bands
    alts = [a.label for a in res.arms if a.kind == "alternative"]
    a0 = ex.ex.spec.warmup_weeks
    for label in ["status quo", "plan"] + alts:
        part = b[(b["metric"] == metric) & (b["arm"] == label) & (b["week"] >= a0)]
        c = _color(label, alts)
        ax.fill_between(part["week"], part["lo"], part["hi"], color=c, alpha=0.15, lw=0)
        ax.plot(part["week"], part["mean"], color=c, lw=1.6, label=f"{label} (mean)")
        if label == "plan":
            ax.plot(part["week"], part["session"], color=c, lw=0.9, ls="--",
                    label="this session")
    for k in range(1, ex.turn):
        ax.axvline(ex.ex.turn_start(k), color="#eee", lw=0.8, zorder=0)


def timeline_figure(res) -> plt.Figure:
    """Decisions (bars over the weeks they are funded, one lane per team) and injects."""
    ex = res.exercise
    teams = list(ex.ex.teams)
    a, end = ex.ex.spec.warmup_weeks, ex.model.week
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.75 * (len(teams) + 1)))
    for k in range(1, ex.turn):
        ax.axvline(ex.ex.turn_start(k), color="#ddd", lw=0.8, zorder=0)
        ax.text(ex.ex.turn_start(k) + ex.ex.spec.turn_weeks / 2, len(teams) + 0.45, f"T{k}",
                ha="center", va="bottom", fontsize=8, color="#666")
    for i, t in enumerate(teams):
        decs = [d for d in ex.state["decisions"] if d["team"] == t]
        n = max(len(decs), 1)
        for j, d in enumerate(decs):
            last = d["last_week"] if d["last_week"] is not None else end - 1
            y = i - 0.35 + 0.7 * (j + 0.5) / n
            h = min(0.7 / n * 0.8, 0.3)
            ax.barh(y, max(last + 1 - d["week"], 0.5), left=d["week"], height=h,
                    color=TEAM_COLORS[i % len(TEAM_COLORS)], alpha=0.75)
            ax.text(d["week"] + 0.5, y, d["name"], va="center", fontsize=7, color="black")
    y_inj = len(teams)
    for k, (n_, f) in enumerate(sorted(ex.state["fired"].items(), key=lambda x: x[1]["week"])):
        k = k % 3  # labels on three rows, so that close injects do not overlap
        ax.axvline(f["week"], color="#d62728", ls="--", lw=1)
        ax.plot([f["week"]], [y_inj], marker="v", color="#d62728", clip_on=False)
        ax.text(f["week"] + 0.3, y_inj - 0.12 - 0.22 * k, f"{n_} ({f['how']})", fontsize=7,
                color="#d62728", rotation=0, va="top")
    ax.set_yticks(range(len(teams) + 1), teams + ["injects"])
    ax.set_ylim(-0.6, len(teams) + 0.9)
    ax.set_xlim(a, end)
    ax.set_xlabel("model week")
    ax.set_title("Timeline: decisions (bars: weeks funded) and injects")
    fig.tight_layout()
    return fig


def metrics_figure(res) -> plt.Figure:
    """Each objective's weekly mean over replicates with its 5-95% band, per main arm, and the
    session's own run."""
    ex = res.exercise
    metrics = list(dict.fromkeys(ex.ex.objective_metric(k) for k in ex.ex.spec.scorecard))
    n = len(metrics)
    cols = 2 if n > 1 else 1
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, m in zip(axes.flat, metrics, strict=False):
        draw_bands(ax, res, m)
        ax.set_title(m.replace("_", " "))
        ax.set_xlabel("model week")
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"Objectives: mean over {res.luck['replicates']} seeds, band 5-95% of "
                 "seeds; dashed: this session", fontsize=10)
    fig.tight_layout()
    return fig


def ranking_figure(res) -> plt.Figure:
    """Each decision's (and team's) measured effect on the score: plan minus plan without it,
    paired, with the 95% CI."""
    r = res.ranking
    fig, ax = plt.subplots(figsize=(9, 0.9 + 0.38 * max(len(r), 1)))
    if r.empty:
        ax.text(0.5, 0.5, "no decisions", ha="center", va="center")
        ax.axis("off")
        return fig
    r = r.iloc[::-1]
    y = np.arange(len(r))
    est = r["score_effect"].to_numpy()
    err = np.vstack([est - r["lo"].to_numpy(), r["hi"].to_numpy() - est])
    colors = ["#2ca02c" if lo > 0 else "#d62728" if hi < 0 else "#999"
              for lo, hi in zip(r["lo"], r["hi"], strict=True)]
    ax.barh(y, est, color=colors, alpha=0.8)
    ax.errorbar(est, y, xerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=3, lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, [str(w) for w in r["what"]], fontsize=8)
    ax.set_xlabel("effect on the score (points; plan minus plan without it)")
    ax.set_title("Which decisions mattered (green/red: 95% CI excludes zero)")
    fig.tight_layout()
    return fig


def scorecard_figure(res) -> plt.Figure:
    sc = res.scorecard
    sc = sc[(sc["objective"] != "score") & (sc["arm"] != "status quo")]
    arms = list(dict.fromkeys(sc["arm"]))
    objs = list(dict.fromkeys(sc["objective"]))
    alts = [a.label for a in res.arms if a.kind == "alternative"]
    fig, ax = plt.subplots(figsize=(9, 3.6))
    width = 0.8 / max(len(arms), 1)
    for i, arm in enumerate(arms):
        part = sc[sc["arm"] == arm].set_index("objective").reindex(objs)
        x = np.arange(len(objs)) + (i - (len(arms) - 1) / 2) * width
        est = part["points"].to_numpy()
        err = np.vstack([est - part["points_lo"].to_numpy(), part["points_hi"].to_numpy() - est])
        ax.bar(x, est, width, color=_color(arm, alts), label=arm, alpha=0.85)
        ax.errorbar(x, est, yerr=np.nan_to_num(err), fmt="none", ecolor="black", capsize=2,
                    lw=0.8)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(np.arange(len(objs)), objs)
    ax.set_ylabel("points vs status quo (+ is better)")
    ax.set_title("Scorecard by objective (mean over seeds, 95% CI)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


FIGURES = {"timeline.png": timeline_figure, "metrics.png": metrics_figure,
           "ranking.png": ranking_figure, "scorecard.png": scorecard_figure}


# ---------------------------------------------------------------------------- log
def log_frame(log: list[dict[str, Any]]) -> pd.DataFrame:
    """The event log, one row per event: seq, time, kind, turn, week, team, name, detail."""
    rows = []
    for e in log:
        detail = {k: v for k, v in e.items()
                  if k not in ("seq", "time", "kind", "turn", "week", "team", "name")}
        rows.append({"seq": e["seq"], "time": e["time"], "kind": e["kind"], "turn": e["turn"],
                     "week": e["week"], "team": e.get("team", ""), "name": e.get("name", ""),
                     "detail": json.dumps(detail, sort_keys=True) if detail else ""})
    return pd.DataFrame(rows, columns=["seq", "time", "kind", "turn", "week", "team", "name",
                                       "detail"])


# ---------------------------------------------------------------------------- html
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.86em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f3}td.l,th.l{text-align:left}
img{max-width:100%;border:1px solid #eee;margin:.4em 0}
.plus{color:#1a7f37}.delta{color:#b42318}.muted{color:#666;font-size:.9em}
.phase{background:#fafafa;border-left:4px solid #1f77b4;padding:.3em 1em;margin:.8em 0}
"""


def _img(images: dict[str, bytes], name: str, alt: str) -> str:
    b64 = base64.b64encode(images[name]).decode()
    return f'<img src="data:image/png;base64,{b64}" alt="{html.escape(alt)}">'


def _ci(lo, hi, signed=True) -> str:
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "\u2013"
    if not signed:
        return f"[{num(lo)}, {num(hi)}]"
    return f"[{lo:+.3f}, {hi:+.3f}]"


def _table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    th = "".join(f'<th class="{"l" if i < left else ""}">{html.escape(h)}</th>'
                 for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td class="{"l" if i < left else ""}">{c}</td>'
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


def _ul(items: list[str], cls: str = "") -> str:
    if not items:
        return '<p class="muted">none</p>'
    return f'<ul class="{cls}">' + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul>"


def _change(r, key: str, metric: str) -> str:
    """A decision's effect on one objective: relative to the status quo, or in USD/week for
    the cost (the status quo costs nothing)."""
    if metric == "intervention_cost":
        v = r[f"abs:{key}"]
        return ("+" if v > 0 else "") + num(v)
    return f"{100 * r[f'rel:{key}']:+.1f}%"


def _unit(ex, key: str) -> str:
    return "USD/week" if ex.ex.objective_metric(key) == "intervention_cost" else "rel."


def render(res, images: dict[str, bytes]) -> str:
    ex, p, luck = res.exercise, res.pearls, res.luck
    spec = ex.ex.spec
    e = html.escape
    sc = res.scorecard
    score_rows = []
    for _, r in sc.iterrows():
        weight = "" if r["weight"] is None or pd.isna(r["weight"]) else f"{r['weight']:g}"
        score_rows.append([e(r["arm"]), e(r["objective"]), weight,
                           num(r["mean"]), e(_ci(r["lo"], r["hi"], False)),
                           f"{r['points']:+.3f}", e(_ci(r["points_lo"], r["points_hi"]))])
    rank_rows = [[str(r["rank"]), e(str(r["what"])), e(str(r["team"] or "")),
                  f"{r['score_effect']:+.3f}", e(_ci(r["lo"], r["hi"]))]
                 + [_change(r, k, ex.ex.objective_metric(k)) for k in spec.scorecard]
                 for _, r in res.ranking.iterrows()]
    stated_rows = [[e(r["decision"]), e(r["team"]), str(r["turn"]), e(r["metric"]),
                    f"{100 * r['stated']:+.0f}%",
                    "\u2013" if not np.isfinite(r["measured"]) else f"{100 * r['measured']:+.1f}%",
                    e(_ci(100 * r["lo"], 100 * r["hi"])) if np.isfinite(r["lo"]) else "\u2013",
                    e(r["verdict"]), e(r["why"])] for _, r in res.stated.iterrows()]
    inj_rows = [[e(n), str(f["week"]), str(f["turn"]), e(f["how"]),
                 e(", ".join(ex.ex.injects[n].teams) or "all"), e(ex.ex.injects[n].brief),
                 e(ex.ex.injects[n].expected_action)] for n, f in ex.state["fired"].items()]
    check = res.session_check
    check_txt = ("The plan arm on the session's seed reproduces the session exactly, and the "
                 "status-quo arm its status-quo shadow." if all(check.values()) else
                 "WARNING: the plan arm on the session's seed differs from the session "
                 f"({check}); the counterfactuals may not match what the trainees saw.")
    t = res.timings
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Debrief: {e(spec.title or spec.name)}</title><style>{CSS}</style></head><body>",
        f"<h1>Debrief: {e(spec.title or spec.name)}</h1>",
        f"<p class='muted'>{e(spec.description)}</p>",
        f"<p>Session <code>{e(str(ex.out))}</code>, seed {ex.ex.scenario.seed}, "
        f"{ex.turn - 1} of {spec.turns} turns of {spec.turn_weeks} weeks played (weeks "
        f"{spec.warmup_weeks} to {ex.model.week - 1} scored). Counterfactuals: "
        f"{luck['replicates']} replicates per arm with common random numbers, plus the "
        f"session's own seed; {len(res.arms)} arms.</p>",
        "<h2>1. Reactions</h2><div class='phase'>", _ul(p["reactions"]), "</div>",
        "<h2>2. Description: what happened</h2><div class='phase'>", _ul(p["description"]),
        "</div>", _img(images, "timeline.png", "timeline"),
        _table(["inject", "week", "turn", "fired by", "teams", "briefing", "expected action"],
               inj_rows, left=1) if inj_rows else "<p class='muted'>No injects fired.</p>",
        "<h2>3. Analysis: why</h2>",
        "<h3>Key metrics against the counterfactuals</h3>", _img(images, "metrics.png", "metrics"),
        "<h3>Scorecard (against the status quo, paired)</h3>",
        _img(images, "scorecard.png", "scorecard"),
        _table(["arm", "objective", "weight", "mean", "95% CI", "points", "95% CI"], score_rows,
               left=2),
        "<h3>Which decisions mattered (leave one out, paired)</h3>",
        _img(images, "ranking.png", "ranking"),
        _table(["rank", "decision or team", "team", "score effect", "95% CI"]
               + [f"{k} ({_unit(ex, k)})" for k in spec.scorecard], rank_rows, left=3)
        if rank_rows else "<p class='muted'>No decisions to rank.</p>",
        "<h3>Stated against measured effects</h3>",
        _table(["decision", "team", "turn", "metric", "stated", "measured", "95% CI", "reading",
                "why (as stated)"], stated_rows, left=4)
        if stated_rows else "<p class='muted'>No expected effects were stated.</p>",
        "<h3>Luck or skill</h3>",
        f"<p>Skill (what the plan does over seeds): {luck['effect']:+.3f} points against the "
        f"status quo, 95% CI {_ci(luck['lo'], luck['hi'])}. Luck: this session's own effect "
        f"was {luck['own_effect']:+.3f}, at the {luck['percentile']:.0f}th percentile of the "
        f"plan's effects over seeds: {e(luck['reading'])}.</p>",
        "<h3>Prompts for the conversation</h3><div class='phase'>", _ul(p["analysis"]),
        "</div>",
        "<h2>4. Summary</h2><div class='phase'>", _ul(p["summary"]), "</div>",
        "<h3>Plus (worked, measurably)</h3>", _ul(p["plus"], "plus"),
        "<h3>Delta (to change)</h3>", _ul(p["delta"], "delta"),
        "<h2>Method and checks</h2>",
        f"<p>{e(check_txt)}</p>",
        "<p class='muted'>Points per objective are sign &times; (arm &minus; status quo) / scale "
        "over the scored weeks, positive when better; scale is the objective's, or the status "
        "quo's mean over replicates. A decision's effect is plan minus plan-without-it in the "
        "same replicate (common random numbers). Bands in the metric plots are the 5-95% range "
        "over seeds, not confidence intervals of the mean. The event log is in log.csv, the "
        f"tables in scorecard.csv, ranking.csv, stated.csv and per_run.csv. Runs: {t.get('runs')}"
        f" tasks of {t.get('weeks')} weeks in {t.get('runs_s')} s.</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def write_debrief(res) -> Path:
    """Write debrief.html, plots/*.png, the tables and log.csv to ``res.out``."""
    from analysis.store import write_atomic

    out = res.out
    (out / "plots").mkdir(parents=True, exist_ok=True)
    images = {}
    for name, make in FIGURES.items():
        fig = make(res)
        buf = io.BytesIO()
        fig.savefig(buf, dpi=100, format="png")
        plt.close(fig)
        images[name] = buf.getvalue()
        write_atomic(out / "plots" / name, images[name])
    for name, df in (("scorecard.csv", res.scorecard), ("ranking.csv", res.ranking),
                     ("stated.csv", res.stated), ("per_run.csv", res.per_run),
                     ("log.csv", log_frame(res.exercise.log))):
        write_atomic(out / name, df.to_csv(index=False).encode())
    summary = {"luck": {k: v for k, v in res.luck.items() if k != "effects"},
               "session_check": res.session_check, "pearls": res.pearls,
               "timings": res.timings, "arms": [a.label for a in res.arms]}
    write_atomic(out / "debrief.json", (json.dumps(summary, indent=1, default=str) + "\n")
                 .encode())
    write_atomic(out / "debrief.html", render(res, images).encode())
    return out / "debrief.html"
