"""The explorer in a real Chromium, mounted at /explorer of `tocsim serve`: it runs a scenario
and the chart updates; a refresh keeps the run. Browser and server fixtures: conftest.py (Debian's
chromium through Playwright's ``executable_path``; a failure, not a skip, in CI)."""

from pathlib import Path

import pytest
import yaml

from .conftest import start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
TINY_WORLD = ROOT / "tests" / "data" / "tiny_world.yaml"


@pytest.fixture(scope="module")
def explorer_url(tmp_path_factory, chromium):
    """`tocsim serve` (the whole app, the explorer at /explorer) offering one tiny scenario."""
    folder = tmp_path_factory.mktemp("scenarios")
    (folder / "tiny.yaml").write_text(yaml.safe_dump({
        "name": "tiny", "description": "four regions", "seed": 3, "weeks": 40,
        "world": str(TINY_WORLD), "params": {"run": {"spinup_weeks": 0}}}))
    server = start_server(tmp_path_factory.mktemp("web"), exercise=None,
                          env={"TOCSIM_SCENARIOS_DIR": str(folder)})
    yield server.url + "/explorer"
    stop_server(server)


def test_the_explorer_runs_a_scenario_and_the_chart_updates(explorer_url, browser):
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = ctx.new_page()
        page.goto(explorer_url)
        page.wait_for_url("**/explorer?run=*", timeout=60_000)  # the run's id goes in the URL
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
        ctx.close()
