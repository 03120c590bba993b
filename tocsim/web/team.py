"""The team page: briefing and injects, the team's dashboard (its delayed, noisy estimates,
never the truth), and the decision form built from its menu with a budget bar."""

from __future__ import annotations

import datetime as dt
from typing import Any

import solara
from matplotlib.figure import Figure

from .common import (
    FACILITATOR,
    JoinForm,
    bar,
    listed,
    messages,
    note,
    num,
    table,
    use_join,
    use_version,
)
from .forms import (
    active_names,
    budget_line,
    decision_from_form,
    is_range,
    running_budget,
)
from .registry import LiveSession


@solara.component
def TeamPage():
    live, role, msg = use_join()
    if live is None:
        JoinForm("/team", msg)
        return
    if role == FACILITATOR:  # the facilitator may look at any team's page, read-only
        FacilitatorLooks(live)
        return
    TeamView(live, role)


@solara.component
def FacilitatorLooks(live: LiveSession):
    team, set_team = solara.use_state(live.teams[0])
    solara.Select("view as team", values=live.teams, value=team, on_value=set_team)
    TeamView(live, team, readonly=True)


def estimates_figure(briefs: list[dict[str, Any]]) -> Figure:
    """Each item the team is briefed on, turn by turn (its estimates, as told)."""
    series: dict[str, list[tuple[int, float]]] = {}
    for b in briefs:
        for e in b.get("estimates", []):
            label = e["item"].replace("_", " ") + (f" ({e['region']})" if e["region"] else "")
            series.setdefault(label, []).append((b["turn"], e["estimate"]))
    n = max(len(series), 1)
    cols = min(n, 2)
    rows = -(-n // cols)
    fig = Figure(figsize=(6.4, 2.3 * rows))  # not pyplot: pages render in many threads
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (label, pts) in zip(axes.flat, series.items(), strict=False):
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color="#1f77b4")
        ax.set_title(label + " (estimate)", fontsize=10)
        ax.set_xlabel("after turn", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.set_xticks([p[0] for p in pts])
    for ax in list(axes.flat)[len(series):]:
        ax.axis("off")
    fig.tight_layout()
    return fig


@solara.component
def TeamView(live: LiveSession, team: str, readonly: bool = False):
    use_version(live)
    view = live.view
    st = view["status"]
    trow = next(t for t in st["teams"] if t["team"] == team)
    now = view["now"][team]
    history = view["briefs"][team]
    turn_txt = "finished" if st["finished"] else f"turn {st['turn']} of {st['turns']}"
    solara.Markdown(f"## {team}: {st['title'] or st['exercise']}\n"
                    f"{turn_txt} · model week {st['week']} · budget {num(trow['budget'])} "
                    "USD/week")
    if live.busy:
        note(f"The facilitator is running the turn: {live.busy}.")
    elif st["finished"]:
        note("The exercise is over: the debrief follows.")
    elif st["locked"]:
        note(f"Turn {st['turn']} is locked: submissions are closed.", "warning")
    elif trow["submitted"]:
        note(f"Your decisions for turn {st['turn']} are in. You may still change "
                       "them until the facilitator locks the turn.", "success")
    else:
        note(f"Turn {st['turn']} is open: submit your decisions.")
    with solara.Columns([5, 6]):
        with solara.Column():
            Briefing(live, team, now, history)
        with solara.Column():
            if not readonly and not st["finished"]:
                DecisionForm(live, team)
            Submitted(view, team, st)


@solara.component
def Briefing(live: LiveSession, team: str, now: dict, history: list[dict]):
    spec = live.ex.ex.teams[team]
    solara.Markdown("### Briefing")
    if now.get("objectives"):
        solara.Markdown("Objectives of the exercise:\n\n"
                        + "\n".join(f"- {o}" for o in now["objectives"]))
    if spec.description:
        solara.Markdown(spec.description)
    injects = [(b["turn"], i) for b in history for i in b.get("injects", [])]
    solara.Markdown("#### Developments (injects)")
    if injects:
        solara.Markdown("\n".join(f"- **turn {turn}, week {i['week']}** ({i['name']}): "
                                  f"{i['brief']}" for turn, i in reversed(injects)))
    else:
        solara.Markdown("Nothing reported yet.")
    solara.Markdown("#### Intelligence estimates")
    if not now.get("estimates"):
        solara.Markdown(now.get("note") or "No estimates yet.")
        return
    solara.Markdown(f"After turn {now['turn']} (weeks {now['weeks']}). Estimates lag by "
                    f"{now['delay_weeks']} weeks and carry errors of about "
                    f"{100 * now['noise']:.0f}%: they are not the true state.")
    table(["item", "region", "estimate", "weeks"],
          [[e["item"], e["region"] or "all", num(e["estimate"]), e["weeks"]]
           for e in now["estimates"]], classes="tocsim-estimates")
    if len(history) > 1:
        EstimatesChart(history)
    if now.get("decisions"):
        solara.Markdown("#### Your programmes")
        table(["name", "type", "USD/week", "from week"],
              [[d["name"], d["type"], num(d["budget"]), d["from_week"]]
               for d in now["decisions"]])


@solara.component
def EstimatesChart(history: list[dict]):
    fig = solara.use_memo(lambda: estimates_figure(history), [len(history), history[-1]["turn"]])
    solara.FigureMatplotlib(fig, format="png")


@solara.component
def Submitted(view: dict, team: str, st: dict):
    pend = view["pending"].get(team)
    if not pend:
        return
    solara.Markdown(f"#### Submitted for turn {st['turn']}")
    table(["decision", "type", "USD/week", "expected", "why"],
          [[d["name"], d["type"], num(d["budget"]),
            ", ".join(f"{k} {v:+.0%}" for k, v in (d.get("expected") or {}).items()),
            d.get("why", "")] for d in pend["decisions"]], classes="tocsim-submitted")
    if pend.get("stop"):
        solara.Markdown("Stopping: " + ", ".join(pend["stop"]))


def _describe(d: dict) -> str:
    bits = [f"**{d['name']}**: {d['type']}, {num(d['budget'])} USD/week"]
    if d.get("targets"):
        bits.append("targets " + "; ".join(f"{k}: {listed(v)}" for k, v in d["targets"].items()))
    extra = {k: v for k, v in d.items()
             if k not in ("name", "type", "budget", "targets", "expected", "why")}
    if extra:
        bits.append(", ".join(f"{k} {v}" for k, v in extra.items()))
    if d.get("expected"):
        bits.append("expects " + ", ".join(f"{k} {v:+.0%}" for k, v in d["expected"].items()))
    return "; ".join(bits)


@solara.component
def DecisionForm(live: LiveSession, team: str):
    view = live.view
    st = view["status"]
    pend = view["pending"].get(team) or {}
    form_turn, set_form_turn = solara.use_state(st["turn"])
    drafts, set_drafts = solara.use_state(list(pend.get("decisions", [])))
    stops, set_stops = solara.use_state(list(pend.get("stop", [])))
    errors, set_errors = solara.use_state([])
    ok, set_ok = solara.use_state("")
    w0 = live.ex.ex.turn_start(min(form_turn, st["turns"]))
    active = active_names(view["decisions"], team, w0)
    cap = next(t["budget"] for t in st["teams"] if t["team"] == team)
    running = running_budget(view["decisions"], team, w0, stops)
    new = sum(float(d["budget"]) for d in drafts)
    pct, over, caption = budget_line(running, new, cap)

    solara.Markdown(f"### Decisions for turn {form_turn}")
    if form_turn != st["turn"] and not st["finished"]:
        note(f"The exercise has moved on to turn {st['turn']}: this form was for "
                       f"turn {form_turn} and cannot be submitted.", "warning")

        def fresh():
            set_form_turn(st["turn"])
            set_drafts([])
            set_stops([])
            set_errors([])
            set_ok("")

        solara.Button(f"Start turn {st['turn']}'s decisions", on_click=fresh, color="primary")
    bar(pct, caption, over)
    if active:
        solara.SelectMultiple("stop these running decisions", stops, active, on_value=set_stops)
    for i, d in enumerate(drafts):
        with solara.Row(style={"align-items": "center"}):
            solara.Markdown(_describe(d))
            solara.Button("remove", text=True, color="error",
                          on_click=lambda i=i: set_drafts(drafts[:i] + drafts[i + 1:]))

    def add(dec: dict) -> list[str]:
        errs = live.check(team, {"turn": form_turn, "decisions": drafts + [dec], "stop": stops})
        # the engine numbers decisions from 0 over the whole draft; name the new one
        errs = [e.replace(f"decisions[{len(drafts)}]", "new decision") for e in errs]
        if not errs:
            set_drafts(drafts + [dec])
            set_ok("")
        set_errors(errs)
        return errs

    DecisionEditor(live, team, add)

    def submit():
        sub = {"team": team, "turn": form_turn, "decisions": drafts, "stop": stops}
        errs = live.submit(team, sub)
        set_errors(errs)
        set_ok("" if errs else f"Submitted for turn {form_turn} at "
               f"{dt.datetime.now().strftime('%H:%M:%S')}: {len(drafts)} decision(s).")

    messages(errors, ok)
    solara.Button(f"Submit turn {form_turn}", on_click=submit, color="primary",
                  disabled=bool(live.busy) or st["locked"], classes=["tocsim-submit"])


@solara.component
def DecisionEditor(live: LiveSession, team: str, on_add):
    """One new decision: a menu item, its budget, targets and fields, the expected effect and
    why. Only the menu's choices are offered; the server checks them again."""
    menu = live.menu(team)
    objectives = live.objectives()
    types = [m["type"] for m in menu]
    kind, set_kind = solara.use_state(types[0])
    form, set_form = solara.use_state({})
    errs, set_errs = solara.use_state([])
    item = next(m for m in menu if m["type"] == kind)

    def put(key, val, sub=None):
        f = dict(form)
        if sub:
            f[sub] = {**f.get(sub, {}), key: val}
        else:
            f[key] = val
        set_form(f)

    with solara.Card("New decision", style={"margin": "8px 0"}):
        solara.Select("type (from your menu)", values=types, value=kind,
                      on_value=lambda v: (set_kind(v), set_form({}), set_errs([])))
        solara.InputText("name", value=form.get("name", ""), continuous_update=True,
                         on_value=lambda v: put("name", v))
        lo, hi = item["budget"]
        solara.InputText(f"budget, USD/week (menu: {num(lo)} to {num(hi)})",
                         value=form.get("budget", ""), continuous_update=True,
                         on_value=lambda v: put("budget", v))
        for key, allowed in item.get("targets", {}).items():
            if key == "top_n":
                solara.InputText(f"target the top N organizations (1 to {allowed})",
                                 value=str(form.get("targets", {}).get(key, "")),
                                 continuous_update=True,
                                 on_value=lambda v, k=key: put(k, v, "targets"))
            else:
                solara.SelectMultiple(f"targets: {key}",
                                      form.get("targets", {}).get(key, []), list(allowed),
                                      on_value=lambda v, k=key: put(k, v, "targets"))
        for key, spec in item.get("fields", {}).items():
            if is_range(spec):
                solara.InputText(f"{key.replace('_', ' ')} ({spec[0]} to {spec[1]})",
                                 value=str(form.get("fields", {}).get(key, "")),
                                 continuous_update=True,
                                 on_value=lambda v, k=key: put(k, v, "fields"))
            else:
                solara.Select(key.replace("_", " "), values=list(spec),
                              value=form.get("fields", {}).get(key),
                              on_value=lambda v, k=key: put(k, v, "fields"))
        solara.InputText("funded for N turns (blank: to the end)", value=form.get("turns", ""),
                         continuous_update=True, on_value=lambda v: put("turns", v))
        solara.Markdown("Expected effect on each objective, relative to doing nothing "
                        "(-0.1 or -10% = 10% lower; blank: no view):")
        with solara.Row(style={"flex-wrap": "wrap"}):
            for key in objectives:
                solara.InputText(key.replace("_", " "),
                                 value=form.get("expected", {}).get(key, ""),
                                 continuous_update=True, style={"width": "190px",
                                                                "flex": "0 0 190px"},
                                 on_value=lambda v, k=key: put(k, v, "expected"))
        solara.InputTextArea("rationale: why this decision?", value=form.get("why", ""),
                             continuous_update=True, on_value=lambda v: put("why", v))

        def add():
            dec, problems = decision_from_form(form, item, objectives)
            if problems:
                set_errs(problems)
                return
            problems = on_add(dec)
            set_errs([])
            if not problems:
                set_form({})

        messages(errs)
        solara.Button("Add to plan", on_click=add, color="secondary", classes=["tocsim-add"])
