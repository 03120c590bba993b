"""What every page shares: joining with a code, watching a session for changes, a clock,
tables and messages."""

from __future__ import annotations

import html
import threading
import time
import urllib.parse
from typing import Any

import solara

from training.briefing import num  # noqa: F401 (re-exported for the pages)

from .registry import FACILITATOR, LiveSession, normalise_code, registry


def use_version(live: LiveSession | None) -> int:
    """Re-render when ``live`` changes, whoever changed it: a thread started in this page's
    kernel waits on the session's condition (``LiveSession.wait``) and sets a state of this
    page when the version moves, so what one browser does shows at once in the others."""
    version, set_version = solara.use_state(-1)

    def watch():
        if live is None:
            return None
        stop = threading.Event()

        def loop():
            seen = -1
            while not stop.is_set():
                v = live.wait(seen, timeout=1.0)
                if v != seen and not stop.is_set():
                    seen = v
                    set_version(v)

        threading.Thread(target=loop, name="tocsim-web-watch", daemon=True).start()
        return stop.set

    solara.use_effect(watch, [live])
    return version


def use_query() -> dict[str, str]:
    router = solara.use_router()
    q = urllib.parse.parse_qs(router.search or "", max_num_fields=10)
    return {k: v[0][:200] for k, v in q.items() if v}


def join(code: str | None) -> tuple[LiveSession, str] | None:
    return registry().join(code)


@solara.component
def JoinForm(path: str, message: str = ""):
    """Ask for a join code; go to ``path?code=CODE``."""
    code, set_code = solara.use_state("")
    router = solara.use_router()
    with solara.Card("Join with a code", style={"max-width": "480px"}):
        if message:
            note(message, "error")
        solara.Markdown("Your facilitator gives each team a code, and has one of their own.")
        solara.InputText("join code", value=code, on_value=set_code, continuous_update=True)
        solara.Button("Join", color="primary",
                      on_click=lambda: router.push(f"{path}?code={normalise_code(code)}"))


def use_join() -> tuple[LiveSession | None, str | None, str]:
    """The session and role of the page's ``?code=``; else None and a message for the join
    form (the page shows ``JoinForm``)."""
    q = use_query()
    code = q.get("code", "")
    found = join(code) if code else None
    if found is None:
        return None, None, "That code does not open any session on this server." if code else ""
    return found[0], found[1], ""


@solara.component
def Clock(since: float):
    """Minutes and seconds since ``since`` (the turn clock), ticking every second."""
    now, set_now = solara.use_state(time.time())

    def tick():
        stop = threading.Event()

        def loop():
            while not stop.wait(1.0):
                set_now(time.time())

        threading.Thread(target=loop, name="tocsim-web-clock", daemon=True).start()
        return stop.set

    solara.use_effect(tick, [])
    s = max(0, int(now - since))
    solara.Text(f"turn open for {s // 60:02d}:{s % 60:02d}", classes=["tocsim-clock"])


def listed(v: Any) -> str:
    """A target's value as text: lists joined by commas."""
    return ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v)


def table(header: list[str], rows: list[list[Any]], classes: str = "") -> None:
    """A plain HTML table (escaped): readable, and easy to find in browser tests."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>"
                   for r in rows)
    solara.HTML(tag="div", unsafe_innerHTML=f'<table class="tocsim-table {classes}">'
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def bar(pct: float, caption: str, alarm: bool = False) -> None:
    """A horizontal bar filled to ``pct`` percent, with its caption (the budget bar, the
    debrief's progress)."""
    pct = max(0.0, min(100.0, float(pct)))
    solara.HTML(tag="div", unsafe_innerHTML=(
        f'<div class="tocsim-bar-caption">{html.escape(caption)}</div>'
        f'<div class="tocsim-bar{" tocsim-bar-alarm" if alarm else ""}">'
        f'<div style="width: {pct:.1f}%"></div></div>'), classes=["tocsim-bar-box"])


def note(text: str, kind: str = "info") -> None:
    """A coloured message line (info, success, warning, error). Plain HTML: Solara 1.58's
    Alert components do not render with the ipyvuetify 3 installed beside it."""
    solara.HTML(tag="div", unsafe_innerHTML=html.escape(str(text)),
                classes=["tocsim-note", f"tocsim-{kind}"])


def messages(errors: list[str], ok: str = "") -> None:
    for e in errors:
        note(e.removeprefix("form: "), "error")
    if ok and not errors:
        note(ok, "success")


def role_label(role: str) -> str:
    return "facilitator" if role == FACILITATOR else f"team {role}"


CSS = """
.tocsim-table { border-collapse: collapse; margin: 6px 0 12px 0; font-size: 14px; }
.tocsim-table th, .tocsim-table td { border-bottom: 1px solid #ddd; padding: 4px 10px;
  text-align: left; vertical-align: top; }
.tocsim-table th { background: #f3f5f7; }
.tocsim-clock { font-family: monospace; font-size: 16px; color: #555; }
.tocsim-nav a { margin-right: 18px; font-weight: 500; }
.tocsim-bar-box { margin: 4px 0 10px 0; }
.tocsim-bar-caption { font-size: 14px; margin-bottom: 3px; }
.tocsim-bar { height: 12px; background: #e8eaf0; border-radius: 6px; overflow: hidden; }
.tocsim-bar > div { height: 100%; background: #3f51b5; }
.tocsim-bar-alarm > div { background: #e53935; }
.tocsim-note { border-left: 4px solid; padding: 6px 12px; margin: 6px 0; border-radius: 3px;
  font-size: 14px; }
.tocsim-info { border-color: #1e88e5; background: #e3f2fd; }
.tocsim-success { border-color: #43a047; background: #e8f5e9; }
.tocsim-warning { border-color: #fb8c00; background: #fff3e0; }
.tocsim-error { border-color: #e53935; background: #ffebee; }
.solara-markdown table { margin-left: 0 !important; }
.tocsim-code { font-family: monospace; font-size: 15px; background: #f3f5f7; padding: 1px 6px; }
"""
