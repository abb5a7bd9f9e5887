"""The registry in Chromium at 1366×768, keyboard first: a registry officer opens the compliance dashboard,
reaches a registrant by typing a registry number, reads the timeline, and records a report without the
mouse; axe-core (WCAG 2.1 A/AA) on each page. A verifier records a visit from the sheet the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.registry.helpers import registrant, write_jsonl
from tests.web.conftest import Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from tests.web.test_browser_pages import VIEWPORT, _axe_source, _violations
from vigilant.registry.importer import import_registrants
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

__all__ = ["chromium", "site"]  # the fixtures this module borrows
DATE = r"\d{4}-\d{2}-\d{2}"


def _tab_to(page: Page, selector: str, limit: int = 60) -> None:
    """Press Tab until ``selector`` has the focus, as a keyboard user does; fail if it never does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement === document.querySelector(s)", selector):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def _fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"], "scrolls sideways"


@pytest.mark.slow
def test_an_officer_works_the_registry_from_the_keyboard(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    axe = _axe_source()
    base, world, db, clock = site
    initial = [{"kind": "initial", "reported_on": "2020-03-10", "officer": "Cst. A"}]
    keeper = Actor(None, "loader", frozenset({Role.REGISTRY_OFFICER}), world.own_agency)
    people = [
        registrant("ON-B", office="OPS", reports=initial),
        registrant("ON-C", office="OPS", surname="Cole"),
    ]
    assert import_registrants(db, keeper, write_jsonl(tmp_path / "r.jsonl", *people)).created == 2
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
            clock.now = datetime.now(UTC)
            _log_in(page, base, world.users[Role.REGISTRY_OFFICER])
            page.goto(f"{base}/registry?as_of=2021-04-01")
            assert page.locator("h1").inner_text() == "Offender registry"
            areas = page.locator("#areas + table tbody tr").first.inner_text()
            assert "Orillia" in areas
            assert "\t2\t" in areas  # two non-compliant in Orillia
            _fits(page)
            problems += [f"/registry: {v}" for v in _violations(page, axe)]

            _tab_to(page, "input[name=number]")
            page.keyboard.type("ON-B")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/registry/registrants/ON-B")
            assert page.get_by_role("status").first.inner_text().startswith("Non compliant")
            timeline = page.locator("ol.timeline li").all_inner_texts()
            assert timeline
            assert all(re.match(DATE, t) for t in timeline), timeline  # readable dates first
            _fits(page)
            problems += [f"registrant page: {v}" for v in _violations(page, axe)]

            _tab_to(page, "form[action$='/reports'] input[name=officer]")  # kind, day and outcome as offered
            page.keyboard.type("Cst. Keyboard")
            _tab_to(page, "form[action$='/reports'] button[type=submit]")
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/registry/registrants/ON-B#timeline")
            assert "Cst. Keyboard" in page.locator("ol.timeline").inner_text()

            verifier = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
            clock.now = datetime.now(UTC)
            _log_in(verifier, base, world.users[Role.VERIFIER])
            verifier.goto(f"{base}/registry/verify")
            _tab_to(verifier, "input[name=number]")
            verifier.keyboard.type("ON-B")
            verifier.keyboard.press("Enter")
            verifier.wait_for_url(f"{base}/registry/verify?number=ON-B")
            problems += [f"verify sheet: {v}" for v in _violations(verifier, axe)]
            _tab_to(verifier, "form.stack button[type=submit]")
            verifier.keyboard.press("Enter")
            verifier.wait_for_url(f"{base}/registry/verify?number=ON-B&done=1")
            assert "Verification recorded" in verifier.locator("main").inner_text()
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
