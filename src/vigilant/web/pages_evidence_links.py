"""Pages for linking another agency's evidence item to one's own case: the requests, and the owner's answer.

A request is made on the case page (beside its seizures: which device, which item, why), answered on the
evidence link requests page by a user of the owning agency. Decisions stay in
:mod:`vigilant.cases.evidence_links`; a refused form comes back with the service's message.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from vigilant.cases import evidence_links
from vigilant.cases.access import WRITE
from vigilant.errors import BadInputError, ConflictError
from vigilant.web.auth import Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.pages import render
from vigilant.web.pages_case_forms import CaseForm, Text, _answer, _optional_id
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)
Reason = Annotated[str, Field(max_length=2000)]


def render_links(
    ctx: WebContext,
    caller: Caller,
    *,
    status: int = 200,
    error: str | None = None,
    request_id: int | None = None,
) -> HTMLResponse:
    return render(
        ctx,
        "evidence_links.html",
        status=status,
        caller=caller,
        requests=evidence_links.link_requests(ctx.db, caller.actor),
        can_decide=caller.actor.may(WRITE),
        error=error,
        error_request=request_id,
    )


@router.get("/evidence-links")
def links_page(ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return render_links(ctx, caller)


class DecisionForm(BaseModel):
    decision: Annotated[str, Field(max_length=20)] = ""
    reason: Reason = ""


@router.post("/evidence-links/{request_id}/decision")
def decide(
    request_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[DecisionForm, Form()]
) -> Response:
    try:
        evidence_links.decide_link(ctx.db, caller.actor, request_id, form.decision, reason=form.reason)
    except (BadInputError, ConflictError) as exc:
        status = HTTPStatus.CONFLICT if isinstance(exc, ConflictError) else HTTPStatus.BAD_REQUEST
        return render_links(ctx, caller, status=status, error=str(exc), request_id=request_id)
    return RedirectResponse(f"/evidence-links#request-{request_id}", status_code=HTTPStatus.SEE_OTHER)


class LinkRequestForm(CaseForm):
    device_id: Text = ""
    evidence_item_id: Text = ""
    reason: Reason = ""


@router.post("/cases/{case_id}/evidence-links")
def request_link(
    case_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[LinkRequestForm, Form()]
) -> Response:
    def record() -> object:
        # Missing numbers go to the service as 0, so that its permission check comes first.
        device = _optional_id(form.device_id, "device") or 0
        item = _optional_id(form.evidence_item_id, "evidence item") or 0
        return evidence_links.request_link(ctx.db, caller.actor, case_id, device, item, reason=form.reason)

    return _answer(ctx, caller, case_id, "evidence-links", form=form, record=record, back_to="seizures")
