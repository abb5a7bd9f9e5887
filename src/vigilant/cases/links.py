"""Identifiers linked to cases, persons and seized devices, and the cross-case look-up they exist for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigilant.cases.access import READ, visible_case_ids
from vigilant.cases.errors import InvalidRecordError
from vigilant.cases.identifiers import IdentifierKind, clean, parse_kind
from vigilant.cases.models import CasePersonRow, IdentifierLinkRow, IdentifierRow, SeizedDeviceRow, SeizureRow
from vigilant.cases.service import load_case
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow


def _identifier(s: Session, kind: IdentifierKind, value: str) -> IdentifierRow:
    query = select(IdentifierRow).where(IdentifierRow.kind == kind.value, IdentifierRow.value == value)
    row = s.scalars(query).one_or_none()
    if row is not None:
        return row
    row = IdentifierRow(kind=kind.value, value=value, created_at=utcnow())
    try:
        with s.begin_nested():  # another writer may create the same hub at the same moment
            s.add(row)
    except IntegrityError:
        return s.scalars(query).one()
    return row


def link_identifier(
    db: Database,
    actor: Actor,
    case_id: int,
    kind: IdentifierKind | str,
    raw: str,
    *,
    person_id: int | None = None,
    device_id: int | None = None,
    observed_at: datetime | None = None,
    source: str | None = None,
) -> IdentifierLinkRow:
    """Record that ``raw`` (cleaned as ``kind``) was seen in one of the caller's cases."""
    k = kind if isinstance(kind, IdentifierKind) else parse_kind(kind)
    value = clean(k, raw)
    with db.session() as s:
        load_case(s, actor, case_id, write=True)
        if (
            person_id is not None
            and s.scalars(
                select(CasePersonRow.id).where(
                    CasePersonRow.case_id == case_id, CasePersonRow.person_id == person_id
                )
            ).first()
            is None
        ):
            raise InvalidRecordError(
                f"person {person_id} is not named in case {case_id}", hint="add them first"
            )
        if (
            device_id is not None
            and s.scalars(
                select(SeizedDeviceRow.id)
                .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
                .where(SeizedDeviceRow.id == device_id, SeizureRow.case_id == case_id)
            ).first()
            is None
        ):
            raise InvalidRecordError(
                f"device {device_id} was not seized in case {case_id}", hint="check the id"
            )
        link = IdentifierLinkRow(
            identifier=_identifier(s, k, value),
            case_id=case_id,
            person_id=person_id,
            device_id=device_id,
            raw=raw,
            observed_at=observed_at,
            source=source,
            created_at=utcnow(),
        )
        s.add(link)
    return link


@dataclass(frozen=True)
class Sighting:
    case_id: int
    person_id: int | None
    device_id: int | None
    observed_at: datetime | None
    raw: str


def where_seen(db: Database, actor: Actor, kind: IdentifierKind | str, raw: str) -> list[Sighting]:
    """Every visible case that holds this identifier: the cross-case link, within the caller's visibility."""
    require(actor, READ)
    k = kind if isinstance(kind, IdentifierKind) else parse_kind(kind)
    value = clean(k, raw)
    with db.session() as s:
        rows = s.scalars(
            select(IdentifierLinkRow)
            .join(IdentifierRow, IdentifierRow.id == IdentifierLinkRow.identifier_id)
            .where(
                IdentifierRow.kind == k.value,
                IdentifierRow.value == value,
                IdentifierLinkRow.case_id.in_(visible_case_ids(actor)),
            )
            .order_by(IdentifierLinkRow.case_id, IdentifierLinkRow.id)
        )
        return [Sighting(r.case_id, r.person_id, r.device_id, r.observed_at, r.raw) for r in rows]
