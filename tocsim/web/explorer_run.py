"""Explorer runs: a model stepped by a worker thread, and the process-wide registry of runs.

A run (:class:`ExplorerRun`) owns one scenario (with the user's changes) and one model. Only
its worker thread touches the model: it builds it (the spin-up), steps it week by week and
publishes an immutable :class:`~tocsim.web.model_view.Snapshot` at most ``max_rate`` times a
second (every step when stepping by hand). Pages never wait for the model: they read the
latest snapshot and wait on :meth:`ExplorerRun.wait_change` in their own thread.

The worker thread exists only while there is work (building, playing, steps asked for): a
pause ends it within one week's step (milliseconds). A run nobody has looked at for
``idle_s`` seconds pauses itself, so a closed tab never leaves a thread stepping. The
:class:`Registry` keeps at most ``max_runs`` runs, keyed by an unguessable id that the page
puts in its URL (a refresh finds the run again); when full, the run looked at least recently
is stopped and dropped.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from . import model_view as mv

MAX_RUNS = 16  # runs kept in the process (each a model: ~10-30 MB, see docs/WEB_EXPLORER.md)
IDLE_S = 120.0  # a playing run nobody has polled for this long pauses
MAX_RATE = 4.0  # snapshots published per second while playing
SPEEDS = (1, 5, 20, 100, 0)  # weeks per second; 0 = as fast as the machine goes
ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,32}$")


@dataclass(frozen=True)
class View:
    """What a page draws, read together (consistent with each other)."""

    serial: int
    snapshot: mv.Snapshot
    geometry: mv.Geometry
    scenario: object
    colouring: str


@dataclass(frozen=True)
class Status:
    state: str  # "ready" | "building" | "playing" | "paused" | "finished" | "error"
    message: str = ""


class ExplorerRun:
    """One scenario and its model, stepped by a worker thread; thread-safe."""

    def __init__(self, run_id: str, scenario_file: str, scenario, *, idle_s: float = IDLE_S,
                 max_rate: float = MAX_RATE):
        self.id = run_id
        self.idle_s = idle_s
        self.max_rate = max_rate
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._model = None
        self._closed = False
        self._playing = False
        self._steps = 0  # weeks asked for by Step
        self._needs_build = True
        self._generation = 0  # bumps on every reset: a worker of an old model stops
        self.speed = 20
        self.colouring = "homicides"
        self.scenario_file = scenario_file
        self.version = 0  # bumps on every change a page should show
        self.serial = 0  # bumps when the snapshot is replaced (the pictures change)
        self.last_seen = time.monotonic()
        self._set_scenario(scenario)
        self.status = Status("ready", "")

    # ------------------------------------------------------------------ reading
    def _set_scenario(self, scenario) -> None:
        self.scenario = scenario
        self.geometry = mv.geometry(scenario.world)
        self._set_snapshot(mv.empty_snapshot(scenario.weeks, self.geometry))

    def _failed(self, generation: int, message: str) -> None:
        """The worker's build or week raised: the run stops in the ``error`` state with
        ``message`` (play and step are refused; the page keeps the last snapshot) and its
        model, if any, is dropped, so that Reset builds a new one."""
        with self._cond:
            if generation == self._generation:
                self._playing, self._steps = False, 0
                self._model, self._needs_build = None, True
                self._publish_status_locked(Status("error", message))

    def _set_snapshot(self, snap: mv.Snapshot) -> None:
        self.snapshot = snap
        self.serial = getattr(self, "serial", 0) + 1

    def touch(self) -> None:
        """A page is looking at this run (keeps a playing run going)."""
        self.last_seen = time.monotonic()

    def wait_change(self, seen: int, timeout: float) -> int:
        """Block until ``version`` differs from ``seen`` or ``timeout`` passes; return it."""
        self.touch()
        with self._cond:
            if self.version == seen:
                self._cond.wait(timeout)
            return self.version

    def view(self) -> View:
        with self._cond:
            return View(self.serial, self.snapshot, self.geometry, self.scenario,
                        self.colouring)

    @property
    def thread_alive(self) -> bool:
        t = self._thread
        return t is not None and t.is_alive()

    # ------------------------------------------------------------------ commands
    def play(self) -> None:
        with self._cond:
            if self.status.state in ("finished", "error"):
                return
            self._playing = True
            self._start_locked()

    def pause(self) -> None:
        with self._cond:
            self._playing = False
            self._steps = 0
            if self.status.state in ("playing", "building") and not self._needs_build:
                self._publish_status_locked(Status("paused"))
            self._cond.notify_all()

    def step(self, weeks: int = 1) -> None:
        with self._cond:
            if self.status.state in ("finished", "error"):
                return
            self._playing = False
            self._steps += max(0, int(weeks))
            self._start_locked()

    def reset(self, scenario=None, scenario_file: str | None = None) -> None:
        """Back to week 0 (with a new scenario if given); the model is rebuilt by the worker
        when the user next plays or steps."""
        with self._cond:
            self._generation += 1
            self._playing = False
            self._steps = 0
            self._model = None
            self._needs_build = True
            if scenario is not None:
                self._set_scenario(scenario)
                if scenario_file is not None:
                    self.scenario_file = scenario_file
            else:
                self._set_snapshot(mv.empty_snapshot(self.scenario.weeks, self.geometry))
            self._publish_status_locked(Status("ready"))

    def set_speed(self, weeks_per_s: int) -> None:
        if weeks_per_s not in SPEEDS:
            raise ValueError(f"speed: expected one of {SPEEDS} weeks/s, got {weeks_per_s!r}")
        with self._cond:
            self.speed = weeks_per_s
            self._bump_locked()

    def set_colouring(self, colouring: str) -> None:
        if colouring not in mv.REGION_COLOURINGS:
            raise ValueError(f"colour by: expected one of {', '.join(mv.REGION_COLOURINGS)}, "
                             f"got {colouring!r}")
        with self._cond:
            self.colouring = colouring
            self._bump_locked()

    def note(self, message: str) -> None:
        """Show ``message`` (a refused change, a warning) without changing the run."""
        with self._cond:
            self.status = Status(self.status.state, message)
            self._bump_locked()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker (promptly: between two weeks) and drop the model."""
        with self._cond:
            self._closed = True
            self._playing = False
            self._steps = 0
            self._cond.notify_all()
            t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        with self._cond:
            self._model = None

    # ------------------------------------------------------------------ worker
    def _bump_locked(self) -> None:
        self.version += 1
        self._cond.notify_all()

    def _publish_status_locked(self, status: Status) -> None:
        self.status = status
        self._bump_locked()

    def _start_locked(self) -> None:
        if self._closed:
            self._publish_status_locked(Status("error", "this run was dropped to make room for "
                                               "newer runs: reload the page for a new one"))
            return
        self._cond.notify_all()
        if not self.thread_alive:
            self._thread = threading.Thread(target=self._work, name=f"explorer-{self.id}",
                                            daemon=True)
            self._thread.start()

    def _has_work_locked(self) -> bool:
        return not self._closed and (self._playing or self._steps > 0)

    def _work(self) -> None:
        """The worker: build the model if needed, then step while there is work."""
        last_publish = 0.0
        while True:
            with self._cond:
                if not self._has_work_locked():
                    model = self._model
                    if model is not None and not self._closed \
                            and mv.week(model) != self.snapshot.week:
                        # paused between two published snapshots: show the week it is at
                        self._set_snapshot(mv.snapshot(model, self.geometry,
                                                       self.scenario.weeks))
                        self._publish_status_locked(Status(self.status.state,
                                                           self.status.message))
                    if self._thread is threading.current_thread():
                        self._thread = None
                    return
                if self._playing and time.monotonic() - self.last_seen > self.idle_s:
                    self._playing = False
                    self._publish_status_locked(Status("paused", "paused: nobody was watching"))
                    continue
                generation, model, scenario = self._generation, self._model, self.scenario
                if model is None:
                    self._publish_status_locked(Status("building", "building the model (the "
                                                       "spin-up runs before week 0)"))
            if model is None:
                self._build(generation, scenario)
                continue
            t0 = time.monotonic()
            if mv.week(model) < scenario.weeks:
                try:
                    mv.step(model)  # outside the lock: pages keep reading the last snapshot
                except Exception as exc:  # a bug, not bad input: the week is half done
                    self._failed(generation, f"week {mv.week(model)} failed: "
                                             f"{type(exc).__name__}: {exc}")
                    continue
            n = mv.week(model)
            with self._cond:
                if generation != self._generation or self._closed:
                    continue
                by_hand = self._steps > 0
                if by_hand:
                    self._steps -= 1
                finished = n >= scenario.weeks
                if finished:
                    self._playing, self._steps = False, 0
                publish = (finished or (by_hand and self._steps == 0)
                           or time.monotonic() - last_publish >= 1.0 / self.max_rate)
            if publish:
                snap = mv.snapshot(model, self.geometry, scenario.weeks)
                with self._cond:
                    if generation != self._generation or self._closed:
                        continue
                    self._set_snapshot(snap)
                    state = "finished" if finished else "playing" if self._playing else "paused"
                    msg = self.status.message if state == self.status.state else ""
                    self._publish_status_locked(Status(state, msg))
                last_publish = time.monotonic()
            with self._cond:
                if self._playing and self.speed > 0 and not by_hand:
                    wait = 1.0 / self.speed - (time.monotonic() - t0)
                    if wait > 0:
                        self._cond.wait(wait)  # a pause, reset or close wakes it at once

    def _build(self, generation: int, scenario) -> None:
        try:
            model = mv.build(scenario)
        except Exception as exc:  # a bug, not bad input (the scenario was validated)
            self._failed(generation, f"could not build the model: {type(exc).__name__}: {exc}")
            return
        with self._cond:
            if generation != self._generation:
                return  # reset meanwhile: the loop builds again for the new scenario
            self._model, self._needs_build = model, False
            self._publish_status_locked(Status("playing" if self._playing else "paused"))


class Registry:
    """Runs kept in this process, at most ``max_runs``; the least recently seen goes first."""

    def __init__(self, max_runs: int = MAX_RUNS, **run_options):
        self.max_runs = max_runs
        self.run_options = run_options
        self._runs: OrderedDict[str, ExplorerRun] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, run_id: str | None) -> ExplorerRun | None:
        if not isinstance(run_id, str) or not ID_RE.match(run_id):
            return None
        with self._lock:
            run = self._runs.get(run_id)
            if run is not None:
                self._runs.move_to_end(run_id)
                run.touch()
            return run

    def create(self, scenario_file: str, scenario) -> ExplorerRun:
        run = ExplorerRun(secrets.token_urlsafe(12), scenario_file, scenario,
                          **self.run_options)
        evicted = []
        with self._lock:
            self._runs[run.id] = run
            while len(self._runs) > self.max_runs:
                oldest = min(self._runs.values(), key=lambda r: r.last_seen)
                evicted.append(self._runs.pop(oldest.id))
        for old in evicted:
            old.close()
        return run

    def __len__(self) -> int:
        return len(self._runs)

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._runs)

    def close_all(self) -> None:
        with self._lock:
            runs = list(self._runs.values())
            self._runs.clear()
        for run in runs:
            run.close()


REGISTRY = Registry()
