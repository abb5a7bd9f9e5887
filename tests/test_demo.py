"""The demo's generated operation, its logins and TOTP codes, and its background web server."""

from __future__ import annotations

import http.client
import ipaddress
import json
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from vigilant.cases.agencies import add_agency, list_agencies
from vigilant.cases.ages import was_youth
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.figures import operation_figures
from vigilant.cases.identifiers import IdentifierKind
from vigilant.cases.models import (
    AgencyRow,
    CasePersonRow,
    CaseRow,
    ChargeRow,
    IdentifierLinkRow,
    IdentifierRow,
    OperationRow,
    PersonRole,
    PersonRow,
)
from vigilant.cases.release import build_release
from vigilant.cases.service import open_case
from vigilant.cli import run
from vigilant.demo.operation import (
    AGENCIES,
    DOCUMENTATION_NETWORKS,
    OPERATION_CODE,
    DemoAgency,
    GeneratedOperation,
    documentation_ip,
    generate_operation,
)
from vigilant.demo.pictures import draw_image
from vigilant.demo.run import _seize_demo_laptop
from vigilant.demo.server import PID_FILE, running_server, start_server, stop_server
from vigilant.demo.users import (
    DEMO_ARGON,
    create_demo_users,
    current_code,
    demo_database_url,
    demo_key_file,
    read_manifest,
    write_manifest,
)
from vigilant.demo.video import make_demo_videos
from vigilant.errors import ExitCode, NotFoundError
from vigilant.hashing.streams import digest_file
from vigilant.library.formats.vpdq import frames_of
from vigilant.perceptual.vpdq import vpdq_match, vpdq_of_video
from vigilant.security import mfa
from vigilant.security.auth import AuthService
from vigilant.security.passwords import Passwords
from vigilant.security.rights import Actor, Role
from vigilant.security.secretbox import SecretBox
from vigilant.security.users import UserService
from vigilant.store import Database, open_database
from vigilant.triage.access import list_evidence_for

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")
SOMEONE = Actor.cli("someone")
ME = Actor.cli("test")

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo_op(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, GeneratedOperation]]:
    db = open_database(f"sqlite:///{tmp_path_factory.mktemp('demo-op') / 'vigilant.db'}")
    yield db, generate_operation(db)
    db.dispose()


def _coordinator(op: GeneratedOperation) -> Actor:
    return Actor.cli("test", agency_id=op.coordinator.id, roles={"coordinator"})


def test_the_operation_has_the_promised_size(demo_op: tuple[Database, GeneratedOperation]) -> None:
    db, op = demo_op
    with db.session() as s:
        agencies = list(s.scalars(select(AgencyRow)))
        [operation] = s.scalars(select(OperationRow))
        participants = {p.agency_id for p in operation.participants}
    assert len(agencies) == len(op.agencies) == AGENCIES == 27
    assert [a.short_name for a in agencies if a.is_coordinator] == [op.coordinator.short_name]
    assert all(a.province == "ON" and a.municipalities for a in agencies)
    assert participants == {a.id for a in agencies}
    assert operation.coordinating_agency_id == op.coordinator.id
    assert op.cases >= 40
    assert 20 <= op.accused < 100  # tens of accused
    assert op.youths >= 3
    assert op.victims >= 10
    assert op.bans >= 1
    assert op.ip_addresses >= 2000  # a few thousand
    figures = operation_figures(db, _coordinator(op), OPERATION_CODE, as_of=AS_OF)
    assert figures.cases == op.cases
    assert figures.persons_charged == op.accused
    assert figures.youths_charged == op.youths
    assert figures.charges == op.charges
    assert figures.warrants_executed == op.warrants_executed
    assert figures.devices_seized == op.devices_seized
    assert figures.victims_identified == op.victims
    assert 0 < figures.victims_safeguarded <= op.victims
    assert figures.unique_ips == op.ip_addresses  # every sighting falls in the operation's window


def test_every_ip_comes_from_the_documentation_ranges(demo_op: tuple[Database, GeneratedOperation]) -> None:
    db, _ = demo_op
    with db.session() as s:
        values = list(s.scalars(select(IdentifierRow.value).where(IdentifierRow.kind == IdentifierKind.IP)))
        others = s.execute(
            select(IdentifierRow.kind, IdentifierRow.value).where(IdentifierRow.kind != IdentifierKind.IP)
        ).all()
    addresses = [ipaddress.ip_address(v) for v in values]
    assert all(any(a in n for n in DOCUMENTATION_NETWORKS) for a in addresses)
    assert all(documentation_ip(v) for v in values)
    assert sum(a.version == 4 for a in addresses) == 768  # every IPv4 documentation address
    # Just outside each range, computed so that no other address is written in the tests; and loopback.
    assert not documentation_ip(str(ipaddress.ip_address("192.0.2.0") - 1))
    assert not documentation_ip(str(ipaddress.ip_address("203.0.113.255") + 1))
    assert not documentation_ip("127.0.0.1")
    assert not documentation_ip(str(ipaddress.ip_address("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff") + 1))
    for kind, value in others:  # no real-looking contact details either
        if kind == IdentifierKind.EMAIL:
            assert value.endswith("@example.net")
        if kind == IdentifierKind.PHONE:
            assert value[5:10] == "55501"  # +1 NPA 555-01XX, the fictional block


def test_youths_are_charged_and_never_named(demo_op: tuple[Database, GeneratedOperation]) -> None:
    db, op = demo_op
    with db.session() as s:
        first: dict[int, date] = {}
        for person_id, day in s.execute(select(ChargeRow.person_id, ChargeRow.offence_from)):
            first[person_id] = min(day, first.get(person_id, day))
        people = {p.id: p for p in s.scalars(select(PersonRow))}
        protected = set(
            s.scalars(
                select(CasePersonRow.person_id).where(
                    CasePersonRow.role.in_([PersonRole.VICTIM.value, PersonRole.WITNESS.value])
                )
            )
        )
    youths = {pid for pid, day in first.items() if was_youth(_dob(people[pid]), day)}
    assert len(youths) == op.youths >= 3
    release = build_release(db, _coordinator(op), OPERATION_CODE, as_of=AS_OF)
    named = {a.name for a in release.named}
    assert named.isdisjoint(people[pid].full_name for pid in youths)
    assert named.isdisjoint(people[pid].full_name for pid in protected)
    assert release.withheld["youth"] == op.youths
    assert release.withheld["publication_ban"] >= 1
    assert release.flags  # the intra-familial case left for review
    assert len(named) + sum(release.withheld.values()) == op.accused


def _dob(person: PersonRow) -> date:
    assert person.date_of_birth is not None
    return person.date_of_birth


def _fingerprint(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Everything generated, without the records' creation times and database ids."""
    queries = {
        "agencies": select(AgencyRow.short_name, AgencyRow.name, AgencyRow.municipalities),
        "cases": select(CaseRow.number, CaseRow.title, CaseRow.opened_at),
        "persons": select(
            PersonRow.given_names, PersonRow.surname, PersonRow.date_of_birth, PersonRow.address
        ),
        "charges": select(ChargeRow.offence_code, ChargeRow.offence_from, ChargeRow.laid_on),
        "sightings": select(IdentifierRow.value, IdentifierLinkRow.observed_at).join(
            IdentifierLinkRow, IdentifierLinkRow.identifier_id == IdentifierRow.id
        ),
    }
    with db.session() as s:
        return {name: sorted(tuple(row) for row in s.execute(query)) for name, query in queries.items()}


def test_two_demos_generate_the_same_operation(
    demo_op: tuple[Database, GeneratedOperation], tmp_path: Path
) -> None:
    db, op = demo_op
    again = open_database(f"sqlite:///{tmp_path / 'again.db'}")
    try:
        op2 = generate_operation(again)
        assert _fingerprint(again) == _fingerprint(db)
    finally:
        again.dispose()
    assert [a.short_name for a in op2.agencies] == [a.short_name for a in op.agencies]
    assert (op2.cases, op2.accused, op2.youths, op2.ip_links) == (
        op.cases,
        op.accused,
        op.youths,
        op.ip_links,
    )


# --- logins and TOTP codes ------------------------------------------------------------------------------
@pytest.fixture
def demo_folder(tmp_path: Path) -> Iterator[tuple[Path, Database]]:
    """A demo folder with two agencies, the demo users and their manifest (no operation: not needed)."""
    root = tmp_path / "demo"
    (root / "data").mkdir(parents=True)
    db = open_database(demo_database_url(root))
    admin = ME
    a = add_agency(db, admin, name="Provincial", short_name="PPS", province="ON", is_coordinator=True)
    b = add_agency(db, admin, name="Municipal", short_name="MPS", province="ON", municipalities=["Town"])
    pps, mps = (DemoAgency(x.id, x.name, x.short_name, tuple(x.municipalities)) for x in (a, b))
    logins = create_demo_users(
        db, pps, mps, now=datetime.now(UTC), box=SecretBox.from_file(demo_key_file(root))
    )
    write_manifest(root, logins)
    yield root, db
    db.dispose()


def test_one_login_per_role_and_its_code_signs_in(demo_folder: tuple[Path, Database]) -> None:
    root, db = demo_folder
    logins = read_manifest(root)
    assert sorted(x.role for x in logins) == sorted(r.value for r in Role)
    assert {x.agency for x in logins} == {"PPS", "MPS"}
    assert (root / "demo-logins.json").stat().st_mode & 0o077 == 0  # passwords: owner only
    investigator = next(x for x in logins if x.role == "investigator")
    now = datetime.now(UTC)
    code = current_code(root, investigator.username, now=now)
    assert len(code.code) == 6
    assert code.code.isdigit()
    assert 0 < code.seconds_left <= mfa.STEP_SECONDS
    auth = AuthService(db, passwords=Passwords(DEMO_ARGON), box=SecretBox.from_file(demo_key_file(root)))
    assert auth.login(investigator.username, investigator.password, code.code, source_ip="127.0.0.1", now=now)


def test_codes_are_refused_for_anyone_the_demo_did_not_create(
    demo_folder: tuple[Path, Database], tmp_path: Path
) -> None:
    root, db = demo_folder
    # An account in the demo's own database that the demo did not make: still refused.
    box = SecretBox.from_file(demo_key_file(root))
    UserService(db, passwords=Passwords(DEMO_ARGON), box=box).create(
        SOMEONE, "real.person", "a long enough passphrase", roles=frozenset({Role.ANALYST}),
        agency_id=None, now=datetime.now(UTC),
    )  # fmt: skip
    with pytest.raises(NotFoundError, match="not a demo user"):
        current_code(root, "real.person", now=datetime.now(UTC))
    assert run(["demo", "code", "real.person", "--folder", str(root)]) == ExitCode.NOT_FOUND
    assert run(["demo", "code", "admin", "--folder", str(tmp_path / "no-demo-here")]) == ExitCode.NOT_FOUND
    assert run(["demo", "code", "admin", "--folder", str(root)]) == ExitCode.OK


# --- the background web server --------------------------------------------------------------------------
def _get_login(port: int, attempts: int = 50) -> http.client.HTTPResponse:
    for _ in range(attempts):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/login")
            response = connection.getresponse()
            response.read()
            return response
        except OSError:
            time.sleep(0.2)
        finally:
            connection.close()
    raise AssertionError(f"nothing answered on 127.0.0.1:{port}")


def test_the_background_server_serves_the_login_page_and_stops(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    (root / "data").mkdir(parents=True)
    open_database(demo_database_url(root)).dispose()
    server = start_server(root, demo_database_url(root), lifetime_s=120)
    try:
        assert (root / PID_FILE).exists()
        response = _get_login(server.port)
        assert response.status == 200
        cookies = response.headers.get_all("set-cookie") or []
        assert cookies
        assert not any("secure" in c.lower() for c in cookies)  # plain http://127.0.0.1
        assert running_server(root) == server
    finally:
        stopped = stop_server(root)
    assert stopped == server
    assert not (root / PID_FILE).exists()
    assert running_server(root) is None
    assert stop_server(root) is None  # stopping twice is fine


def test_the_background_server_stops_itself_after_its_lifetime(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    (root / "data").mkdir(parents=True)
    open_database(demo_database_url(root)).dispose()
    start_server(root, demo_database_url(root), lifetime_s=3)
    deadline = time.monotonic() + 20
    while (root / PID_FILE).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not (root / PID_FILE).exists()
        assert "lifetime of 3 s over" in (root / "server.log").read_text()
    finally:
        stop_server(root)


def test_the_demo_laptop_is_seized_in_a_partner_case_so_its_examiner_sees_it(
    demo_folder: tuple[Path, Database], tmp_path: Path
) -> None:
    # The CLI part of the demo adds the laptop with no case: visible to no one on the web until a case of
    # the partner agency records it as a seized device.
    _, db = demo_folder
    mps = next(a for a in list_agencies(db) if a.short_name == "MPS")
    partner = DemoAgency(mps.id, mps.name, mps.short_name, tuple(mps.municipalities))
    investigator = Actor.cli("test", agency_id=partner.id, roles={"investigator"})
    open_case(db, investigator, number="MPS-2026-0001", title="Demo case")
    image = tmp_path / "laptop.img"
    image.write_bytes(bytes(4096))
    item = evidence_service(db).add(image, actor=LAB, label="Demo laptop", source_type="raw")  # a stand-in
    examiner = Actor(None, "examiner", frozenset({Role.EXAMINER}), partner.id)
    assert list_evidence_for(db, examiner).items == []
    assert _seize_demo_laptop(db, partner) == "MPS-2026-0001"
    assert [e.id for e in list_evidence_for(db, examiner).items] == [item.id]


def test_the_demo_videos_differ_in_bytes_but_match_by_vpdq(tmp_path: Path) -> None:
    videos = make_demo_videos(tmp_path, draw_image)
    assert videos is not None  # PyAV is in the development install the demo runs in
    [line] = videos.known_set.read_text().splitlines()
    known = json.loads(line)
    assert known["md5"] != digest_file(videos.seized_copy).md5.hex()
    match = vpdq_match(vpdq_of_video(videos.seized_copy).frames, frames_of(known["vpdq"]))
    assert match.matches()
    assert match.compared_match_percent >= 80.0
