"""The pages as a busy investigator reads them: a menu with only what the role may open, readable times,
a case page that fits a laptop screen, an audit log that names people and objects, a triage run that says
where its evidence was seized and offers its reports, a page per library set.

The browser side (every menu page in Chromium, axe-core) is tests/web/test_browser_pages.py.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from tests.triage.scenario import build as build_scenario
from tests.web.conftest import FAST, PASSWORD, ROOT, Clock, Login, World, csrf, log_in
from tests.web.test_matrix import RULES
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.leads.models import LeadRow
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import Database
from vigilant.triage.reports import reports
from vigilant.triage.runner import Progress
from vigilant.triage.service import TriageService
from vigilant.triage.settings import TriageSettings
from vigilant.web.auth import CSRF_FIELD
from vigilant.web.display import MENU, when

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')
MICROSECONDS = re.compile(r"\d\d:\d\d:\d\d\.\d{6}")
ISO_T = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def _menu(html: str) -> list[str]:
    found = NAV.search(html)
    assert found, "no main menu on the page"
    return HREF.findall(found.group(1))


def test_each_menu_entry_names_the_permission_its_route_is_held_to() -> None:
    for item in MENU:
        assert RULES[("GET", item.href)].permission == item.permission, item.href


# Pages reached another way: signing in, a form opened from the Cases page, the static files.
NOT_IN_MENU = {"/login", "/cases/new", "/static"}


def test_every_page_a_role_works_from_is_in_the_menu() -> None:
    # The evidence-link requests page was reachable only from the Evidence and case pages.
    listed = {item.href for item in MENU}
    for route, rule in RULES.items():
        method, path = route
        if method == "GET" and not path.startswith("/api/") and "{" not in path and path not in NOT_IN_MENU:
            assert path in listed, f"{path} ({rule.permission}) is a page of its own but not in the menu"


def test_the_menu_offers_only_the_pages_the_role_may_open(
    client: TestClient, world: World, clock: Clock
) -> None:
    for role in Role:
        client.cookies.clear()
        assert log_in(client, world.users[role], clock) == 303
        offered = _menu(client.get("/").text)
        for item in MENU:
            status = client.get(item.href).status_code
            if item.href in offered:
                assert status == 200, f"{role}: the menu offers {item.href}, which answers {status}"
            else:
                assert status == 403, f"{role}: {item.href} answers {status} but is not in the menu"
        clock.advance(seconds=31)  # the next login's TOTP code is a new one


def test_times_read_as_minutes_in_utc() -> None:
    moment = datetime(2026, 12, 7, 14, 3, 59, 123456, tzinfo=UTC)
    assert when(moment) == "2026-12-07 14:03 UTC"
    assert when(moment.astimezone(timezone(timedelta(hours=-5)))) == "2026-12-07 14:03 UTC"
    assert when(moment.replace(tzinfo=None)) == "2026-12-07 14:03 UTC"  # stored naive: UTC
    assert when(moment.isoformat()) == "2026-12-07 14:03 UTC"
    assert when(date(2026, 12, 7)) == "2026-12-07"
    assert when(None) == "—"


def test_no_page_shows_microseconds_or_iso_times(client: TestClient, world: World, clock: Clock) -> None:
    pages = {
        Role.AUDITOR: ["/audit"],
        Role.INVESTIGATOR: [f"/cases/{world.own_case}", f"/leads/{world.own_lead}", "/evidence", "/leads"],
        Role.EXAMINER: [f"/triage/runs/{world.own_run}", "/triage/runs", "/library"],
    }
    for role, paths in pages.items():
        client.cookies.clear()
        assert log_in(client, world.users[role], clock) == 303
        for path in paths:
            html = client.get(path).text
            assert not MICROSECONDS.search(html), f"{path}: {MICROSECONDS.search(html)}"
            assert not ISO_T.search(html), f"{path}: {ISO_T.search(html)}"
        clock.advance(seconds=31)


AUDIT_ROW = re.compile(
    r"<tr><td>(\d+)</td><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>[^<]*</td>\s*<td>(.*?)</td>", re.S
)


def test_the_audit_log_names_people_by_user_name_and_objects_by_type_and_id(
    client: TestClient, world: World, clock: Clock
) -> None:
    investigator = world.users[Role.INVESTIGATOR]
    assert log_in(client, investigator, clock) == 303
    assert client.get(f"/cases/{world.own_case}").status_code == 200  # the cases domain records user ids
    client.cookies.clear()
    clock.advance(seconds=31)
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    rows = AUDIT_ROW.findall(client.get("/audit").text)
    assert rows
    who = {name for _, name, _, _ in rows}
    assert investigator.username in who
    assert not any(name.isdigit() for name in who), who  # never a bare user id beside the names
    reads = [re.sub(r"<[^>]+>", "", obj) for _, _, action, obj in rows if action == "record.read"]
    assert f"case #{world.own_case}" in reads


def test_the_case_page_names_its_agency_and_folds_its_forms(
    client: TestClient, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    html = client.get(f"/cases/{world.own_case}").text
    assert "<dt>Agency</dt><dd>Orillia Police (OPS)</dd>" in html
    # Every form that adds a record is folded under its summary, closed: the page is its tables.
    folded = re.findall(r'<details class="record-form">\s*<summary>([^<]+)</summary>', html)
    assert folded == [
        "Add a person", "Add legal process", "Record a seizure", "Record an arrest", "Lay a charge",
        "Record victim status", "Record a publication ban",
    ]  # fmt: skip
    assert '<details class="record-form" open>' not in html
    # A form sent back with an error comes back open, with its message.
    refused = client.post(
        f"/cases/{world.own_case}/charges",
        data={"person_id": str(world.own_person), "offence": "cp-distributing", "offence_from": "not a date",
              CSRF_FIELD: csrf(client)},
    )  # fmt: skip
    assert refused.status_code == 400
    assert re.search(r'<details class="record-form" open>\s*<summary>Lay a charge</summary>', refused.text)


def _selected_step(html: str) -> str:
    select = re.search(r'<select name="step".*?</select>', html, re.S)
    assert select, "no Step select"
    chosen = re.findall(r'<option value="([^"]*)"\s*selected>', select.group(0))
    assert len(chosen) == 1, chosen
    return str(chosen[0])


def test_the_step_select_defaults_to_the_next_step_never_to_closing(
    client: TestClient, world: World, clock: Clock, db: Database
) -> None:
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    assert _selected_step(client.get(f"/leads/{world.own_lead}").text) == "preservation_demand"  # assigned
    with db.session() as s:
        s.execute(update(LeadRow).where(LeadRow.id == world.own_lead).values(status="new"))
    # A new lead's next step is its assignment (the form above): the select asks, closing is not preset.
    assert _selected_step(client.get(f"/leads/{world.own_lead}").text) == ""


def test_the_score_table_shows_contribution_as_scaled_value_times_weight(
    client: TestClient, world: World, clock: Clock
) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    html = client.get(f"/leads/{world.own_lead}").text
    table = re.search(r'<table class="factors">.*?</table>', html, re.S)
    assert table
    assert "Contribution = scaled value × weight" in table.group(0)
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td>\s*<td class="num">([^<]+)</td>'
        r'<td class="num">([^<]+)</td>\s*<td class="num">([^<]+)</td>',
        table.group(0),
    )
    assert [r[0] for r in rows] == ["evidence tier", "known files"]
    for _name, _measured, scaled, weight, contribution in rows:
        assert abs(float(scaled) * float(weight) - float(contribution)) < 0.01
    # The world's evidence tier: measured 3, contribution 20 at weight 10: scaled 2, not the 3 shown alone.
    assert rows[0][1:] == ("3", "2.00", "10.0", "20.00")


# --- a triage run with real hits, of an item seized in a case -------------------------------------------
@pytest.fixture
def triaged(db: Database, tmp_path: Path, world: World) -> int:
    """The triage scenario's folder, registered with no case number and recorded as a device seized in the
    own case (as the demo's laptop is), triaged in this process into the app's data folder."""
    scenario = build_scenario(tmp_path / "scenario", db)
    service = TriageService(db, tmp_path / "web-data")  # the app's data folder (tests/web/conftest.py)
    item = service.evidence.add(scenario.seized, actor=Actor.cli("lab"), label="Seized folder")
    record_seizure(
        db, Actor.cli("test", agency_id=world.own_agency, roles={"investigator"}), world.own_case,
        seized_at=datetime(2026, 3, 1, 8, 0, tzinfo=UTC), where="the suspect's home", by="OPS ICE unit",
        devices=[DeviceSeized("Seized folder", exhibit="EX-1", evidence_item_id=item.id)],
    )  # fmt: skip
    return service.start(item.id, TriageSettings(), Actor.cli("examiner"), Progress())


def test_a_run_page_names_the_case_its_device_was_seized_in(
    client: TestClient, world: World, clock: Clock, triaged: int
) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    html = client.get(f"/triage/runs/{triaged}").text
    assert "<dt>Case</dt><dd>seized in case OP-OWN-1</dd>" in html
    listing = client.get("/triage/runs").text
    row = next(r for r in re.findall(r"<tr>(.*?)</tr>", listing, re.S) if f'/triage/runs/{triaged}"' in r)
    assert "<td><div>seized in OP-OWN-1</div></td>" in row, row


def test_a_run_page_shows_each_matched_entry_once_per_file_with_every_hash_that_matched(
    client: TestClient, world: World, clock: Clock, triaged: int
) -> None:
    assert log_in(client, world.users[Role.EXAMINER], clock) == 303
    html = client.get(f"/triage/runs/{triaged}").text
    rows = re.findall(r'<code class="address">([^<]+)</code>(.*?)</tr>', html, re.S)
    assert rows
    for address, cell in rows:
        entries = re.findall(r"entry #(\d+)", cell)
        assert len(entries) == len(set(entries)), f"{address}: an entry repeated: {entries}"
    known = next(cell for address, cell in rows if "/DCIM/IMG_0001.jpg " in address)
    assert re.search(r"entry #1\b[^,<]*, on md5, sha1:", known), known  # one line, both ways it matched
    member = next(cell for address, cell in rows if "member holiday/pic.jpg" in address)
    assert "on md5, sha1, pdq d=0" in member, member  # exact hashes first, then the perceptual one


def test_a_run_page_offers_every_report_and_each_downloads_for_those_who_may_see_the_run(
    client: TestClient, world: World, clock: Clock, triaged: int
) -> None:
    assert log_in(client, world.users[Role.INVESTIGATOR], clock) == 303
    html = client.get(f"/triage/runs/{triaged}").text
    offered = re.findall(rf'href="/triage/runs/{triaged}/report/([a-z0-9-]+)" download', html)
    assert offered == reports().names()
    for fmt in offered:
        answer = client.get(f"/triage/runs/{triaged}/report/{fmt}")
        assert answer.status_code == 200, (fmt, answer.text[:300])
        assert answer.headers["content-disposition"].startswith('attachment; filename="vigilant-run-')
        assert answer.content
    assert "IMG_0001.jpg" in client.get(f"/triage/runs/{triaged}/report/csv").text
    assert client.get(f"/triage/runs/{triaged}/report/pdf").status_code == 404
    assert client.get(f"/triage/runs/{world.own_run}/report/csv").status_code == 409  # no results here
    client.cookies.clear()
    clock.advance(seconds=31)
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    assert client.get(f"/triage/runs/{triaged}/report/csv").status_code == 403


def test_the_other_agency_gets_no_report_of_a_run_it_may_not_see(
    client: TestClient, world: World, clock: Clock, triaged: int, db: Database
) -> None:
    other = UserService(db, passwords=FAST).create(
        ROOT, "investigator-hrp", PASSWORD, roles=frozenset({Role.INVESTIGATOR}),
        agency_id=world.other_agency, now=clock.now,
    )  # fmt: skip
    secret = parse_qs(urlparse(other.totp_uri).query)["secret"][0]
    login = Login(other.user_id, other.username, secret, Role.INVESTIGATOR, world.other_agency)
    assert log_in(client, login, clock) == 303
    for fmt in reports().names():
        answer = client.get(f"/triage/runs/{triaged}/report/{fmt}")
        assert answer.status_code == 404
        assert "IMG_0001" not in answer.text


# --- a page per library set --------------------------------------------------------------------------------
def test_each_library_set_has_a_page_for_those_who_may_read_the_library(
    client: TestClient, world: World, clock: Clock, triaged: int, db: Database
) -> None:
    sets = LibraryStore(db).list_sets()
    assert sets
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    listing = client.get("/library").text
    for info in sets:
        assert f'<a href="/library/sets/{info.id}">{info.label}</a>' in listing
        html = client.get(f"/library/sets/{info.id}").text
        assert f"Hash set {info.label}" in html
        assert info.source_sha256 in html  # provenance
        assert re.search(rf"Entries</th><td class=\"num\">{info.entry_count:,}</td>", html)
        assert "Imports of this file" in html
    bad = next(i for i in sets if i.kind.value == "known-bad")
    assert "Child Abuse Material" in client.get(f"/library/sets/{bad.id}").text  # the category profile
    assert client.get("/library/sets/999999").status_code == 404
    client.cookies.clear()
    clock.advance(seconds=31)
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    assert client.get(f"/library/sets/{sets[0].id}").status_code == 403


def test_the_audit_log_finds_a_users_events_by_user_name_whatever_the_service_wrote(
    client: TestClient, world: World, clock: Clock
) -> None:
    investigator = world.users[Role.INVESTIGATOR]
    assert log_in(client, investigator, clock) == 303
    assert client.get(f"/cases/{world.own_case}").status_code == 200  # recorded under the user's id
    client.cookies.clear()
    clock.advance(seconds=31)
    assert log_in(client, world.users[Role.AUDITOR], clock) == 303
    rows = AUDIT_ROW.findall(client.get("/audit", params={"by": investigator.username}).text)
    actions = {action for _, _, action, _ in rows}
    assert {"login.ok", "record.read"} <= actions, actions
    assert {name for _, name, _, _ in rows} == {investigator.username}


def test_no_link_on_a_page_leads_the_role_to_a_refusal(
    client: TestClient, world: World, clock: Clock
) -> None:
    """The menu's rule, for the links inside pages too: the case page offered the operation's release
    preview to roles that may not preview it (403)."""
    pages = [
        "/", f"/cases/{world.own_case}", f"/persons/{world.own_person}", f"/leads/{world.own_lead}",
        f"/operations/{world.own_operation}", "/operations", "/evidence", "/triage/runs",
        f"/triage/runs/{world.own_run}", "/library", "/leads", "/cases", "/persons", "/audit",
    ]  # fmt: skip
    for role in Role:
        client.cookies.clear()
        assert log_in(client, world.users[role], clock) == 303
        for page in pages:
            answer = client.get(page)
            if answer.status_code != 200:
                continue
            main = answer.text.split("<main>", 1)[1]
            links = {h for h in HREF.findall(main) if h.startswith("/") and "?" not in h and "#" not in h}
            for link in sorted(links):
                status = client.get(link).status_code
                assert status != 403, f"{role} on {page}: the link {link} answers 403"
        clock.advance(seconds=31)
    client.cookies.clear()
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    html = client.get(f"/cases/{world.own_case}").text
    assert f'<a href="/operations/{world.own_operation}">OP-OWN — OP-OWN name</a>' in html
    assert f'<a href="/operations/{world.own_operation}/release">Release preview for OP-OWN</a>' in html
