"""Every page a role's menu offers, as a busy investigator sees it: Chromium at 1366×768, axe-core on each.

The login page first; then, for each role: log in, follow every link of the menu (each must open: the menu
offers only what the role's rights let it open), then the world's detail pages (a case, a person, an
operation and its release, a lead, a triage run with real hits, a library set; their 403/404 pages where
the role may not). axe-core (npm, ``make`` installs it under node_modules/) runs on each page with the
WCAG 2.1 A/AA rules; a serious or critical violation fails the test, naming the page, the rule and the
elements.

Set ``VIGILANT_SCREENSHOTS=DIR`` to keep a screenshot of each page (viewport and full page) in DIR: the
way to look at the pages before and after a change.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, ViewportSize, sync_playwright

from tests.triage.scenario import build as build_scenario
from tests.web.conftest import T0, Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings

__all__ = ["chromium", "site"]  # the fixtures this module borrows

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}  # the investigator's laptop
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def _axe_source() -> str:
    if not AXE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("axe-core is missing: `make test` must install it (npm ci)")
        pytest.skip("axe-core not installed: run `make frontend`")
    return AXE.read_text()


def _seized_run(db: Database, data_dir: Path, root: Path, world: World) -> tuple[int, int]:
    """The triage scenario's folder, registered with no case number, recorded as a device seized in the
    own case (as the demo does), and triaged in this process: a run with real hits. Returns (run, set)."""
    scenario = build_scenario(root, db)
    service = TriageService(db, data_dir)
    item = service.evidence.add(scenario.seized, actor=Actor.cli("lab"), label="Seized folder")
    investigator = Actor.cli("test", agency_id=world.own_agency, roles={"investigator"})
    record_seizure(
        db, investigator, world.own_case, seized_at=T0, where="the suspect's home office",
        by="OPS Internet Child Exploitation unit",
        devices=[DeviceSeized("Seized folder", exhibit="EX-1", evidence_item_id=item.id)],
    )  # fmt: skip
    run_id = service.start(item.id, TriageSettings(), Actor.cli("examiner"), Progress())
    return run_id, LibraryStore(db).list_sets()[0].id


def _violations(page: Page, axe: str) -> list[str]:
    page.add_script_tag(content=axe)
    result = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations",
        WCAG_21_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
        for v in result
        if v["impact"] in BLOCKING
    ]


def _shot(page: Page, folder: Path | None, role: Role, path: str) -> None:
    if folder is None:
        return
    name = f"{role.value}{re.sub(r'[^a-z0-9]+', '_', path.lower())}".rstrip("_")
    page.screenshot(path=str(folder / f"{name}.png"))
    page.screenshot(path=str(folder / f"{name}.full.png"), full_page=True)
    heights = folder / "heights.json"
    known = json.loads(heights.read_text()) if heights.exists() else {}
    known[name] = page.evaluate("document.documentElement.scrollHeight")
    heights.write_text(json.dumps(known, indent=1, sort_keys=True))


@pytest.mark.slow
def test_every_page_of_every_menu_opens_and_passes_axe(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    axe = _axe_source()
    base, world, db, clock = site
    run_id, set_id = _seized_run(db, tmp_path / "web-data", tmp_path / "scenario", world)
    details = [
        f"/cases/{world.own_case}",
        f"/persons/{world.own_person}",
        f"/operations/{world.own_operation}",
        f"/operations/{world.own_operation}/release",
        f"/leads/{world.own_lead}",
        f"/triage/runs/{run_id}",
        f"/library/sets/{set_id}",
    ]
    folder = Path(os.environ["VIGILANT_SCREENSHOTS"]) if os.environ.get("VIGILANT_SCREENSHOTS") else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            login = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
            login.goto(f"{base}/login")
            _shot(login, folder, Role.ADMIN, "/login")
            problems += [f"/login: {v}" for v in _violations(login, axe)]
            for role in Role:
                # axe is injected as a script: the page's CSP (rightly) refuses inline scripts otherwise.
                page = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
                clock.now = datetime.now(UTC)  # the site's clock checks the TOTP code the browser types
                _log_in(page, base, world.users[role])
                menu = page.locator("header nav a").evaluate_all("links => links.map(a => a.pathname)")
                assert menu, f"{role}: no menu"
                for path in [*menu, *details]:
                    answer = page.goto(f"{base}{path}")
                    assert answer is not None
                    if path in menu and answer.status != 200:
                        problems.append(f"{role} {path}: the menu offers it, it answers {answer.status}")
                        continue
                    if answer.status not in (200, 403, 404):
                        problems.append(f"{role} {path}: answers {answer.status}")
                        continue
                    if answer.status == 200:  # a refusal is the matrix's business; its page is checked too
                        _shot(page, folder, role, path)
                    problems += [f"{role} {path}: {v}" for v in _violations(page, axe)]
        finally:
            browser.close()
    assert not problems, "\n".join(problems)
