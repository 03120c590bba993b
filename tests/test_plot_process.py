"""The overview drawn in a forked process (analysis.plot_process) is the figure drawn in
process, byte for byte; its failures reach the caller; the child ends with the pipe."""

import numpy as np
import pandas as pd
import pytest

from analysis import plot_process
from analysis.plots import PANELS

# pytest's process may hold threads of its own (numpy's BLAS pool); the child only draws.
# `tocsim run` forks only as a fresh command-line process (tests/test_cli_exit.py runs one).
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded")


@pytest.fixture(scope="module")
def ts():
    rng = np.random.default_rng(5)
    cols = {"week": np.arange(120)}
    for _name, series, _logy in PANELS:
        for col, _label in series:
            cols[col] = rng.uniform(1.0, 500.0, 120)
    return pd.DataFrame(cols)


@pytest.mark.parametrize("prepared", [True, False])
def test_forked_plot_equals_the_plot_drawn_in_process(ts, tmp_path, prepared):
    """Drawn into the frame the child prepared (and drew once on made-up metrics), or, for
    another title, from scratch: the same bytes as ``overview`` drawn here."""
    plotter = plot_process.start("test (seed 5)" if prepared else "other", ts["week"])
    assert isinstance(plotter, plot_process.PlotProcess)  # Linux, no other threads here
    try:
        done = plotter.submit(ts, "test (seed 5)", tmp_path / "forked.png")
        done()
    finally:
        plotter.close()
    assert not plotter._proc.is_alive() and plotter._proc.exitcode == 0
    plot_process.InProcess().submit(ts, "test (seed 5)", tmp_path / "here.png")()
    forked = (tmp_path / "forked.png").read_bytes()
    assert forked[:8] == b"\x89PNG\r\n\x1a\n" and len(forked) > 20_000
    assert forked == (tmp_path / "here.png").read_bytes()


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


def test_a_failed_plot_raises_in_the_caller(ts, tmp_path):
    plotter = plot_process.start()
    try:
        done = plotter.submit(ts, "t", tmp_path / "no such folder" / "overview.png")
        with pytest.raises(plot_process.PlotError, match="overview.png: FileNotFoundError"):
            done()
        # the child keeps serving after a failed job
        plotter.submit(ts, "t", tmp_path / "ok.png")()
        assert (tmp_path / "ok.png").stat().st_size > 20_000
    finally:
        plotter.close()


def test_the_child_ends_when_the_caller_closes_without_a_job():
    plotter = plot_process.start()
    plotter.close()
    assert not plotter._proc.is_alive()


def test_threads_running_means_no_fork(monkeypatch):
    monkeypatch.setattr(plot_process.threading, "active_count", lambda: 2)
    assert isinstance(plot_process.start(), plot_process.InProcess)


def test_asked_not_to_fork_draws_in_process():
    assert isinstance(plot_process.start("t", range(3), fork=False), plot_process.InProcess)
