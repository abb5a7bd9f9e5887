"""Reading a case's records (persons, legal process, seizures, arrests, charges, victims) and a person's file.

Pages and the API show these records together, so one call reads them in one transaction and writes one
audit event per kind of record read. A section the caller's role may not read comes back as ``None``
rather than refusing the whole case: an examiner opens a case to triage it without seeing who is in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import LEGAL_READ, PERSONS_READ, READ, audit, case_visible, visible_case_ids
from vigilant.cases.models import (
    ArrestRow,
    CasePersonRow,
    CaseRow,
    ChargeRow,
    LegalProcessRow,
    PersonRow,
    SeizureRow,
    VictimRow,
)
from vigilant.cases.people import load_person
from vigilant.cases.service import load_case
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, require
from vigilant.store import Database

T = TypeVar("T")


@dataclass(frozen=True)
class CaseFile:
    """A case and the records hung off it; ``None`` where the caller's role may not read that kind."""

    case: CaseRow
    persons: Sequence[tuple[PersonRow, str]] | None
    legal_process: Sequence[LegalProcessRow] | None
    seizures: Sequence[SeizureRow] | None
    arrests: Sequence[ArrestRow] | None
    charges: Sequence[ChargeRow] | None
    victims: Sequence[VictimRow] | None


@dataclass(frozen=True)
class PersonFile:
    """A person as the caller may see them: roles, charges and victim milestones in visible cases only."""

    person: PersonRow
    roles: Sequence[tuple[CaseRow, str]]
    charges: Sequence[ChargeRow] | None
    victim: Sequence[VictimRow]


def _audited(s: Session, actor: Actor, object_type: str, rows: list[T], case_ref: str | None) -> list[T]:
    audit(s, actor, RecordRead, object_type=object_type, case_ref=case_ref, records=len(rows))
    return rows


def _persons(s: Session, case_id: int) -> list[tuple[PersonRow, str]]:
    query = (
        select(PersonRow, CasePersonRow.role)
        .join(CasePersonRow, CasePersonRow.person_id == PersonRow.id)
        .where(CasePersonRow.case_id == case_id)
        .order_by(PersonRow.surname, PersonRow.given_names, PersonRow.id, CasePersonRow.role)
    )
    return [(person, role) for person, role in s.execute(query)]


def _legal_process(s: Session, case_id: int) -> list[LegalProcessRow]:
    query = select(LegalProcessRow).where(LegalProcessRow.case_id == case_id)
    return list(s.scalars(query.order_by(LegalProcessRow.issued_at.desc(), LegalProcessRow.id.desc())))


def _charges(s: Session, case_id: int) -> list[ChargeRow]:
    query = select(ChargeRow).where(ChargeRow.case_id == case_id)
    return list(s.scalars(query.order_by(ChargeRow.laid_on.desc(), ChargeRow.id.desc())))


def case_file(db: Database, actor: Actor, case_id: int) -> CaseFile:
    """The case and every section the caller's role may read, each read audited."""
    with db.session() as s:
        case = load_case(s, actor, case_id)
        audit(s, actor, RecordRead, object_type="case", object_id=str(case.id), case_ref=case.number)
        ref = case.number
        persons = victims = legal = seizures = arrests = charges = None
        if actor.may(PERSONS_READ):
            persons = _audited(s, actor, "person", _persons(s, case_id), ref)
            found = s.scalars(select(VictimRow).where(VictimRow.case_id == case_id).order_by(VictimRow.id))
            victims = _audited(s, actor, "victim", list(found), ref)
        if actor.may(LEGAL_READ):
            legal = _audited(s, actor, "legal_process", _legal_process(s, case_id), ref)
            by_time = (
                select(SeizureRow).where(SeizureRow.case_id == case_id).order_by(SeizureRow.seized_at.desc())
            )
            seizures = _audited(s, actor, "seizure", list(s.scalars(by_time)), ref)
            held = (
                select(ArrestRow).where(ArrestRow.case_id == case_id).order_by(ArrestRow.arrested_at.desc())
            )
            arrests = _audited(s, actor, "arrest", list(s.scalars(held)), ref)
            charges = _audited(s, actor, "charge", _charges(s, case_id), ref)
        return CaseFile(case, persons, legal, seizures, arrests, charges, victims)


def legal_process_in_case(db: Database, actor: Actor, case_id: int) -> list[LegalProcessRow]:
    """Preservation demands, production orders and warrants of a visible case, newest first."""
    require(actor, LEGAL_READ)
    with db.session() as s:
        case = load_case(s, actor, case_id)
        return _audited(s, actor, "legal_process", _legal_process(s, case_id), case.number)


def charges_in_case(db: Database, actor: Actor, case_id: int) -> list[ChargeRow]:
    """The counts laid in a visible case, most recently laid first."""
    require(actor, LEGAL_READ)
    with db.session() as s:
        case = load_case(s, actor, case_id)
        return _audited(s, actor, "charge", _charges(s, case_id), case.number)


def person_file(db: Database, actor: Actor, person_id: int) -> PersonFile:
    """A visible person with their roles, charges and victim milestones in the cases the caller may see."""
    require(actor, READ)
    require(actor, PERSONS_READ)
    with db.session() as s:
        person = load_person(s, actor, person_id)
        audit(s, actor, RecordRead, object_type="person", object_id=str(person.id))
        named = (
            select(CaseRow, CasePersonRow.role)
            .join(CasePersonRow, CasePersonRow.case_id == CaseRow.id)
            .where(CasePersonRow.person_id == person_id, case_visible(actor))
            .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc(), CasePersonRow.role)
        )
        roles = [(case, role) for case, role in s.execute(named)]
        visible = visible_case_ids(actor)
        charges = None
        if actor.may(LEGAL_READ):
            laid = select(ChargeRow).where(ChargeRow.person_id == person_id, ChargeRow.case_id.in_(visible))
            found = s.scalars(laid.order_by(ChargeRow.laid_on.desc(), ChargeRow.id))
            charges = _audited(s, actor, "charge", list(found), None)
        milestones = select(VictimRow).where(VictimRow.person_id == person_id, VictimRow.case_id.in_(visible))
        victim = _audited(s, actor, "victim", list(s.scalars(milestones.order_by(VictimRow.id))), None)
        return PersonFile(person, roles, charges, victim)
