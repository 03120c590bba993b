"""The web app (Solara): routes ``/``, ``/team``, ``/facilitator``, ``/debrief`` and
``/explorer``. Started by ``tocsim serve`` (tocsim/web/server.py), which sets up the
process-wide registry (tocsim/web/registry.py) before the first page loads.

A thin layer (docs/DESIGN.md): pages call the exercise engine (``training``) through the
registry and render what it returns; no model logic lives here.
"""

from __future__ import annotations

import threading

import solara

from .common import CSS, FACILITATOR, messages, note, use_query, use_version
from .debrief_page import DebriefPage
from .facilitator import FacilitatorPage
from .registry import registry
from .team import TeamPage

PAGES = [("/", "Home"), ("/team", "Team"), ("/facilitator", "Facilitator"),
         ("/debrief", "Debrief"), ("/explorer", "Explorer")]


@solara.component
def Layout(children=[]):  # noqa: B006 (Solara's signature)
    q = use_query()
    code = q.get("code", "")
    solara.Title("tocsim")
    solara.Style(CSS)
    with solara.Column(style={"padding": "10px 28px", "max-width": "1280px"}):
        with solara.Row(classes=["tocsim-nav"], style={"align-items": "baseline"}):
            solara.Markdown("**tocsim**")
            for path, label in PAGES:
                keep = code and path in ("/team", "/facilitator", "/debrief")
                solara.HTML(tag="a", unsafe_innerHTML=label,
                            attributes={"href": f"{path}?code={code}" if keep else path})
        solara.Column(children=children)


@solara.component
def Home():
    reg = registry()
    key, set_key = solara.use_state("")
    solara.Markdown("""
## tocsim: exercises and exploration

- **Team**: your briefing, what your team may see, and your decisions each turn.
- **Facilitator**: the turn clock, submissions, lock and advance, injects, rewind, notes.
- **Debrief**: what happened, what would have happened without you, which decisions mattered.
- **Explorer**: run any scenario and watch it move week by week.

Teams and the facilitator join a session with the codes the facilitator hands out.
""")
    JoinBox()
    solara.Markdown("### Sessions")
    if reg.network:
        solara.Markdown("This server is open on a network: enter the server key printed when "
                        "`tocsim serve` started to create or open sessions and see their codes.")
        solara.InputText("server key", value=key, on_value=set_key, password=True,
                         continuous_update=True)
        if not reg.admin_ok(key):
            if key:
                note("Wrong server key.", "error")
            return
    Sessions(key)


@solara.component
def JoinBox():
    code, set_code = solara.use_state("")
    err, set_err = solara.use_state("")
    router = solara.use_router()

    def go():
        found = registry().join(code)
        if found is None:
            set_err("That code does not open any session on this server.")
            return
        live, role = found
        page = "/facilitator" if role == FACILITATOR else "/team"
        router.push(f"{page}?code={live.codes[role]}")

    with solara.Card("Join a session", style={"max-width": "520px"}):
        with solara.Row(style={"align-items": "center"}):
            solara.InputText("join code", value=code, on_value=set_code, continuous_update=True)
            solara.Button("Join", on_click=go, color="primary", classes=["tocsim-join"])
        if err:
            note(err, "error")


@solara.component
def Sessions(key: str):
    reg = registry()
    ver, set_ver = solara.use_state(0)
    errors, set_errors = solara.use_state([])
    by_name = {p.name: p for p in reg.exercises()}
    exercises = list(by_name)
    choice, set_choice = solara.use_state(exercises[0] if exercises else None)
    saved = [str(p) for p in reg.saved_sessions() if str(p.resolve()) not in reg.sessions]
    pick, set_pick = solara.use_state(None)
    busy, set_busy = solara.use_state(False)

    def create():
        """Build the world and run the warm-up weeks in a worker thread (seconds to a
        minute): this page shows that it works, the others are not held up."""
        if not reg.admin_ok(key) or busy:
            return
        set_busy(True)

        def work():
            try:
                reg.create(by_name[choice])
                set_errors([])
            except Exception as exc:  # ScenarioError: its lines; else one line
                set_errors(getattr(exc, "lines", [f"{type(exc).__name__}: {exc}"]))
            finally:
                set_busy(False)
                set_ver(lambda n: n + 1)

        threading.Thread(target=work, name="tocsim-web-create", daemon=True).start()

    def open_saved():
        if not reg.admin_ok(key) or pick is None:
            return
        try:
            reg.open(pick)
            set_errors([])
        except Exception as exc:
            set_errors(getattr(exc, "lines", [f"{type(exc).__name__}: {exc}"]))
        set_ver(lambda n: n + 1)

    for live in list(reg.sessions.values()):
        SessionCard(live)
    if not reg.sessions:
        solara.Markdown("No session is open yet.")
    with solara.Card("New session", style={"max-width": "720px"}):
        if exercises:
            solara.Select("exercise", values=exercises, value=choice, on_value=set_choice)
            solara.Button("Create session", on_click=create, color="primary",
                          disabled=busy or choice is None, classes=["tocsim-create"])
            if busy:
                solara.Text("building the world and running the warm-up weeks…")
        else:
            solara.Markdown(f"No exercise files in `{reg.exercises_dir}`.")
        if saved:
            solara.Select("or reopen a saved session", values=saved, value=pick,
                          on_value=set_pick)
            solara.Button("Open", on_click=open_saved, disabled=pick is None)
        messages(errors)


@solara.component
def SessionCard(live):
    use_version(live)
    st = live.view["status"]
    turn = "finished" if st["finished"] else f"turn {st['turn']} of {st['turns']}"
    with solara.Card(f"{st['title'] or st['exercise']} ({turn})", style={"max-width": "720px"}):
        solara.Markdown(f"session folder `{st['out']}`")
        rows = []
        for role, code in live.codes.items():
            page = "facilitator" if role == FACILITATOR else "team"
            rows.append(f"| {role} | <span class='tocsim-code'>{code}</span> | "
                        f"[open](/{page}?code={code}) |")
        solara.Markdown("| role | join code | page |\n|---|---|---|\n" + "\n".join(rows))


@solara.component
def ExplorerRoute():
    try:
        from .explorer import ExplorerPage
    except ImportError as exc:
        note(f"The explorer is not part of this build yet ({exc}).")
        return
    ExplorerPage()


routes = [
    solara.Route(path="/", component=Home, label="Home", layout=Layout),
    solara.Route(path="team", component=TeamPage, label="Team"),
    solara.Route(path="facilitator", component=FacilitatorPage, label="Facilitator"),
    solara.Route(path="debrief", component=DebriefPage, label="Debrief"),
    solara.Route(path="explorer", component=ExplorerRoute, label="Explorer"),
]
