"""The xref queue page in Chromium (1366×768): an analyst judges a pair from the keyboard alone, and the
page passes axe-core's WCAG 2.1 A/AA rules."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import select

from tests.web.conftest import Clock, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from tests.web.test_browser_pages import VIEWPORT, _axe_source, _violations
from vigilant.cases.models import PersonRole
from vigilant.cases.people import add_person
from vigilant.links.xref import run_xref
from vigilant.links.xref_models import XrefJudgementRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

__all__ = ["chromium", "site"]  # the fixtures this module borrows


@pytest.mark.slow
def test_an_analyst_judges_a_pair_from_the_keyboard(
    chromium: str, site: tuple[str, World, Database, Clock]
) -> None:
    base, world, db, _ = site
    coordinator = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    add_person(db, coordinator, world.own_case, given_names="Mapel", surname="Ownagency",
               role=PersonRole.ACCUSED, date_of_birth=date(1980, 5, 1))  # fmt: skip
    run_xref(db, coordinator)
    axe = _axe_source()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()  # for axe-core only
        _log_in(page, base, world.users[Role.ANALYST])
        page.click("nav >> text=Person xref")
        page.wait_for_url(f"{base}/links/xref")
        assert page.locator(".xref-item").count() == 1
        assert "nickname" in page.inner_text("#xref") or "typo" in page.inner_text("#xref")
        assert _violations(page, axe) == []

        page.keyboard.press("j")
        page.keyboard.press("n")
        assert "not same" in page.inner_text("#xref-status")
        page.keyboard.type("born in another province, per the birth certificate")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.locator(".xref-item").count() == 0
        assert "No proposal to show." in page.content()
        browser.close()

    with db.session() as s:
        (judged,) = s.scalars(select(XrefJudgementRow))
    assert judged.verdict == "not_same"
    assert judged.reason.startswith("born in another province")
