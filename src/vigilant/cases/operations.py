"""Operations: a coordinating agency and the agencies taking part. Participants see the operation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.cases.access import OPERATIONS_MANAGE, OPERATIONS_READ, actor_name, agency_of
from vigilant.cases.agencies import agency_by_ref
from vigilant.cases.errors import DuplicateRecordError, InvalidRecordError, RecordNotFoundError
from vigilant.cases.models import OperationAgencyRow, OperationRow
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


def _participates(actor: Actor, operation: OperationRow) -> bool:
    return any(p.agency_id == actor.agency_id for p in operation.participants)


def add_operation(
    db: Database,
    actor: Actor,
    *,
    code: str,
    name: str,
    starts_on: date,
    ends_on: date | None = None,
    participants: Iterable[str | int] = (),
) -> OperationRow:
    """Open an operation coordinated by the caller's agency; the coordinator always participates."""
    require(actor, OPERATIONS_MANAGE)
    coordinator = agency_of(actor)
    if ends_on is not None and ends_on < starts_on:
        raise InvalidRecordError(
            f"operation {code!r} ends before it starts", hint="check --starts and --ends"
        )
    with db.session() as s:
        if s.scalars(select(OperationRow.id).where(OperationRow.code == code)).first() is not None:
            raise DuplicateRecordError(f"operation {code!r} already exists", hint="pick another code")
        agency_ids = {coordinator} | {agency_by_ref(s, ref).id for ref in participants}
        row = OperationRow(
            code=code,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            coordinating_agency_id=coordinator,
            created_at=utcnow(),
            created_by=actor_name(actor),
            participants=[OperationAgencyRow(agency_id=a) for a in sorted(agency_ids)],
        )
        s.add(row)
    return row


def operation_by_ref(s: Session, actor: Actor, ref: str | int) -> OperationRow:
    """An operation the caller's agency takes part in, by id or code; others are 'not found'."""
    agency_of(actor)
    if isinstance(ref, int) or ref.isdigit():
        row = s.get(OperationRow, int(ref))
    else:
        row = s.scalars(select(OperationRow).where(OperationRow.code == ref)).one_or_none()
    if row is None or not _participates(actor, row):
        raise RecordNotFoundError(
            f"no operation {ref!r} that your agency takes part in",
            hint="list yours with `vigilant cases operations list`",
        )
    return row


def get_operation(db: Database, actor: Actor, ref: str | int) -> OperationRow:
    require(actor, OPERATIONS_READ)
    with db.session() as s:
        return operation_by_ref(s, actor, ref)


def list_operations(db: Database, actor: Actor) -> list[OperationRow]:
    require(actor, OPERATIONS_READ)
    mine = select(OperationAgencyRow.operation_id).where(OperationAgencyRow.agency_id == agency_of(actor))
    with db.session() as s:
        query = select(OperationRow).where(OperationRow.id.in_(mine)).order_by(OperationRow.starts_on)
        return list(s.scalars(query))


def add_participants(
    db: Database, actor: Actor, ref: str | int, agencies: Iterable[str | int]
) -> OperationRow:
    """Only the coordinating agency adds participants."""
    require(actor, OPERATIONS_MANAGE)
    with db.session() as s:
        row = operation_by_ref(s, actor, ref)
        if row.coordinating_agency_id != actor.agency_id:
            raise InvalidRecordError(
                f"only the coordinating agency adds agencies to operation {row.code!r}",
                hint="ask the coordinator",
            )
        have = {p.agency_id for p in row.participants}
        for agency_id in sorted({agency_by_ref(s, a).id for a in agencies} - have):
            row.participants.append(OperationAgencyRow(agency_id=agency_id))
    return row
