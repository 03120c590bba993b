"""The run's overview plot drawn in a second process, while the model runs and its other
outputs are written.

``tocsim run`` spends about a third of its time on the plot: importing matplotlib (about
0.3 s), laying out and rendering the nine panels (about 0.4 s). None of that needs the model,
only its weekly metrics at the end. :class:`PlotProcess` forks a child as the command starts,
before Numba or mesa are loaded: the child imports matplotlib and draws the run's figure on
made-up metrics (fonts loaded, tick objects made: ``analysis.plots.OverviewFrame``), then
waits. When the run ends the parent sends
the metrics; the child draws and saves ``overview.png`` on the other core while the parent
writes the CSV, JSON and YAML outputs, and the parent waits for its answer before the staged
outputs are committed. The figure is exactly the one ``analysis.plots.overview`` draws in
process.

Where ``fork`` is not the safe default (macOS, Windows) or a child cannot be started,
``start`` returns an in-process plotter with the same interface, so callers never branch.
"""

from __future__ import annotations

import io
import multiprocessing
import signal
import sys
import threading
import traceback
from pathlib import Path

DPI = 110  # the overview's resolution (pixels per inch)


def _draw(ts, title: str, path: Path, dpi: int, frame=None) -> None:
    """Save the overview of ``ts``; into ``frame`` (an ``OverviewFrame`` drawn before) when it
    is the frame for this title and these weeks: the same figure, its ticks already made."""
    from analysis.plots import overview

    if frame is not None and frame.fits(title, ts["week"].to_numpy()):
        frame.fill(ts)
        frame.figure.savefig(path, dpi=dpi)
    else:
        overview(ts, title=title).savefig(path, dpi=dpi)


def _warm_up(title: str, weeks):
    """Import matplotlib and draw and save the overview's frame for ``title`` and ``weeks``
    once on made-up metrics: fonts, text layout, tick objects and the PNG writer are made
    before the real metrics arrive. Returns the frame."""
    import numpy as np
    import pandas as pd

    from analysis.plots import PANELS, OverviewFrame

    weeks = np.asarray(weeks)
    cols = {"week": weeks}
    for _name, series, _logy in PANELS:
        for col, _label in series:
            cols[col] = np.linspace(1.0, 1000.0, len(weeks))
    frame = OverviewFrame(title, weeks)
    frame.fill(pd.DataFrame(cols))
    # saved as the run's will be, at its resolution: the text layouts are cached per DPI,
    # and Pillow's PNG writer is set up (drawing at the figure's own 100 DPI warmed neither)
    frame.figure.savefig(io.BytesIO(), dpi=DPI)
    return frame


def _serve(conn, parent_end, title: str, weeks) -> None:
    """The child: warm up, then draw each job it is sent until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and closes the pipe
    parent_end.close()  # else the pipe never reads as closed here when the parent closes it
    try:
        frame = _warm_up(title, weeks)
    except Exception:  # noqa: BLE001 - the real job reports the same failure with context
        frame = None
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            _draw(*job, frame=frame)
            reply = None
        except Exception as exc:  # noqa: BLE001 - sent back to the parent, which raises it
            reply = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        try:
            conn.send(reply)
        except OSError:  # the parent stopped waiting (Ctrl-C: it removed the run's folder)
            return
        frame = None  # filled: a second job draws a new figure


class PlotError(RuntimeError):
    """The plot process failed to draw or save the figure."""


class PlotProcess:
    """A forked child that draws the overview (see the module docstring)."""

    def __init__(self, proc, conn):
        self._proc, self._conn = proc, conn

    def submit(self, ts, title: str, path: Path, dpi: int = DPI):
        """Send the metrics; returns a function that waits for the figure to be saved and
        raises :class:`PlotError` if it was not."""
        self._conn.send((ts, title, Path(path), dpi))

        def wait() -> None:
            try:
                err = self._conn.recv()
            except (EOFError, OSError):
                err = f"the plot process ended (exit code {self._proc.exitcode})"
            if err is not None:
                raise PlotError(f"plots/overview.png: {err.splitlines()[0]}")

        return wait

    def close(self) -> None:
        """Stop the child (it exits when the pipe closes; killed if it does not)."""
        self._conn.close()
        self._proc.join(timeout=5)
        if self._proc.is_alive():  # pragma: no cover - a hung child
            self._proc.kill()
            self._proc.join()


class InProcess:
    """The same interface, drawing in this process (no fork available)."""

    def submit(self, ts, title: str, path: Path, dpi: int = DPI):
        _draw(ts, title, Path(path), dpi)
        return lambda: None

    def close(self) -> None:
        pass


def start(title: str = "", weeks=(), fork: bool = True) -> PlotProcess | InProcess:
    """A plot process where forking is safe (asked for, on Linux, no other Python thread
    running), else an in-process plotter. The process prepares the overview for ``title``
    and ``weeks`` (the run's week numbers): a job with another title or other weeks is drawn
    from scratch, the same figure a little later. ``tocsim run`` forks only as a command of
    its own (a fresh single-threaded process); called from Python it draws in process."""
    forkable = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
    if not fork or not forkable or threading.active_count() > 1:  # a thread holding a lock
        return InProcess()  # would hang the child
    for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    ctx = multiprocessing.get_context("fork")
    try:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, parent, title, weeks), daemon=True,
                           name="tocsim-plot")
        proc.start()
    except OSError:  # no processes left, no memory to fork: draw here instead
        return InProcess()
    child.close()
    return PlotProcess(proc, parent)


__all__ = ["DPI", "InProcess", "PlotError", "PlotProcess", "start"]
