"""Pages for browsing: the operations the caller's agency takes part in, one operation, and a person search.

The same service calls as :mod:`vigilant.web.api_browse`; what a role may see is decided there. The person
search answers htmx (live search, paging) with the results fragment only, as /cases does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from vigilant.cases import figures, operation_view, person_search
from vigilant.cases.access import RELEASE_PREVIEW
from vigilant.cases.ages import age_on
from vigilant.cases.models import PersonRole
from vigilant.cases.people import parse_role
from vigilant.cases.person_search import PersonOrder
from vigilant.web.auth import CSRF_FIELD, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.htmx import wants_fragment
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25


def _render(ctx: WebContext, name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(ctx.templates.get_template(name).render(csrf_field=CSRF_FIELD, **values))


@router.get("/operations")
def operations_page(ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    rows = operation_view.operation_summaries(ctx.db, caller.actor)
    return _render(ctx, "operations.html", caller=caller, rows=rows)


@router.get("/operations/{operation_id}")
def operation_page(operation_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    actor = caller.actor
    detail = operation_view.operation_detail(ctx.db, actor, operation_id)
    found = figures.operation_figures(ctx.db, actor, operation_id, as_of=ctx.clock().date())
    return _render(
        ctx,
        "operation.html",
        caller=caller,
        detail=detail,
        op=detail.operation,
        figures=found,
        can_preview_release=actor.may(RELEASE_PREVIEW),
    )


@router.get("/persons")
def persons_page(
    *,
    request: Request,
    ctx: ContextDep,
    caller: CallerDep,
    q: Annotated[str, Query(max_length=200)] = "",
    role: Annotated[str, Query(max_length=20)] = "",
    sort: Annotated[PersonOrder, Query()] = "name",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    wanted: PersonRole | None = parse_role(role) if role.strip() else None
    hits = person_search.search_persons(
        ctx.db,
        caller.actor,
        search=q or None,
        role=wanted,
        order=sort,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    name = "persons_results.html" if wants_fragment(request) else "persons.html"
    return _render(
        ctx,
        name,
        caller=caller,
        hits=hits[:PAGE_SIZE],
        more=len(hits) > PAGE_SIZE,
        q=q,
        role=wanted.value if wanted else "",
        roles=[r.value for r in PersonRole],
        sort=sort,
        page=page,
        today=ctx.clock().date(),
        age_on=age_on,
    )
