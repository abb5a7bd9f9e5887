"""An evidence item's case number names one agency's case: never another agency's case with the same number.

Case numbers are unique per agency only. Items record the agency whose number they carry (`evidence add
--agency`, `evidence agency`); an item that does not is named by its number only while one agency has a case
with it. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.cases.helpers import actor, world
from vigilant.cases.errors import InvalidRecordError
from vigilant.cases.evidence_rules import evidence_service
from vigilant.cases.models import Distribution
from vigilant.cases.process import DeviceSeized, record_seizure
from vigilant.cases.service import list_cases, open_case
from vigilant.cli import run
from vigilant.cli.evidence_cmd import app as evidence_app
from vigilant.errors import BadInputError, ExitCode, NotFoundError
from vigilant.evidence.service import EvidenceService
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.triage.access import list_evidence_for

# The CLI's own actors (Actor.cli: an administrator for no agency, who sees every record).
LAB = Actor.cli("lab")
ME = Actor.cli("test")

SEIZED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _folder(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "note.txt").write_text(name)
    return folder


def _seen(db: Database, agency: int) -> set[str]:
    """What an investigator of ``agency`` sees on the Evidence page (the web's actor)."""
    user = Actor(user_id=1, username="investigator", roles=frozenset({Role.INVESTIGATOR}), agency_id=agency)
    return {row.label for row in list_evidence_for(db, user).items}


def test_a_number_two_agencies_use_names_only_the_items_own_agencys_case(
    db: Database, tmp_path: Path
) -> None:
    w = world(db)
    for agency in (w.coordinator, w.outsider):  # the same number, in two agencies
        open_case(db, actor(agency), number="2024-0042", title="t", distribution=Distribution.AGENCY_ONLY)
    open_case(db, actor(w.coordinator), number="PP-ONLY-7", title="t", distribution=Distribution.AGENCY_ONLY)
    service = evidence_service(db)
    service.add(
        _folder(tmp_path, "pp"),
        actor=LAB,
        label="PP laptop",
        case_number="2024-0042",
        agency="PP",
    )
    service.add(
        _folder(tmp_path, "hrp"),
        actor=LAB,
        label="HRP phone",
        case_number="2024-0042",
        agency="HRP",
    )
    service.add(_folder(tmp_path, "loose"), actor=LAB, label="No agency", case_number="2024-0042")
    service.add(_folder(tmp_path, "unique"), actor=LAB, label="Unique number", case_number="PP-ONLY-7")

    assert _seen(db, w.coordinator) == {"PP laptop", "Unique number"}
    assert _seen(db, w.outsider) == {"HRP phone"}
    assert _seen(db, w.partner) == set()

    # The other agency cannot pull an item into its own case either (the words of a missing item).
    pp_laptop = _item(service, "PP laptop")
    with pytest.raises(InvalidRecordError, match=f"no evidence item {pp_laptop} that you may link"):
        _seize(db, w.outsider, _case_id(db, w.outsider, "2024-0042"), pp_laptop)

    # The lab lists the items in that state, and records the agency of the one that had none.
    assert [e.label for e in service.items(ME, ambiguous=True)] == ["No agency"]
    assert service.set_agency("No agency", "HRP", LAB) == "HRP"
    assert service.items(ME, ambiguous=True) == []
    assert _seen(db, w.outsider) == {"HRP phone", "No agency"}
    assert "No agency" not in _seen(db, w.coordinator)
    custody = [e for e in service.custody(_item(service, "No agency"), ME) if e.action == "agency-recorded"]
    assert [e.detail for e in custody] == [{"case_number": "2024-0042", "agency": "HRP", "was": None}]


def test_an_item_without_agency_loses_its_number_link_when_a_second_agency_uses_the_number(
    db: Database, tmp_path: Path
) -> None:
    w = world(db)
    case = open_case(
        db, actor(w.coordinator), number="24-77", title="t", distribution=Distribution.AGENCY_ONLY
    )
    service = evidence_service(db)
    service.add(_folder(tmp_path, "a"), actor=LAB, label="Old item", case_number="24-77")
    assert _seen(db, w.coordinator) == {"Old item"}
    open_case(db, actor(w.outsider), number="24-77", title="t", distribution=Distribution.AGENCY_ONLY)
    assert _seen(db, w.coordinator) == set()
    assert _seen(db, w.outsider) == set()
    # The lab learns why from the item's chain of custody (the case's opener learns nothing).
    [shared] = [
        e for e in service.custody(_item(service, "Old item"), ME) if e.action == "case-number-shared"
    ]
    assert shared.detail["case_number"] == "24-77"
    assert "vigilant evidence agency" in shared.detail["note"]
    open_case(db, actor(w.partner), number="24-77", title="t", distribution=Distribution.AGENCY_ONLY)
    assert [e.action for e in service.custody(_item(service, "Old item"), ME)].count(
        "case-number-shared"
    ) == 1
    # A seized device recorded in the case is an exact link, and stays one: linking needs the number
    # (ambiguous now) or the agency, so the lab records the agency first.
    with pytest.raises(InvalidRecordError):
        _seize(db, w.coordinator, case.id, _item(service, "Old item"))
    service.set_agency("Old item", "PP", LAB)
    _seize(db, w.coordinator, case.id, _item(service, "Old item"))
    assert _seen(db, w.coordinator) == {"Old item"}
    assert _seen(db, w.outsider) == set()


def test_bad_agency_input_is_refused(db: Database, tmp_path: Path) -> None:
    world(db)
    service = evidence_service(db)
    with pytest.raises(NotFoundError, match="no agency 'NOPE'"):
        service.add(_folder(tmp_path, "x"), actor=LAB, case_number="1", agency="NOPE")
    with pytest.raises(BadInputError, match="give the case number too"):
        service.add(_folder(tmp_path, "y"), actor=LAB, agency="PP")
    service.add(_folder(tmp_path, "z"), actor=LAB, label="no number")
    with pytest.raises(BadInputError, match="has no case number"):
        service.set_agency("no number", "PP", LAB)


def test_the_cli_records_and_lists_the_agency(db: Database, tmp_path: Path) -> None:
    world(db)
    pending = "--case-pending"  # no case 9 is opened: the lab says so
    assert (
        run(["evidence", "add", str(_folder(tmp_path, "cli")), "--case", "9", "--agency", "bps", pending])
        == 0
    )
    assert run(["evidence", "add", str(_folder(tmp_path, "cli2")), "--case", "9", pending]) == 0
    assert run(["evidence", "agency", "cli2", "HRP"]) == 0
    assert run(["evidence", "agency", "cli", "NOPE"]) == ExitCode.NOT_FOUND
    assert run(["evidence", "add", str(_folder(tmp_path, "cli3")), "--agency", "PP"]) == ExitCode.BAD_INPUT
    listing = CliRunner().invoke(evidence_app, ["list"], terminal_width=200, catch_exceptions=False).output
    rows = {
        cells[2].strip(): cells[4].strip()
        for cells in (line.split("│") for line in listing.splitlines())
        if len(cells) > 4
    }
    assert rows["cli"] == "BPS"
    assert rows["cli2"] == "HRP"
    assert run(["evidence", "list", "--ambiguous"]) == 0


def _case_id(db: Database, agency: int, number: str) -> int:
    [case] = [c for c in list_cases(db, actor(agency)) if c.number == number]
    return case.id


def _item(service: EvidenceService, label: str) -> int:
    return service.get(label, ME).id


def _seize(db: Database, agency: int, case_id: int, item: int) -> None:
    record_seizure(
        db,
        actor(agency),
        case_id,
        seized_at=SEIZED,
        where="203.0.113.0/24 residence",
        by="examiner",
        devices=[DeviceSeized(description="laptop", evidence_item_id=item)],
    )
