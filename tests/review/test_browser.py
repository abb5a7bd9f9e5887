"""Review in a real browser (Debian's Chromium driven by Playwright, over loopback), at 1366x768.

Before a reveal, the only picture bytes the page receives are the blurred, greyscale thumbnails; an examiner
categorises a stack from the keyboard; a reveal (with its reason) is audited and the exposure counter
rises; nothing plays; a user of another agency sees nothing of it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image
from playwright.sync_api import Page, Response, ViewportSize, sync_playwright
from sqlalchemy import func, select

from tests.review.scenario import build
from tests.web.conftest import FAST, PASSWORD, ROOT, Clock, Login, World
from tests.web.test_browser import CHROMIUM_ARGS, _log_in, chromium, site
from tests.web.test_browser_pages import _axe_source, _violations
from vigilant.review.models import ReviewDecisionRow
from vigilant.security.audit import AuditLog
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import Database

__all__ = ["chromium", "site"]  # the fixtures this module borrows
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}


def _pictures(page: Page) -> dict[str, bytes]:
    """Every review picture the page receives, by URL (filled as responses arrive)."""
    seen: dict[str, bytes] = {}

    def keep(response: Response) -> None:
        if "/api/v1/review/items/" in response.url and response.ok:
            seen[response.url] = response.body()

    page.on("response", keep)
    return seen


def _stranger(db: Database, world: World) -> Login:
    made = UserService(db, passwords=FAST).create(
        ROOT, "investigator-hrp", PASSWORD, roles=frozenset({Role.INVESTIGATOR}),
        agency_id=world.other_agency, now=datetime.now(UTC),
    )  # fmt: skip
    secret = parse_qs(urlparse(made.totp_uri).query)["secret"][0]
    return Login(made.user_id, made.username, secret, Role.INVESTIGATOR, world.other_agency)


@pytest.mark.slow
def test_review_in_the_browser(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    base, world, db, _clock = site
    sc = build(db, tmp_path / "scenario", world)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            pictures = _pictures(page)
            _log_in(page, base, world.users[Role.EXAMINER])
            page.goto(f"{base}/review/runs/{sc.run_id}")
            page.wait_for_selector("#exposure:has-text('0 revealed')")
            page.wait_for_load_state("networkidle")

            # Before any reveal: four blurred, greyscale thumbnails, and nothing else.
            assert len(pictures) == 4
            assert all(url.endswith("/thumbnail") for url in pictures)
            assert {Image.open(io.BytesIO(body)).mode for body in pictures.values()} == {"L"}
            assert page.locator("video, audio").count() == 0

            # Categorise the stack of two from the keyboard.
            sizes = page.locator(".review-item").evaluate_all("els => els.map(e => e.dataset.stackSize)")
            target = sizes.index("2")
            for _ in range(target):
                page.keyboard.press("j")
            selected = page.locator(".review-item.selected")
            assert selected.get_attribute("data-stack-size") == "2"
            stack_item = selected.get_attribute("data-item")
            page.keyboard.press("1")
            page.wait_for_selector("#status:has-text('Categorised 2 item(s) as 1')")
            with db.session() as s:
                assert s.scalar(select(func.count()).select_from(ReviewDecisionRow)) == 2

            # Reveal the item now selected, for a reason: the clear picture comes, and the counter rises.
            revealed = page.locator(".review-item.selected").get_attribute("data-item")
            assert revealed != stack_item
            page.once("dialog", lambda dialog: dialog.accept("compare with the series"))
            # Waited for as such: under load the page's response handler may not have its body yet.
            with page.expect_response(lambda r: r.url.endswith("/clear")) as shown:
                page.keyboard.press("r")
            clear = shown.value
            page.wait_for_selector("img.revealed")
            page.wait_for_selector("#exposure:has-text('1 revealed')")
            assert f"/items/{revealed}/" in clear.url
            assert Image.open(io.BytesIO(clear.body())).mode == "RGB"
            [event] = AuditLog(db).search(Actor.cli("root"), now=datetime.now(UTC), action="review.reveal")
            assert (event.object_id, event.detail["reason"]) == (revealed, "compare with the series")

            # Both review pages meet WCAG 2.1 AA (axe-core; its script needs the CSP bypassed).
            axe = _axe_source()
            checked = browser.new_context(viewport=VIEWPORT, bypass_csp=True).new_page()
            _log_in(checked, base, world.users[Role.INVESTIGATOR])  # the examiner's code is spent (no replay)
            problems: list[str] = []
            for path in ("/review", f"/review/runs/{sc.run_id}"):
                checked.goto(f"{base}{path}")
                checked.wait_for_load_state("networkidle")
                problems += [f"{path}: {v}" for v in _violations(checked, axe)]
            assert problems == []

            # Another agency's user (an investigator, who may view material) sees nothing of it.
            other = browser.new_context(viewport=VIEWPORT).new_page()
            _log_in(other, base, _stranger(db, world))
            answer = other.goto(f"{base}/review/runs/{sc.run_id}")
            assert answer is not None
            assert answer.status == 404
            assert other.request.get(f"{base}/api/v1/review/items/{revealed}/thumbnail").status == 404
            other.goto(f"{base}/review")
            assert f"Review run {sc.run_id}" not in other.content()
        finally:
            browser.close()


@pytest.mark.slow
def test_the_keys_follow_the_profile_in_the_browser(
    chromium: str, site: tuple[str, World, Database, Clock], tmp_path: Path
) -> None:
    base, world, db, _clock = site
    sc = build(db, tmp_path / "scenario", world)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            _log_in(page, base, world.users[Role.EXAMINER])
            page.goto(f"{base}/review/runs/{sc.run_id}")
            page.wait_for_selector("#exposure:has-text('0 revealed')")
            assert page.locator("#profile-keys").inner_text() == "0-4"
            # Choosing legacy DHS (the run has no decision yet) makes the page again with its codes and keys.
            page.select_option("#profile", "dhs")
            page.wait_for_selector("#profile-keys:has-text('0-5')")
            page.wait_for_selector("#exposure:has-text('0 revealed')")
            assert "5 Non-pertinent" in page.locator("#profile-codes").inner_text()
            page.keyboard.press("a")  # a CAID key: not one of DHS's, so nothing is sent
            page.wait_for_timeout(300)
            assert page.locator("#status").inner_text() == ""  # not even a refusal to report
            page.keyboard.press("5")
            page.wait_for_selector("#status:has-text('as 5')")
            with db.session() as s:
                assert set(s.scalars(select(ReviewDecisionRow.profile))) == {"dhs"}
            # The run now keeps DHS: the page offers no other profile.
            page.goto(f"{base}/review/runs/{sc.run_id}")
            page.wait_for_selector("#profile-kept")
            assert page.locator("#profile option").evaluate_all("os => os.map(o => o.value)") == ["dhs"]
        finally:
            browser.close()
