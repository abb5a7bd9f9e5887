"""htmx in a real browser: the npm-built file loads under the Content-Security-Policy, live search swaps the
case results in place (no page load), and the dashboard, leads and triage pages raise no CSP violation.

Uses the Chromium and the loopback server of test_browser.py. Without the vendor file (a checkout where
``make`` never ran npm) there is nothing to drive, so the test skips, except on CI where ``make test``
builds it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Response, sync_playwright

from tests.web.conftest import OTHER_TITLE, OWN_TITLE, Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.service import TriageService
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


@pytest.mark.slow
def test_an_examiner_starts_a_triage_run_and_watches_it_finish(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    if not (STATIC_DIR / "vendor" / "htmx.min.js").is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("the htmx vendor file is missing: `make test` must build it (npm ci)")
        pytest.skip("htmx not built: run `make frontend`")
    base, world, db, _clock = site
    folder = tmp_path / "seized-in-browser"
    for i in range(40):
        (folder / f"d{i % 4}").mkdir(parents=True, exist_ok=True)
        (folder / f"d{i % 4}" / f"f{i:02d}.bin").write_bytes(os.urandom(2048 + i))
    item = TriageService(db, tmp_path / "web-data").evidence.add(
        folder, actor=Actor.cli("lab"), label="Browser folder", case_number="OP-OWN-1"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context().new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
            )
            _log_in(page, base, world.users[Role.EXAMINER])
            page.goto(f"{base}/evidence")
            form = page.locator(f"form[action='/evidence/{item.id}/triage']")
            form.locator("input[name=pdq]").uncheck()
            form.locator("button[type=submit]").click()
            page.wait_for_url(f"{base}/triage/runs/*")
            # The page comes back at once; the worker (a new Python process) is still starting.
            assert "Worked on by process" in page.inner_text("#run-progress")
            # ... by the worker, which the lock names from the start, not the server that took it.
            assert f"process {os.getpid()}" not in page.inner_text("#run-progress")
            page.wait_for_function("typeof htmx !== 'undefined'")
            # htmx polls the progress block, then reloads the page when the worker is done.
            page.wait_for_selector("#run-progress >> text=Finished:", timeout=90_000)
            assert "40 of 40 files" in page.inner_text("#run-progress")
            assert page.locator("#run-progress[hx-trigger]").count() == 0  # no longer polling
            assert "Evidence re-verified" in page.content()
            assert not problems, problems
        finally:
            browser.close()
