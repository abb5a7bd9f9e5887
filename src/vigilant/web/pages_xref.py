"""The xref queue page: proposed same-person pairs, judged from the keyboard (j/k to move, s/n/u to choose
same, not same or unsure, then the reason and Enter) or with the mouse; the last xref job and its progress.
"Run the model again" starts the job (or resumes an interrupted one) after the response: the page says
where it stands.

Thin like the other pages: what a caller sees of each pair, and whether they may judge it, is
:mod:`vigilant.links.xref`'s and :mod:`vigilant.links.judgements`' decision.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from vigilant.errors import BadInputError
from vigilant.links import jobs, judgements, xref
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.web.auth import Caller, CallerDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.pages import render
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)
STATUSES = ("queue", "all", "open", "reopened", "unsure", "same", "not_same", "same_profile", "withheld")


def render_queue(
    ctx: WebContext,
    caller: Caller,
    *,
    status: str = "queue",
    code: int = 200,
    error: str | None = None,
    error_proposal: int | None = None,
) -> HTMLResponse:
    return render(
        ctx,
        "xref.html",
        status=code,
        caller=caller,
        proposals=xref.list_proposals(ctx.db, caller.actor, status=status),
        job=jobs.last_job(ctx.db, ctx.runs.settings.data_dir, "xref"),
        shown=status,
        statuses=STATUSES,
        error=error,
        error_proposal=error_proposal,
    )


@router.get("/links/xref")
def queue_page(
    ctx: ContextDep,
    caller: CallerDep,
    status: Annotated[str, Query(max_length=20)] = "queue",
) -> HTMLResponse:
    return render_queue(ctx, caller, status=status if status in STATUSES else "queue")


def _run_job(db: Database, actor: Actor, data_dir: Path) -> None:
    """The job, after the response: its failure is on its record (the page shows it), and in the log."""
    try:
        xref.run_xref(db, actor, data_dir=data_dir)
    except Exception:
        log.exception("the xref job started from the web failed")


@router.post("/links/xref/run")
def run(ctx: ContextDep, caller: CallerDep) -> Response:
    require(caller.actor, Permission.LINKS_READ)
    data_dir = ctx.runs.settings.data_dir
    last = jobs.last_job(ctx.db, data_dir, "xref")
    if last is not None and last.status == "running":  # another process (or this one) works on it
        busy = f"xref job {last.id} is running; this page says where it stands"
        return render_queue(ctx, caller, code=HTTPStatus.CONFLICT, error=busy)
    return RedirectResponse(
        "/links/xref",
        status_code=HTTPStatus.SEE_OTHER,
        background=BackgroundTask(_run_job, ctx.db, caller.actor, data_dir),
    )


class JudgementForm(BaseModel):
    verdict: Annotated[str, Field(max_length=20)] = ""
    reason: Annotated[str, Field(max_length=4000)] = ""


@router.post("/links/xref/{proposal_id}/judgement")
def judge(
    proposal_id: RowId, ctx: ContextDep, caller: CallerDep, form: Annotated[JudgementForm, Form()]
) -> Response:
    try:
        verdict = judgements.parse_verdict(form.verdict)
        judgements.judge(ctx.db, caller.actor, proposal_id, verdict, form.reason)
    except BadInputError as exc:
        return render_queue(
            ctx, caller, code=HTTPStatus.BAD_REQUEST, error=str(exc), error_proposal=proposal_id
        )
    return RedirectResponse("/links/xref", status_code=HTTPStatus.SEE_OTHER)
