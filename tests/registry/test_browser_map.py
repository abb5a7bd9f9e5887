"""The registry map in headless Chromium at 1366×768: Leaflet draws one marker per registrant listed (and the
facilities with their radius), a click on a registrant opens its obligations summary with a link to its page,
no request leaves 127.0.0.1 (every request is intercepted and checked), and axe-core finds no WCAG 2.1 A/AA
violation. The screenshot is kept for a person to look at (VIGILANT_SCREENSHOTS, else the test's tmp dir)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Route, sync_playwright

from tests.registry.test_map import AS_OF, load
from tests.web.conftest import Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from tests.web.test_browser_pages import VIEWPORT, _axe_source, _violations
from vigilant.security.rights import Role
from vigilant.store import Database

__all__ = ["chromium", "site"]  # the fixtures this module borrows


@pytest.mark.slow
def test_the_map_draws_the_registrants_listed_and_reaches_no_outside_server(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    axe = _axe_source()
    base, world, db, clock = site
    load(db, world, tmp_path)
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    shots = Path(os.environ.get("VIGILANT_SCREENSHOTS") or tmp_path)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)  # the real CSP: Leaflet must live with it
            context.route("**/*", only_loopback)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            clock.now = datetime.now(UTC)
            _log_in(page, base, world.users[Role.REGISTRY_OFFICER])
            page.goto(f"{base}/registry/map?as_of={AS_OF}")
            page.wait_for_selector("#registry-map[data-ready='1']")
            listed = page.locator("#registrants + table tbody tr").count()
            assert listed == 2
            markers = page.locator("#registry-map path.registrant-marker")
            assert markers.count() == listed
            assert page.locator("#registry-map path.facility-marker").count() == 2
            assert page.locator("#registry-map path.facility-radius").count() == 2
            assert page.locator("#no-tiles").is_visible()
            assert page.locator("#registry-map img").count() == 0  # no tile was asked for
            page.screenshot(path=str(shots / "registry_map.png"))

            page.locator("#registry-map path.status-non_compliant").click()
            popup = page.locator(".registrant-popup")
            popup.wait_for()
            text = popup.inner_text()
            assert "ON-B" in text
            assert "non compliant" in text
            assert "federal-2011/annual-report" in text
            assert popup.locator("a").get_attribute("href") == "/registry/registrants/ON-B"
            page.wait_for_timeout(400)  # Leaflet fades a popup in
            page.screenshot(path=str(shots / "registry_map_popup.png"))

            page.goto(f"{base}/registry/map?as_of={AS_OF}&status=compliant")
            page.wait_for_selector("#registry-map[data-ready='1']")
            assert page.locator("#registry-map path.registrant-marker").count() == 1
            assert page.locator("#registrants + table tbody tr").count() == 1

            # axe is injected as an inline script, which the CSP refuses: a second context, same session.
            checked = browser.new_context(
                viewport=VIEWPORT, bypass_csp=True, storage_state=context.storage_state()
            )
            checked.route("**/*", only_loopback)
            axe_page = checked.new_page()
            axe_page.goto(f"{base}/registry/map?as_of={AS_OF}")
            axe_page.wait_for_selector("#registry-map[data-ready='1']")
            problems = _violations(axe_page, axe)
        finally:
            browser.close()
    assert not errors, errors
    assert not outside, outside
    assert not problems, "\n".join(problems)
