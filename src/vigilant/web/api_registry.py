"""The REST API of the offender registry: registrants, who is due, counts per area, the alert queue, the
daily sweep, reports and verifications.

Thin like :mod:`vigilant.web.api`: rights, purposes, scoping and the audit are the registry services'
(:mod:`vigilant.registry.service`, :mod:`~vigilant.registry.work`, :mod:`~vigilant.registry.alerts`,
:mod:`~vigilant.registry.sweep`). A look-up with a purpose is a POST with a JSON body, so the purpose never
lands in a server's access log.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from vigilant.config import Settings
from vigilant.registry import alerts, service, sweep, work
from vigilant.registry.compliance import Status
from vigilant.registry.models import (
    AlertOutcome,
    AlertStatus,
    ReportKind,
    ReportOutcome,
    VerificationOutcome,
)
from vigilant.registry.rules import RuleSet, rule_set
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import BodyId, RowId

router = APIRouter(prefix=f"{API_V1}/registry", responses=ERRORS, tags=["registry"])
Number = Annotated[str, Path(min_length=1, max_length=40, description="a registry number")]


@functools.cache
def installation_rules() -> RuleSet:
    """The rule set of this installation (``VIGILANT_REGISTRY_RULES``), read once per process."""
    return rule_set(Settings.from_env().registry_rules)


class ComplianceOut(BaseModel):
    as_of: date
    status: Status
    next_due: date | None
    rule: str | None
    reason: str
    order_ends_on: date | None


class SummaryOut(BaseModel):
    registry_number: str
    name: str
    date_of_birth: date | None
    office: str
    area: str
    compliance: ComplianceOut

    @classmethod
    def of(cls, x: service.Summary) -> SummaryOut:
        c = x.compliance
        state = ComplianceOut(
            as_of=c.as_of, status=c.status, next_due=c.next_due, rule=c.rule, reason=c.reason,
            order_ends_on=c.order_ends_on,
        )  # fmt: skip
        return cls(
            registry_number=x.registry_number, name=x.name, date_of_birth=x.date_of_birth, office=x.office,
            area=x.area, compliance=state,
        )  # fmt: skip


class EventOut(BaseModel):
    day: date
    kind: str
    text: str


class AddressOut(BaseModel):
    id: int
    kind: str
    line: str
    municipality: str | None
    organisation: str | None
    work_type: str | None
    valid_from: date
    valid_to: date | None
    reported_on: date | None
    latitude: float | None
    longitude: float | None


class RegistrantOut(BaseModel):
    summary: SummaryOut
    record: dict[str, Any] = Field(description="the registrant in the import format (docs/registry.md)")
    addresses: list[AddressOut]
    timeline: list[EventOut]


def _registrant(view: service.RegistrantView) -> RegistrantOut:
    return RegistrantOut(
        summary=SummaryOut.of(view.summary),
        record=view.record.model_dump(mode="json", exclude_none=True),
        addresses=[AddressOut(**a.__dict__) for a in view.addresses],
        timeline=[EventOut(day=e.day, kind=e.kind, text=e.text) for e in view.timeline],
    )


@router.get("/registrants/{registry_number}", response_model=RegistrantOut)
def show_registrant(
    registry_number: Number,
    ctx: ContextDep,
    actor: ActorDep,
    as_of: Annotated[date | None, Query(description="judge compliance on this day (today)")] = None,
) -> RegistrantOut:
    view = service.show(
        ctx.db, actor, registry_number, rules=installation_rules(), as_of=as_of or ctx.clock().date()
    )
    return _registrant(view)


class LookupIn(BaseModel):
    registry_number: str = Field(min_length=1, max_length=40)
    purpose: str = Field(min_length=1, max_length=2000, description="why you look (recorded)")
    as_of: date | None = None


@router.post("/lookups", response_model=RegistrantOut)
def look_up(body: LookupIn, ctx: ContextDep, actor: ActorDep) -> RegistrantOut:
    """A registrant for a stated purpose: how an investigator queries the registry."""
    view = service.show(
        ctx.db, actor, body.registry_number, rules=installation_rules(),
        as_of=body.as_of or ctx.clock().date(), purpose=body.purpose,
    )  # fmt: skip
    return _registrant(view)


@router.get("/due", response_model=list[SummaryOut])
def due(
    ctx: ContextDep,
    actor: ActorDep,
    as_of: Annotated[date | None, Query(description="default: the last sweep's day, else today")] = None,
    status: Annotated[list[Status] | None, Query(description="default: due_soon and non_compliant")] = None,
    office: Annotated[str | None, Query(max_length=40)] = None,
) -> list[SummaryOut]:
    rules = installation_rules()
    day = service.basis(ctx.db, rules=rules, as_of=as_of, today=ctx.clock().date()).as_of
    found = service.due(
        ctx.db, actor, rules=rules, as_of=day, statuses=status or service.DUE, office=office
    )  # fmt: skip
    return [SummaryOut.of(x) for x in found]


class AreaOut(BaseModel):
    area: str
    office: str
    counts: dict[str, int]
    total: int


@router.get("/dashboard", response_model=list[AreaOut])
def dashboard(
    ctx: ContextDep, actor: ActorDep, as_of: Annotated[date | None, Query()] = None
) -> list[AreaOut]:
    rules = installation_rules()
    day = service.basis(ctx.db, rules=rules, as_of=as_of, today=ctx.clock().date()).as_of
    rows = service.dashboard(ctx.db, actor, rules=rules, as_of=day)
    return [AreaOut(area=r.area, office=r.office, counts=r.counts, total=r.total) for r in rows]


class AlertOut(BaseModel):
    id: int
    registry_number: str
    name: str
    kind: str
    key: str
    rule: str | None
    due_on: date | None
    raised_on: date
    status: str
    assigned_to: str | None
    outcome: str | None
    warrant_reference: str | None
    registrant_status: str | None  # as of the last sweep (changes since recomputed), else today
    status_as_of: date | None


@router.get("/alerts", response_model=list[AlertOut])
def alert_queue(
    ctx: ContextDep, actor: ActorDep, status: Annotated[AlertStatus | None, Query()] = None
) -> list[AlertOut]:
    found = alerts.queue(ctx.db, actor, status=status, rules=installation_rules(), today=ctx.clock().date())
    return [AlertOut(**a.__dict__) for a in found]


class AssignIn(BaseModel):
    to: str = Field(min_length=1, max_length=200)


@router.post("/alerts/{alert_id}/assign", status_code=204)
def assign_alert(alert_id: RowId, body: AssignIn, ctx: ContextDep, actor: ActorDep) -> None:
    alerts.assign(ctx.db, actor, alert_id, to=body.to)


class CloseIn(BaseModel):
    outcome: AlertOutcome
    notes: str | None = Field(default=None, max_length=4000)
    warrant_reference: str | None = Field(default=None, max_length=100)


@router.post("/alerts/{alert_id}/close", status_code=204)
def close_alert(alert_id: RowId, body: CloseIn, ctx: ContextDep, actor: ActorDep) -> None:
    alerts.close(
        ctx.db,
        actor,
        alert_id,
        outcome=body.outcome,
        notes=body.notes,
        warrant_reference=body.warrant_reference,
    )


class ReportIn(BaseModel):
    kind: ReportKind
    reported_on: date
    outcome: ReportOutcome = ReportOutcome.COMPLETED
    officer: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)


class CreatedOut(BaseModel):
    id: int


@router.post("/registrants/{registry_number}/reports", response_model=CreatedOut, status_code=201)
def record_report(registry_number: Number, body: ReportIn, ctx: ContextDep, actor: ActorDep) -> CreatedOut:
    made = work.record_report(
        ctx.db, actor, registry_number, kind=body.kind, reported_on=body.reported_on, officer=body.officer,
        outcome=body.outcome, notes=body.notes,
    )  # fmt: skip
    return CreatedOut(id=made)


class VerificationIn(BaseModel):
    address_id: BodyId
    verified_on: date
    outcome: VerificationOutcome
    officer: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=4000)


@router.post("/registrants/{registry_number}/verifications", response_model=CreatedOut, status_code=201)
def record_verification(
    registry_number: Number, body: VerificationIn, ctx: ContextDep, actor: ActorDep
) -> CreatedOut:
    made = work.record_verification(
        ctx.db, actor, registry_number, address_id=body.address_id, verified_on=body.verified_on,
        outcome=body.outcome, officer=body.officer, notes=body.notes,
    )  # fmt: skip
    return CreatedOut(id=made)


class SweepOut(BaseModel):
    id: int
    as_of: date
    rules: str
    status: str
    total: int
    done: int
    compliant: int
    due_soon: int
    non_compliant: int
    order_ended: int
    alerts_raised: int


class SweepIn(BaseModel):
    as_of: date | None = None


@router.post("/sweeps", response_model=SweepOut)
def run_sweep(body: SweepIn, ctx: ContextDep, actor: ActorDep) -> SweepOut:
    """Run (or resume, or answer) the compliance sweep of a day; its progress shows in GET /sweeps."""
    state = sweep.sweep(ctx.db, actor, rules=installation_rules(), as_of=body.as_of or ctx.clock().date())
    return SweepOut(**state.__dict__)


@router.get("/sweeps", response_model=list[SweepOut])
def list_sweeps(ctx: ContextDep, actor: ActorDep) -> list[SweepOut]:
    """The latest sweeps with their progress (done of total), newest day first."""
    return [SweepOut(**s.__dict__) for s in sweep.sweeps(ctx.db, actor)]
