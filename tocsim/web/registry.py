"""The process-wide session registry of the web app: one live exercise per session folder,
shared by every browser that joins it, with join codes, a version counter that pages watch,
and worker threads that run turns and debriefs outside the request path.

Solara's reactive state is per browser tab (per kernel); an exercise must be the same for the
facilitator and every team, and survive a refresh. So the state lives here, in plain Python
objects guarded by a lock: a page reads ``LiveSession.view`` (a dict rebuilt after each
change, never blocked by a running turn) and waits on ``LiveSession.wait(version)``, which
returns as soon as any browser changed something (see :func:`tocsim.web.common.use_version`).

Every operation validates its input here, on the server, before it reaches the engine: a bad
submission (negative or over budget, a type not on the menu, a stale turn, an oversized text)
returns its problems and changes nothing.
"""

from __future__ import annotations

import copy
import json
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud in a room
CODE_LENGTH = 8
CODES_FILE = "web-codes.json"
NOTES_FILE = "facilitator-notes.md"
FACILITATOR = "facilitator"

# Bounds on what a browser may send (checked here, whatever the page allowed).
MAX_DECISIONS = 20
MAX_NAME = 64
MAX_TEXT = 2000
MAX_NOTES = 20000
MAX_BUDGET = 1e12  # USD/week; the menu's range is narrower, this only stops absurd numbers
MIN_REPLICATES, MAX_REPLICATES = 2, 50
RUNNING = ("queued", "starting workers", "running", "analysing")  # phases of a debrief


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str | None) -> str:
    """Codes are read case-insensitively, spaces and dashes ignored; bounded length."""
    if not code:
        return ""
    return "".join(c for c in str(code)[:64].upper() if c.isalnum())


class DebriefProgress:
    """Receives the runner's start/update/stop (``analysis.runner.Progress``)."""

    def __init__(self, live: LiveSession):
        self.live = live

    def start(self, total: int, done: int) -> None:
        self.live._set_debrief(total=total, done=done, phase="starting workers")

    def update(self, done: int, failed: int) -> None:
        self.live._set_debrief(done=done, failed=failed, phase="running")

    def stop(self) -> None:
        self.live._set_debrief(phase="analysing")


class LiveSession:
    """One exercise session open in the app (a session folder)."""

    def __init__(self, ex, codes: dict[str, str]):
        self.ex = ex
        self.out = Path(ex.out)
        self.codes = codes  # role (team name or "facilitator") -> code
        self.lock = threading.RLock()  # the engine's objects; held through a whole turn
        self.gate = threading.Lock()  # busy or not: held only for quick operations
        self.cond = threading.Condition()
        self.version = 0
        self.busy: str | None = None
        self.error: str | None = None
        self.turn_opened = time.time()
        notes = self.out / NOTES_FILE
        self.notes = notes.read_text() if notes.is_file() else ""
        self.debrief: dict[str, Any] = {"phase": "none"}
        self.debrief_result = None
        self.view: dict[str, Any] = {}
        self._refresh()

    # ------------------------------------------------------------------ reading
    @property
    def key(self) -> str:
        return str(self.out.resolve())

    @property
    def teams(self) -> list[str]:
        return list(self.ex.ex.teams)

    def role_of(self, code: str) -> str | None:
        code = normalise_code(code)
        for role, c in self.codes.items():
            if secrets.compare_digest(c, code):
                return role
        return None

    def wait(self, seen: int, timeout: float = 1.0) -> int:
        """Block until the version differs from ``seen`` (or ``timeout``); return it."""
        with self.cond:
            if self.version == seen:
                self.cond.wait(timeout)
            return self.version

    def _bump(self) -> None:
        with self.cond:
            self.version += 1
            self.cond.notify_all()

    def _refresh(self) -> None:
        """Rebuild the view pages read (under the lock, after every change)."""
        ex = self.ex
        with self.lock:
            st = ex.status()
            played = ex.turn - 1
            view = {
                "status": st,
                "pending": copy.deepcopy(ex.state["pending"]),
                "decisions": copy.deepcopy(ex.state["decisions"]),
                "briefs": {t: [ex.brief(t, k) for k in range(1, played + 1)] for t in ex.ex.teams},
                "now": {t: ex.brief(t) for t in ex.ex.teams},
                "log": copy.deepcopy(ex.log[-30:]),
                "played": played,
            }
        self.view = view

    def menu(self, team: str) -> list[dict[str, Any]]:
        return [m.model_dump() for m in self.ex.ex.teams[team].menu]

    def objectives(self) -> list[str]:
        return list(self.ex.ex.spec.scorecard)

    def injects(self) -> dict[str, Any]:
        return self.ex.ex.injects

    # ------------------------------------------------------------------ changing
    def _refuse_if_busy(self) -> None:
        if self.busy:
            raise ScenarioError(f"busy: {self.busy}; try again when it is done")

    def _change(self, fn, *args) -> Any:
        """A quick change (submit, lock, fire, rewind): refused while a turn runs, so a
        request never waits for the model."""
        with self.gate:
            self._refuse_if_busy()
            with self.lock:
                self.error = None
                try:
                    out = fn(*args)
                finally:
                    self._refresh()
                    self._bump()
        return out

    def check(self, team: str, submission: dict[str, Any]) -> list[str]:
        """Every problem with ``submission`` as ``team``'s decisions for the current turn
        (the engine's checks, after this module's bounds); nothing is recorded."""
        errs = check_bounds(submission)
        if errs:
            return errs
        with self.gate:
            if self.busy:
                return [f"busy: {self.busy}; try again when it is done"]
            with self.lock:
                return self.ex.check_submission(team, submission, label="form")

    def submit(self, team: str, submission: dict[str, Any]) -> list[str]:
        """Record ``team``'s decisions; returns the problems (then nothing changed)."""
        errs = self.check(team, submission)
        if errs:
            return errs
        try:
            self._change(self.ex.submit, team, submission, "form")
        except ScenarioError as exc:
            return exc.lines
        return []

    def lock_turn(self) -> list[str]:
        return self._try(self.ex.lock)

    def fire(self, inject: str) -> list[str]:
        if inject not in self.ex.ex.injects:
            return [f"inject: unknown inject {str(inject)[:MAX_NAME]!r}"]
        return self._try(self.ex.fire_inject, inject)

    def rewind(self, turn: int) -> list[str]:
        if isinstance(turn, bool) or not isinstance(turn, int):
            return [f"turn: expected a whole number, got {turn!r}"]
        if self.debrief_running:
            return ["rewind: a debrief is running; rewind when it is done"]
        errs = self._try(self.ex.rewind, turn)
        if not errs:
            self.turn_opened = time.time()
            self.debrief_result, self.debrief = None, {"phase": "none"}
            self._bump()
        return errs

    def set_notes(self, text: str) -> list[str]:
        text = str(text or "")
        if len(text) > MAX_NOTES:
            return [f"notes: {len(text)} characters; at most {MAX_NOTES}"]
        from sim.output import write_atomic

        write_atomic(self.out / NOTES_FILE, text.encode())
        self.notes = text
        self._bump()
        return []

    def _try(self, fn, *args) -> list[str]:
        try:
            self._change(fn, *args)
        except ScenarioError as exc:
            return exc.lines
        return []

    # ------------------------------------------------------------------ in the background
    def advance(self, wait: bool = False) -> list[str]:
        """Simulate the current turn in a worker thread (the pages stay responsive and show
        ``busy``); ``wait`` joins it (tests, scripts)."""
        with self.gate:
            if self.busy:
                return [f"busy: {self.busy}; try again when it is done"]
            if self.ex.finished:
                return [f"the exercise is over (all {self.ex.ex.spec.turns} turns played); "
                        "run the debrief, or rewind"]
            self.busy = f"simulating turn {self.ex.turn} ({self.ex.ex.spec.turn_weeks} weeks)"
            self.error = None
        self._bump()
        t = threading.Thread(target=self._advance, name=f"tocsim-advance-{self.out.name}",
                             daemon=True)
        t.start()
        if wait:
            t.join()
        return []

    def _advance(self) -> None:
        try:
            with self.lock:
                self.ex.advance()
                self.turn_opened = time.time()
        except Exception as exc:  # shown on the console; the session is as before the turn
            self.error = f"advance failed: {type(exc).__name__}: {exc}"
        finally:
            with self.gate, self.lock:
                self.busy = None
                self._refresh()
            self._bump()

    def start_debrief(self, replicates: int, workers: int = 1, wait: bool = False) -> list[str]:
        """Run the engine's debrief (``training.debrief``) in a worker thread, with
        progress in ``self.debrief``."""
        if isinstance(replicates, bool) or not isinstance(replicates, int) \
                or not MIN_REPLICATES <= replicates <= MAX_REPLICATES:
            return [f"replicates: expected a whole number from {MIN_REPLICATES} to "
                    f"{MAX_REPLICATES}, got {replicates!r}"]
        with self.gate:
            if self.debrief_running:
                return ["debrief: one is already running"]
            if self.ex.turn <= 1:
                return ["debrief: no turn played yet: nothing to debrief"]
            if self.busy:
                return [f"busy: {self.busy}; try again when it is done"]
            self.debrief = {"phase": "queued", "replicates": replicates, "done": 0,
                            "total": replicates + 1, "failed": 0, "started": time.time()}
            self.debrief_result = None
        self._bump()
        t = threading.Thread(target=self._debrief, args=(replicates, workers),
                             name=f"tocsim-debrief-{self.out.name}", daemon=True)
        t.start()
        if wait:
            t.join()
        return []

    @property
    def debrief_running(self) -> bool:
        return self.debrief.get("phase") in RUNNING

    def _set_debrief(self, **kw) -> None:
        self.debrief = {**self.debrief, **kw}
        self._bump()

    def _debrief(self, replicates: int, workers: int) -> None:
        from training.debrief import debrief

        try:
            # the debrief reopens the session from its folder: its own copy of the models
            res = debrief(self.out, replicates=replicates, workers=workers,
                          progress=DebriefProgress(self))
        except Exception as exc:
            lines = exc.lines if isinstance(exc, ScenarioError) else [
                f"{type(exc).__name__}: {exc}"]
            self._set_debrief(phase="failed", error="; ".join(lines))
            return
        self.debrief_result = res
        self._set_debrief(phase="done", seconds=round(time.time() - self.debrief["started"], 1),
                          html=str(res.out / "debrief.html"))


def check_bounds(sub: Any) -> list[str]:
    """Bounds on a submission's shape before the engine's checks (types, sizes, numbers)."""
    if not isinstance(sub, dict):
        return ["form: expected a submission (decisions and stops)"]
    errs = []
    decs = sub.get("decisions", [])
    if not isinstance(decs, list) or len(decs) > MAX_DECISIONS:
        return [f"form: decisions: at most {MAX_DECISIONS} per turn"]
    for i, d in enumerate(decs):
        if not isinstance(d, dict):
            errs.append(f"form: decisions[{i}]: expected a decision")
            continue
        b = d.get("budget")
        if isinstance(b, bool) or not isinstance(b, int | float):
            errs.append(f"form: decisions[{i}].budget: expected a number of USD/week, got {b!r}")
        elif not b == b or b < 0:
            errs.append(f"form: decisions[{i}].budget: {b:,.0f}: a budget cannot be negative")
        elif b > MAX_BUDGET:
            errs.append(f"form: decisions[{i}].budget: {b:,.0f} USD/week is beyond any budget")
        if len(str(d.get("name", ""))) > MAX_NAME:
            errs.append(f"form: decisions[{i}].name: at most {MAX_NAME} characters")
        if len(str(d.get("why", ""))) > MAX_TEXT:
            errs.append(f"form: decisions[{i}].why: at most {MAX_TEXT} characters")
    stops = sub.get("stop", [])
    if not isinstance(stops, list) or len(stops) > 100:
        errs.append("form: stop: expected a list of decision names")
    return errs


class Registry:
    """Every session open in this process, by folder, and the join codes that lead to them."""

    def __init__(self, sessions_dir: str | Path = "out/web", exercises_dir: str | Path =
                 "exercises", network: bool = False, admin_key: str | None = None):
        self.sessions_dir = Path(sessions_dir)
        self.exercises_dir = Path(exercises_dir)
        self.network = network
        self.admin_key = admin_key or new_code()
        self.sessions: dict[str, LiveSession] = {}
        self.lock = threading.Lock()
        self.version = 0

    def exercises(self) -> list[Path]:
        d = self.exercises_dir
        if not d.is_dir():
            return []
        return sorted(p for p in d.glob("*.yaml") if ".decisions" not in p.name
                      and ".alternative" not in p.name)

    def saved_sessions(self) -> list[Path]:
        d = self.sessions_dir
        if not d.is_dir():
            return []
        return sorted(p.parent for p in d.glob("*/current.snap"))

    def admin_ok(self, key: str | None) -> bool:
        """Creating and opening sessions and seeing all codes: free on 127.0.0.1, with the
        key printed at start-up when the app is open on a network."""
        return (not self.network) or bool(key) and secrets.compare_digest(
            normalise_code(key), self.admin_key)

    def create(self, exercise: str | Path, trusted: bool = False) -> LiveSession:
        """A new session of ``exercise`` in a new folder under ``sessions_dir``. From a page
        (``trusted`` False) only an exercise listed from ``exercises_dir`` is accepted."""
        from training.engine import Exercise

        exercise = Path(exercise)
        if not trusted and exercise.resolve() not in {p.resolve() for p in self.exercises()}:
            raise ScenarioError(f"exercise: {str(exercise)[:200]!r} is not one of the "
                                f"exercises in {self.exercises_dir}")
        from training.spec import load_exercise

        loaded = load_exercise(exercise)  # a bad file: its lines, and no folder made
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        stem = exercise.stem
        with self.lock:
            k = 1
            while (self.sessions_dir / f"{stem}-{k}").exists():
                k += 1
            out = self.sessions_dir / f"{stem}-{k}"
            out.mkdir(parents=True)
        try:
            ex = Exercise.new(loaded, out)
        except BaseException:
            shutil.rmtree(out, ignore_errors=True)
            raise
        return self._add(ex)

    def open(self, folder: str | Path, trusted: bool = False) -> LiveSession:
        """The session saved in ``folder`` (from a page: one listed in ``sessions_dir``)."""
        from training.engine import Exercise

        folder = Path(folder)
        key = str(folder.resolve())
        if key in self.sessions:
            return self.sessions[key]
        if not trusted and folder.resolve() not in {p.resolve() for p in self.saved_sessions()}:
            raise ScenarioError(f"session: {str(folder)[:200]!r} is not a session in "
                                f"{self.sessions_dir}")
        return self._add(Exercise.open(folder))

    def _add(self, ex) -> LiveSession:
        path = Path(ex.out) / CODES_FILE
        codes = {}
        if path.is_file():
            codes = json.loads(path.read_text())
        roles = [FACILITATOR] + list(ex.ex.teams)
        if set(codes) != set(roles):
            codes = {r: new_code() for r in roles}
            from sim.output import write_atomic

            write_atomic(path, (json.dumps(codes, indent=1) + "\n").encode())
        live = LiveSession(ex, codes)
        with self.lock:
            self.sessions[live.key] = live
            self.version += 1
        return live

    def join(self, code: str | None) -> tuple[LiveSession, str] | None:
        """The session and role a join code opens, or None."""
        code = normalise_code(code)
        if len(code) != CODE_LENGTH:
            return None
        for live in list(self.sessions.values()):
            role = live.role_of(code)
            if role is not None:
                return live, role
        return None


_REGISTRY: Registry | None = None


def registry() -> Registry:
    """The process's registry (made on first use with the defaults, or by ``configure``)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = Registry()
    return _REGISTRY


def configure(**kw) -> Registry:
    global _REGISTRY
    _REGISTRY = Registry(**kw)
    return _REGISTRY
