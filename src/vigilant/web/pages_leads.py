"""The leads queue as pages: /leads (filter, sort, page; live with htmx) and /leads/{id} (why it scores).

Which leads appear is decided by :mod:`vigilant.leads.access` with the caller; this module only turns the
query string into arguments. Filters arrive as plain strings from a GET form, so an empty choice means "any"
and an unknown one is a readable 400, not a validation dump.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from vigilant.errors import BadInputError
from vigilant.leads.access import LeadSort, get_lead_for, lead_agencies_for, list_leads_for
from vigilant.leads.lifecycle import Status
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.htmx import wants_fragment
from vigilant.web.pages import PAGE_SIZE, render

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
    values: dict[str, Any] = {"leads": found.leads, "page": page, "more": found.more, "query": query}
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


@router.get("/leads/{lead_id}")
def lead_page(lead_id: int, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    row = get_lead_for(ctx.db, caller.actor, lead_id)
    events = sorted(row.events, key=lambda e: (e.at, e.id))
    return render(ctx, "lead.html", caller=caller, lead=row, events=events, explanation=row.explanation or {})
