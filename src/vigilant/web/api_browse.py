"""The REST API for browsing: an operation's detail, and searching persons across visible cases.

Thin like :mod:`vigilant.web.api`: permissions, agency scoping and auditing are the services' job
(:mod:`vigilant.cases.operation_view`, :mod:`vigilant.cases.person_search`, :mod:`vigilant.cases.figures`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vigilant.cases import figures, operation_view, person_search
from vigilant.cases.models import PersonRole
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.params import RowId
from vigilant.web.schemas import FiguresOut
from vigilant.web.schemas_browse import OperationDetailOut, PersonFoundOut, PersonSearchOut

router = APIRouter(prefix=API_V1, responses=ERRORS)
PERSONS_PAGE_SIZE = 25


@router.get("/operations/{operation_id}", response_model=OperationDetailOut)
def show_operation(operation_id: RowId, ctx: ContextDep, actor: ActorDep) -> OperationDetailOut:
    detail = operation_view.operation_detail(ctx.db, actor, operation_id)
    found = figures.operation_figures(ctx.db, actor, operation_id, as_of=ctx.clock().date())
    return OperationDetailOut.of(detail, FiguresOut.of(found))


@router.get("/persons", response_model=PersonSearchOut)
def search_persons(
    ctx: ContextDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=200, description="part of a surname or given names")] = None,
    role: Annotated[PersonRole | None, Query(description="named in this role in a visible case")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> PersonSearchOut:
    size = PERSONS_PAGE_SIZE
    hits = person_search.search_persons(
        ctx.db, actor, search=q, role=role, limit=size + 1, offset=(page - 1) * size
    )
    today = ctx.clock().date()
    return PersonSearchOut(
        persons=[PersonFoundOut.of_hit(h, today) for h in hits[:size]],
        page=page,
        page_size=size,
        more=len(hits) > size,
    )
