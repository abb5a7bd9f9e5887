"""Agencies (with their jurisdiction) and sharing groups. The agency directory is visible to every caller."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigilant.cases.access import AGENCIES_MANAGE
from vigilant.cases.errors import DuplicateRecordError, InvalidRecordError, RecordNotFoundError
from vigilant.cases.models import AgencyRow, SharingGroupAgencyRow, SharingGroupRow
from vigilant.security.rights import Actor, require
from vigilant.store import Database
from vigilant.store.models import utcnow

PROVINCES = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})


def add_agency(
    db: Database,
    actor: Actor,
    *,
    name: str,
    short_name: str,
    province: str,
    municipalities: Iterable[str] = (),
    is_coordinator: bool = False,
) -> AgencyRow:
    require(actor, AGENCIES_MANAGE)
    province = province.strip().upper()
    if province not in PROVINCES:
        raise InvalidRecordError(
            f"unknown province {province!r}", hint=f"use a two-letter code: {', '.join(sorted(PROVINCES))}"
        )
    row = AgencyRow(
        name=name.strip(),
        short_name=short_name.strip().upper(),
        province=province,
        municipalities=sorted({m.strip() for m in municipalities if m.strip()}),
        is_coordinator=is_coordinator,
        created_at=utcnow(),
    )
    try:
        with db.session() as s:
            s.add(row)
    except IntegrityError:
        raise DuplicateRecordError(
            f"an agency named {name!r} or {short_name!r} already exists",
            hint="list agencies with `vigilant cases agencies list`",
        ) from None
    return row


def list_agencies(db: Database) -> list[AgencyRow]:
    with db.session() as s:
        return list(s.scalars(select(AgencyRow).order_by(AgencyRow.short_name)))


def agency_by_ref(s: Session, ref: str | int) -> AgencyRow:
    """An agency by id or short name (case-insensitive)."""
    if isinstance(ref, int) or ref.isdigit():
        row = s.get(AgencyRow, int(ref))
    else:
        row = s.scalars(select(AgencyRow).where(AgencyRow.short_name == ref.strip().upper())).one_or_none()
    if row is None:
        raise RecordNotFoundError(
            f"no agency {ref!r}", hint="list agencies with `vigilant cases agencies list`"
        )
    return row


def get_agency(db: Database, ref: str | int) -> AgencyRow:
    with db.session() as s:
        return agency_by_ref(s, ref)


def add_sharing_group(db: Database, actor: Actor, *, name: str, agencies: Iterable[str | int]) -> int:
    """A named group of agencies a case can be shared with (distribution ``sharing_group``)."""
    require(actor, AGENCIES_MANAGE)
    with db.session() as s:
        if s.scalars(select(SharingGroupRow.id).where(SharingGroupRow.name == name)).first() is not None:
            raise DuplicateRecordError(
                f"a sharing group named {name!r} already exists", hint="pick another name"
            )
        group = SharingGroupRow(name=name, created_at=utcnow())
        s.add(group)
        s.flush()
        for agency_id in sorted({agency_by_ref(s, ref).id for ref in agencies}):
            s.add(SharingGroupAgencyRow(sharing_group_id=group.id, agency_id=agency_id))
        return group.id
