"""Every read or change of persons, legal process, seizures, arrests, charges, victims and every release
build writes a typed audit event in the transaction that touches the records; a refusal writes none."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from tests.cases.helpers import actor, world
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.models import PersonRole, ProcessKind
from vigilant.cases.people import add_person, add_role, get_person, persons_in_case, record_ban, record_victim
from vigilant.cases.process import (
    DeviceSeized,
    add_legal_process,
    lay_charge,
    record_arrest,
    record_execution,
    record_seizure,
)
from vigilant.cases.records import case_file, charges_in_case, legal_process_in_case, person_file
from vigilant.cases.release import build_release
from vigilant.cases.service import open_case
from vigilant.security.audit import verify_chain
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow
from vigilant.store import Database

Event = tuple[str, str | None, str | None, str | None, dict[str, object]]
T = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def _events(db: Database, since: int = 0) -> list[Event]:
    with db.session() as s:
        rows = s.scalars(
            select(AuditEventRow).where(AuditEventRow.seq > since).order_by(AuditEventRow.seq)
        ).all()
        return [(r.action, r.object_type, r.object_id, r.case_ref, dict(r.detail)) for r in rows]


def _last_seq(db: Database) -> int:
    with db.session() as s:
        return int(s.scalar(select(AuditEventRow.seq).order_by(AuditEventRow.seq.desc()).limit(1)) or 0)


def test_changes_to_persons_victims_and_bans_are_audited(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator, "investigator")
    case = open_case(db, me, number="24-100", title="t", operation=w.operation)
    other = open_case(db, me, number="24-101", title="t")
    start = _last_seq(db)
    person = add_person(db, me, case.id, given_names="Alex", surname="Doe", role=PersonRole.SUSPECT)
    add_role(db, me, other.id, person.id, PersonRole.WITNESS)
    ban = record_ban(db, me, case.id, person.id, authority="486.4(1)")
    victim = record_victim(db, me, case.id, person.id, identified_on=date(2024, 2, 1))
    record_victim(db, me, case.id, person.id, safeguarded_on=date(2024, 2, 2))
    got = [(a, t, i, c) for a, t, i, c, _ in _events(db, start)]
    assert got == [
        ("record.changed", "person", str(person.id), "24-100"),
        ("record.changed", "person", str(person.id), "24-101"),
        ("record.changed", "publication_ban", str(ban.id), "24-100"),
        ("record.changed", "victim", str(victim.id), "24-100"),
        ("record.changed", "victim", str(victim.id), "24-100"),
    ]
    details = [d for *_, d in _events(db, start)]
    assert details[0]["change"] == "create"
    assert details[1]["fields_changed"] == ["role"]
    assert (details[3]["change"], details[3]["fields_changed"]) == ("create", ["identified_on"])
    assert (details[4]["change"], details[4]["fields_changed"]) == ("update", ["safeguarded_on"])
    assert verify_chain(db).ok


def test_legal_process_seizures_arrests_and_charges_are_audited(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator, "investigator")
    case = open_case(db, me, number="24-200", title="t", operation=w.operation)
    person = add_person(db, me, case.id, given_names="Sam", surname="Roe", role=PersonRole.SUSPECT)
    start = _last_seq(db)
    warrant = add_legal_process(
        db, me, case.id, kind=ProcessKind.SEARCH_WARRANT, target="12 Example St", issued_at=T,
        issued_by_court="Ontario Court of Justice", issued_by_judge="J. Example",
    )  # fmt: skip
    record_execution(db, me, warrant.id, executed_at=T.replace(hour=14), where="12 Example St", by="Cst. A")
    seizure = record_seizure(
        db, me, case.id, seized_at=T.replace(hour=15), where="12 Example St", by="Cst. A",
        devices=[DeviceSeized("laptop")], legal_process_id=warrant.id,
    )  # fmt: skip
    arrest = record_arrest(
        db, me, case.id, person.id, arrested_at=T.replace(hour=16), where=None, by="Cst. A"
    )
    charge = lay_charge(
        db, me, case.id, person.id, offence_code="163.1(4)", offence_from=date(2024, 1, 5),
        laid_on=date(2024, 3, 2),
    )  # fmt: skip
    got = [(a, t, i, c, d.get("change")) for a, t, i, c, d in _events(db, start)]
    assert got == [
        ("record.changed", "legal_process", str(warrant.id), "24-200", "create"),
        ("record.changed", "legal_process", str(warrant.id), "24-200", "update"),
        ("record.changed", "seizure", str(seizure.id), "24-200", "create"),
        ("record.changed", "arrest", str(arrest.id), "24-200", "create"),
        ("record.changed", "charge", str(charge.id), "24-200", "create"),
    ]
    assert verify_chain(db).ok


def test_reads_are_audited_one_event_per_kind(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator, "investigator")
    case = open_case(db, me, number="24-300", title="t", operation=w.operation)
    person = add_person(db, me, case.id, given_names="Kim", surname="Poe", role=PersonRole.SUSPECT)
    lay_charge(db, me, case.id, person.id, offence_code="cp-accessing", offence_from=date(2024, 1, 1),
               laid_on=date(2024, 2, 1))  # fmt: skip
    start = _last_seq(db)
    found = case_file(db, me, case.id)
    assert found.persons is not None
    assert [p.id for p, _ in found.persons] == [person.id, person.id]  # suspect and, once charged, accused
    reads = [(a, t, i, c, d.get("records")) for a, t, i, c, d in _events(db, start)]
    assert reads == [
        ("record.read", "case", str(case.id), "24-300", None),
        ("record.read", "person", None, "24-300", 2),
        ("record.read", "victim", None, "24-300", 0),
        ("record.read", "legal_process", None, "24-300", 0),
        ("record.read", "seizure", None, "24-300", 0),
        ("record.read", "arrest", None, "24-300", 0),
        ("record.read", "charge", None, "24-300", 1),
    ]
    start = _last_seq(db)
    get_person(db, me, person.id)
    persons_in_case(db, me, case.id)
    legal_process_in_case(db, me, case.id)
    charges_in_case(db, me, case.id)
    person_file(db, me, person.id)
    build_release(db, actor(w.coordinator, "coordinator"), w.operation, as_of=date(2024, 6, 1))
    singles = [(a, t, i, c) for a, t, i, c, _ in _events(db, start)]
    assert singles == [
        ("record.read", "person", str(person.id), None),
        ("record.read", "person", None, "24-300"),
        ("record.read", "legal_process", None, "24-300"),
        ("record.read", "charge", None, "24-300"),
        ("record.read", "person", str(person.id), None),
        ("record.read", "charge", None, None),
        ("record.read", "victim", None, None),
        ("record.read", "release", "OP-1", None),
    ]
    assert verify_chain(db).ok


def test_a_role_without_the_permission_sees_no_section_and_leaves_no_section_event(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator, "investigator")
    case = open_case(db, me, number="24-400", title="t")
    add_person(db, me, case.id, given_names="Lee", surname="Hoe", role=PersonRole.SUSPECT)
    examiner = actor(w.coordinator, "examiner")  # cases.read, but neither persons.read nor legal.read
    start = _last_seq(db)
    found = case_file(db, examiner, case.id)
    assert (found.persons, found.charges, found.legal_process, found.victims) == (None, None, None, None)
    assert [t for _, t, *_ in _events(db, start)] == ["case"]
    start = _last_seq(db)
    with pytest.raises(PermissionDenied):
        persons_in_case(db, examiner, case.id)
    with pytest.raises(PermissionDenied):
        add_person(db, examiner, case.id, given_names="X", surname="Y", role=PersonRole.WITNESS)
    assert _events(db, start) == []


def test_refused_or_failed_actions_leave_no_event(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator, "investigator")
    case = open_case(db, me, number="24-500", title="t")
    person = add_person(db, me, case.id, given_names="Ria", surname="Moe", role=PersonRole.SUSPECT)
    warrant = add_legal_process(
        db, me, case.id, kind=ProcessKind.PRESERVATION_DEMAND, target="isp", issued_at=T
    )
    outsider = actor(w.outsider, "investigator")
    start = _last_seq(db)
    with pytest.raises(RecordNotFoundError):
        case_file(db, outsider, case.id)
    with pytest.raises(RecordNotFoundError):
        get_person(db, outsider, person.id)
    with pytest.raises(RecordNotFoundError):
        lay_charge(db, outsider, case.id, person.id, offence_code="151", offence_from=date(2024, 1, 1),
                   laid_on=date(2024, 2, 1))  # fmt: skip
    with pytest.raises(RecordNotFoundError, match="that you may change"):
        record_execution(db, outsider, warrant.id, executed_at=T, where="x", by="y")
    stranger = open_case(db, me, number="24-501", title="no one named")
    start = _last_seq(db)
    with pytest.raises(RecordNotFoundError):  # the person is not named in that case: nothing is written
        lay_charge(db, me, stranger.id, person.id, offence_code="151", offence_from=date(2024, 1, 1),
                   laid_on=date(2024, 2, 1))  # fmt: skip
    assert _events(db, start) == []
