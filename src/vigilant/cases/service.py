"""Cases: open, read, list and update, with the caller's agency scoping and distribution applied in SQL.

Any visible case can be read; only the owning agency changes a case or adds records to it, so a shared case
never changes under its owner's feet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import distinct, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigilant.cases.access import READ, WRITE, actor_name, agency_of, audit, case_visible
from vigilant.cases.errors import DuplicateRecordError, InvalidRecordError, RecordNotFoundError
from vigilant.cases.models import CaseRow, CaseStatus, Distribution, SharingGroupAgencyRow
from vigilant.cases.operations import operation_by_ref
from vigilant.evidence.models import CustodyEventRow, EvidenceItemRow
from vigilant.security.audit import RecordChanged, RecordRead
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


def parse_distribution(text: str) -> Distribution:
    try:
        return Distribution(text.strip().lower().replace("-", "_"))
    except ValueError:
        levels = ", ".join(d.value for d in Distribution)
        raise InvalidRecordError(f"unknown distribution {text!r}", hint=f"use one of {levels}") from None


def load_case(s: Session, actor: Actor, case_id: int, *, write: bool = False) -> CaseRow:
    """A case the caller may see (or, with ``write``, may change); anything else is 'not found'."""
    require(actor, WRITE if write else READ)
    row = s.scalars(select(CaseRow).where(CaseRow.id == case_id, case_visible(actor))).one_or_none()
    if row is None:
        raise RecordNotFoundError(
            f"no case {case_id} that you may see", hint="list visible cases with `vigilant cases cases list`"
        )
    if write and row.agency_id != actor.agency_id:
        raise RecordNotFoundError(
            f"case {case_id} belongs to another agency: you may read it but not change it",
            hint="ask the owning agency to record this",
        )
    return row


def _check_sharing(
    s: Session, actor: Actor, distribution: Distribution, operation_id: int | None, group_id: int | None
) -> None:
    if distribution is Distribution.OPERATION and operation_id is None:
        raise InvalidRecordError(
            "distribution 'operation' needs the case to belong to an operation", hint="give --operation"
        )
    if distribution is Distribution.SHARING_GROUP:
        if group_id is None:
            raise InvalidRecordError(
                "distribution 'sharing_group' needs a sharing group", hint="give --sharing-group"
            )
        member = s.get(SharingGroupAgencyRow, (group_id, agency_of(actor)))
        if member is None:
            raise InvalidRecordError(
                f"your agency is not in sharing group {group_id}", hint="share with a group your agency is in"
            )


def open_case(
    db: Database,
    actor: Actor,
    *,
    number: str,
    title: str,
    operation: str | int | None = None,
    distribution: Distribution = Distribution.AGENCY_ONLY,
    sharing_group_id: int | None = None,
    opened_at: datetime | None = None,
) -> CaseRow:
    """Open a case owned by the caller's agency; case numbers are unique within an agency."""
    require(actor, WRITE)
    agency = agency_of(actor)
    with db.session() as s:
        operation_id = operation_by_ref(s, actor, operation).id if operation is not None else None
        _check_sharing(s, actor, distribution, operation_id, sharing_group_id)
        row = CaseRow(
            agency_id=agency,
            number=number.strip(),
            title=title.strip(),
            operation_id=operation_id,
            distribution=distribution.value,
            sharing_group_id=sharing_group_id,
            status=CaseStatus.OPEN.value,
            opened_at=opened_at or utcnow(),
            closed_at=None,
            created_by=actor_name(actor),
        )
        s.add(row)
        try:
            s.flush()
        except IntegrityError:
            raise DuplicateRecordError(
                f"your agency already has a case numbered {number!r}", hint="use the next case number"
            ) from None
        audit(s, actor, RecordChanged, change="create", object_type="case", object_id=str(row.id),
              case_ref=row.number)  # fmt: skip
        _note_shared_number(s, row.number)
    return row


def _note_shared_number(s: Session, number: str) -> None:
    """When a second agency opens a case with a number that evidence items registered without their agency
    carry, those items are named by no case from then on (see cases.access.item_numbered_in_visible_case).
    Say so in each item's chain of custody, where the lab looks, and nothing to the case's opener: the items
    may be another agency's."""
    agencies = s.scalar(select(func.count(distinct(CaseRow.agency_id))).where(CaseRow.number == number))
    if agencies != 2:  # it just became shared; a third agency changes nothing more
        return
    items = s.scalars(
        select(EvidenceItemRow.id).where(
            EvidenceItemRow.case_number == number, EvidenceItemRow.agency_id.is_(None)
        )
    )
    for item_id in list(items):
        s.add(
            CustodyEventRow(
                evidence_id=item_id,
                at=utcnow(),
                actor="vigilant",
                action="case-number-shared",
                detail={
                    "case_number": number,
                    "note": "cases of two agencies now carry this number: the item is linked to neither "
                    "by its number until its agency is recorded (vigilant evidence agency ITEM AGENCY)",
                },
            )
        )


def get_case(db: Database, actor: Actor, case_id: int) -> CaseRow:
    with db.session() as s:
        row = load_case(s, actor, case_id)
        audit(s, actor, RecordRead, object_type="case", object_id=str(row.id), case_ref=row.number)
        return row


def find_case(db: Database, actor: Actor, number: str, agency_id: int | None = None) -> CaseRow:
    """A visible case by its number in an agency (the caller's by default)."""
    require(actor, READ)
    owner = agency_id if agency_id is not None else agency_of(actor)
    with db.session() as s:
        row = s.scalars(
            select(CaseRow).where(CaseRow.number == number, CaseRow.agency_id == owner, case_visible(actor))
        ).one_or_none()
    if row is None:
        raise RecordNotFoundError(f"no case numbered {number!r} that you may see", hint="check the number")
    return row


def list_cases(
    db: Database,
    actor: Actor,
    *,
    operation_id: int | None = None,
    status: CaseStatus | None = None,
    search: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[CaseRow]:
    """Visible cases, newest first; ``search`` matches a part of the number or title, ignoring case."""
    require(actor, READ)
    query = select(CaseRow).where(case_visible(actor))
    if search and search.strip():
        # Escape LIKE's wildcards: a search for "50%" means those characters, not "50 and anything".
        text = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        query = query.where(
            or_(CaseRow.number.ilike(like, escape="\\"), CaseRow.title.ilike(like, escape="\\"))
        )
    if operation_id is not None:
        query = query.where(CaseRow.operation_id == operation_id)
    if status is not None:
        query = query.where(CaseRow.status == status.value)
    query = query.order_by(CaseRow.opened_at.desc(), CaseRow.id.desc()).limit(limit).offset(offset)
    with db.session() as s:
        rows = list(s.scalars(query))
        audit(s, actor, RecordRead, object_type="case", query=search or None, records=len(rows))
        return rows


def update_case(
    db: Database,
    actor: Actor,
    case_id: int,
    *,
    title: str | None = None,
    status: CaseStatus | None = None,
    distribution: Distribution | None = None,
    sharing_group_id: int | None = None,
    at: datetime | None = None,
) -> CaseRow:
    with db.session() as s:
        row = load_case(s, actor, case_id, write=True)
        if title is not None:
            row.title = title.strip()
        if distribution is not None:
            group = sharing_group_id if sharing_group_id is not None else row.sharing_group_id
            _check_sharing(s, actor, distribution, row.operation_id, group)
            row.distribution = distribution.value
            row.sharing_group_id = group
        if status is not None and status.value != row.status:
            row.status = status.value
            row.closed_at = (at or utcnow()) if status is CaseStatus.CLOSED else None
    return row
