"""The web application in a real browser: Debian's Chromium driven by Playwright, over loopback.

An investigator logs in (password + TOTP), opens a case through the form, sees it in the list; a user of
another agency logs in and sees neither that case nor anything of the first agency. A second flow adds an
accused with a date of birth and lays a charge through the case page's forms, and the dashboard's charges
figure counts it; the other agency's user gets 404 for the case, the person and the charges. Chromium is the
distribution's (``executable_path``), never a downloaded browser.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright

from tests.web.conftest import (
    FAST,
    OTHER_TITLE,
    OWN_TITLE,
    PASSWORD,
    ROOT,
    Clock,
    Login,
    World,
    build_world,
    make_app,
)
from vigilant.security.rights import Role
from vigilant.security.users import UserService
from vigilant.store import Database

CHROMIUM = "/usr/bin/chromium"
# What a headless Chromium needs on a closed machine: no sandbox (root), and no background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run must apt-get install chromium")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, World, Database, Clock]]:
    """The app served by uvicorn on 127.0.0.1, on a database of its own, with a real-time clock."""
    db = Database(f"sqlite:///{tmp_path / 'browser.db'}")
    db.upgrade()
    world = build_world(db)
    clock = Clock(datetime.now(UTC))  # the browser keeps cookies by its own clock
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(make_app(db, tmp_path, clock), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the web server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", world, db, clock
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        db.dispose()


def _log_in(page: Page, base: str, user: Login) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=totp]", user.code(datetime.now(UTC)))
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.mark.slow
def test_an_investigator_opens_a_case_that_another_agency_cannot_see(
    chromium: str, site: tuple[str, World, Database, Clock]
) -> None:
    base, world, db, clock = site
    other = UserService(db, passwords=FAST).create(
        ROOT, "investigator-hrp", PASSWORD, roles=frozenset({Role.INVESTIGATOR}),
        agency_id=world.other_agency, now=clock.now,
    )  # fmt: skip
    other_login = Login(
        other.user_id, other.username, parse_qs(urlparse(other.totp_uri).query)["secret"][0],
        Role.INVESTIGATOR, world.other_agency,
    )  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context().new_page()
            _log_in(page, base, world.users[Role.INVESTIGATOR])
            page.goto(f"{base}/cases/new")
            page.fill("input[name=number]", "OP-OWN-2")
            page.fill("input[name=title]", "Opened in the browser")
            page.click("form[action='/cases/new'] button[type=submit]")  # the nav bar has a Logout button
            page.wait_for_load_state()
            assert "/cases/" in page.url
            assert "Opened in the browser" in page.content()
            page.goto(f"{base}/cases")
            listing = page.content()
            assert "Opened in the browser" in listing
            assert OWN_TITLE in listing
            assert OTHER_TITLE not in listing

            stranger = browser.new_context().new_page()
            _log_in(stranger, base, other_login)
            stranger.goto(f"{base}/cases")
            theirs = stranger.content()
            assert OTHER_TITLE in theirs
            assert "Opened in the browser" not in theirs
            assert OWN_TITLE not in theirs
        finally:
            browser.close()


def _other_investigator(db: Database, world: World, clock: Clock, username: str) -> Login:
    made = UserService(db, passwords=FAST).create(
        ROOT, username, PASSWORD, roles=frozenset({Role.INVESTIGATOR}), agency_id=world.other_agency,
        now=clock.now,
    )  # fmt: skip
    secret = parse_qs(urlparse(made.totp_uri).query)["secret"][0]
    return Login(made.user_id, made.username, secret, Role.INVESTIGATOR, world.other_agency)


def _charges_figure(page: Page, operation: str) -> int:
    """The dashboard's charges figure for one operation, found by its column heading."""
    column = page.locator("table thead th").all_inner_texts().index("Charges")
    row = page.locator("table tbody tr", has_text=operation).first
    return int(row.locator("td").nth(column).inner_text())


@pytest.mark.slow
def test_an_investigator_lays_a_charge_and_the_dashboard_counts_it(
    chromium: str, site: tuple[str, World, Database, Clock]
) -> None:
    base, world, db, clock = site
    stranger_login = _other_investigator(db, world, clock, "investigator-hrp-2")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context().new_page()
            _log_in(page, base, world.users[Role.INVESTIGATOR])
            before = _charges_figure(page, "OP-OWN")

            page.goto(f"{base}/cases")
            page.click(f"a[href='/cases/{world.own_case}']")
            page.wait_for_url(f"{base}/cases/{world.own_case}")
            page.click("summary:has-text('Add a person')")  # the case page's forms are folded
            page.fill("#add-person input[name=given_names]", "Jordan")
            page.fill("#add-person input[name=surname]", "Browserline")
            page.select_option("#add-person select[name=role]", "accused")
            page.fill("#add-person input[name=date_of_birth]", "1988-07-14")
            page.click("#add-person button[type=submit]")
            page.wait_for_url(f"{base}/cases/{world.own_case}#persons")
            assert "Jordan Browserline" in page.content()

            page.focus("summary:has-text('Lay a charge')")
            page.keyboard.press("Enter")  # the keyboard opens a folded form
            option = page.locator("#lay-charge select[name=person_id] option", has_text="Jordan Browserline")
            person_id = option.get_attribute("value")
            assert person_id
            page.select_option("#lay-charge select[name=person_id]", person_id)
            page.select_option("#lay-charge select[name=offence]", "cp-distributing")
            page.fill("#lay-charge input[name=offence_from]", "2025-11-05")
            page.press("#lay-charge input[name=offence_from]", "Enter")  # the keyboard submits the form
            page.wait_for_url(f"{base}/cases/{world.own_case}#charges")
            charges = page.locator("#charges table").inner_text()
            assert "Distributing or making available child pornography" in charges
            assert "Jordan Browserline" in charges

            page.goto(f"{base}/")
            assert _charges_figure(page, "OP-OWN") == before + 1

            stranger = browser.new_context().new_page()
            _log_in(stranger, base, stranger_login)
            assert "OP-OWN" not in stranger.content()
            for path in (
                f"/cases/{world.own_case}",
                f"/persons/{person_id}",
                f"/api/v1/cases/{world.own_case}/charges",
            ):
                answer = stranger.goto(f"{base}{path}")
                assert answer is not None
                assert answer.status == 404, path
                assert "Browserline" not in stranger.content()
                assert "child pornography" not in stranger.content()
        finally:
            browser.close()
