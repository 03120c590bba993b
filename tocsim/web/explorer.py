"""The Explorer page: pick a scenario, change parameters and levers, run it and watch.

The page is a view of an :class:`~tocsim.web.explorer_run.ExplorerRun` kept in the
process-wide registry under the id in the URL (``?run=ID``), so a refresh (or a second tab
with the same URL) shows the same run. The model steps in the run's worker thread; this page
waits for new snapshots in its own thread (:func:`use_run_updates`) and redraws the charts
and the map from them. Every change is checked on the server (:mod:`.explorer_edit`): a
refused value shows a message and changes nothing.

Run it alone with ``solara run tocsim/web/explorer.py`` (``Page`` below); the web app mounts
:func:`ExplorerPage` at ``/explorer``.
"""

from __future__ import annotations

import base64
import html
import math
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import solara

from tocsim.web import explorer_edit as ed
from tocsim.web import model_view as mv
from tocsim.web import worldmap
from tocsim.web.explorer_run import REGISTRY, SPEEDS, ExplorerRun, Status

SCENARIOS_DIR = Path(os.environ.get("TOCSIM_SCENARIOS_DIR", "scenarios"))
DEFAULT_SCENARIO = "baseline.yaml"
POLL_S = 0.5  # how long the page's watcher waits for a change before checking its stop
FRAME_S = 0.5  # a page draws its pictures at most this often (seconds)
SPEED_LABELS = {s: ("max" if s == 0 else str(s)) for s in SPEEDS}  # weeks per second


def configure(scenarios_dir: str | Path | None = None) -> None:
    """Set the folder whose ``*.yaml`` files the explorer offers (default: ``scenarios``
    in the working directory, or ``$TOCSIM_SCENARIOS_DIR``)."""
    global SCENARIOS_DIR
    if scenarios_dir is not None:
        SCENARIOS_DIR = Path(scenarios_dir)


def _query_id(search: str | None) -> str | None:
    if not search:
        return None
    ids = parse_qs(search).get("run")
    return ids[0] if ids else None


def get_or_create_run(run_id: str | None) -> ExplorerRun:
    """The run with ``run_id``, or a new run of the default scenario (with a note when the
    id was given but is no longer kept)."""
    run = REGISTRY.get(run_id)
    if run is not None:
        return run
    files = ed.scenario_files(SCENARIOS_DIR)
    if not files:
        raise ed.EditRefused(f"no scenario files in {SCENARIOS_DIR}/")
    name = DEFAULT_SCENARIO if DEFAULT_SCENARIO in files else files[0]
    run = REGISTRY.create(name, ed.load_listed(SCENARIOS_DIR, name))
    if run_id:
        run.note("that run is no longer kept (runs are dropped when the server restarts or "
                 "many newer runs push it out): this is a new one")
    return run


@dataclass(frozen=True)
class Pictures:
    """The PNGs a page shows, and what they were drawn from."""

    serial: int  # the run's snapshot serial
    colouring: str
    week: int
    charts: bytes
    world: bytes


def draw_pictures(run: ExplorerRun) -> Pictures:
    """Draw the charts and the map of the run's latest snapshot (slow: 0.2-1 s)."""
    view = run.view()
    charts = worldmap.png(worldmap.draw_charts(view.snapshot, _lever_weeks(view.scenario)))
    world = worldmap.png(worldmap.draw_map(view.geometry, view.snapshot, view.colouring))
    return Pictures(view.serial, view.colouring, view.snapshot.week, charts, world)


def use_run_updates(run: ExplorerRun) -> tuple[int, Pictures | None]:
    """Re-render when the run changes (a new snapshot, status or setting), with its pictures.

    A thread started in this page's kernel waits on the run (:meth:`ExplorerRun.wait_change`):
    it asks for a render at once (the status and buttons), then draws the pictures itself, at
    most every ``FRAME_S`` seconds, and hands them over: a render only swaps images, so clicks
    are handled at once even while a run plays. The effect's cleanup stops the thread when
    the page goes away or shows another run.
    """
    version, set_version = solara.use_state(-1)
    pictures, set_pictures = solara.use_state(None)

    def watch():
        stop = threading.Event()

        def loop():
            seen, drawn, last_draw = -1, None, 0.0

            def stale() -> bool:
                return drawn is None or (drawn.serial, drawn.colouring) != (run.serial,
                                                                            run.colouring)

            while not stop.is_set():
                wait = POLL_S
                if stale():  # draw again once FRAME_S has passed since the last drawing
                    wait = max(0.0, last_draw + FRAME_S - time.monotonic())
                now = run.wait_change(seen, wait)
                if stop.is_set():
                    break
                if now != seen:
                    seen = now
                    set_version(now)  # the status and the buttons show at once
                if stale() and time.monotonic() - last_draw >= FRAME_S:
                    drawn = draw_pictures(run)  # slow, outside any render
                    last_draw = time.monotonic()
                    if not stop.is_set():
                        set_pictures(drawn)

        threading.Thread(target=loop, name=f"explorer-watch-{run.id}", daemon=True).start()
        return stop.set

    solara.use_effect(watch, [run.id])
    return version, pictures


# ---------------------------------------------------------------------- controls
@solara.component
def Collapsible(title: str, children=[]):  # noqa: B006 (reacton's children convention)
    """A title that shows or hides its children (solara.Details needs an ipyvuetify
    ExpansionPanelHeader this installation lacks)."""
    open_, set_open = solara.use_state(False)
    with solara.Column(gap="0px"):
        solara.Button(("▾ " if open_ else "▸ ") + title, text=True,
                      on_click=lambda: set_open(not open_),
                      style={"justify-content": "flex-start", "text-transform": "none"})
        if open_:
            with solara.Column(style={"padding-left": "1em"}, children=children):
                pass

def _attempt(run: ExplorerRun, bump, change, done: str) -> None:
    """Apply ``change()`` (a new scenario) and restart the run at week 0; a refused change
    leaves the run as it was and shows why."""
    try:
        scn = change()
    except ed.EditRefused as exc:
        run.note(f"refused: {exc}")
    else:
        run.reset(scn)
        run.note(f"{done}; the run restarts at week 0")
    bump()


@solara.component
def NumberControl(run: ExplorerRun, control: ed.Control, value, on_value, form_key: int = 0):
    """A declared parameter: a slider over its range (log10 for wide ones), an exact input,
    and its unit, range, meaning and source. The inputs are keyed by ``form_key``, which
    moves after every change tried: a refused value typed in a box is replaced by the value
    the scenario kept."""
    with solara.Column(gap="0px"):
        if control.kind == "choice":
            solara.Select(control.label, values=list(control.choices), value=value,
                          on_value=on_value)
            return
        if control.kind == "linear":
            solara.SliderFloat(control.label, value=float(value), min=control.lo,
                               max=control.hi, step=control.step, on_value=on_value,
                               thumb_label=False)
        elif control.kind == "log":
            lo, hi = math.log10(control.lo), math.log10(control.hi)
            solara.SliderFloat(f"{control.label} (log scale)",
                               value=min(max(math.log10(max(value, control.lo)), lo), hi),
                               min=lo, max=hi, step=control.step, thumb_label=False,
                               on_value=lambda v: on_value(float(f"{10 ** v:.4g}")))
        elif control.kind == "int" and control.hi - control.lo <= 2000:
            solara.SliderInt(control.label, value=int(value), min=int(control.lo),
                             max=int(control.hi), on_value=on_value, thumb_label=False)
        label = f"{control.label} [{control.unit}]".replace(" []", "")
        if control.kind == "int":
            solara.InputInt(label, value=int(value), on_value=on_value,
                            dense=True).key(f"{control.path}-{form_key}")
        else:
            solara.InputFloat(label, value=float(value), on_value=on_value,
                              dense=True).key(f"{control.path}-{form_key}")
        solara.Text(f"range {control.range_text()}; default {control.default:g}",
                    style={"font-size": "0.8em", "color": "#555"})
        if control.doc:
            solara.Text(control.doc + (f" (source: {control.source})" if control.source
                                       else ""),
                        style={"font-size": "0.8em", "color": "#555"})


@solara.component
def ScenarioPanel(run: ExplorerRun, bump, form_key: int, scn_key: int):
    files = ed.scenario_files(SCENARIOS_DIR)
    scn = run.scenario

    def pick(name):
        try:
            new = ed.load_listed(SCENARIOS_DIR, name)
        except ed.EditRefused as exc:
            run.note(f"refused: {exc}")
        else:
            run.reset(new, scenario_file=name)
            run.note(f"loaded {name}")
        bump()

    solara.Select("scenario", values=files, value=run.scenario_file, on_value=pick)
    if scn.description:
        solara.Text(" ".join(scn.description.split()), style={"font-size": "0.85em"})
    with solara.Row().key(f"run-{form_key}"):
        for control in ed.run_controls():
            solara.InputInt(control.label, value=int(ed.current_value(scn, control)),
                            on_value=lambda v, c=control: _attempt(
                                run, bump, lambda: ed.set_value(run.scenario, c, v),
                                f"{c.label} set to {v}"),
                            dense=True)


@solara.component
def ParamsPanel(run: ExplorerRun, bump, form_key: int, scn_key: int):
    group, set_group = solara.use_state(ed.param_groups()[0])
    names = ed.param_names(group)
    name, set_name = solara.use_state(names[0])
    if name not in names:
        name = names[0]
    control = ed.param_control(group, name)
    scn = run.scenario
    solara.Select("parameter group", values=ed.param_groups(), value=group,
                  on_value=set_group)
    solara.Select("parameter", values=names, value=name, on_value=set_name)

    def on_value(v):
        _attempt(run, bump, lambda: ed.set_value(run.scenario, control, v),
                 f"{control.path} set to {v:g}")

    with solara.Column().key(f"param-{control.path}-{form_key}"):
        NumberControl(run, control, ed.current_value(scn, control), on_value, form_key)
    changed = {f"{g}.{n}": v for g, grp in (scn.raw.get("params") or {}).items()
               for n, v in grp.items()}
    if changed:
        solara.Text("Changed from the defaults: " + ", ".join(f"{k} = {v:g}" for k, v in
                                                              changed.items()),
                    style={"font-size": "0.85em"})


@solara.component
def LeversPanel(run: ExplorerRun, bump, form_key: int, scn_key: int):
    scn = run.scenario
    if not scn.interventions:
        solara.Text("No levers in this scenario: add one below.", style={"font-size": "0.9em"})
    for i, entry in enumerate(scn.interventions):
        lname = ed.lever_name(entry, i)
        targets = entry.get("targets") or {}
        with Collapsible(f"{lname} ({entry['type']})"):
            if targets:
                solara.Text("targets: " + "; ".join(f"{k}: {v}" for k, v in targets.items()),
                            style={"font-size": "0.8em"})
            for control in ed.lever_controls(entry, i, scn.weeks):
                def on_value(v, c=control):
                    _attempt(run, bump, lambda: ed.set_value(run.scenario, c, v),
                             f"{c.path} set to {v}")
                with solara.Column().key(f"{control.path}-{form_key}"):
                    NumberControl(run, control, ed.current_value(scn, control), on_value, form_key)
            solara.Button("remove this lever", text=True, color="error",
                          on_click=lambda n=lname: _attempt(
                              run, bump, lambda: ed.remove_lever(run.scenario, n),
                              f"removed {n}"))
    AddLever(run, bump)


@solara.component
def AddLever(run: ExplorerRun, bump):
    from sim.interventions import REGISTRY as LEVERS

    kinds = sorted(LEVERS)
    kind, set_kind = solara.use_state(kinds[0])
    budget, set_budget = solara.use_state(5.0)
    start, set_start = solara.use_state(52)
    regions, set_regions = solara.use_state([])
    top_n, set_top_n = solara.use_state(0)
    with Collapsible("add a lever"):
        solara.Select("type", values=kinds, value=kind, on_value=set_kind)
        needs = LEVERS[kind].needs_targets
        if needs:
            solara.Text(f"needs a target: {' or '.join(needs)}", style={"font-size": "0.8em"})
        solara.InputFloat("budget [million USD/week]", value=budget, on_value=set_budget,
                          dense=True)
        solara.InputInt("start week", value=start, on_value=set_start, dense=True)
        solara.SelectMultiple("target regions (or roles)", values=regions,
                              all_values=ed.target_choices(run.scenario.world),
                              on_value=set_regions, dense=True)
        solara.InputInt("target the top N organizations by threat (0: none)", value=top_n,
                        on_value=set_top_n, dense=True)
        solara.Button("add", color="primary", on_click=lambda: _attempt(
            run, bump, lambda: ed.add_lever(run.scenario, kind, budget, start, list(regions),
                                            top_n or None), f"added a {kind} lever"))


def export_yaml(scn) -> tuple[str, str]:
    """``(file name, YAML)`` of the scenario with every change made here: the resolved
    scenario (``extends:`` applied, overrides listed in its header), which
    ``sim.load_scenario`` loads back to the same scenario."""
    return f"{scn.name}-explorer.yaml", scn.resolved_yaml()


@solara.component
def ExportLink(scn):
    """A download link holding the YAML (a data: URL: no server route, works offline).
    (solara.FileDownload's widget does not render with this installation's ipyvuetify.)"""
    name, text = solara.use_memo(lambda: export_yaml(scn), [id(scn)])
    href = "data:application/x-yaml;base64," + base64.b64encode(text.encode()).decode()
    solara.HTML(tag="div", unsafe_innerHTML=(
        f'<a class="explorer-export" download="{html.escape(name, quote=True)}" '
        f'href="{href}" style="font-weight:500">⤓ Export the scenario as YAML</a>'))


# ---------------------------------------------------------------------- the run
def _status_line(run: ExplorerRun) -> str:
    snap, st = run.snapshot, run.status
    return f"Week {snap.week} of {snap.weeks} · {st.state}"


@solara.component
def RunControls(run: ExplorerRun, bump, version: int):
    state = run.status.state

    def act(f):
        f()
        bump()

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button("Play", classes=["explorer-play"], icon_name="mdi-play", color="primary",
                      disabled=state in ("playing", "finished", "error"),
                      on_click=lambda: act(run.play))
        solara.Button("Pause", classes=["explorer-pause"], icon_name="mdi-pause",
                      disabled=state not in ("playing", "building"),
                      on_click=lambda: act(run.pause))
        solara.Button("Step", classes=["explorer-step"], icon_name="mdi-step-forward",
                      disabled=state in ("playing", "finished", "error"),
                      on_click=lambda: act(lambda: run.step(1)))
        solara.Button("Reset", classes=["explorer-reset"], icon_name="mdi-restore",
                      on_click=lambda: act(run.reset))
        solara.Text("weeks/s:")
        solara.ToggleButtonsSingle(value=SPEED_LABELS[run.speed],
                                   values=list(SPEED_LABELS.values()),
                                   on_value=lambda v: act(lambda: run.set_speed(
                                       {lbl: s for s, lbl in SPEED_LABELS.items()}[v])))
        solara.Text(_status_line(run), classes=["explorer-status"],
                    style={"font-weight": "bold", "margin-left": "1em"})


MESSAGE_STYLE = {"padding": "0.5em 1em", "border-radius": "4px", "font-size": "0.95em"}


@solara.component
def Message(status: Status):
    """The last message: refusals and errors in red, the rest in blue. (A styled text: the
    Alert widgets of solara.Info/Error fail with this installation's ipyvuetify.)"""
    msg = status.message
    if not msg:
        return
    bad = msg.startswith("refused") or status.state == "error"
    colours = ({"background": "#fdecea", "color": "#8a1c13"} if bad else
               {"background": "#e8f1fb", "color": "#0b3d6e"})
    solara.Text(msg, classes=["explorer-message", "explorer-refused" if bad else "explorer-info"],
                style={**MESSAGE_STYLE, **colours})


def _lever_weeks(scn) -> list[tuple[str, int]]:
    return [(ed.lever_name(e, i), int(e.get("start_week", 0)))
            for i, e in enumerate(scn.interventions)]


@solara.component
def PicturesView(run: ExplorerRun, pictures: Pictures | None, colouring: str):
    with solara.ColumnsResponsive(12, large=[7, 5]):
        with solara.Column():
            with solara.Row(style={"align-items": "center"}):
                solara.Text("colour regions by:")
                solara.ToggleButtonsSingle(value=colouring, values=list(mv.REGION_COLOURINGS),
                                           on_value=run.set_colouring)
            if pictures is not None:
                solara.Image(pictures.world, width="100%", classes=["explorer-map"])
        if pictures is not None:
            solara.Image(pictures.charts, width="100%", classes=["explorer-charts"])
        else:
            solara.Text("drawing...")


@solara.component
def ExplorerPage():
    """The explorer (no arguments): the run is the one named by ``?run=`` in the URL."""
    router = solara.use_router()
    qid = _query_id(router.search)

    def resolve():
        try:
            return get_or_create_run(qid)
        except ed.EditRefused as exc:  # no scenario file to open
            return str(exc)

    run = solara.use_memo(resolve, [qid])

    def put_id_in_url():
        if isinstance(run, ExplorerRun) and qid != run.id and router.set_path is not None:
            router.push(f"{router.path}?run={run.id}")

    solara.use_effect(put_id_in_url, [getattr(run, "id", None)])
    solara.Title("tocsim explorer")
    if isinstance(run, ExplorerRun):
        ExplorerView(run)
    else:
        Message(Status("error", f"The explorer cannot start: {run}"))


@solara.component
def ExplorerView(run: ExplorerRun):
    version, pictures = use_run_updates(run)  # passed down: children re-render
    form_key, set_form_key = solara.use_state(0)

    def bump():
        set_form_key(lambda k: k + 1)

    run.touch()
    # the panels re-render when the scenario changes, not at every week of a playing run
    scn_key = id(run.scenario)
    with solara.ColumnsResponsive(12, large=[3, 9]):
        with solara.Column():
            with solara.Card("Scenario"):
                ScenarioPanel(run, bump, form_key, scn_key)
                ExportLink(run.scenario)
            with solara.Card("Parameters"):
                ParamsPanel(run, bump, form_key, scn_key)
            with solara.Card("Levers"):
                LeversPanel(run, bump, form_key, scn_key)
        with solara.Column():
            RunControls(run, bump, version)
            Message(run.status)
            PicturesView(run, pictures, run.colouring)


Page = ExplorerPage
