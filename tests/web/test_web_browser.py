"""The web app in a real Chromium: a facilitator and two teams, each in its own browser
context, play two turns of the mini exercise with an inject, try bad input, and open the
debrief (2 replicates).

Screenshots go to ``$TOCSIM_WEB_FIGURES`` when it is set (``docs/make_web_figures.py`` sets it
to docs/figures/web), else to the test's temporary folder.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

T = 30_000  # ms: one page interaction (the machine may be loaded)


@pytest.fixture
def shots(tmp_path):
    d = Path(os.environ.get("TOCSIM_WEB_FIGURES") or tmp_path / "shots")
    d.mkdir(parents=True, exist_ok=True)
    return d


def open_page(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.set_default_timeout(T)
    page.goto(url)
    page.wait_for_selector(".tocsim-nav")
    return page


def select(page, label: str, option: str) -> None:
    """Pick ``option`` in the (Vuetify) select labelled ``label``."""
    page.locator(".v-input", has_text=label).last.click()
    page.locator(".v-overlay--active .v-list-item-title").get_by_text(option, exact=True).click()
    page.keyboard.press("Escape")
    page.locator(".v-overlay--active .v-list-item-title").first.wait_for(state="detached")


def fill(page, label: str, value: str) -> None:
    page.get_by_label(label, exact=False).first.fill(value)


def add_decision(page, kind: str | None, name: str, budget: str, **more) -> None:
    if kind:
        select(page, "type (from your menu)", kind)
    fill(page, "name", name)
    fill(page, "budget, USD/week", budget)
    for label, value in more.get("selects", []):
        select(page, label, value)
    for label, value in more.get("texts", []):
        fill(page, label, value)
    page.locator(".tocsim-add").click()


def test_two_teams_two_turns_inject_and_debrief(web_server, browser, shots):
    codes = web_server.codes()
    fac = open_page(browser, f"{web_server.url}/facilitator?code={codes['facilitator']}")
    enf = open_page(browser, f"{web_server.url}/team?code={codes['Enforcement']}")
    tre = open_page(browser, f"{web_server.url}/team?code={codes['Treasury']}")
    fac.get_by_text("Facilitator: Mini exercise").wait_for()
    enf.get_by_text("Decisions for turn 1").wait_for()

    # bad input through the form: a clear message, and nothing changes
    add_decision(enf, None, "neg", "-5e6")
    enf.get_by_text("a budget cannot be negative").wait_for()
    add_decision(enf, None, "ramp", "2e6", texts=[("ramp weeks", "50")])
    enf.get_by_text("expected a number in [0, 8], got 50").wait_for()
    fill(enf, "ramp weeks", "")
    add_decision(enf, None, "surge", "5e6", selects=[("targets: corridors",
                                                       "Mexico-United States")],
                 texts=[("consumption", "-0.1"), ("rationale", "most flow crosses there")])
    enf.get_by_text(re.compile(r"surge: interdiction, 5 M USD/week")).wait_for()
    add_decision(enf, "targeted_enforcement", "big-strike", "8e6",
                 texts=[("top N", "3")])
    enf.get_by_text(re.compile("over budget: team Enforcement would commit")).wait_for()
    assert enf.get_by_text("big-strike: targeted_enforcement").count() == 0
    assert "no" in fac.locator(".tocsim-teams").inner_text()  # nothing submitted yet
    enf.screenshot(path=str(shots / "team-over-budget.png"), full_page=True)
    enf.locator(".tocsim-submit").click()
    enf.get_by_text("Submitted for turn 1").first.wait_for()

    # what one team submits appears on the console at once (no reload)
    fac.locator(".tocsim-pending").get_by_text("surge").wait_for()
    add_decision(tre, None, "aml-mx", "3e6", selects=[("targets: regions", "Mexico")],
                 texts=[("criminal wealth", "-5%")])
    tre.get_by_text("aml-mx: anti_money_laundering, 3 M USD/week").wait_for()
    tre.locator(".tocsim-submit").click()
    tre.get_by_text("Submitted for turn 1").first.wait_for()
    fac.locator(".tocsim-pending").get_by_text("aml-mx").wait_for()
    teams = fac.locator(".tocsim-teams").inner_text()
    assert re.search(r"Enforcement\s+12 M\s+5 M\s+yes", teams), teams

    # turn 1 runs in the background; every page follows
    fac.locator(".tocsim-advance").click()
    fac.get_by_text("turn 2 of 3").first.wait_for()
    enf.get_by_text("turn 2 of 3").first.wait_for()
    enf.locator(".tocsim-estimates").wait_for()

    # a stale form (turn 1's, after turn 1 was played) is refused
    enf.locator(".tocsim-submit").click()
    enf.get_by_text("stale turn").first.wait_for()
    enf.get_by_role("button", name="Start turn 2's decisions").click()

    # the facilitator fires an inject by hand before turn 2
    select(fac, "inject to fire now", "budget-cut")
    fac.get_by_role("button", name="Fire now").click()
    fac.get_by_text("Inject budget-cut fired.").wait_for()
    tre.get_by_text("budget 4.8 M USD/week").wait_for()  # Treasury's budget cut, at once

    add_decision(enf, "targeted_enforcement", "kingpin", "4e6",
                 selects=[("strategy", "kingpin")], texts=[("top N", "3"),
                                                           ("homicides", "-0.1")])
    enf.get_by_text("kingpin: targeted_enforcement").wait_for()
    enf.locator(".tocsim-submit").click()
    fac.locator(".tocsim-pending").get_by_text("kingpin").wait_for()
    fac.screenshot(path=str(shots / "facilitator.png"), full_page=True)
    fac.locator(".tocsim-advance").click()
    fac.get_by_text("turn 3 of 3").first.wait_for()
    tre.get_by_text("Treasury loses a fifth of its budget.").wait_for()

    # a refresh keeps the state: it lives in the server's registry, not in the tab
    enf.reload()
    enf.get_by_text("turn 3 of 3").first.wait_for()
    enf.get_by_text("Your programmes").wait_for()
    enf.get_by_role("cell", name="kingpin", exact=True).wait_for()
    enf.screenshot(path=str(shots / "team.png"), full_page=True)

    # the debrief, with 2 replicates, in the background with progress
    fac.get_by_label("replicates").fill("2")
    fac.keyboard.press("Tab")
    fac.locator(".tocsim-start-debrief").click()
    deb = open_page(browser, f"{web_server.url}/debrief?code={codes['facilitator']}")
    deb.get_by_text("Which decisions mattered").wait_for(timeout=180_000)
    ranking = deb.locator(".tocsim-ranking").inner_text()
    for name in ("surge", "aml-mx", "kingpin"):
        assert name in ranking
    deb.get_by_role("button", name="homicides").click()
    deb.get_by_text("effect on homicides (lower is better)").wait_for()
    deb.screenshot(path=str(shots / "debrief.png"), full_page=True)
    home = open_page(browser, web_server.url + "/")
    home.get_by_text(codes["Treasury"]).wait_for()
    home.screenshot(path=str(shots / "home.png"), full_page=True)


def test_explorer_route_answers(web_server, browser):
    page = open_page(browser, f"{web_server.url}/explorer")
    page.wait_for_timeout(500)
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator(".tocsim-nav").count() == 1


def test_bad_code_is_refused(web_server, browser):
    page = open_page(browser, f"{web_server.url}/team?code=NOTACODE")
    page.get_by_text("That code does not open any session").wait_for()
    codes = web_server.codes()
    page = open_page(browser, f"{web_server.url}/facilitator?code={codes['Treasury']}")
    page.get_by_text("This code is for team Treasury, not for the facilitator.").wait_for()
    assert page.get_by_text("Advance").count() == 0
