"""The debrief conversation in the PEARLS structure (Eppich & Cheng 2015): reactions,
description, analysis, summary, with a plus/delta list from the measured effects.

The analysis prompts are written in the advocacy-inquiry form (Rudolph et al.): an observation
from the runs, then a question about the trainees' reasoning. They are prompts for the
facilitator, drawn from the numbers, not verdicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .briefing import num


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def _sig(lo: float, hi: float) -> bool:
    return bool(np.isfinite(lo) and np.isfinite(hi) and (lo > 0 or hi < 0))


def pearls(res) -> dict[str, Any]:
    ex = res.exercise
    spec = ex.ex.spec
    sc = res.scorecard
    plan_score = sc[(sc["arm"] == "plan") & (sc["objective"] == "score")].iloc[0]
    reactions = [
        "How did the exercise feel? What was the hardest moment for your team?",
        f"Your plan scored {plan_score['diff']:+.3f} points against the status quo "
        f"(95% CI {plan_score['diff_lo']:+.3f} to {plan_score['diff_hi']:+.3f}) over "
        f"{res.luck['replicates']} seeds. Is that what you expected?",
    ]
    description = []
    for turn in range(1, ex.turn):
        decs = [d for d in ex.state["decisions"] if d["turn"] == turn]
        injs = [n for n, f in ex.state["fired"].items() if f["turn"] == turn]
        stops = [a["name"] for a in ex.state["actions"]
                 if a["kind"] == "stop" and a["week"] == ex.ex.turn_start(turn)]
        bits = []
        if decs:
            bits.append("decided " + "; ".join(
                f"{d['team']}: {d['name']} ({d['entry']['type']}, "
                f"{num(d['entry']['budget'])} USD/week)" for d in decs))
        if stops:
            bits.append("stopped " + ", ".join(stops))
        if injs:
            bits.append("injects: " + ", ".join(injs))
        description.append(f"Turn {turn}: " + ("; ".join(bits) if bits else "no new decisions"))
    analysis = []
    for _, r in res.ranking.head(3).iterrows():
        analysis.append(
            f"{r['what']} changed the score by {r['score_effect']:+.3f} points "
            f"(95% CI {r['lo']:+.3f} to {r['hi']:+.3f}). What made it work, or not?")
    for _, r in res.stated.iterrows():
        if not np.isfinite(r["measured"]) or r["verdict"].startswith("as stated"):
            continue
        analysis.append(
            f"{r['team']} expected {r['decision']} to change {r['metric']} by "
            f"{_pct(r['stated'])}; the paired runs measure {_pct(r['measured'])} "
            f"({_pct(r['lo'])} to {_pct(r['hi'])}): {r['verdict']}. "
            "What did you see that led you to expect that?")
    for n, f in ex.state["fired"].items():
        inj = ex.ex.injects[n]
        if not inj.expected_action:
            continue
        later = [d["name"] for d in ex.state["decisions"]
                 if d["turn"] == f["turn"] + 1 and (not inj.teams or d["team"] in inj.teams)]
        analysis.append(
            f"Inject {n} (week {f['week']}): the expected action was \u201c"
            f"{inj.expected_action}\u201d; the next turn's decisions of the teams it targeted: "
            f"{', '.join(later) or 'none'}. How did you read it?")
    analysis.append(f"Luck or skill: {res.luck['reading']} (the session's own effect "
                    f"{res.luck['own_effect']:+.3f} is at the {res.luck['percentile']:.0f}th "
                    "percentile of the plan's effects over seeds).")
    plus, delta = [], []
    for _, r in res.ranking.iterrows():
        if r["kind"] != "without":
            continue
        if _sig(r["lo"], r["hi"]) and r["score_effect"] > 0:
            plus.append(f"{r['what']} ({r['team']}): {r['score_effect']:+.3f} points")
        elif _sig(r["lo"], r["hi"]) and r["score_effect"] < 0:
            delta.append(f"{r['what']} ({r['team']}) cost {r['score_effect']:+.3f} points: "
                         "what would you do instead?")
        else:
            delta.append(f"{r['what']} ({r['team']}): no measurable effect on the score "
                         f"({r['lo']:+.3f} to {r['hi']:+.3f}); was the money better spent "
                         "elsewhere?")
    for _, r in res.stated.iterrows():
        if r["verdict"] in ("opposite direction",):
            delta.append(f"{r['decision']}: {r['metric']} moved opposite to the stated "
                         "expectation")
    alts = sc[(sc["objective"] == "score") & sc["arm"].str.startswith("alt: ")]
    summary = [f"Objectives of this exercise: {'; '.join(spec.objectives) or '-'}."]
    for _, a in alts.iterrows():
        summary.append(f"The facilitator's alternative {a['arm'][5:]} scored "
                       f"{a['diff']:+.3f} points against the status quo, the plan "
                       f"{plan_score['diff']:+.3f}.")
    summary.append("What is one thing each team will do differently next time?")
    return {"reactions": reactions, "description": description, "analysis": analysis,
            "summary": summary, "plus": plus, "delta": delta}
