"""``tocsim compare`` as a user meets it: fast failures on bad input, and a batch killed with
``kill -9`` or interrupted with Ctrl-C that ``--resume`` finishes with identical results."""

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest
from conftest import DATA

from tocsim.cli import main

BASE, SURGE = str(DATA / "tiny_base.yaml"), str(DATA / "tiny_surge.yaml")


def compare_cmd(out, *extra):
    return [sys.executable, "-m", "tocsim", "compare", BASE, SURGE, "--weeks", "80",
            "--window", "10", "-r", "8", "--out", str(out), *extra]


def test_help_describes_compare():
    r = subprocess.run([sys.executable, "-m", "tocsim", "compare", "--help"],
                       capture_output=True, text=True)
    assert r.returncode == 0
    for flag in ("--replicates", "--baseline", "--weeks", "--window", "--workers",
                 "--scheduler", "--out", "--resume", "--period", "--cumulative",
                 "--allow-idle", "--target-ci", "--max-replicates"):
        assert flag in r.stdout


def test_missing_scenario_and_too_few_replicates_fail_fast(tmp_path, capsys):
    out = tmp_path / "out"
    t0 = time.perf_counter()
    rc = main(["compare", BASE, str(tmp_path / "nope.yaml"), "-r", "1", "--out", str(out)])
    assert rc == 2 and time.perf_counter() - t0 < 10
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("--replicates: 1: need at least 2 replicates")
    assert err[1] == f"{tmp_path / 'nope.yaml'}: file not found"
    assert not out.exists()


def test_other_bad_inputs(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["compare", BASE, "-r", "3", "--out", out]) == 2
    assert "need at least two distinct scenarios" in capsys.readouterr().err
    assert main(["compare", BASE, SURGE, "-r", "3", "--window", "31", "--out", out]) == 2
    assert "--window: 31: longer than the run (30 weeks)" in capsys.readouterr().err
    assert main(["compare", BASE, SURGE, "-r", "3", "--metrics", "homicides,bogus",
                 "--out", out]) == 2
    assert "--metrics: bogus: unknown metric" in capsys.readouterr().err
    long = tmp_path / "long.yaml"
    long.write_text(f"name: long\nextends: {BASE}\nweeks: 60\n")
    assert main(["compare", BASE, str(long), "-r", "3", "--out", out]) == 2
    assert "scenarios differ in weeks" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse: mutually exclusive options
        main(["compare", BASE, SURGE, "-r", "3", "--workers", "2", "--scheduler", "x:1"])
    assert exc.value.code == 2
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_fails_fast_and_leaves_nothing(tmp_path, capsys):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "out"
    t0 = time.perf_counter()
    rc = main(["compare", BASE, SURGE, "-r", "2", "--scheduler", f"tcp://127.0.0.1:{port}",
               "--connect-timeout", "1", "--out", str(out)])
    assert rc == 2 and time.perf_counter() - t0 < 20
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"--scheduler: tcp://127.0.0.1:{port}: cannot connect within 1 s")
    assert not out.exists()  # nothing to --resume: the same command works once fixed


def _wait_for_parts(out, n, proc, timeout=120):
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if (out / "runs.parquet").is_dir() and len(list((out / "runs.parquet").glob(
                "part-*.parquet"))) >= n:
            return
        if proc.poll() is not None:
            pytest.fail(f"compare ended early: {proc.returncode}: {proc.stderr.read()}")
        time.sleep(0.05)
    pytest.fail("no runs stored in time")


def test_ctrl_c_in_a_terminal_gives_one_line_and_no_worker_traceback(tmp_path):
    """Ctrl-C in a terminal signals the whole foreground process group, the Dask workers
    too: each printed its own KeyboardInterrupt traceback before the command's message. The
    workers now start ignoring SIGINT (analysis.cluster._ctrl_c_held); the command stops
    them."""
    out = tmp_path / "out"
    p = subprocess.Popen(compare_cmd(out, "--workers", "2", "--quiet"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)  # its own group, as a terminal's job
    _wait_for_parts(out, 2, p)
    os.killpg(p.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert err.strip().splitlines()[-1].startswith("interrupted: finished runs are stored")


def test_worker_processes_start_ignoring_ctrl_c():
    """What the test above relies on, directly: a process started inside _ctrl_c_held
    ignores SIGINT, and the caller's handler is back afterwards."""
    import multiprocessing

    from analysis.cluster import _ctrl_c_held

    before = signal.getsignal(signal.SIGINT)
    ctx = multiprocessing.get_context("spawn")  # as Dask starts its workers
    with _ctrl_c_held():
        proc = ctx.Process(target=_exit_ignoring_sigint)
        proc.start()
    assert signal.getsignal(signal.SIGINT) is before
    proc.join(60)
    assert proc.exitcode == 0  # 0: SIGINT was ignored in the worker; 1: it was not


def _exit_ignoring_sigint():
    sys.exit(0 if signal.getsignal(signal.SIGINT) == signal.SIG_IGN else 1)


@pytest.mark.slow
def test_ctrl_c_then_kill_9_then_resume_gives_identical_content(tmp_path):
    """The whole story through the command line (four cluster starts: about a minute)."""
    out, ref = tmp_path / "out", tmp_path / "ref"
    # 1. Ctrl-C midway: exit 130, finished runs kept
    p = subprocess.Popen(compare_cmd(out, "--workers", "2", "--quiet"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    _wait_for_parts(out, 2, p)
    os.killpg(p.pid, signal.SIGINT)  # Ctrl-C: the whole process group, as a terminal does
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "rerun with --resume" in err and "Traceback" not in err
    man = json.loads((out / "manifest.json").read_text())
    assert man["sessions"][-1]["status"] == "interrupted"
    first = len(list((out / "runs.parquet").glob("part-*")))
    # 2. resume, then kill -9 midway: no half-written file, the session shows as running
    p = subprocess.Popen(compare_cmd(out, "--workers", "2", "--quiet", "--resume"),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for_parts(out, first + 2, p)
    p.kill()
    p.wait(timeout=30)
    stored = len(list((out / "runs.parquet").glob("part-*")))
    assert stored < 16
    # 3. resume to the end: only the missing runs are done
    r = subprocess.run(compare_cmd(out, "--workers", "2", "--resume"), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "Change from tiny-base" in r.stdout and "arrests" in r.stdout
    man = json.loads((out / "manifest.json").read_text())
    assert [s["status"] for s in man["sessions"]] == ["interrupted", "killed", "complete"]
    assert man["sessions"][-1]["runs_todo"] == 16 - stored
    assert {x["state"] for x in man["runs"]} == {"done"}
    # the same content as an uninterrupted run on one worker
    r = subprocess.run(compare_cmd(ref, "--workers", "1", "--quiet"), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for name in ("runs.parquet", "comparison.csv", "per_run.csv"):
        a, b = pd.read_parquet(out / name) if name.endswith("parquet") else \
            pd.read_csv(out / name), pd.read_parquet(ref / name) if \
            name.endswith("parquet") else pd.read_csv(ref / name)
        pd.testing.assert_frame_equal(a, b)
    a = sorted((out / "runs.parquet").iterdir())
    b = sorted((ref / "runs.parquet").iterdir())
    assert [x.name for x in a] == [x.name for x in b]
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))


def test_validate_warns_about_idle_levers_and_compare_refuses(tmp_path, capsys):
    zero = tmp_path / "zero.yaml"
    zero.write_text(f"name: zero\nextends: {DATA / 'tiny_kingpin.yaml'}\n")
    zero.write_text(zero.read_text() + "interventions:\n  - {type: targeted_enforcement, "
                    "name: none, start_week: 5, budget: 0, targets: {top_n: 1}}\n")
    assert main(["validate", str(zero)]) == 0  # a warning, not an error
    err = capsys.readouterr().err
    assert f"warning: {zero}: interventions.none: budget is 0: it never acts" in err
    out = tmp_path / "out"
    assert main(["compare", BASE, str(zero), "-r", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "budget is 0: it never acts" in err and "--allow-idle" in err
    assert not out.exists()


def test_period_options_checked_before_running(tmp_path, capsys):
    out = str(tmp_path / "out")
    assert main(["compare", BASE, SURGE, "-r", "2", "--period", "intervention",
                 "--out", out]) == 2
    assert "--period: intervention: no scenario of this batch schedules a lever" in \
        capsys.readouterr().err
    assert main(["compare", BASE, SURGE, "-r", "2", "--period", "20:10", "--out", out]) == 2
    assert "--period: 20:10: need 0 <= START < END <= 30" in capsys.readouterr().err
    assert main(["compare", BASE, SURGE, "-r", "2", "--target-ci", "0", "--out", out]) == 2
    assert "--target-ci: 0.0: expected a percentage" in capsys.readouterr().err
    with pytest.raises(SystemExit):  # one option, two spellings
        main(["compare", BASE, SURGE, "-r", "2", "--period", "all", "--window", "last:5"])
