"""Another agency's evidence item in one's own case: only with its owner's consent, and visible only as the
owner's cases currently allow (issue 11, C19). On SQLite and PostgreSQL.

The owner of an item is the agency whose case number it carries (recorded, or the one agency with a case of
that number), or, for an item registered with no case number, the agency whose case first seized it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cases.helpers import actor, world
from tests.web.world_work import run
from vigilant.cases.agencies import get_agency
from vigilant.cases.errors import (
    DuplicateRecordError,
    InvalidRecordError,
    RecordNotFoundError,
)
from vigilant.cases.evidence_links import decide_link, link_requests, request_link, revoke_link
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.models import Distribution, SeizedDeviceRow
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.cases.service import open_case, update_case
from vigilant.cli import run as run_cli
from vigilant.cli.cases_cmd import app as cases_app
from vigilant.errors import ExitCode
from vigilant.security.audit import AuditLog
from vigilant.security.errors import PermissionDenied
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.access import list_evidence_for, list_runs_for

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")
ROOT_ACTOR = Actor.cli("root")
ME = Actor.cli("test")

SEIZED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
ROOT = ROOT_ACTOR


@dataclass(frozen=True)
class Setup:
    owner: int  # PP: its case carries the item's number, shared with the operation
    linker: int  # BPS: takes part in the operation, has a case of its own
    owner_case: int
    linker_case: int
    item: int
    run: int


def _setup(db: Database, tmp_path: Path) -> Setup:
    w = world(db)
    owner_case = open_case(
        db, actor(w.coordinator), number="PP-1", title="t", operation=w.operation,
        distribution=Distribution.OPERATION,
    ).id  # fmt: skip
    linker_case = open_case(db, actor(w.partner), number="BPS-1", title="t").id
    folder = tmp_path / "laptop"
    folder.mkdir()
    (folder / "a.txt").write_text("synthetic")
    item = evidence_service(db).add(folder, actor=LAB, label="PP laptop", case_number="PP-1", agency="PP").id
    with db.session() as s:
        row = run(item)
        s.add(row)
        s.flush()
        run_id = row.id
    return Setup(w.coordinator, w.partner, owner_case, linker_case, item, run_id)


def _reader(agency: int) -> Actor:
    return Actor(user_id=1, username="reader", roles=frozenset({Role.INVESTIGATOR}), agency_id=agency)


def _sees(db: Database, agency: int) -> tuple[list[int], list[int]]:
    """The items and the runs an investigator of ``agency`` sees."""
    items = [row.id for row in list_evidence_for(db, _reader(agency)).items]
    runs = [r.id for r, _ in list_runs_for(db, _reader(agency)).items]
    return items, runs


def _device_in(db: Database, agency: int, case_id: int) -> int:
    seizure = record_seizure(
        db, actor(agency), case_id, seized_at=SEIZED, where="a house", by="Cst. Example",
        devices=[DeviceSeized("laptop")],
    )  # fmt: skip
    return seizure.devices[0].id


def test_a_link_to_another_agencys_item_gives_nothing_once_the_owner_restricts_its_case(
    db: Database, tmp_path: Path
) -> None:
    s = _setup(db, tmp_path)
    assert _sees(db, s.linker) == ([s.item], [s.run])  # through the owner's case, shared with the operation
    # The partner's own case points at the item (as the field test did, before consent existed).
    device = _device_in(db, s.linker, s.linker_case)
    with db.session() as session:
        row = session.get(SeizedDeviceRow, device)
        assert row is not None
        row.evidence_item_id = s.item
    update_case(db, actor(s.owner), s.owner_case, distribution=Distribution.AGENCY_ONLY)
    assert _sees(db, s.linker) == ([], [])
    assert _sees(db, s.owner) == ([s.item], [s.run])
    update_case(db, actor(s.owner), s.owner_case, distribution=Distribution.OPERATION)
    assert _sees(db, s.linker) == ([s.item], [s.run])


def test_linking_another_agencys_item_needs_its_owners_consent_which_it_can_revoke(
    db: Database, tmp_path: Path
) -> None:
    s = _setup(db, tmp_path)
    linker, owner = actor(s.linker), actor(s.owner)
    # Directly: refused, with the way to ask (the partner sees the item, so it may know it is another's).
    with pytest.raises(InvalidRecordError, match="needs its consent"):
        record_seizure(
            db, linker, s.linker_case, seized_at=SEIZED, where="a house", by="Cst. Example",
            devices=[DeviceSeized("laptop", evidence_item_id=s.item)],
        )  # fmt: skip
    device = _device_in(db, s.linker, s.linker_case)
    with pytest.raises(InvalidRecordError, match="say why"):
        request_link(db, linker, s.linker_case, device, s.item, reason=" ")
    with pytest.raises(PermissionDenied):  # an analyst records no seizure, so asks for no link
        request_link(db, actor(s.linker, "analyst"), s.linker_case, device, s.item, reason="x")
    asked = request_link(db, linker, s.linker_case, device, s.item, reason="the same laptop, seized jointly")
    with pytest.raises(DuplicateRecordError):
        request_link(db, linker, s.linker_case, device, s.item, reason="again")

    # Only the owner answers, with a role that sets its cases' distribution.
    with pytest.raises(RecordNotFoundError):
        decide_link(db, linker, asked.id, "grant", reason="my own request")
    for role in ("analyst", "examiner"):
        with pytest.raises(PermissionDenied):
            decide_link(db, actor(s.owner, role), asked.id, "grant", reason="x")
    with pytest.raises(InvalidRecordError, match="say why"):
        decide_link(db, owner, asked.id, "grant", reason="")
    [incoming] = link_requests(db, owner)
    assert (incoming.incoming, incoming.requesting_agency, incoming.case_number) == (True, "BPS", "BPS-1")
    assert incoming.item_label == "PP laptop"
    decide_link(db, owner, asked.id, "grant", reason="joint search warrant 24-117")
    assert _linked(db, device) == s.item
    assert _sees(db, s.linker) == ([s.item], [s.run])

    # The owner restricts its case: the partner loses the item and its runs at once, the link stays.
    update_case(db, owner, s.owner_case, distribution=Distribution.AGENCY_ONLY)
    assert _sees(db, s.linker) == ([], [])
    [outgoing] = link_requests(db, linker)
    assert (outgoing.incoming, outgoing.status, outgoing.item_label) == (False, "granted", None)
    update_case(db, owner, s.owner_case, distribution=Distribution.OPERATION)
    assert _sees(db, s.linker) == ([s.item], [s.run])

    # Revoking unlinks the device; a refused request links nothing.
    with pytest.raises(DuplicateRecordError):
        decide_link(db, owner, asked.id, "refuse", reason="too late")
    revoke_link(db, owner, asked.id, reason="the laptop is ours alone after all")
    assert _linked(db, device) is None
    again = request_link(db, linker, s.linker_case, device, s.item, reason="please reconsider")
    decide_link(db, owner, again.id, "refuse", reason="no")
    assert _linked(db, device) is None
    assert [r.status for r in link_requests(db, linker)] == ["refused", "revoked"]

    events = AuditLog(db).search(ROOT, now=datetime.now(UTC), action="evidence.link_decided")
    assert [(e.detail["decision"], e.detail["reason"], e.actor) for e in reversed(events)] == [
        ("granted", "joint search warrant 24-117", f"user@{s.owner}"),
        ("revoked", "the laptop is ours alone after all", f"user@{s.owner}"),
        ("refused", "no", f"user@{s.owner}"),
    ]
    custody = [e.action for e in evidence_service(db).custody(s.item, ME)]
    assert custody[-5:] == [
        "link-requested",
        "link-granted",
        "link-revoked",
        "link-requested",
        "link-refused",
    ]


def test_an_outsider_can_neither_see_nor_ask_for_the_item(db: Database, tmp_path: Path) -> None:
    s = _setup(db, tmp_path)
    outsider = get_agency(db, "HRP").id
    case = open_case(db, actor(outsider), number="HRP-1", title="t").id
    device = _device_in(db, outsider, case)
    with pytest.raises(InvalidRecordError, match=f"no evidence item {s.item} that you may link"):
        request_link(db, actor(outsider), case, device, s.item, reason="curious")
    assert link_requests(db, actor(outsider)) == []


def test_an_item_registered_with_no_number_belongs_to_the_first_case_that_seizes_it(
    db: Database, tmp_path: Path
) -> None:
    s = _setup(db, tmp_path)
    folder = tmp_path / "loose"
    folder.mkdir()
    loose = evidence_service(db).add(folder, actor=LAB, label="Loose phone").id
    record_seizure(
        db, actor(s.linker), s.linker_case, seized_at=SEIZED, where="a house", by="Cst. Example",
        devices=[DeviceSeized("phone", evidence_item_id=loose)],
    )  # fmt: skip
    assert evidence_service(db).agencies(ME)[loose] == "BPS"
    assert loose in _sees(db, s.linker)[0]
    # The owner's case is agency_only: no one else sees it, and another agency must ask.
    update_case(db, actor(s.owner), s.owner_case, distribution=Distribution.AGENCY_ONLY)
    assert loose not in _sees(db, s.owner)[0]
    with pytest.raises(InvalidRecordError, match=f"no evidence item {loose} that you may link"):
        record_seizure(
            db, actor(s.owner), s.owner_case, seized_at=SEIZED, where="a house", by="Cst. Example",
            devices=[DeviceSeized("phone", evidence_item_id=loose)],
        )  # fmt: skip


def _linked(db: Database, device: int) -> int | None:
    with db.session() as session:
        row = session.get(SeizedDeviceRow, device)
        assert row is not None
        return row.evidence_item_id


def test_the_cli_asks_lists_and_answers(db: Database, tmp_path: Path) -> None:
    s = _setup(db, tmp_path)
    device = _device_in(db, s.linker, s.linker_case)
    ask = ["cases", "links", "request", str(s.linker_case), str(device), str(s.item), "--agency", "BPS"]
    assert run_cli([*ask, "--reason", "seized together"]) == ExitCode.OK
    listed = CliRunner().invoke(
        cases_app, ["links", "list", "--json", "--agency", "PP"], catch_exceptions=False
    )
    [request] = json.loads(listed.output)
    assert (request["status"], request["incoming"], request["requesting_agency"]) == ("pending", True, "BPS")
    grant = ["cases", "links", "grant", str(request["id"]), "--reason", "ok"]
    assert run_cli([*grant, "--agency", "BPS"]) == ExitCode.NOT_FOUND  # not the requester's to answer
    assert run_cli([*grant, "--agency", "PP", "--role", "analyst"]) == ExitCode.DENIED
    assert run_cli([*grant, "--agency", "PP"]) == ExitCode.OK
    assert _linked(db, device) == s.item
    assert run_cli(["cases", "links", "revoke", str(request["id"]), "--reason", "no", "--agency", "PP"]) == 0
    assert _linked(db, device) is None
