"""Evidence items and triage runs as pages: /evidence, /triage/runs and /triage/runs/{id}.

Visibility is decided by :mod:`vigilant.triage.access` with the caller. A run's page shows its figures,
counts by category class and by hash set, and every hit with its address chain, so an examiner can go from
the page to the exact bytes.

An examiner (``triage.run``) starts a run from the evidence page and resumes an interrupted one from its
page (:mod:`vigilant.triage.launcher`); the run's page follows its progress (htmx asks for the progress
block every two seconds while a process works on the run, and reloads the page when it stops; without
JavaScript, reloading the page does the same).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vigilant.cases.evidence_rules import agency_names
from vigilant.errors import BadInputError, ConflictError
from vigilant.evidence.keys import typed_key
from vigilant.security.rights import Permission
from vigilant.triage.access import (
    RunDetail,
    get_run_for,
    list_evidence_for,
    list_runs_for,
    seized_in_for,
)
from vigilant.triage.launcher import ARCHIVE_DEPTH_LIMIT, web_triage_settings
from vigilant.triage.runinfo import Coverage
from vigilant.triage.settings import PRIORITY_LIMIT
from vigilant.web.auth import Caller, CallerDep, ContextDep
from vigilant.web.charts import Bar, bar_chart
from vigilant.web.context import WebContext
from vigilant.web.errors import status_of
from vigilant.web.htmx import wants_fragment
from vigilant.web.pages import PAGE_SIZE, render
from vigilant.web.pages_reports import report_formats
from vigilant.web.params import MAX_ID, RowId

router = APIRouter(include_in_schema=False)
PageQuery = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/evidence")
def evidence_page(ctx: ContextDep, caller: CallerDep, page: PageQuery = 1) -> HTMLResponse:
    return _evidence(ctx, caller, page)


def _evidence(
    ctx: WebContext, caller: Caller, page: int, *, status: int = 200, refused: tuple[int, str] | None = None
) -> HTMLResponse:
    found = list_evidence_for(ctx.db, caller.actor, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(
        ctx,
        "evidence.html",
        seized_in=seized_in_for(ctx.db, caller.actor, [item.id for item in found.items]),
        agency_of=agency_names(ctx.db, [item.id for item in found.items]),
        status=status,
        caller=caller,
        items=found.items,
        page=page,
        more=found.more,
        can_run=caller.actor.may(Permission.TRIAGE_RUN),
        depth_limit=ARCHIVE_DEPTH_LIMIT,
        priority_limit=PRIORITY_LIMIT,
        refused=refused,
    )


Choice = Annotated[str, Form(max_length=10)]


@router.post("/evidence/{evidence_id}/triage")
def start_triage(
    *,
    evidence_id: RowId,
    ctx: ContextDep,
    caller: CallerDep,
    identify: Choice = "",
    pdq: Choice = "",
    exif: Choice = "",
    archive_depth: Choice = "3",
    priority: Choice = "0",
    key_kind: Annotated[str, Form(max_length=20)] = "passphrase",
    key: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    # A checkbox sends its value only when ticked: absent means off. A key (a password field) goes to the
    # run's worker in memory and is never stored, echoed or logged.
    try:
        keys = [typed_key(key_kind, key)] if key else []
        text = archive_depth.strip()
        depth = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else -1
        options = web_triage_settings(
            identify=bool(identify),
            pdq=bool(pdq),
            exif=bool(exif),
            archive_depth=depth,
            priority=_whole_number(priority, "priority"),
        )
        run_id = ctx.runs.start(caller.actor, evidence_id, options, keys)
    except (BadInputError, ConflictError) as exc:
        return _evidence(ctx, caller, 1, status=status_of(exc), refused=(evidence_id, str(exc)))
    return RedirectResponse(f"/triage/runs/{run_id}", status_code=HTTPStatus.SEE_OTHER)


def _whole_number(text: str, name: str) -> int:
    """A form's whole number (a sign allowed), or a refusal naming the field."""
    if re.fullmatch(r"[+-]?[0-9]{1,5}", text.strip()) is None:
        raise BadInputError(f"{name} {text.strip()!r} is not a whole number", hint="give one such as 0 or 10")
    return int(text.strip())


@router.get("/triage/runs")
def runs_page(
    ctx: ContextDep,
    caller: CallerDep,
    evidence: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: PageQuery = 1,
) -> HTMLResponse:
    found = list_runs_for(
        ctx.db, caller.actor, evidence_id=evidence, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return render(
        ctx,
        "triage_runs.html",
        caller=caller,
        runs=found.items,
        not_read={run.id: _headline(run.coverage) for run, _ in found.items},
        seized_in=seized_in_for(ctx.db, caller.actor, sorted({item.id for _, item in found.items})),
        evidence=evidence,
        page=page,
        more=found.more,
    )


def _headline(coverage: dict[str, Any] | None) -> str | None:
    """What of the evidence a run could not read ("1 of 2 volumes unreadable"), or None."""
    found = Coverage.from_json(coverage)
    return None if found is None else found.headline


@router.get("/triage/runs/{run_id}")
def run_page(run_id: RowId, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    return _run(ctx, caller, run_id)


@router.get("/triage/runs/{run_id}/progress")
def run_progress(run_id: RowId, request: Request, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    """The progress block alone, for htmx to swap in; once no process works on the run, htmx reloads the
    whole page (its summary and hits are new)."""
    found = get_run_for(ctx.db, caller.actor, run_id, hit_limit=None)
    progress = _progress(ctx, caller, found)
    response = render(ctx, "triage_progress.html", caller=caller, run=found.run, **progress)
    if wants_fragment(request) and not progress["working"]:
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/triage/runs/{run_id}/resume")
def resume_triage(run_id: RowId, ctx: ContextDep, caller: CallerDep) -> Response:
    try:
        ctx.runs.resume(caller.actor, run_id)
    except ConflictError as exc:
        return _run(ctx, caller, run_id, status=status_of(exc), refused=str(exc))
    return RedirectResponse(f"/triage/runs/{run_id}", status_code=HTTPStatus.SEE_OTHER)


@router.post("/triage/runs/{run_id}/pause")
def pause_triage(run_id: RowId, ctx: ContextDep, caller: CallerDep) -> Response:
    return _control(ctx, caller, run_id, "pause")


@router.post("/triage/runs/{run_id}/cancel")
def cancel_triage(run_id: RowId, ctx: ContextDep, caller: CallerDep) -> Response:
    return _control(ctx, caller, run_id, "cancel")


def _control(ctx: WebContext, caller: Caller, run_id: int, action: str) -> Response:
    """Pause or cancel: the process working on the run stops after the batch it is writing."""
    try:
        ctx.runs.control(caller.actor, run_id, action)
    except ConflictError as exc:
        return _run(ctx, caller, run_id, status=status_of(exc), refused=str(exc))
    return RedirectResponse(f"/triage/runs/{run_id}", status_code=HTTPStatus.SEE_OTHER)


def _progress(ctx: WebContext, caller: Caller, found: RunDetail) -> dict[str, Any]:
    run = found.run
    pid = ctx.runs.service().worker(run.id)
    done, total = run.bytes_done or 0, run.bytes_total
    return {
        "working": pid is not None,
        "pid": pid,
        "percent": None if not total else min(100, round(100 * done / total)),
        "can_resume": pid is None
        and run.status not in ("finished", "cancelled")
        and caller.actor.may(Permission.TRIAGE_RUN),
        # A run being worked on, or waiting (queued, paused), may be paused or cancelled.
        "can_stop": run.status not in ("finished", "cancelled", "failed")
        and (pid is not None or run.status != "running")
        and caller.actor.may(Permission.TRIAGE_RUN),
        "workers": sorted((run.workers or {}).items()),
        "priority": int(run.settings.get("priority", 0)),
    }


def _run(
    ctx: WebContext, caller: Caller, run_id: int, *, status: int = 200, refused: str | None = None
) -> HTMLResponse:
    found = get_run_for(ctx.db, caller.actor, run_id)
    finished = found.run.status == "finished" and found.results_available
    summary = found.run.summary or {}
    by_class = sorted((summary.get("by_class") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    by_set = sorted((summary.get("by_set") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    plot = bar_chart(
        "Known-bad files by category",
        [Bar(name, count) for name, count in by_class],
        empty="No known-bad files.",
    )
    return render(
        ctx,
        "triage_run.html",
        status=status,
        caller=caller,
        found=found,
        run=found.run,
        summary=summary,
        by_class=by_class,
        by_set=by_set,
        plot=plot,
        refused=refused,
        coverage=Coverage.from_json(found.run.coverage),
        # The cases the caller may see that record the item as a seized device (it may carry no number).
        seized_in=seized_in_for(ctx.db, caller.actor, [found.evidence.id]).get(found.evidence.id, []),
        report_formats=report_formats() if finished else [],
        **_progress(ctx, caller, found),
    )
