"""Briefings as text: a team's Markdown briefing and the facilitator's status sheet."""

from __future__ import annotations

from typing import Any


def num(v: Any) -> str:
    """3 significant digits, with M and bn for large values; a dash for None."""
    if v is None:
        return "-"
    v = float(v)
    for scale, suffix in ((1e9, " bn"), (1e6, " M")):
        if abs(v) >= scale:
            return f"{v / scale:,.3g}{suffix}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def team_markdown(b: dict[str, Any]) -> str:
    lines = [f"# Briefing for {b['team']}, after turn {b['turn']}", ""]
    if b.get("note"):
        lines += [b["note"], ""]
    lines += [f"Budget: {num(b['budget'])} USD/week; committed next turn: "
              f"{num(b['committed'])} USD/week.", ""]
    if b.get("injects"):
        lines += ["## Developments", ""]
        lines += [f"- week {i['week']}: {i['brief']}" for i in b["injects"]] + [""]
    if b.get("decisions"):
        lines += ["## Your programmes", ""]
        lines += [f"- {d['name']} ({d['type']}, {num(d['budget'])} USD/week since week "
                  f"{d['from_week']})" for d in b["decisions"]] + [""]
    if b.get("estimates"):
        lines += ["## Intelligence estimates", "",
                  f"Estimates lag by {b['delay_weeks']} weeks and carry errors of about "
                  f"{100 * b['noise']:.0f}% (they are not the true state).", "",
                  "| item | region | estimate | weeks |", "|---|---|---|---|"]
        lines += [f"| {e['item']} | {e['region'] or 'all'} | {num(e['estimate'])} | "
                  f"{e['weeks']} |" for e in b["estimates"]]
        lines.append("")
    return "\n".join(lines)


def facilitator_markdown(s: dict[str, Any]) -> str:
    turn = f"turn {s['turn']} of {s['turns']}" if not s["finished"] else "finished"
    lines = [f"# {s['title'] or s['exercise']}: facilitator sheet ({turn}, week {s['week']})",
             "", "| team | budget | committed | submitted | active decisions |",
             "|---|---|---|---|---|"]
    for t in s["teams"]:
        lines.append(f"| {t['team']} | {num(t['budget'])} | {num(t['committed'])} | "
                     f"{'yes' if t['submitted'] else 'no'} | {', '.join(t['active']) or '-'} |")
    lines += ["", "## Injects fired", ""]
    lines += [f"- {n}: week {f['week']} (turn {f['turn']}, {f['how']})"
              for n, f in s["fired"].items()] or ["- none yet"]
    lines += ["", f"Not yet fired: {', '.join(s['pending_injects']) or 'none'}", "",
              f"## Scorecard (true values, weeks {s['scorecard']['weeks'] or '-'})", "",
              "| objective | weight | session | status quo | points |", "|---|---|---|---|---|"]
    for r in s["scorecard"]["rows"]:
        lines.append(f"| {r['objective']} | {r['weight']:g} | {num(r['session'])} | "
                     f"{num(r['status_quo'])} | {r['points']:+.3f} |")
    lines += ["", f"Total: {s['scorecard']['total']:+.3f}", ""]
    return "\n".join(lines)
