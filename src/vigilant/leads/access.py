"""Leads for a caller who logged in: the role must grant ``leads.read``, and rows are scoped to the caller's
agency. The CLI keeps using :mod:`vigilant.leads.service` directly (whoever runs it holds the database).

Scoping as the data allows today: a lead records the agency working it (``agency``, set by assignment) and
the one the jurisdiction table routed it to (``routed_to``) as *names*, not agency ids, because the P2P work
came before the agency table. A caller sees a lead when either names their agency (its name or short name,
ignoring case). A coordinating agency (``AgencyRow.is_coordinator``) sees every lead, unrouted ones
included, because it is the one that assigns them. Another agency's lead answers "not found", exactly like a
missing one. Every list and every detail read is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import UnaryExpression

from vigilant.cases.access import agency_of, audit
from vigilant.cases.models import AgencyRow
from vigilant.leads.errors import LeadNotFoundError
from vigilant.leads.lifecycle import Status
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import LeadRow


class LeadSort(StrEnum):
    """The orders the queue offers; ties always fall back to the lead key, so pages are stable."""

    SCORE = "score"  # highest first: the ICAC-style priority
    SCORE_ASC = "score_asc"
    LAST_SEEN = "last_seen"  # most recently seen first: the ISP's logs are freshest
    FIRST_SEEN = "first_seen"


_ORDER: dict[LeadSort, UnaryExpression[Any]] = {
    LeadSort.SCORE: LeadRow.score.desc(),
    LeadSort.SCORE_ASC: LeadRow.score.asc(),
    LeadSort.LAST_SEEN: LeadRow.last_seen.desc(),
    LeadSort.FIRST_SEEN: LeadRow.first_seen.asc(),
}


@dataclass(frozen=True)
class LeadPage:
    leads: list[LeadRow]
    offset: int
    limit: int
    more: bool


def _visible(s: Session, actor: Actor) -> ColumnElement[bool] | None:
    """The WHERE clause for the caller's leads; None when their agency coordinates (every lead)."""
    agency = s.get(AgencyRow, agency_of(actor))
    if agency is None:
        return false()
    if agency.is_coordinator:
        return None
    names = sorted({agency.name.lower(), agency.short_name.lower()})
    return or_(func.lower(LeadRow.agency).in_(names), func.lower(LeadRow.routed_to).in_(names))


def list_leads_for(
    db: Database,
    actor: Actor,
    *,
    status: Status | None = None,
    agency: str | None = None,
    sort: LeadSort = LeadSort.SCORE,
    limit: int = 50,
    offset: int = 0,
) -> LeadPage:
    """The caller's leads, filtered by status and by working or routed agency name, one page at a time."""
    require(actor, Permission.LEADS_READ)
    query = select(LeadRow).options(selectinload(LeadRow.ips))
    if status is not None:
        query = query.where(LeadRow.status == status.value)
    if agency and agency.strip():
        name = agency.strip().lower()
        query = query.where(or_(func.lower(LeadRow.agency) == name, func.lower(LeadRow.routed_to) == name))
    query = query.order_by(_ORDER[sort], LeadRow.key).limit(limit + 1).offset(offset)
    with db.session() as s:
        visible = _visible(s, actor)
        if visible is not None:
            query = query.where(visible)
        rows = list(s.scalars(query))
        audit(s, actor, RecordRead, object_type="lead", query=_describe(status, agency), records=len(rows))
    return LeadPage(rows[:limit], offset, limit, len(rows) > limit)


def lead_agencies_for(db: Database, actor: Actor) -> list[str]:
    """The agency names on the caller's leads (working or routed): the choices of the queue's filter."""
    require(actor, Permission.LEADS_READ)
    with db.session() as s:
        visible = _visible(s, actor)
        names: set[str] = set()
        for column in (LeadRow.agency, LeadRow.routed_to):
            query = select(column).distinct().where(column.is_not(None))
            if visible is not None:
                query = query.where(visible)
            names.update(n for n in s.scalars(query) if n)
    return sorted(names, key=str.lower)


def get_lead_for(db: Database, actor: Actor, lead_id: int) -> LeadRow:
    """One lead with its IPs and history, if the caller may see it; audited."""
    require(actor, Permission.LEADS_READ)
    query = (
        select(LeadRow)
        .where(LeadRow.id == lead_id)
        .options(selectinload(LeadRow.ips), selectinload(LeadRow.events))
    )
    with db.session() as s:
        visible = _visible(s, actor)
        if visible is not None:
            query = query.where(visible)
        row = s.scalars(query).one_or_none()
        if row is None:
            raise LeadNotFoundError(f"no lead {lead_id} that your agency may see", hint="see the leads queue")
        audit(s, actor, RecordRead, object_type="lead", object_id=str(row.id), query=row.key)
        return row


def _describe(status: Status | None, agency: str | None) -> str | None:
    parts = [f"status={status.value}" if status else "", f"agency={agency.strip()}" if agency else ""]
    return " ".join(p for p in parts if p) or None
