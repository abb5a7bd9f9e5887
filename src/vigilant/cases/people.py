"""Persons in cases: their roles, publication bans, and victims' milestones.

A person is visible through the cases that name them; a person's record is changed only through a case the
caller's agency owns. Every read and change writes an audit event in the same transaction.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import (
    PERSONS_READ,
    PERSONS_WRITE,
    READ,
    add_audited,
    agency_of,
    audit,
    visible_case_ids,
)
from vigilant.cases.errors import InvalidRecordError, RecordNotFoundError
from vigilant.cases.models import CasePersonRow, PersonRole, PersonRow, PublicationBanRow, VictimRow
from vigilant.cases.service import load_case
from vigilant.security.audit import RecordChanged, RecordRead
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


def parse_role(text: str) -> PersonRole:
    try:
        return PersonRole(text.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in PersonRole)
        raise InvalidRecordError(f"unknown person role {text!r}", hint=f"use one of {roles}") from None


def _ensure_role(s: Session, case_id: int, person_id: int, role: PersonRole) -> None:
    query = select(CasePersonRow.id).where(
        CasePersonRow.case_id == case_id,
        CasePersonRow.person_id == person_id,
        CasePersonRow.role == role.value,
    )
    if s.scalars(query).first() is None:
        s.add(CasePersonRow(case_id=case_id, person_id=person_id, role=role.value))


def add_person(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    given_names: str,
    surname: str,
    role: PersonRole,
    date_of_birth: date | None = None,
    gender: str | None = None,
    address: str | None = None,
    municipality: str | None = None,
    depicted: bool = False,
) -> PersonRow:
    """Record a person in one of the caller's cases, in a role."""
    require(actor, PERSONS_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        if not given_names.strip() or not surname.strip():
            raise InvalidRecordError(
                "a person needs given names and a surname", hint="write 'Unknown' if unknown"
            )
        person = PersonRow(
            agency_id=agency_of(actor),
            given_names=given_names.strip(),
            surname=surname.strip(),
            date_of_birth=date_of_birth,
            gender=gender,
            address=address,
            municipality=municipality,
            depicted=depicted,
            created_at=utcnow(),
        )
        add_audited(s, actor, person, object_type="person", case_ref=case.number)
        _ensure_role(s, case_id, person.id, role)
    return person


def _visible_person(s: Session, actor: Actor, person_id: int) -> PersonRow:
    named = select(CasePersonRow.person_id).where(CasePersonRow.case_id.in_(visible_case_ids(actor)))
    person = s.scalars(
        select(PersonRow).where(PersonRow.id == person_id, PersonRow.id.in_(named))
    ).one_or_none()
    if person is None:
        raise RecordNotFoundError(f"no person {person_id} that you may see", hint="check the person id")
    return person


def load_person(s: Session, actor: Actor, person_id: int) -> PersonRow:
    """A person the caller may see, in the caller's open session (for this domain's other services)."""
    return _visible_person(s, actor, person_id)


def get_person(db: Database, actor: Actor, person_id: int) -> PersonRow:
    require(actor, READ)
    require(actor, PERSONS_READ)
    with db.session() as s:
        person = _visible_person(s, actor, person_id)
        audit(s, actor, RecordRead, object_type="person", object_id=str(person.id))
        return person


def add_role(db: Database, actor: Actor, case_id: int, person_id: int, role: PersonRole) -> None:
    """Name a person already known (in a visible case) in another role or another of the caller's cases."""
    require(actor, PERSONS_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        _visible_person(s, actor, person_id)
        _ensure_role(s, case_id, person_id, role)
        audit(
            s,
            actor,
            RecordChanged,
            change="update",
            object_type="person",
            object_id=str(person_id),
            case_ref=case.number,
            fields_changed=("role",),
        )


def persons_in_case(db: Database, actor: Actor, case_id: int) -> list[tuple[PersonRow, str]]:
    require(actor, PERSONS_READ)
    with db.session() as s:
        case = load_case(s, actor, case_id)
        rows = s.execute(
            select(PersonRow, CasePersonRow.role)
            .join(CasePersonRow, CasePersonRow.person_id == PersonRow.id)
            .where(CasePersonRow.case_id == case_id)
            .order_by(PersonRow.surname, PersonRow.given_names, CasePersonRow.role)
        )
        found = [(person, role) for person, role in rows]
        audit(s, actor, RecordRead, object_type="person", case_ref=case.number, records=len(found))
        return found


def record_ban(
    db: Database,
    actor: Actor,
    case_id: int,
    person_id: int,
    *,
    authority: str,
    court: str | None = None,
    court_file: str | None = None,
    ordered_on: date | None = None,
    details: str | None = None,
) -> PublicationBanRow:
    """Record a publication ban order on identifying a person named in one of the caller's cases."""
    require(actor, PERSONS_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        _visible_person(s, actor, person_id)
        ban = PublicationBanRow(
            person_id=person_id,
            case_id=case_id,
            authority=authority,
            court=court,
            court_file=court_file,
            ordered_on=ordered_on,
            details=details,
        )
        add_audited(s, actor, ban, object_type="publication_ban", case_ref=case.number)
    return ban


def record_victim(
    db: Database,
    actor: Actor,
    case_id: int,
    person_id: int,
    *,
    identified_on: date | None = None,
    safeguarded_on: date | None = None,
    referred_on: date | None = None,
    referred_to: str | None = None,
) -> VictimRow:
    """Set a victim's milestones in a case (and name the person a victim there); dates only move forward."""
    require(actor, PERSONS_WRITE)
    with db.session() as s:
        case = load_case(s, actor, case_id, write=True)
        _visible_person(s, actor, person_id)
        _ensure_role(s, case_id, person_id, PersonRole.VICTIM)
        row = s.scalars(
            select(VictimRow).where(VictimRow.case_id == case_id, VictimRow.person_id == person_id)
        ).one_or_none()
        change = "update" if row is not None else "create"
        if row is None:
            row = VictimRow(case_id=case_id, person_id=person_id)
            s.add(row)
        given = {
            "identified_on": identified_on,
            "safeguarded_on": safeguarded_on,
            "referred_on": referred_on,
            "referred_to": referred_to,
        }
        changed = tuple(name for name, value in given.items() if value and value != getattr(row, name))
        row.identified_on = identified_on or row.identified_on
        row.safeguarded_on = safeguarded_on or row.safeguarded_on
        row.referred_on = referred_on or row.referred_on
        row.referred_to = referred_to or row.referred_to
        s.flush()
        audit(
            s,
            actor,
            RecordChanged,
            change=change,
            object_type="victim",
            object_id=str(row.id),
            case_ref=case.number,
            fields_changed=changed,
        )
    return row
