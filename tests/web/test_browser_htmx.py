"""htmx in a real browser: the npm-built file loads under the Content-Security-Policy, live search swaps the
case results in place (no page load), and the dashboard, leads and triage pages raise no CSP violation.

Uses the Chromium and the loopback server of test_browser.py. Without the vendor file (a checkout where
``make`` never ran npm) there is nothing to drive, so the test skips, except on CI where ``make test``
builds it.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import ConsoleMessage, Response, sync_playwright

from tests.web.conftest import OTHER_TITLE, OWN_TITLE, Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from vigilant.security.rights import Role
from vigilant.store import Database
from vigilant.web.app import STATIC_DIR

__all__ = ["chromium", "site"]  # the fixtures this module borrows


@pytest.mark.slow
def test_live_search_swaps_results_without_a_page_load(
    chromium: str, site: tuple[str, World, Database, Clock]
) -> None:
    if not (STATIC_DIR / "vendor" / "htmx.min.js").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("the htmx vendor file is missing: `make test` must build it (npm ci)")
        pytest.skip("htmx not built: run `make frontend`")
    base, world, _db, _clock = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context().new_page()
            problems: list[str] = []

            def on_console(message: ConsoleMessage) -> None:
                if "Content Security Policy" in message.text or "htmx" in message.text:
                    problems.append(message.text)

            def on_response(response: Response) -> None:
                if response.status >= 400 and not response.url.endswith("/favicon.ico"):
                    problems.append(f"{response.status} {response.url}")

            page.on("console", on_console)
            page.on("response", on_response)
            _log_in(page, base, world.users[Role.COORDINATOR])
            page.goto(f"{base}/cases")
            page.wait_for_function("typeof htmx !== 'undefined'")
            page.evaluate("window.__stillHere = true")  # gone if the browser loads a new page
            page.fill("#case-q", "no such case")
            page.wait_for_selector("#case-results >> text=No case you may see matches.")
            page.fill("#case-q", "Maple")
            page.wait_for_selector(f"#case-results >> text={OWN_TITLE}")
            assert page.evaluate("window.__stillHere === true")
            assert "q=Maple" in page.url  # hx-push-url keeps the address bookmarkable
            assert OTHER_TITLE not in page.content()
            for path in ("/", "/leads", "/evidence", "/triage/runs", f"/leads/{world.own_lead}"):
                assert page.goto(f"{base}{path}") is not None
            page.wait_for_load_state()
            assert not problems, problems
        finally:
            browser.close()
