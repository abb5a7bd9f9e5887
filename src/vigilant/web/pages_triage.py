"""Evidence items and triage runs as pages: /evidence, /triage/runs and /triage/runs/{id}.

Visibility is decided by :mod:`vigilant.triage.access` with the caller. A run's page shows its figures,
counts by category class and by hash set, and every hit with its address chain, so an examiner can go from
the page to the exact bytes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from vigilant.triage.access import get_run_for, list_evidence_for, list_runs_for
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.charts import Bar, bar_chart
from vigilant.web.pages import PAGE_SIZE, render

router = APIRouter(include_in_schema=False)
PageQuery = Annotated[int, Query(ge=1, le=100_000)]


@router.get("/evidence")
def evidence_page(ctx: ContextDep, caller: CallerDep, page: PageQuery = 1) -> HTMLResponse:
    found = list_evidence_for(ctx.db, caller.actor, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render(ctx, "evidence.html", caller=caller, items=found.items, page=page, more=found.more)


@router.get("/triage/runs")
def runs_page(
    ctx: ContextDep,
    caller: CallerDep,
    evidence: Annotated[int | None, Query(ge=1)] = None,
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
        evidence=evidence,
        page=page,
        more=found.more,
    )


@router.get("/triage/runs/{run_id}")
def run_page(run_id: int, ctx: ContextDep, caller: CallerDep) -> HTMLResponse:
    found = get_run_for(ctx.db, caller.actor, run_id)
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
        caller=caller,
        found=found,
        summary=summary,
        by_class=by_class,
        by_set=by_set,
        plot=plot,
    )
