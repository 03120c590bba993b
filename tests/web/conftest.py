"""Fixtures for the web app's tests: a `tocsim serve` on a free local port, and Debian's
Chromium driven by Playwright (its own browser download cannot work offline).

- ``chromium``: the system browser's path. Skipped with a reason when it is missing, except in
  CI (``CI=true``), where a missing browser is a failure: `.ci/run` installs it.
- ``web_server``: a server started with ``tocsim serve --exercise tests/data/mini_exercise.yaml``
  in a temporary sessions folder; gives its URL and the preloaded session's join codes.
  Module-scoped: a test module shares one server (start-up is the costly part).
- ``browser``: a Playwright Chromium; each test opens its own contexts (one per person).
- ``scn_dir``: a folder with two tiny-world scenarios (no spin-up: fast) and a file that is
  not a scenario, for the explorer's tests.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini_exercise.yaml"
TINY_WORLD = ROOT / "tests" / "data" / "tiny_world.yaml"


@pytest.fixture
def scn_dir(tmp_path) -> Path:
    """Two small scenarios on the tiny world (no spin-up: fast) and a file that is not one."""
    folder = tmp_path / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    base = {"name": "tiny", "description": "four regions", "seed": 3, "weeks": 30,
            "world": str(TINY_WORLD), "params": {"run": {"spinup_weeks": 0}}}
    (folder / "tiny.yaml").write_text(yaml.safe_dump(base))
    levers = dict(base, name="tiny_levers", interventions=[
        {"type": "interdiction", "name": "border", "start_week": 5, "budget": 2.0e6,
         "targets": {"regions": ["Market"]}}])
    (folder / "tiny_levers.yaml").write_text(yaml.safe_dump(levers))
    (folder / "notes.txt").write_text("not a scenario")
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs it with apt-get "
                        "(apt-get install -y chromium)")
        pytest.skip("no system Chromium (Debian: apt-get install chromium); browser tests skipped")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("playwright is missing in CI: pip install -e '.[dev]'")
        pytest.skip("the playwright package is not installed (pip install -e '.[dev]')")
    return path


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, sessions: Path, log: Path):
        self.proc, self.url, self.sessions, self.log = proc, url, sessions, log

    def codes(self) -> dict[str, str]:
        """Join codes of the preloaded session (role -> code)."""
        (path,) = self.sessions.glob("*/web-codes.json")
        return json.loads(path.read_text())


def start_server(tmp: Path, exercise: Path | None = MINI, extra: list[str] = (),
                 timeout: float = 120.0, env: dict | None = None) -> Server:
    """`tocsim serve` in a subprocess; returns when it answers HTTP (or raises with its log)."""
    port = free_port()
    sessions = tmp / "sessions"
    log = tmp / "serve.log"
    cmd = [sys.executable, "-m", "tocsim", "serve", "--port", str(port), "--sessions",
           str(sessions), "--exercises", str(ROOT / "exercises"), *extra]
    if exercise is not None:
        cmd += ["--exercise", str(exercise)]
    env = {**os.environ, **(env or {}),
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    t0 = time.monotonic()
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"tocsim serve exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise RuntimeError(f"tocsim serve did not answer in {timeout} s:\n{log.read_text()}")
        time.sleep(0.2)
    return Server(proc, url, sessions, log)


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture(scope="module")
def web_server(tmp_path_factory, chromium):
    server = start_server(tmp_path_factory.mktemp("web"))
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium,
                              args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        yield b
        b.close()
