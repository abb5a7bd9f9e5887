"""A triage run's reports, downloaded from its page: each format the CLI writes (``vigilant triage report``).

The run is fetched through :func:`~vigilant.triage.access.get_run_for` first, so a report is given only to a
caller who may see the run (another agency's run is 404, as its page is), and the fetch is audited; writing
the report is recorded in the item's chain of custody, as the CLI's is. The HTML report never shows media.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from http import HTTPStatus
from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from vigilant.errors import ConflictError, NotFoundError
from vigilant.triage.access import get_run_for
from vigilant.triage.reports import ReportWriter, reports
from vigilant.web.auth import CallerDep, ContextDep
from vigilant.web.params import RowId

router = APIRouter(include_in_schema=False)
RunId = RowId  # bounded as every id is (vigilant.web.params): a larger one cannot name a run
Format = Annotated[str, Path(max_length=20, pattern=r"^[a-z0-9-]+$")]
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
}
CHUNK = 1 << 16


def report_formats() -> list[ReportWriter]:
    """The formats a run's page offers, in the CLI's order."""
    return list(reports())


def report_file_name(run_id: int, writer: ReportWriter) -> str:
    return f"vigilant-run-{run_id}-{re.sub(r'[^a-z0-9-]', '', writer.name)}{writer.suffix}"


@router.get("/triage/runs/{run_id}/report/{fmt}")
async def run_report(run_id: RunId, fmt: Format, ctx: ContextDep, caller: CallerDep) -> StreamingResponse:
    found = await run_in_threadpool(get_run_for, ctx.db, caller.actor, run_id, hit_limit=None)
    if fmt not in reports().names():
        raise NotFoundError(f"no report format {fmt!r}", hint=f"formats: {', '.join(reports().names())}")
    if found.run.status != "finished" or not found.results_available:
        raise ConflictError(
            f"run {run_id} has no report: it is {found.run.status}"
            + ("" if found.results_available else " and its results are not on this server"),
            hint="a finished run's page offers its reports",
        )
    writer = reports()[fmt]
    # Written to a temporary file (a large run's report does not fit in memory), then streamed.
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the stream below
    try:
        await run_in_threadpool(ctx.runs.service().report, run_id, fmt, spool, caller.actor)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(CHUNK):
                yield block

    name = report_file_name(run_id, writer)
    return StreamingResponse(
        chunks(),
        status_code=HTTPStatus.OK,
        media_type=MEDIA_TYPES.get(writer.suffix, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
