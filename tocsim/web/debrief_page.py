"""The debrief page: the engine's debrief (``training.debrief``), interactive: choose the
objective, see its counterfactual bands and the decisions ranked by their effect on it."""

from __future__ import annotations

import math

import numpy as np
import solara
from matplotlib.figure import Figure

from .common import FACILITATOR, JoinForm, note, num, table, use_join, use_version
from .facilitator import DebriefProgressBar, DebriefStarter
from .registry import LiveSession

SCORE = "score (all objectives)"


@solara.component
def DebriefPage():
    live, role, msg = use_join()
    if live is None:
        JoinForm("/debrief", msg)
        return
    DebriefView(live, role)


def bands_figure(res, metric: str) -> Figure:
    """One objective week by week: mean over seeds and the 5-95% band per main arm, and the
    session's own run (dashed)."""
    from training.report import draw_bands

    fig = Figure(figsize=(9, 3.6))  # not pyplot: pages render in many threads
    ax = fig.subplots()
    draw_bands(ax, res, metric)
    ax.set_title(f"{metric.replace('_', ' ')}: mean over {res.luck['replicates']} seeds, "
                 "band 5-95% of seeds", fontsize=10)
    ax.set_xlabel("model week")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig


def luck_figure(res) -> Figure:
    """The plan's effect on the score over seeds, and where this session fell."""
    eff = np.asarray(res.luck["effects"])
    fig = Figure(figsize=(9, 2.6))
    ax = fig.subplots()
    ax.hist(eff, bins=max(5, min(20, eff.size)), color="#1f77b4", alpha=0.7)
    ax.axvline(res.luck["own_effect"], color="#d62728", lw=2, label="this session")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("plan minus status quo (points), one bar per seed")
    ax.set_title("Luck or skill: the plan's effect over seeds", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def ranking_rows(res, objective: str) -> list[list[str]]:
    """Decisions (and teams) ranked by their paired effect on ``objective`` (points of the
    score, or the objective's relative change, signed so that + is better)."""
    r = res.ranking
    if r.empty:
        return []
    if objective == SCORE:
        r = r.sort_values("score_effect", ascending=False)
        return [[i + 1, w, t or "", f"{e:+.3f}", f"{lo:+.3f} to {hi:+.3f}"]
                for i, (w, t, e, lo, hi) in enumerate(
                    zip(r["what"], r["team"], r["score_effect"], r["lo"], r["hi"], strict=True))]
    obj = res.exercise.ex.spec.scorecard[objective]
    sign = 1.0 if obj.better == "higher" else -1.0
    m, lo, hi = (r[f"rel:{objective}"], r[f"rel_lo:{objective}"], r[f"rel_hi:{objective}"])
    order = np.argsort(-(sign * m.to_numpy()), kind="stable")
    rows = []
    for k, i in enumerate(order):
        rows.append([k + 1, r["what"].iloc[i], r["team"].iloc[i] or "",
                     _pct(m.iloc[i]), f"{_pct(lo.iloc[i])} to {_pct(hi.iloc[i])}"])
    return rows


def _pct(x: float) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:+.1f}%"


@solara.component
def DebriefView(live: LiveSession, role: str):
    use_version(live)
    st = live.view["status"]
    res = live.debrief_result
    solara.Markdown(f"## Debrief: {st['title'] or st['exercise']}")
    if res is None:
        if role == FACILITATOR:
            DebriefStarter(live)
        else:
            DebriefProgressBar(live)
            note("The facilitator starts the debrief; this page shows it when it is "
                        "ready.")
        return
    DebriefResults(live, res)


@solara.component
def DebriefResults(live: LiveSession, res):
    spec = res.exercise.ex.spec
    choices = [SCORE] + list(spec.scorecard)
    objective, set_objective = solara.use_state(SCORE)
    d = live.debrief
    solara.Markdown(f"{d['replicates']} replicates of {len(res.arms)} arms (status quo, plan, "
                    "and the plan without each decision) with common random numbers, plus the "
                    f"session's own seed. Full report: `{d.get('html', '')}`")
    p = res.pearls
    solara.Markdown("### Reactions\n" + "\n".join(f"- {x}" for x in p["reactions"]))
    solara.Markdown("### Description\n" + "\n".join(f"- {x}" for x in p["description"]))
    solara.Markdown("### Analysis")
    solara.ToggleButtonsSingle(value=objective, values=choices, on_value=set_objective,
                               classes=["tocsim-objective"])
    sc = res.scorecard
    metric = None if objective == SCORE else res.exercise.ex.objective_metric(objective)

    fig = solara.use_memo(lambda: luck_figure(res) if metric is None
                          else bands_figure(res, metric), [id(res), objective])
    solara.FigureMatplotlib(fig, format="png")
    if objective == SCORE:
        solara.Markdown(f"**Luck or skill**: {res.luck['reading']}. The plan's mean effect is "
                        f"{res.luck['effect']:+.3f} points (95% CI {res.luck['lo']:+.3f} to "
                        f"{res.luck['hi']:+.3f}); this session's {res.luck['own_effect']:+.3f} "
                        f"is at the {res.luck['percentile']:.0f}th percentile.")
        part = sc[sc["objective"] == "score"]
        table(["arm", "points vs status quo", "95% CI"],
              [[a, f"{x:+.3f}", f"{lo:+.3f} to {hi:+.3f}"] for a, x, lo, hi in
               zip(part["arm"], part["diff"], part["diff_lo"], part["diff_hi"], strict=True)])
        head = ["rank", "decision", "team", "effect on the score (points)", "95% CI"]
    else:
        part = sc[sc["objective"] == objective]
        table(["arm", f"mean {metric}", "95% CI", "points", "points 95% CI"],
              [[a, num(x), f"{num(lo)} to {num(hi)}", f"{pt:+.3f}",
                f"{plo:+.3f} to {phi:+.3f}"] for a, x, lo, hi, pt, plo, phi in
               zip(part["arm"], part["mean"], part["lo"], part["hi"], part["points"],
                   part["points_lo"], part["points_hi"], strict=True)])
        better = spec.scorecard[objective].better
        head = ["rank", "decision", "team", f"effect on {metric} ({better} is better)",
                "95% CI"]
    solara.Markdown("#### Which decisions mattered (plan minus plan without it, paired)")
    rows = ranking_rows(res, objective)
    if rows:
        table(head, rows, classes="tocsim-ranking")
    else:
        solara.Markdown("No decisions were taken.")
    if not res.stated.empty:
        solara.Markdown("#### Stated against measured")
        s = res.stated
        table(["decision", "team", "objective", "stated", "measured", "95% CI", "reading"],
              [[r.decision, r.team, r.metric, _pct(r.stated), _pct(r.measured),
                f"{_pct(r.lo)} to {_pct(r.hi)}", r.verdict] for r in s.itertuples()])
    solara.Markdown("\n".join(f"- {x}" for x in p["analysis"]))
    solara.Markdown("### Summary\n" + "\n".join(f"- {x}" for x in p["summary"]))
    solara.Markdown("**Plus**\n\n" + ("\n".join(f"- {x}" for x in p["plus"]) or "- (none)")
                    + "\n\n**Delta**\n\n" + ("\n".join(f"- {x}" for x in p["delta"]) or
                                               "- (none)"))
