"""Review as pages: /review (the runs to review, the caller's exposure, a supervisor's unit numbers) and
/review/runs/{id} (the queue, keyboard first: j/k to move, the profile's keys (0-4 Project VIC US, 0-5
legacy DHS, A/B/C UK CAID) to categorise the stack, u to undo, r to reveal for a reason; review.js).
Thumbnails come from the API, blurred unless revealed; nothing plays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from vigilant.review import board, wellness
from vigilant.review.classifier import installed_classifier
from vigilant.review.profiles import DEFAULT_PROFILE, REVIEW_PROFILES, run_profile
from vigilant.review.queue import QueueFilter, progress, queue, sync
from vigilant.review.scope import Scope
from vigilant.security.rights import Permission
from vigilant.triage.access import list_runs_for
from vigilant.web.api_review import NO_STORE, PROFILE_PATTERN, review_context
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.pages import render
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 100


@router.get("/review")
def review_index(ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    actor = caller.actor
    runs = list_runs_for(ctx.db, actor, limit=100).items
    rctx = review_context(ctx)
    supervisor = actor.may(Permission.OPERATIONS_MANAGE) or actor.may(Permission.USERS_MANAGE)
    return render(
        ctx,
        "review.html",
        caller=caller,
        runs=runs,
        exposure=wellness.my_exposure(rctx, actor) if actor.may(Permission.MEDIA_VIEW) else None,
        unit=wellness.unit_exposure(rctx, actor) if supervisor else None,
        board=board.board(rctx, actor) if actor.may(Permission.TRIAGE_READ) else [],
    )


@router.get("/review/runs/{run_id}")
def review_run(
    run_id: RowId,
    ctx: ContextDep,
    caller: CallerDep,
    profile: Annotated[str | None, Query(pattern=PROFILE_PATTERN)] = None,
) -> HTMLResponse:
    """``profile`` chooses the categories of a run not categorised yet; a run with decisions keeps its own."""
    actor = caller.actor
    rctx = review_context(ctx)
    done = sync(rctx, actor, run_id)  # review starts while triage runs: each visit reads the new batches
    page = queue(rctx, actor, Scope(run_id=run_id), QueueFilter(), limit=QUEUE_PAGE)
    kept = run_profile(rctx.db, run_id)
    response = render(
        ctx,
        "review_run.html",
        caller=caller,
        run_id=run_id,
        synced=done,
        rows=page.rows,
        total=page.total,
        progress=progress(rctx, actor, Scope(run_id=run_id)),
        media=actor.may(Permission.MEDIA_VIEW),
        profiles=[kept] if kept else list(REVIEW_PROFILES.values()),
        profile=kept.name if kept else profile or DEFAULT_PROFILE,
        profile_kept=kept is not None,
        classifier=installed_classifier().note,
    )
    response.headers.update(NO_STORE)
    return response
