"""Reading leads, for every caller (the web's queue and the CLI's ``leads list`` and ``leads show``): the
role must grant ``leads.read``, and rows are scoped by :func:`vigilant.leads.service.lead_visible`.

Scoping compares agency ids: a lead records the agency working it (``assigned_agency_id``, set by
assignment) and the one the jurisdiction table routed it to (``routed_agency_id``, resolved from the table's
name when the leads are built). A caller sees a lead when either is their agency; the names kept beside the
ids (``agency``, ``routed_to``) are for the record and decide nothing, so a renamed agency, a typo or two
agencies with similar names cannot widen anyone's view. A coordinating agency (``AgencyRow.is_coordinator``)
sees every lead, unrouted ones included, because it is the one that assigns them, and so does the CLI's own
actor. Another agency's lead answers "not found", exactly like a missing one. Every list and every detail
read is written to the audit log. Changing a lead (assign, advance, claim) is :mod:`vigilant.leads.service`'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import UnaryExpression

from vigilant.cases.access import audit
from vigilant.cases.models import AgencyRow
from vigilant.leads import lifecycle
from vigilant.leads.agencies import agency_filter
from vigilant.leads.errors import LeadInputError, LeadNotFoundError
from vigilant.leads.lifecycle import JudicialAuthority, Status
from vigilant.leads.models import LeadRow
from vigilant.leads.service import lead_visible, visible_lead
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database


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
        visible = lead_visible(s, actor)
        if visible is not None:
            query = query.where(visible)
        rows = list(s.scalars(query))
        audit(s, actor, RecordRead, object_type="lead", query=_describe(status, agency), records=len(rows))
    return LeadPage(rows[:limit], offset, limit, len(rows) > limit)


def lead_agencies_for(db: Database, actor: Actor) -> list[str]:
    """The names of the agencies on the caller's leads (working or routed): the queue filter's choices."""
    require(actor, Permission.LEADS_READ)
    with db.session() as s:
        visible = lead_visible(s, actor)
        ids: set[int] = set()
        for column in (LeadRow.assigned_agency_id, LeadRow.routed_agency_id):
            query = select(column).distinct().where(column.is_not(None))
            if visible is not None:
                query = query.where(visible)
            ids.update(i for i in s.scalars(query) if i is not None)
        names = list(s.scalars(select(AgencyRow.name).where(AgencyRow.id.in_(ids)))) if ids else []
    return sorted(names, key=str.lower)


def get_lead_for(db: Database, actor: Actor, lead_id: int | str) -> LeadRow:
    """One lead (by id, or by key from the CLI) with its IPs and history, if the caller may see it;
    audited."""
    require(actor, Permission.LEADS_READ)
    with db.session() as s:
        row = visible_lead(s, actor, lead_id)
        audit(s, actor, RecordRead, object_type="lead", object_id=str(row.id), query=row.key)
        return row


def _describe(status: Status | None, agency: str | None) -> str | None:
    parts = [f"status={status.value}" if status else "", f"agency={agency.strip()}" if agency else ""]
    return " ".join(p for p in parts if p) or None


def can_see_lead(db: Database, actor: Actor, lead_id: int) -> bool:
    """Whether the caller's agency sees the lead (after giving it away, it may not)."""
    require(actor, Permission.LEADS_READ)
    try:
        with db.session() as s:
            visible_lead(s, actor, lead_id)
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
    """The steps a lead in ``status`` may take next through :func:`vigilant.leads.service.advance`
    (assigning is :func:`vigilant.leads.service.assign`'s); closing is always offered until the lead is
    closed."""
    if status is Status.CLOSED:
        return []
    following = lifecycle.ORDER[lifecycle.ORDER.index(status) + 1]
    steps = [following] if following not in {Status.ASSIGNED, Status.CLOSED} else []
    return [*steps, Status.CLOSED]
