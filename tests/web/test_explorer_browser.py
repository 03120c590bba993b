"""The explorer in a real Chromium: it runs a scenario and the chart updates; a refresh keeps
the run. Uses Debian's chromium through Playwright (``executable_path``) and its own small
server (``solara run`` on a free port, offline: no version check, no telemetry)."""

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
TINY_WORLD = ROOT / "tests" / "data" / "tiny_world.yaml"
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run "
                                                           "installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "tiny.yaml").write_text(yaml.safe_dump({
        "name": "tiny", "description": "four regions", "seed": 3, "weeks": 40,
        "world": str(TINY_WORLD), "params": {"run": {"spinup_weeks": 0}}}))
    port = _free_port()
    env = dict(os.environ, TOCSIM_SCENARIOS_DIR=str(folder), PYTHONPATH=str(ROOT),
               SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    log = open(folder / "server.log", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "tocsim/web/explorer.py", "--host",
         "127.0.0.1", "--port", str(port), "--production", "--no-check-version"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        t0 = time.monotonic()
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() - t0 > 120:
                    raise RuntimeError("the explorer's server did not start: "
                                       + (folder / "server.log").read_text()[-2000:]) from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_the_explorer_runs_a_scenario_and_the_chart_updates(explorer_url):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(explorer_url)
            page.wait_for_url("**/?run=*", timeout=60_000)  # the run's id goes in the URL
            status = page.locator(".explorer-status")
            expect(status).to_have_text("Week 0 of 40 · ready", timeout=60_000)
            charts = page.locator("img.explorer-charts")
            expect(charts).to_be_visible(timeout=60_000)
            world = page.locator("img.explorer-map")
            before, world_before = charts.get_attribute("src"), world.get_attribute("src")
            page.locator(".explorer-step").click()
            expect(status).to_have_text("Week 1 of 40 · paused", timeout=60_000)
            page.locator(".explorer-play").click()
            expect(status).to_have_text("Week 40 of 40 · finished", timeout=60_000)
            expect(charts).not_to_have_attribute("src", before, timeout=30_000)
            expect(world).not_to_have_attribute("src", world_before, timeout=30_000)
            url = page.url
            page.reload()  # the run lives in the server's registry, not in the tab
            expect(status).to_have_text("Week 40 of 40 · finished", timeout=60_000)
            assert page.url == url
        finally:
            browser.close()
