"""The REST API, /api/v1: each route turns the request into an Actor and makes one service call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from vigilant.cases import figures, operations, service
from vigilant.security.audit_anchor import Anchor, check_anchor, take_anchor
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import IsoTime, Offset, RowId
from vigilant.web.schemas import (
    AnchorCheckOut,
    AnchorIn,
    AnchorOut,
    AuditEventOut,
    CaseIn,
    CaseList,
    CaseOut,
    ErrorOut,
    FiguresOut,
    HashSetOut,
    LookupIn,
    LookupOut,
    MeOut,
    OperationOut,
)

API_V1 = "/api/v1"
# Every error answers ErrorOut (vigilant.web.errors), whoever raised it: documented on every route.
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422, 500)
}

# Sync routes: FastAPI runs them in its thread pool, so database calls never block the event loop.
router = APIRouter(prefix=API_V1, responses=ERRORS)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _actor: ActorDep) -> dict[str, Any]:
    """The API's description, for logged-in callers only (it maps what the server offers)."""
    schema: dict[str, Any] = request.app.openapi()
    return schema


@router.get("/me", response_model=MeOut)
def me(actor: ActorDep) -> MeOut:
    return MeOut.of(actor)


@router.get("/library/sets", response_model=list[HashSetOut])
def library_sets(ctx: ContextDep, actor: ActorDep) -> list[HashSetOut]:
    return [HashSetOut.of(info) for info in ctx.library.sets_for(actor)]


@router.post("/library/lookup", response_model=list[LookupOut])
def library_lookup(body: LookupIn, ctx: ContextDep, actor: ActorDep) -> list[LookupOut]:
    return [LookupOut.of(r) for r in ctx.library.lookup_for(actor, body.hashes, body.kind)]


@router.get("/cases", response_model=CaseList)
def list_cases(
    ctx: ContextDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=200, description="part of a case number or title")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> CaseList:
    # One row more than asked tells whether another page follows, without counting every visible case.
    rows = service.list_cases(ctx.db, actor, search=q, limit=limit + 1, offset=offset)
    return CaseList(
        cases=[CaseOut.of(r) for r in rows[:limit]], offset=offset, limit=limit, more=len(rows) > limit
    )


@router.post("/cases", response_model=CaseOut, status_code=201)
def create_case(body: CaseIn, ctx: ContextDep, actor: ActorDep) -> CaseOut:
    row = service.open_case(
        ctx.db,
        actor,
        number=body.number,
        title=body.title,
        operation=body.operation,
        distribution=body.distribution,
        opened_at=ctx.clock(),
    )
    return CaseOut.of(row)


@router.get("/cases/{case_id}", response_model=CaseOut)
def show_case(case_id: RowId, ctx: ContextDep, actor: ActorDep) -> CaseOut:
    return CaseOut.of(service.get_case(ctx.db, actor, case_id))


@router.get("/operations", response_model=list[OperationOut])
def list_operations(ctx: ContextDep, actor: ActorDep) -> list[OperationOut]:
    return [OperationOut.of(row) for row in operations.list_operations(ctx.db, actor)]


@router.get("/operations/{operation_id}/figures", response_model=FiguresOut)
def operation_figures(operation_id: RowId, ctx: ContextDep, actor: ActorDep) -> FiguresOut:
    found = figures.operation_figures(ctx.db, actor, operation_id, as_of=ctx.clock().date())
    return FiguresOut.of(found)


@router.get("/audit/events", response_model=list[AuditEventOut])
def audit_events(
    *,
    ctx: ContextDep,
    actor: ActorDep,
    by: Annotated[str | None, Query(description="username")] = None,
    action: Annotated[str | None, Query(description="e.g. login, login.failed, record.read")] = None,
    outcome: Annotated[str | None, Query(description="success, failure or denied")] = None,
    case_ref: str | None = None,
    since: IsoTime | None = None,
    until: IsoTime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEventOut]:
    found = ctx.audit.search(
        actor,
        now=ctx.clock(),
        by=by,
        action=action,
        outcome=outcome,
        case_ref=case_ref,
        since=since,
        until=until,
        limit=limit,
    )
    return [AuditEventOut.of(r) for r in found]


@router.post("/audit/anchors", response_model=AnchorOut, status_code=201)
def take_audit_anchor(ctx: ContextDep, actor: ActorDep, body: AnchorIn) -> AnchorOut:
    """An anchor of the audit chain (an ``audit.anchored`` event): keep it outside the database."""
    return AnchorOut(**take_anchor(ctx.audit, actor, now=ctx.clock(), note=body.note).to_json())


@router.post("/audit/anchors/check", response_model=AnchorCheckOut)
def check_audit_anchor(ctx: ContextDep, actor: ActorDep, body: dict[str, Any]) -> AnchorCheckOut:
    """Whether the chain still holds an anchor's event unchanged (the body: the anchor as taken)."""
    anchor = Anchor.from_json(body, "the anchor given")
    problem = check_anchor(ctx.audit, actor, anchor, now=ctx.clock())
    return AnchorCheckOut(seq=anchor.seq, held=problem is None, problem=problem)
