"""The overview drawn in a forked process (analysis.plot_process) is the figure drawn in
process, byte for byte; its failures reach the caller; the child ends with the pipe."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import plot_process
from analysis.plots import PANELS

ROOT = Path(__file__).resolve().parents[1]


def _metrics():
    rng = np.random.default_rng(5)
    cols = {"week": np.arange(120)}
    for _name, series, _logy in PANELS:
        for col, _label in series:
            cols[col] = rng.uniform(1.0, 500.0, 120)
    return pd.DataFrame(cols)


@pytest.fixture(scope="module")
def ts():
    return _metrics()


def _in_a_fresh_process(check: str, *args) -> subprocess.CompletedProcess:
    """Run ``check`` (a function below) in a new Python process, as ``tocsim run`` forks:
    pytest's own process may hold threads other tests left running, and ``start`` then
    rightly draws in process instead of forking."""
    code = (f"import sys; sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / 'tests')!r}]; "
            f"import test_plot_process as t; t.{check}(*sys.argv[1:])")
    r = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                       text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    return r


def check_forked_equals_in_process(folder: str, prepared: str) -> None:
    ts, out = _metrics(), Path(folder)
    plotter = plot_process.start("test (seed 5)" if prepared == "1" else "other", ts["week"])
    assert isinstance(plotter, plot_process.PlotProcess)  # Linux, a single thread
    try:
        plotter.submit(ts, "test (seed 5)", out / "forked.png")()
    finally:
        plotter.close()
    assert not plotter._proc.is_alive() and plotter._proc.exitcode == 0
    plot_process.InProcess().submit(ts, "test (seed 5)", out / "here.png")()
    forked = (out / "forked.png").read_bytes()
    assert forked[:8] == b"\x89PNG\r\n\x1a\n" and len(forked) > 20_000
    assert forked == (out / "here.png").read_bytes()


def check_failed_plot_raises_and_the_child_goes_on(folder: str) -> None:
    ts, out = _metrics(), Path(folder)
    plotter = plot_process.start("t", ts["week"])
    assert isinstance(plotter, plot_process.PlotProcess)
    try:
        done = plotter.submit(ts, "t", out / "no such folder" / "overview.png")
        try:
            done()
        except plot_process.PlotError as exc:
            assert "overview.png: FileNotFoundError" in str(exc), exc
        else:
            raise AssertionError("no PlotError")
        plotter.submit(ts, "t", out / "ok.png")()  # the child keeps serving after a failure
        assert (out / "ok.png").stat().st_size > 20_000
    finally:
        plotter.close()


def check_child_ends_when_closed_without_a_job() -> None:
    plotter = plot_process.start("t", range(3))
    assert isinstance(plotter, plot_process.PlotProcess)
    plotter.close()
    assert not plotter._proc.is_alive()


def check_child_quiet_when_the_caller_leaves_mid_job(folder: str) -> None:
    """Ctrl-C while the child draws: the caller removes the run's staging folder and closes
    the pipe, so the child's save fails and its reply has nobody to go to."""
    ts, out = _metrics(), Path(folder)
    plotter = plot_process.start("t", ts["week"])
    assert isinstance(plotter, plot_process.PlotProcess)
    plotter.submit(ts, "t", out / "removed" / "overview.png")
    plotter.close()  # without waiting for the reply
    assert plotter._proc.exitcode == 0


@pytest.mark.parametrize("prepared", ["1", "0"])
def test_forked_plot_equals_the_plot_drawn_in_process(tmp_path, prepared):
    """Drawn into the frame the child prepared (and drew once on made-up metrics), or, for
    another title, from scratch: the same bytes as ``overview`` drawn in process."""
    _in_a_fresh_process("check_forked_equals_in_process", tmp_path, prepared)


def test_a_failed_plot_raises_in_the_caller(tmp_path):
    _in_a_fresh_process("check_failed_plot_raises_and_the_child_goes_on", tmp_path)


def test_the_child_stays_quiet_when_the_caller_leaves_during_a_job(tmp_path):
    """Ctrl-C in ``tocsim run`` while the overview was drawn printed the child's
    BrokenPipeError traceback beside the one-line message."""
    r = _in_a_fresh_process("check_child_quiet_when_the_caller_leaves_mid_job", tmp_path)
    assert "Traceback" not in r.stderr, r.stderr[-3000:]


def test_the_child_ends_when_the_caller_closes_without_a_job():
    _in_a_fresh_process("check_child_ends_when_closed_without_a_job")


def test_a_frame_filled_again_draws_what_a_new_frame_draws(ts, tmp_path):
    from analysis.plots import OverviewFrame, overview

    overview(ts.iloc[:30], title="t").savefig(tmp_path / "new.png", dpi=80)
    frame = OverviewFrame("t", ts["week"].iloc[:30])
    other = ts.iloc[:30].copy()
    other[other.columns[1:]] *= 40.0  # other ranges: other ticks
    frame.fill(other)
    frame.figure.canvas.draw()
    frame.fill(ts.iloc[:30])
    frame.figure.savefig(tmp_path / "again.png", dpi=80)
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "new.png").read_bytes()
    assert not frame.fits("t", ts["week"]) and frame.fits("t", ts["week"].iloc[:30])
    with pytest.raises(ValueError, match="weeks"):
        frame.fill(ts)


def test_threads_running_means_no_fork(monkeypatch):
    monkeypatch.setattr(plot_process.threading, "active_count", lambda: 2)
    assert isinstance(plot_process.start(), plot_process.InProcess)


def test_asked_not_to_fork_draws_in_process():
    assert isinstance(plot_process.start("t", range(3), fork=False), plot_process.InProcess)
