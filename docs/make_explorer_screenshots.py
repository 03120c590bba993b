"""Screenshots of the web explorer for docs/WEB_EXPLORER.md (docs/figures/web/explorer*.png).

Starts the explorer alone (``solara run tocsim/web/explorer.py``, offline) on a free port,
drives it in Debian's chromium with Playwright and saves:

- ``explorer.png``: whole_of_government.yaml played past week 156 (the lever starts at 104),
  regions coloured by homicides;
- ``explorer_corruption.png``: the same run coloured by corruption, after a refused value
  (recruitment.rate = 0.2, out of its declared range);
- ``explorer_mexico.png``: mexico.yaml played past week 26 (its regions at their coordinates).

Usage: ``python docs/make_explorer_screenshots.py`` from the repository root (about a minute;
the runs are seeded, the pictures depend only on the week reached).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures" / "web"
VIEWPORT = {"width": 1500, "height": 1050}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT), SOLARA_TELEMETRY_MIXPANEL_ENABLE="False",
               TOCSIM_SCENARIOS_DIR=str(ROOT / "scenarios"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "tocsim/web/explorer.py", "--host",
         "127.0.0.1", "--port", str(port), "--production", "--no-check-version"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    t0 = time.monotonic()
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() - t0 > 120:
                proc.kill()
                raise SystemExit("the explorer's server did not start") from None
            time.sleep(0.3)


def _week(page) -> int:
    return int(page.inner_text(".explorer-status").split()[1])


def _play_to(page, week: int) -> None:
    page.locator(".explorer-play").click()
    t0 = time.monotonic()
    while _week(page) < week:
        if time.monotonic() - t0 > 300:
            raise SystemExit(f"week {week} not reached")
        time.sleep(0.05)
    page.locator(".explorer-pause").click()
    page.wait_for_function("document.querySelector('.explorer-status').innerText"
                           ".includes('paused')", timeout=60_000)
    time.sleep(6)  # the last pictures (drawn at most every 0.5 s, slower on a busy machine)


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the select labelled ``label`` (a Vuetify 3 menu)."""
    field = page.locator(".v-select").filter(
        has=page.locator("label", has_text=re.compile(f"^{re.escape(label)}$")))
    field.first.click()
    item = page.locator(".v-overlay--active .v-list-item").filter(
        has_text=re.compile(f"^{re.escape(option)}$"))
    # the list is virtual and opens scrolled to the current choice: from the top, scroll
    # down until the option is drawn
    page.locator(".v-overlay--active .v-list").evaluate("e => e.scrollTop = 0")
    time.sleep(0.2)
    for _ in range(40):
        if item.count():
            break
        page.locator(".v-overlay--active .v-list").evaluate("e => e.scrollTop += 150")
        time.sleep(0.2)
    item.first.click()


def _pick(page, scenario: str) -> None:
    _choose(page, "scenario", scenario)
    page.wait_for_function(f"document.body.innerText.includes('loaded {scenario}')",
                           timeout=60_000)


def main() -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    proc, url = _start_server()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"))
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url)
            page.wait_for_url("**/?run=*", timeout=60_000)
            _pick(page, "whole_of_government.yaml")
            page.locator(".explorer-status").wait_for()
            page.get_by_role("button", name="100", exact=True).click()
            _play_to(page, 156)
            page.screenshot(path=OUT / "explorer.png", full_page=True)
            print("wrote", OUT / "explorer.png")
            page.get_by_role("button", name="corruption", exact=True).click()
            _choose(page, "parameter group", "recruitment")
            field = page.get_by_label("recruitment.rate [1/member/week]", exact=True)
            for attempt in range(3):  # a busy page can miss the first Enter
                field.fill("0.2")
                field.press("Enter")
                try:
                    page.locator(".explorer-refused").wait_for(timeout=20_000)
                    break
                except PlaywrightTimeout:
                    if attempt == 2:
                        raise
            time.sleep(6)
            page.screenshot(path=OUT / "explorer_corruption.png", full_page=True)
            print("wrote", OUT / "explorer_corruption.png")
            _pick(page, "mexico.yaml")
            _play_to(page, 26)
            page.screenshot(path=OUT / "explorer_mexico.png", full_page=True)
            print("wrote", OUT / "explorer_mexico.png")
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
