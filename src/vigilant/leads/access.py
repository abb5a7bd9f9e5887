"""Leads for a caller who logged in: the role must grant ``leads.read``, and rows are scoped to the caller's
agency. The CLI keeps using :mod:`vigilant.leads.service` directly (whoever runs it holds the database).

Scoping compares agency ids: a lead records the agency working it (``assigned_agency_id``, set by
assignment) and the one the jurisdiction table routed it to (``routed_agency_id``, resolved from the table's
name when the leads are built). A caller sees a lead when either is their agency; the names kept beside the
ids (``agency``, ``routed_to``) are for the record and decide nothing, so a renamed agency, a typo or two
agencies with similar names cannot widen anyone's view. A coordinating agency (``AgencyRow.is_coordinator``)
sees every lead, unrouted ones included, because it is the one that assigns them. Another agency's lead
answers "not found", exactly like a missing one. Every list and every detail read is written to the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import UnaryExpression

from vigilant.cases.access import actor_name, agency_of, audit
from vigilant.cases.models import AgencyRow
from vigilant.leads import lifecycle, service
from vigilant.leads.agencies import agency_filter
from vigilant.leads.errors import LeadInputError, LeadNotFoundError, TransitionError
from vigilant.leads.lifecycle import JudicialAuthority, Status
from vigilant.security.audit import RecordChanged, RecordRead
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
    return or_(LeadRow.assigned_agency_id == agency.id, LeadRow.routed_agency_id == agency.id)


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
    """The caller's leads, filtered by status and by working or routed agency (id, short or full name), one
    page at a time."""
    require(actor, Permission.LEADS_READ)
    query = select(LeadRow).options(selectinload(LeadRow.ips))
    if status is not None:
        query = query.where(LeadRow.status == status.value)
    query = query.order_by(_ORDER[sort], LeadRow.key).limit(limit + 1).offset(offset)
    with db.session() as s:
        if agency and agency.strip():
            agency_id = agency_filter(s, agency).id
            query = query.where(
                or_(LeadRow.assigned_agency_id == agency_id, LeadRow.routed_agency_id == agency_id)
            )
        visible = _visible(s, actor)
        if visible is not None:
            query = query.where(visible)
        rows = list(s.scalars(query))
        audit(s, actor, RecordRead, object_type="lead", query=_describe(status, agency), records=len(rows))
    return LeadPage(rows[:limit], offset, limit, len(rows) > limit)


def lead_agencies_for(db: Database, actor: Actor) -> list[str]:
    """The names of the agencies on the caller's leads (working or routed): the queue filter's choices."""
    require(actor, Permission.LEADS_READ)
    with db.session() as s:
        visible = _visible(s, actor)
        ids: set[int] = set()
        for column in (LeadRow.assigned_agency_id, LeadRow.routed_agency_id):
            query = select(column).distinct().where(column.is_not(None))
            if visible is not None:
                query = query.where(visible)
            ids.update(i for i in s.scalars(query) if i is not None)
        names = list(s.scalars(select(AgencyRow.name).where(AgencyRow.id.in_(ids)))) if ids else []
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


# --- changing a lead: assign and advance, for a caller who logged in ----------------------------------------
def _require_visible(db: Database, actor: Actor, lead_id: int) -> LeadRow:
    """The lead with its events if the caller's agency may see it; "not found" otherwise (no audit here:
    the change that follows is audited)."""
    query = select(LeadRow).where(LeadRow.id == lead_id).options(selectinload(LeadRow.events))
    with db.session() as s:
        visible = _visible(s, actor)
        if visible is not None:
            query = query.where(visible)
        row = s.scalars(query).one_or_none()
        if row is None:
            raise LeadNotFoundError(f"no lead {lead_id} that your agency may see", hint="see the leads queue")
        return row


def _audit_change(db: Database, actor: Actor, row: LeadRow, fields: tuple[str, ...]) -> None:
    with db.session() as s:
        audit(
            s,
            actor,
            RecordChanged,
            change="update",
            object_type="lead",
            object_id=str(row.id),
            fields_changed=fields,
        )


def assign_lead_for(db: Database, actor: Actor, lead_id: int, agency: int | str, *, at: datetime) -> LeadRow:
    """Give a lead the caller may see to an agency (by id or short name; an unknown one is refused):
    ``leads.assign``; audited, and recorded in the lead's history by :func:`vigilant.leads.service.assign`."""
    require(actor, Permission.LEADS_ASSIGN)
    _require_visible(db, actor, lead_id)
    service.assign(db, str(lead_id), agency, actor=actor_name(actor), at=at)
    row = service.get_lead(db, str(lead_id))  # with the new event (given elsewhere, the caller saw it last)
    _audit_change(db, actor, row, ("agency", "status"))
    return row


def advance_lead_for(
    db: Database,
    actor: Actor,
    lead_id: int,
    step: Status,
    *,
    at: datetime,
    authority: JudicialAuthority | None = None,
    note: str | None = None,
) -> LeadRow:
    """Move a lead the caller may see one step along its legal life (``legal.write``: recording legal
    process is casework). Only the agency working the lead moves it, or a coordinating agency; the law's
    rules (:mod:`vigilant.leads.lifecycle`) then decide. Asking for the subscriber without a production
    order on file is refused with the reason (R v Spencer), whatever the lead's status."""
    require(actor, Permission.LEGAL_WRITE)
    row = _require_visible(db, actor, lead_id)
    with db.session() as s:
        agency = s.get(AgencyRow, agency_of(actor))
        coordinator = bool(agency and agency.is_coordinator)
    working = row.agency or row.assigned_agency_id
    if working and (agency is None or row.assigned_agency_id != agency.id) and not coordinator:
        raise TransitionError(
            f"the lead is worked by {row.agency}: only that agency moves it",
            hint="ask the coordinating agency to reassign it",
        )
    if step is Status.SUBSCRIBER_IDENTIFIED:
        lifecycle.require_subscriber_authority(service.production_order_on_file(row.events))
    service.advance(db, str(lead_id), step, actor=actor_name(actor), at=at, authority=authority, note=note)
    row = service.get_lead(db, str(lead_id))
    _audit_change(db, actor, row, ("status",))
    return row


def can_see_lead(db: Database, actor: Actor, lead_id: int) -> bool:
    """Whether the caller's agency sees the lead (after giving it away, it may not)."""
    try:
        _require_visible(db, actor, lead_id)
    except LeadNotFoundError:
        return False
    return True


AUTHORITY_KIND = {
    Status.PRODUCTION_ORDER: "production order (Criminal Code s. 487.014)",
    Status.SEARCH_WARRANT: "search warrant (Criminal Code s. 487)",
}


def authority_for(
    step: Status, *, court: str | None, judge: str | None, order_date: str | None, number: str | None
) -> JudicialAuthority | None:
    """The judicial authority a step records: required (every field) for a production order or a search
    warrant, none for the other steps."""
    if step not in lifecycle.NEEDS_AUTHORITY:
        return None
    try:
        return JudicialAuthority.from_fields(
            court=court, judge=judge, order_date=order_date, number=number, kind=AUTHORITY_KIND[step]
        )
    except LeadInputError as exc:  # the same words, without the command line's flags
        raise LeadInputError(
            f"a {step.value.replace('_', ' ')} needs the order on file: {exc.message}",
            hint="give the court, the judge or justice, the order's date (YYYY-MM-DD) and its number",
        ) from None


def next_steps(status: Status) -> list[Status]:
    """The steps a lead in ``status`` may take next through :func:`advance_lead_for` (assigning is
    :func:`assign_lead_for`'s); closing is always offered until the lead is closed."""
    if status is Status.CLOSED:
        return []
    following = lifecycle.ORDER[lifecycle.ORDER.index(status) + 1]
    steps = [following] if following not in {Status.ASSIGNED, Status.CLOSED} else []
    return [*steps, Status.CLOSED]
