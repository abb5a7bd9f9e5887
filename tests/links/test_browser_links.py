"""The links page in Chromium at 1366x768, under the app's real Content-Security-Policy: the graph draws
(cytoscape.js + fcose), its nodes are the tables' entities, another agency's record is a grey node that
names only its holder, a click on a node centres the page on it, and axe-core finds nothing serious."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.web.conftest import OTHER_PERSON, OWN_PERSON, Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from tests.web.test_browser_pages import VIEWPORT, _axe_source, _violations
from vigilant.cases.links import link_identifier
from vigilant.links.service import build_all
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

__all__ = ["chromium", "site"]  # the fixtures this module borrows

VENDOR = Path(__file__).resolve().parents[2] / "src" / "vigilant" / "web" / "static" / "vendor"


@pytest.mark.slow
def test_the_links_page_draws_the_neighbourhood_and_hides_the_other_agencys_record(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    if not (VENDOR / "cytoscape-fcose.js").is_file():
        pytest.skip("cytoscape is not vendored: run `make frontend`")
    base, world, db, _ = site
    own = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    other = Actor.cli("coord", agency_id=world.other_agency, roles={"coordinator"})
    link_identifier(db, own, world.own_case, "email", "same@example.org", person_id=world.own_person)
    link_identifier(db, other, world.other_case, "email", "same@example.org", person_id=world.other_person)
    build_all(db, Actor.cli("lab"), tmp_path / "observations")
    axe = _axe_source()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            _log_in(page, base, world.users[Role.ANALYST])
            page.click("nav >> text=Links")
            page.fill("input[name=entity]", f"person:{world.own_person}")
            page.select_option("select[name=depth]", "2")
            page.click("form.links-filter button[type=submit]")
            page.wait_for_function("window.vigilantLinks && window.vigilantLinks.nodes().length > 0")
            assert errors == []  # nothing refused by the CSP, no script error
            nodes = page.evaluate("window.vigilantLinks.nodes().map(n => n.data('label'))")
            rows = page.locator("#links-entities tbody tr").count()
            assert len(nodes) == rows
            assert "held by Halifax Police" in nodes
            assert OTHER_PERSON[1] not in page.content()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORT["width"], f"the page is {width} px wide at {VIEWPORT['width']}"
            canvas = page.locator("#links-graph canvas").first.bounding_box()
            assert canvas is not None
            assert canvas["height"] > 200
            # A click on the email hub centres the page on it.
            page.evaluate(
                "window.vigilantLinks.nodes().filter(n => n.data('kind') === 'identifier').emit('tap')"
            )
            page.wait_for_url("**entity=email*")
            page.wait_for_function("window.vigilantLinks && window.vigilantLinks.nodes().length > 0")
            assert "same@example.org" in page.locator("h1").inner_text()
            # axe-core is injected as a script, which the CSP refuses: the same session, CSP bypassed.
            checked = browser.new_context(
                viewport=VIEWPORT, bypass_csp=True, storage_state=context.storage_state()
            ).new_page()
            checked.goto(f"{base}/links?entity=person:{world.own_person}&depth=2")
            assert _violations(checked, axe) == []
        finally:
            browser.close()


@pytest.mark.slow
def test_the_operation_network_page_draws_in_chromium_and_a_node_opens_its_neighbourhood(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    if not (VENDOR / "cytoscape-fcose.js").is_file():
        pytest.skip("cytoscape is not vendored: run `make frontend`")
    base, world, db, _ = site
    own = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    other = Actor.cli("coord", agency_id=world.other_agency, roles={"coordinator"})
    link_identifier(db, own, world.own_case, "email", "same@example.org", person_id=world.own_person)
    link_identifier(db, other, world.other_case, "email", "same@example.org", person_id=world.other_person)
    build_all(db, Actor.cli("lab"), tmp_path / "observations")
    axe = _axe_source()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            _log_in(page, base, world.users[Role.COORDINATOR])
            page.click("nav >> text=Links")
            page.click(f"a[href='/links/operations/{world.own_operation}']")
            page.wait_for_function("window.vigilantLinks && window.vigilantLinks.nodes().length > 0")
            assert errors == []  # nothing refused by the CSP, no script error
            nodes = page.evaluate("window.vigilantLinks.nodes().map(n => n.data('label'))")
            assert "held by Halifax Police" in nodes
            assert OTHER_PERSON[1] not in page.content()
            rows = page.locator("#links-table tbody tr").count()
            assert rows == page.evaluate("window.vigilantLinks.edges().length")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= VIEWPORT["width"], f"the page is {width} px wide at {VIEWPORT['width']}"
            page.screenshot(path=str(tmp_path / "operation-network.png"), full_page=True)
            # A click on the e-mail hub opens its neighbourhood on the links page.
            page.evaluate(
                "window.vigilantLinks.nodes().filter(n => n.data('kind') === 'identifier').emit('tap')"
            )
            page.wait_for_url("**/links?entity=email*")
            assert "same@example.org" in page.locator("h1").inner_text()
            checked = browser.new_context(
                viewport=VIEWPORT, bypass_csp=True, storage_state=context.storage_state()
            ).new_page()
            checked.goto(f"{base}/links/operations/{world.own_operation}")
            assert _violations(checked, axe) == []
            checked.goto(f"{base}/links/path?source={OWN_PERSON[1]}&target=same%40example.org")
            assert checked.locator("#path-1 tbody tr").count() == 1
            assert _violations(checked, axe) == []
        finally:
            browser.close()
