"""The leads queue as pages: /leads (filter, sort, page; live with htmx) and /leads/{id} (why it scores),
with its forms to assign the lead to an agency and to move it along its legal life.

Which leads appear is decided by :mod:`vigilant.leads.access` with the caller; this module only turns the
query string (or a form) into arguments. Filters arrive as plain strings from a GET form, so an empty choice
means "any" and an unknown one is a readable 400, not a validation dump. A refused form comes back on the
lead's page with the reason: 400, or 409 when the lifecycle refuses the step.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigilant.cases.agencies import list_agencies
from vigilant.errors import BadInputError, ConflictError
from vigilant.leads import routing, service
from vigilant.leads.access import (
    LeadSort,
    authority_for,
    can_see_lead,
    get_lead_for,
    lead_agencies_for,
    list_leads_for,
    next_steps,
)
from vigilant.leads.lifecycle import NEEDS_AUTHORITY, Status
from vigilant.web.auth import Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.htmx import wants_fragment
from vigilant.web.pages import PAGE_SIZE, render
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)


def _status(value: str) -> Status | None:
    try:
        return Status(value) if value else None
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise BadInputError(f"unknown status {value!r}", hint=f"choose one of: {known}") from None


def _sort(value: str) -> LeadSort:
    try:
        return LeadSort(value) if value else LeadSort.SCORE
    except ValueError:
        known = ", ".join(s.value for s in LeadSort)
        raise BadInputError(f"unknown sort order {value!r}", hint=f"choose one of: {known}") from None


@router.get("/leads")
def leads_page(
    *,
    request: Request,
    ctx: ContextDep,
    caller: CallerDep,
    status: Annotated[str, Query(max_length=40)] = "",
    agency: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    order = _sort(sort)
    found = list_leads_for(
        ctx.db,
        caller.actor,
        status=_status(status),
        agency=agency or None,
        sort=order,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    query = urlencode({"status": status, "agency": agency, "sort": order.value})
    values: dict[str, Any] = {
        "leads": found.leads,
        "page": page,
        "more": found.more,
        "query": query,
        "routing_of": routing.of_lead,
    }
    if wants_fragment(request):
        return render(ctx, "leads_results.html", caller=caller, **values)
    return render(
        ctx,
        "leads.html",
        caller=caller,
        filters={"status": status, "agency": agency, "sort": order.value},
        statuses=[s.value for s in Status],
        sorts=[s.value for s in LeadSort],
        agencies=lead_agencies_for(ctx.db, caller.actor),
        **values,
    )


def render_lead(
    ctx: WebContext,
    caller: Caller,
    lead_id: int,
    *,
    status: int = 200,
    errors: dict[str, str] | None = None,
    form: dict[str, dict[str, str]] | None = None,
) -> HTMLResponse:
    """The lead's page with its forms; ``errors`` and ``form`` put a refused form back as typed."""
    row = get_lead_for(ctx.db, caller.actor, lead_id)
    events = sorted(row.events, key=lambda e: (e.at, e.id))
    return render(
        ctx,
        "lead.html",
        status=status,
        caller=caller,
        lead=row,
        routing=routing.of_lead(row),
        events=events,
        explanation=row.explanation or {},
        agencies=list_agencies(ctx.db),
        steps=[s.value for s in next_steps(Status(row.status))],
        needs_authority=[s.value for s in NEEDS_AUTHORITY],
        errors=errors or {},
        form=form or {},
    )


@router.get("/leads/{lead_id}")
def lead_page(lead_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return render_lead(ctx, caller, lead_id)


def _refused(
    ctx: WebContext, caller: Caller, lead_id: int, *, section: str, exc: Exception, values: dict[str, str]
) -> HTMLResponse:
    status = HTTPStatus.CONFLICT if isinstance(exc, ConflictError) else HTTPStatus.BAD_REQUEST
    return render_lead(
        ctx, caller, lead_id, status=status, errors={section: str(exc)}, form={section: values}
    )


@router.post("/leads/{lead_id}/assign")
def assign_lead(
    *, lead_id: RowId, ctx: ContextDep, caller: CallerDep, agency_id: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    try:
        if not agency_id.strip():
            raise BadInputError("choose the agency to give the lead to", hint="pick one from the list")
        # The list sends an id; an id or a short name typed by hand is resolved, an unknown one refused.
        service.assign(ctx.db, lead_id, agency_id.strip(), actor=caller.actor, at=ctx.clock())
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, lead_id, section="assign", exc=exc, values={"agency_id": agency_id})
    # Given to another agency, the lead may leave the caller's view: back to the queue then.
    target = f"/leads/{lead_id}" if can_see_lead(ctx.db, caller.actor, lead_id) else "/leads"
    return RedirectResponse(target, status_code=HTTPStatus.SEE_OTHER)


FormText = Annotated[str, Form(max_length=300)]


@router.post("/leads/{lead_id}/advance")
def advance_lead(
    *,
    lead_id: RowId,
    ctx: ContextDep,
    caller: CallerDep,
    step: FormText = "",
    court: FormText = "",
    judge: FormText = "",
    order_date: FormText = "",
    order_number: FormText = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    values = {"step": step, "court": court, "judge": judge, "order_date": order_date,
              "order_number": order_number, "note": note}  # fmt: skip
    try:
        chosen = _status(step)
        if chosen is None:
            raise BadInputError("choose the step to record", hint="pick one from the list")
        authority = authority_for(
            chosen, court=court, judge=judge, order_date=order_date.strip(), number=order_number
        )
        service.advance(
            ctx.db,
            lead_id,
            chosen,
            actor=caller.actor,
            at=ctx.clock(),
            authority=authority,
            note=note.strip() or None,
        )
    except (BadInputError, ConflictError) as exc:
        return _refused(ctx, caller, lead_id, section="advance", exc=exc, values=values)
    return RedirectResponse(f"/leads/{lead_id}", status_code=HTTPStatus.SEE_OTHER)
