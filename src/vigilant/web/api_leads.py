"""The leads queue over the REST API, /api/v1/leads: one guarded service call per route.

Which leads a caller sees is decided by :mod:`vigilant.leads.access` (role table and agency scoping), never
here. The bodies carry the score's factors, so a client can show why one lead comes before another.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, model_validator

from vigilant.leads import routing, service
from vigilant.leads.access import LeadSort, authority_for, get_lead_for, list_leads_for
from vigilant.leads.lifecycle import Status
from vigilant.leads.models import LeadRow
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import BodyId, Offset, RowId

router = APIRouter(prefix=API_V1, responses=ERRORS, tags=["leads"])


class RoutingStatusOut(BaseModel):
    """Where the lead went: routed only to an agency of the directory; else unrouted, and why."""

    routed: bool
    agency_id: int | None  # the agency routed to; none when unrouted
    text: str  # "routed to X (why)" or "unrouted: why"


class LeadSummaryOut(BaseModel):
    id: int
    key: str
    status: str
    agency: str | None  # the agency working the lead, by name
    agency_id: int | None  # … and by id (the agency directory's)
    routed_to: str | None  # the agency the jurisdiction table names, as it names it
    routed_agency_id: int | None  # that agency's id; none when the name matches no agency
    routing_status: RoutingStatusOut  # in words: a name that matches no agency leaves the lead unrouted
    score: float
    actionable: bool
    tier: str
    known_files: int
    max_severity: int
    max_category: str | None
    seeding: bool
    days_seen: int
    first_seen: datetime
    last_seen: datetime
    ips: int

    @classmethod
    def fields_of(cls, row: LeadRow) -> dict[str, Any]:
        return {
            "id": row.id,
            "key": row.key,
            "status": row.status,
            "agency": row.agency,
            "agency_id": row.assigned_agency_id,
            "routed_to": row.routed_to,
            "routed_agency_id": row.routed_agency_id,
            "routing_status": RoutingStatusOut(**routing.of_lead(row).to_json()),
            "score": row.score,
            "actionable": row.actionable,
            "tier": row.tier,
            "known_files": row.known_files,
            "max_severity": row.max_severity,
            "max_category": row.max_category,
            "seeding": row.seeding,
            "days_seen": row.days_seen,
            "first_seen": row.first_seen,
            "last_seen": row.last_seen,
            "ips": len(row.ips),
        }

    @classmethod
    def of(cls, row: LeadRow) -> LeadSummaryOut:
        return cls(**cls.fields_of(row))


class LeadList(BaseModel):
    leads: list[LeadSummaryOut]
    offset: int
    limit: int
    more: bool


class FactorOut(BaseModel):
    name: str
    value: float
    weight: float
    contribution: float
    explanation: str


class LeadIpOut(BaseModel):
    ip: str
    first_seen: datetime
    last_seen: datetime
    observation_count: int
    agency: str | None
    geo: dict[str, Any]


class LeadEventOut(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    detail: dict[str, Any] = Field(default_factory=dict)  # the agency, the judicial authority, a note


class AssignIn(BaseModel):
    """The agency to give the lead to (see the agency directory): its id, or its short name."""

    agency_id: BodyId | None = Field(None, description="the agency's id")
    agency: str | None = Field(None, min_length=1, max_length=40, description="or its short name (or id)")

    @model_validator(mode="after")
    def _one_agency(self) -> AssignIn:
        if (self.agency_id is None) == (self.agency is None):
            raise ValueError("give the agency once: agency_id or agency (its short name)")
        return self

    @property
    def ref(self) -> int | str:
        return self.agency_id if self.agency_id is not None else str(self.agency)


class AdvanceIn(BaseModel):
    step: Status = Field(description="the next step, or closed; assigning is POST …/assign")
    court: str | None = Field(None, max_length=200)
    judge: str | None = Field(None, max_length=200)
    order_date: date | None = None
    order_number: str | None = Field(None, max_length=100)
    note: str | None = Field(None, max_length=2000)


class LeadOut(LeadSummaryOut):
    factors: list[FactorOut]
    half_life_days: float | None
    identities: dict[str, Any]
    addresses: list[LeadIpOut]
    events: list[LeadEventOut]

    @classmethod
    def detail(cls, row: LeadRow) -> LeadOut:
        explanation = row.explanation or {}
        return cls(
            **cls.fields_of(row),
            factors=[FactorOut(**f) for f in explanation.get("factors", [])],
            half_life_days=explanation.get("half_life_days"),
            identities=row.identities,
            addresses=[
                LeadIpOut(
                    ip=i.ip,
                    first_seen=i.first_seen,
                    last_seen=i.last_seen,
                    observation_count=i.observation_count,
                    agency=i.agency,
                    geo=i.geo,
                )
                for i in row.ips
            ],
            events=[
                LeadEventOut(
                    at=e.at,
                    actor=e.actor,
                    action=e.action,
                    from_status=e.from_status,
                    to_status=e.to_status,
                    detail=e.detail or {},
                )
                for e in sorted(row.events, key=lambda e: (e.at, e.id))
            ],
        )


@router.get("/leads", response_model=LeadList)
def list_leads(
    *,
    ctx: ContextDep,
    actor: ActorDep,
    status: Status | None = None,
    agency: Annotated[str | None, Query(max_length=200, description="working or routed agency")] = None,
    sort: LeadSort = LeadSort.SCORE,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> LeadList:
    page = list_leads_for(ctx.db, actor, status=status, agency=agency, sort=sort, limit=limit, offset=offset)
    return LeadList(
        leads=[LeadSummaryOut.of(r) for r in page.leads], offset=offset, limit=limit, more=page.more
    )


@router.get("/leads/{lead_id}", response_model=LeadOut)
def show_lead(lead_id: RowId, ctx: ContextDep, actor: ActorDep) -> LeadOut:
    return LeadOut.detail(get_lead_for(ctx.db, actor, lead_id))


@router.post("/leads/{lead_id}/assign", response_model=LeadOut)
def assign_lead(lead_id: RowId, body: AssignIn, ctx: ContextDep, actor: ActorDep) -> LeadOut:
    """Give the lead to an agency (``leads.assign``); a lead already assigned is reassigned."""
    return LeadOut.detail(service.assign(ctx.db, lead_id, body.ref, actor=actor, at=ctx.clock()))


@router.post("/leads/{lead_id}/advance", response_model=LeadOut)
def advance_lead(lead_id: RowId, body: AdvanceIn, ctx: ContextDep, actor: ActorDep) -> LeadOut:
    """Record the lead's next step; 409 with the reason when the lifecycle refuses it (a production order
    before subscriber identification: R v Spencer)."""
    authority = authority_for(
        body.step,
        court=body.court,
        judge=body.judge,
        order_date=body.order_date.isoformat() if body.order_date else None,
        number=body.order_number,
    )
    row = service.advance(
        ctx.db, lead_id, body.step, actor=actor, at=ctx.clock(), authority=authority, note=body.note
    )
    return LeadOut.detail(row)
