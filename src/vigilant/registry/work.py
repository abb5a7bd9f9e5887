"""The registry office's records: in-person reports, moves, and address verifications.

A registry officer records reports and moves (``registry.write``); a verifier or a registry officer records
verifications (``registry.verify``) and sees of the registrant only what a visit needs
(:func:`verification_sheet`). Every change and read writes an audit event in its transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.models import PersonRow
from vigilant.registry.access import changed_registrant, read_registrant
from vigilant.registry.errors import RegistrantNotFound, RegistryError
from vigilant.registry.models import (
    AddressKind,
    AddressVerificationRow,
    RegistrantAddressRow,
    RegistrantReportRow,
    RegistrantRow,
    ReportKind,
    ReportOutcome,
    VerificationOutcome,
)
from vigilant.registry.service import find_id
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow


def _officer(name: str | None, actor: Actor) -> str:
    return (name or "").strip() or actor.username


def _not_future(day: date, what: str) -> None:
    if day > date.today():
        raise RegistryError(f"{what} {day} is in the future", hint="record what happened, on the day it did")


def record_report(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    kind: ReportKind,
    reported_on: date,
    officer: str | None = None,
    outcome: ReportOutcome = ReportOutcome.COMPLETED,
    notes: str | None = None,
) -> int:
    """Record an in-person report; the first completed one anchors the annual anniversaries."""
    require(actor, Permission.REGISTRY_WRITE)
    _not_future(reported_on, "report day")
    with db.session() as s:
        rid = find_id(s, ref)
        row = RegistrantReportRow(
            registrant_id=rid, kind=kind.value, reported_on=reported_on, officer=_officer(officer, actor),
            outcome=outcome.value, notes=notes or None, recorded_by=actor.username, recorded_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        registrant = s.get_one(RegistrantRow, rid)
        if registrant.first_report_on is None and outcome is ReportOutcome.COMPLETED:
            registrant.first_report_on = reported_on
        s.flush()
        changed_registrant(s, actor, rid, "update", ("reports",))
        return row.id


def record_move(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    kind: AddressKind,
    line: str,
    valid_from: date,
    reported_on: date | None,
    municipality: str | None = None,
    organisation: str | None = None,
    work_type: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> int:
    """Record a new address of ``kind``; for a main residence the current one ends the day of the move."""
    require(actor, Permission.REGISTRY_WRITE)
    if not line.strip():
        raise RegistryError("an address needs its street address")
    if reported_on is not None:
        _not_future(reported_on, "report day")
    with db.session() as s:
        rid = find_id(s, ref)
        if kind is AddressKind.MAIN:
            for current in s.scalars(
                select(RegistrantAddressRow).where(
                    RegistrantAddressRow.registrant_id == rid,
                    RegistrantAddressRow.kind == kind.value,
                    RegistrantAddressRow.valid_to.is_(None),
                    RegistrantAddressRow.valid_from < valid_from,
                )
            ):
                current.valid_to = valid_from
        row = RegistrantAddressRow(
            registrant_id=rid, kind=kind.value, line=line.strip(), municipality=municipality or None,
            organisation=organisation or None, work_type=work_type or None, valid_from=valid_from,
            reported_on=reported_on, latitude=latitude, longitude=longitude,
        )  # fmt: skip
        s.add(row)
        s.flush()
        changed_registrant(s, actor, rid, "update", ("addresses",))
        return row.id


@dataclass(frozen=True)
class VisitAddress:
    id: int
    kind: str
    line: str
    municipality: str | None
    organisation: str | None


@dataclass(frozen=True)
class VerificationSheet:
    """What a verifier needs at the door, and no more: who, and the current addresses to check."""

    registrant_id: int
    registry_number: str
    name: str
    date_of_birth: date | None
    addresses: tuple[VisitAddress, ...]


def _current_addresses(s: Session, rid: int, as_of: date) -> tuple[VisitAddress, ...]:
    rows = s.scalars(
        select(RegistrantAddressRow)
        .where(
            RegistrantAddressRow.registrant_id == rid,
            RegistrantAddressRow.valid_from <= as_of,
            (RegistrantAddressRow.valid_to.is_(None)) | (RegistrantAddressRow.valid_to > as_of),
        )
        .order_by(RegistrantAddressRow.kind, RegistrantAddressRow.id)
    )
    return tuple(VisitAddress(a.id, a.kind, a.line, a.municipality, a.organisation) for a in rows)


def verification_sheet(db: Database, actor: Actor, ref: str | int, *, as_of: date) -> VerificationSheet:
    require(actor, Permission.REGISTRY_VERIFY)
    with db.session() as s:
        rid = find_id(s, ref)
        registrant = s.get_one(RegistrantRow, rid)
        person = s.get_one(PersonRow, registrant.person_id)
        sheet = VerificationSheet(
            rid, registrant.registry_number, person.full_name, person.date_of_birth,
            _current_addresses(s, rid, as_of),
        )  # fmt: skip
        read_registrant(s, actor, rid, "address verification")
        return sheet


def record_verification(
    db: Database,
    actor: Actor,
    ref: str | int,
    *,
    address_id: int,
    verified_on: date,
    outcome: VerificationOutcome,
    officer: str | None = None,
    notes: str | None = None,
) -> int:
    """Record a check of one of the registrant's addresses (officer, day, outcome, notes)."""
    require(actor, Permission.REGISTRY_VERIFY)
    _not_future(verified_on, "verification day")
    with db.session() as s:
        rid = find_id(s, ref)
        address = s.get(RegistrantAddressRow, address_id)
        if address is None or address.registrant_id != rid:
            raise RegistrantNotFound(
                f"registrant {ref} has no address {address_id}", hint="pick one of the addresses on the sheet"
            )
        row = AddressVerificationRow(
            registrant_id=rid, address_id=address_id, verified_on=verified_on,
            officer=_officer(officer, actor), outcome=outcome.value, notes=notes or None,
            recorded_by=actor.username, recorded_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        s.flush()
        changed_registrant(s, actor, rid, "update", ("verifications",))
        return row.id
