"""The facilitator console: the turn clock, every team's submission and decisions, lock and
advance (the turn runs in a worker thread), fire an inject, view as a team, rewind, notes,
and the start of the debrief."""

from __future__ import annotations

import solara

from .common import (
    FACILITATOR,
    Clock,
    JoinForm,
    bar,
    listed,
    messages,
    note,
    num,
    role_label,
    table,
    use_join,
    use_version,
)
from .registry import MAX_REPLICATES, MIN_REPLICATES, LiveSession
from .team import TeamView


@solara.component
def FacilitatorPage():
    live, role, msg = use_join()
    if live is None:
        JoinForm("/facilitator", msg)
        return
    if role != FACILITATOR:
        note(f"This code is for {role_label(role)}, not for the facilitator.", "error")
        solara.Button("Go to the team page", href=f"/team?code={live.codes[role]}")
        return
    FacilitatorView(live)


@solara.component
def FacilitatorView(live: LiveSession):
    use_version(live)
    view = live.view
    st = view["status"]
    errors, set_errors = solara.use_state([])
    ok, set_ok = solara.use_state("")

    def act(fn, *args, done=""):
        errs = fn(*args)
        set_errors(errs)
        set_ok("" if errs else done)

    turn_txt = "finished" if st["finished"] else f"turn {st['turn']} of {st['turns']}"
    solara.Markdown(f"## Facilitator: {st['title'] or st['exercise']}\n"
                    f"{turn_txt} ({st['turn_weeks']} weeks a turn) · model week {st['week']} · "
                    f"seed {st['seed']} · session folder `{st['out']}`")
    with solara.Row(style={"align-items": "center"}):
        if not st["finished"]:
            Clock(live.turn_opened)
        if st["locked"]:
            solara.Text("· submissions locked")
    if live.busy:
        note(f"{live.busy}…")
    if live.error:
        note(live.error, "error")
    messages(errors, ok)

    with solara.Row():
        solara.Button("Lock turn", on_click=lambda: act(live.lock_turn, done="Turn locked."),
                      disabled=bool(live.busy) or st["finished"] or st["locked"])
        solara.Button(f"Advance: play turn {st['turn']}", color="primary",
                      on_click=lambda: act(live.advance, done=f"Turn {st['turn']} is running."),
                      disabled=bool(live.busy) or st["finished"], classes=["tocsim-advance"])

    solara.Markdown("### Teams")
    pending = view["pending"]
    table(["team", "budget", "committed", "submitted", "running decisions"],
          [[t["team"], num(t["budget"]), num(t["committed"]),
            "yes" if t["submitted"] else "no", ", ".join(t["active"]) or "-"]
           for t in st["teams"]], classes="tocsim-teams")
    rows = []
    for t in st["teams"]:
        for d in (pending.get(t["team"]) or {}).get("decisions", []):
            targets = d.get("targets") or {}
            expected = d.get("expected") or {}
            rows.append([t["team"], d["name"], d["type"], num(d["budget"]),
                         "; ".join(f"{k}: {listed(v)}" for k, v in targets.items()),
                         ", ".join(f"{k} {v:+.0%}" for k, v in expected.items()),
                         d.get("why", "")])
        for s in (pending.get(t["team"]) or {}).get("stop", []):
            rows.append([t["team"], s, "stop", "", "", "", ""])
    if rows:
        solara.Markdown(f"#### Decisions submitted for turn {st['turn']}")
        table(["team", "decision", "type", "USD/week", "targets", "expected", "why"], rows,
              classes="tocsim-pending")

    with solara.Columns([1, 1]):
        with solara.Column():
            Injects(live, st, act)
            Rewind(live, view, act)
            Notes(live)
        with solara.Column():
            Scorecard(st)
            DebriefStarter(live)
    ViewAs(live)
    solara.Markdown("### Event log (latest)")
    table(["#", "kind", "turn", "week", "what"],
          [[e["seq"], e["kind"], e["turn"], e["week"],
            e.get("team") or e.get("name") or e.get("to_turn", "")]
           for e in reversed(view["log"][-12:])])


@solara.component
def Injects(live: LiveSession, st: dict, act):
    solara.Markdown("### Injects")
    fired = st["fired"]
    if fired:
        table(["inject", "week", "turn", "how"],
              [[n, f["week"], f["turn"], f["how"]] for n, f in fired.items()])
    left = st["pending_injects"]
    choice, set_choice = solara.use_state(None)
    if not left:
        solara.Markdown("Every inject has fired.")
        return
    injects = live.injects()
    labels = {n: n + ("" if injects[n].at or injects[n].when else " (yours to fire)")
              for n in left}
    solara.Select("inject to fire now", values=left, value=choice if choice in left else None,
                  on_value=set_choice)
    if choice in left:
        i = injects[choice]
        solara.Markdown(f"{labels[choice]}: {i.brief or '-'}  \nexpected action: "
                        f"{i.expected_action or '-'}")
    solara.Button("Fire now", color="warning", disabled=choice not in left or bool(live.busy)
                  or st["finished"],
                  on_click=lambda: act(live.fire, choice, done=f"Inject {choice} fired."))


@solara.component
def Rewind(live: LiveSession, view: dict, act):
    solara.Markdown("### Rewind")
    played = view["played"]
    turn, set_turn = solara.use_state(0)
    asked, set_asked = solara.use_state(False)
    if played < 1:
        solara.Markdown("No turn played yet.")
        return
    k = min(turn, played)
    solara.Select("back to the end of turn (0: the start)", values=list(range(played + 1)),
                  value=k, on_value=lambda v: (set_turn(v), set_asked(False)))
    if not asked:
        solara.Button(f"Rewind to the end of turn {k}…", disabled=bool(live.busy),
                      on_click=lambda: set_asked(True))
        return
    later = f"turns {k + 1} to {played}" if k + 1 < played else f"turn {played}"
    note(f"This discards {later} (the event log keeps them). Sure?", "warning")
    with solara.Row():
        solara.Button(f"Yes, rewind to turn {k}", color="error", disabled=bool(live.busy),
                      on_click=lambda: (act(live.rewind, int(k),
                                            done=f"Back at the end of turn {k}."),
                                        set_asked(False)))
        solara.Button("Cancel", on_click=lambda: set_asked(False))


@solara.component
def Notes(live: LiveSession):
    text, set_text = solara.use_state(live.notes)
    saved, set_saved = solara.use_state([])
    solara.Markdown("### Notes")
    solara.InputTextArea("your notes (kept in the session folder)", value=text,
                         on_value=set_text, continuous_update=True, rows=4)

    def save():
        errs = live.set_notes(text)
        set_saved(errs or ["saved"])

    solara.Button("Save notes", on_click=save)
    if saved:
        messages([e for e in saved if e != "saved"], "Notes saved." if saved == ["saved"] else "")


@solara.component
def Scorecard(st: dict):
    sc = st["scorecard"]
    solara.Markdown(f"### Scorecard (true values, weeks {sc['weeks'] or '-'})")
    table(["objective", "weight", "session", "status quo", "points"],
          [[r["objective"], f"{r['weight']:g}", num(r["session"]), num(r["status_quo"]),
            f"{r['points']:+.3f}"] for r in sc["rows"]])
    solara.Markdown(f"Total: **{sc['total']:+.3f}** points against the status quo (one seed; "
                    "the debrief gives the intervals)")


@solara.component
def DebriefStarter(live: LiveSession):
    reps, set_reps = solara.use_state(5)
    errors, set_errors = solara.use_state([])
    solara.Markdown("### Debrief")
    solara.Markdown("Counterfactual runs of the session. Each replicate runs every arm "
                    "(status quo, plan, and the plan without each decision): a few seconds "
                    "each with the tiny exercise, minutes with 20 on a full exercise.")
    solara.InputInt(f"replicates ({MIN_REPLICATES} to {MAX_REPLICATES})", value=reps,
                    on_value=lambda v: set_reps(v if v is not None else reps))
    running = live.debrief_running
    solara.Button("Start the debrief", color="primary",
                  disabled=running or bool(live.busy) or live.view["played"] < 1,
                  on_click=lambda: set_errors(live.start_debrief(reps)),
                  classes=["tocsim-start-debrief"])
    messages(errors)
    DebriefProgressBar(live)
    code = live.codes[FACILITATOR]
    solara.Button("Open the debrief page", href=f"/debrief?code={code}", text=True)


@solara.component
def DebriefProgressBar(live: LiveSession):
    d = live.debrief
    phase = d.get("phase")
    if live.debrief_running:
        total = max(d.get("total", 1), 1)
        bar(100.0 * d.get("done", 0) / total, f"debrief: {phase}, {d.get('done', 0)} of "
            f"{total} runs ({d['replicates']} replicates and the session's own seed)")
    elif phase == "done":
        note(f"Debrief done in {d['seconds']} s ({d['replicates']} replicates); "
                       f"the full report: {d['html']}", "success")
    elif phase == "failed":
        note(f"Debrief failed: {d['error']}", "error")


@solara.component
def ViewAs(live: LiveSession):
    team, set_team = solara.use_state(None)
    solara.Markdown("### View as a team")
    solara.Select("team", values=live.teams, value=team, on_value=set_team)
    if team in live.teams:
        with solara.Card(f"What {team} sees", style={"background": "#fafafa"}):
            TeamView(live, team, readonly=True)
