"""The victim identification board: series with victims not identified yet, across every case the viewer
may see, with their clues and the cases and agencies holding them.

A series is the decisions' series name (a decision without one: its stack). Clues are what the items carry
(camera make, model and serial, GPS position) and what examiners noted (location clues). Marking a victim of
a series identified or safeguarded records it on the case's Victim record (so the operation's figures count
it) and marks the series' decisions identified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from vigilant.cases.access import audit
from vigilant.cases.models import AgencyRow
from vigilant.cases.people import record_victim
from vigilant.errors import NotFoundError
from vigilant.evidence.models import EvidenceItemRow
from vigilant.library.categories import PROFILES, CategoryClass
from vigilant.review.context import ReviewContext
from vigilant.review.models import ReviewDecisionRow, ReviewItemRow
from vigilant.review.queue import current_decision
from vigilant.review.scope import Scope, items_query
from vigilant.security.audit import RecordChanged, RecordRead
from vigilant.security.rights import Actor, Permission, require


@dataclass
class SeriesClues:
    series: str
    items: int = 0
    victims: list[dict[str, object]] = field(default_factory=list)
    cameras: set[str] = field(default_factory=set)
    places: set[tuple[float, float]] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)
    cases: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    possible_production: bool = False


def _series_of(item: ReviewItemRow, decision: ReviewDecisionRow) -> str:
    return decision.series or f"stack {item.stack_id or item.id}"


def board(ctx: ReviewContext, actor: Actor) -> list[SeriesClues]:
    """Series of abuse material with a depicted victim not identified, most items first."""
    require(actor, Permission.TRIAGE_READ)
    items = items_query(ctx.db, actor, Scope()).subquery()
    query = (
        select(ReviewItemRow, ReviewDecisionRow, EvidenceItemRow.case_number, AgencyRow.short_name)
        .join(items, items.c.id == ReviewItemRow.id)
        .join(ReviewDecisionRow, ReviewDecisionRow.item_id == ReviewItemRow.id)
        .join(EvidenceItemRow, EvidenceItemRow.id == ReviewItemRow.evidence_id)
        .outerjoin(AgencyRow, AgencyRow.id == EvidenceItemRow.agency_id)
        .where(current_decision(), ReviewDecisionRow.identified.is_(False))
    )
    found: dict[str, SeriesClues] = {}
    with ctx.db.session() as s:
        for item, decision, case_number, agency in s.execute(query):
            category = PROFILES[decision.profile].get(decision.category)
            if category is None or category.cls is not CategoryClass.ABUSE or not decision.victims:
                continue
            name = _series_of(item, decision)
            clues = found.setdefault(name, SeriesClues(name))
            clues.items += 1
            if len(decision.victims) > len(clues.victims):
                clues.victims = list(decision.victims)
            camera = " ".join(v for v in (item.exif_make, item.exif_model) if v)
            if item.exif_serial:
                camera = f"{camera} serial {item.exif_serial}".strip()
            if camera:
                clues.cameras.add(camera)
            if item.gps_latitude is not None and item.gps_longitude is not None:
                clues.places.add((round(item.gps_latitude, 5), round(item.gps_longitude, 5)))
            if decision.location_notes:
                clues.notes.add(decision.location_notes)
            if case_number:
                clues.cases.add(case_number)
            if agency:
                clues.agencies.add(agency)
            clues.possible_production |= decision.possible_production
        audit(s, actor, RecordRead, object_type="review_board", records=len(found))
    return sorted(found.values(), key=lambda c: (-c.items, c.series))


def mark_identified(
    ctx: ReviewContext,
    actor: Actor,
    series: str,
    *,
    case_id: int,
    person_id: int,
    identified_on: date,
    safeguarded_on: date | None = None,
) -> int:
    """Record the series' victim as identified (and safeguarded) in the case, and mark the series' current
    decisions identified; returns the number of decisions marked."""
    require(actor, Permission.PERSONS_WRITE)
    require(actor, Permission.TRIAGE_READ)
    items = items_query(ctx.db, actor, Scope()).subquery()
    query = (
        select(ReviewDecisionRow)
        .join(items, items.c.id == ReviewDecisionRow.item_id)
        .where(current_decision(), ReviewDecisionRow.series == series)
    )
    with ctx.db.session() as s:
        if not s.scalars(query.limit(1)).first():
            raise NotFoundError(f"no series {series!r} that you may see", hint="see the identification board")
    victim = record_victim(
        ctx.db, actor, case_id, person_id, identified_on=identified_on, safeguarded_on=safeguarded_on
    )
    with ctx.db.session() as s:
        rows = list(s.scalars(query))
        for row in rows:
            row.identified = True
            row.victims = [{**v, "victim_id": victim.id} for v in row.victims]
        audit(s, actor, RecordChanged, change="update", object_type="review_series", object_id=series,
              fields_changed=("identified",))  # fmt: skip
    return len(rows)
