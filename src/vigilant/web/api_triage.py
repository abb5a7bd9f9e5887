"""Evidence items and triage runs over the REST API: one guarded service call per route.

Visibility (role table, and scoping through the cases the caller may see) is decided by
:mod:`vigilant.triage.access`. A run's hits carry their full address chain (evidence item → partition →
file system → path → archive members), so any hit can be traced to the exact bytes.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, SecretStr, field_validator

from vigilant.cases.evidence_rules import agency_names
from vigilant.errors import BadInputError
from vigilant.evidence.keys import VolumeKey, typed_key
from vigilant.evidence.models import EvidenceItemRow
from vigilant.triage.access import RunDetail, get_run_for, list_evidence_for, list_runs_for
from vigilant.triage.launcher import ARCHIVE_DEPTH_LIMIT, web_triage_settings
from vigilant.triage.records import FileRecord
from vigilant.triage.run_records import RunRecord
from vigilant.triage.runinfo import Coverage
from vigilant.triage.settings import PRIORITY_LIMIT, TriageSettings
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep
from vigilant.web.context import WebContext
from vigilant.web.params import MAX_ID, BodyId, Offset, RowId
from vigilant.web.schemas import FromRecord

router = APIRouter(prefix=API_V1, responses=ERRORS, tags=["evidence and triage"])


class EvidenceOut(FromRecord):
    id: int
    label: str
    case_number: str | None
    agency: str | None = None  # short name of the agency whose case number case_number is, if recorded
    description: str | None
    source_type: str
    size: int
    hashes: dict[str, str]
    added_at: datetime
    added_by: str


class EvidenceList(BaseModel):
    evidence: list[EvidenceOut]
    offset: int
    limit: int
    more: bool


class NotReadOut(BaseModel):
    """A part of the evidence a run could not read."""

    where: str
    reason: str
    volume: bool  # a whole volume (a partition, or the image) with no file system The Sleuth Kit can read


class WorkerOut(BaseModel):
    """What one worker did for the run: a Dask worker's address, or "local" for this machine's runner."""

    worker: str
    batches: str = Field(description='the batch numbers it wrote, as ranges: "0-3,7"')
    count: int  # batches written
    files: int
    bytes: int

    @classmethod
    def of(cls, name: str, done: dict[str, Any]) -> WorkerOut:
        return cls(
            worker=name,
            batches=str(done.get("batches", "")),
            count=int(done.get("count", 0)),
            files=int(done.get("files", 0)),
            bytes=int(done.get("bytes", 0)),
        )


class RunSummaryOut(BaseModel):
    id: int
    evidence_id: int
    evidence_label: str
    case_number: str | None
    status: str  # queued | running | paused | cancelled | finished | failed
    working: bool  # a process is working on the run now (false for a "running" run that was killed)
    control: str | None = Field(
        default=None, description="a pause or cancel asked of the process working on the run, not yet seen"
    )
    scheduler: str | None = Field(
        default=None,
        description='where its last execution ran: "local" (this machine) or a Dask scheduler\'s address;'
        " null for runs made before triage on Dask",
    )
    priority: int = Field(default=0, description="on a Dask cluster: higher goes before runs queued earlier")
    batches_total: int | None = None  # once the run's plan is in
    batches_done: int = 0
    workers: list[WorkerOut] = Field(default_factory=list)  # by worker name
    tool: str
    actor: str
    created_at: datetime
    finished_at: datetime | None
    files_total: int | None
    bytes_total: int | None
    files_done: int | None  # progress of the run's latest execution
    bytes_done: int | None
    summary: dict[str, Any]  # files, known_bad, by_class (counts by category class), by_set, …
    verified: bool | None  # the evidence re-verified after the run
    # What of the evidence the run could not read (null until it finishes, and for runs made before this was
    # recorded): volumes looked at, those with no readable file system, "N of M volumes unreadable".
    volumes: int | None = None
    volumes_unreadable: int | None = None
    not_read: str | None = Field(default=None, description='e.g. "1 of 2 volumes unreadable"; null: all read')
    not_read_parts: list[NotReadOut] = Field(default_factory=list)

    @classmethod
    def fields_of(cls, run: RunRecord, item: EvidenceItemRow, working: bool) -> dict[str, Any]:
        return {
            "id": run.id,
            "evidence_id": item.id,
            "evidence_label": item.label,
            "case_number": item.case_number,
            "status": run.status,
            "working": working,
            "control": run.control,
            "scheduler": run.scheduler,
            "priority": int(run.settings.get("priority", 0)),
            "batches_total": run.batches_total,
            "batches_done": run.batches_done,
            "workers": [WorkerOut.of(name, done) for name, done in sorted((run.workers or {}).items())],
            "tool": run.tool,
            "actor": run.actor,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "files_total": run.files_total,
            "bytes_total": run.bytes_total,
            "files_done": run.files_done,
            "bytes_done": run.bytes_done,
            "summary": dict(run.summary),
            "verified": (run.verification or {}).get("ok"),
            **_coverage_fields(Coverage.from_json(run.coverage)),
        }


def _coverage_fields(coverage: Coverage | None) -> dict[str, Any]:
    if coverage is None:
        return {}
    return {
        "volumes": coverage.volumes,
        "volumes_unreadable": coverage.unreadable_volumes,
        "not_read": coverage.headline,
        "not_read_parts": [
            NotReadOut(where=p.where, reason=p.reason, volume=p.volume) for p in coverage.parts
        ],
    }


class RunList(BaseModel):
    runs: list[RunSummaryOut]
    offset: int
    limit: int
    more: bool


class HitOut(FromRecord):
    set_name: str
    set_version: str
    set_kind: str
    matched_on: str
    distance: int | None
    category: str | None
    category_label: str | None
    category_class: str | None
    severity: int
    series: str | None
    frame: int | None = None  # a video's matching frame, by number and presentation time in seconds
    frame_seconds: float | None = None
    # matched_on "vpdq": the share of the video's frames found in the known video, and the reverse (vPDQ).
    query_match_percent: float | None = None
    compared_match_percent: float | None = None
    pdq_method: str | None = None  # pdq: how both hashes compared were made: "full" picture or "512" px
    # The library entry that matched, as the library holds it (hashes in hex; what it lacks is null).
    entry_id: int
    entry_name: str | None = None
    entry_md5: str | None = None
    entry_sha1: str | None = None
    entry_sha256: str | None = None
    entry_pdq: str | None = None
    publisher_label: str | None = None  # the list's own label for the category, where it had one

    @field_validator("entry_md5", "entry_sha1", "entry_sha256", "entry_pdq", mode="before")
    @classmethod
    def _hex(cls, value: object) -> object:
        return value.hex() if isinstance(value, bytes) else value


class HitFileOut(BaseModel):
    address: str
    path: str
    size: int
    allocated: bool
    sha256: str | None
    top_class: str | None
    hits: list[HitOut]

    @classmethod
    def of(cls, record: FileRecord) -> HitFileOut:
        return cls(
            address=record.address,
            path=record.path,
            size=record.size,
            allocated=record.allocated,
            sha256=record.sha256.hex() if record.sha256 else None,
            top_class=record.top_class,
            hits=[HitOut.of(h) for h in record.hits],
        )


class RunOut(RunSummaryOut):
    settings: dict[str, Any]
    library: list[dict[str, Any]]
    results_available: bool
    hits_truncated: bool
    hits: list[HitFileOut]


@router.get("/evidence", response_model=EvidenceList)
def list_evidence(
    ctx: ContextDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> EvidenceList:
    page = list_evidence_for(ctx.db, actor, limit=limit, offset=offset)
    agencies = agency_names(ctx.db, [r.id for r in page.items])
    return EvidenceList(
        evidence=[EvidenceOut.of(r).model_copy(update={"agency": agencies.get(r.id)}) for r in page.items],
        offset=offset,
        limit=limit,
        more=page.more,
    )


@router.get("/triage/runs", response_model=RunList)
def list_runs(
    ctx: ContextDep,
    actor: ActorDep,
    evidence: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="only runs over this evidence item")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> RunList:
    page = list_runs_for(ctx.db, actor, evidence_id=evidence, limit=limit, offset=offset)
    service = ctx.runs.service()
    runs = [
        RunSummaryOut(**RunSummaryOut.fields_of(run, item, service.worker(run.id) is not None))
        for run, item in page.items
    ]
    return RunList(runs=runs, offset=offset, limit=limit, more=page.more)


@router.get("/triage/runs/{run_id}", response_model=RunOut)
def show_run(run_id: RowId, ctx: ContextDep, actor: ActorDep) -> RunOut:
    found = get_run_for(ctx.db, actor, run_id)
    return _run_out(ctx, found)


def _run_out(ctx: WebContext, found: RunDetail) -> RunOut:
    working = ctx.runs.service().worker(found.run.id) is not None
    return RunOut(
        **RunSummaryOut.fields_of(found.run, found.evidence, working),
        settings=dict(found.run.settings),
        library=list(found.run.library),
        results_available=found.results_available,
        hits_truncated=found.truncated,
        hits=[HitFileOut.of(r) for r in found.hits],
    )


_KEY_LIMIT = 1024


class TriageStartIn(BaseModel):
    """What to do beside the digests (always taken): the same choices as `vigilant triage run`."""

    identify: bool = True  # true type by content, extension check, archives opened
    pdq: bool = True  # perceptual hashes of pictures (and vPDQ of videos)
    exif: bool = True
    archive_depth: int = Field(default=3, ge=0, le=ARCHIVE_DEPTH_LIMIT)
    priority: int = Field(
        default=0,
        ge=-PRIORITY_LIMIT,
        le=PRIORITY_LIMIT,
        description="on the installation's Dask cluster, the run's batches go before those of runs of lower"
        " priority queued earlier; ignored on this machine",
    )
    set_ids: list[BodyId] | None = Field(
        default=None, description="only these library sets (all when absent)"
    )
    # No length constraint here: a refused value would be echoed in the 422's detail. Checked in keys().
    key: SecretStr | None = Field(
        default=None,
        description="a key for the item's encrypted volumes (LUKS1, BitLocker, APFS), used in memory by the"
        " run's worker and never stored",
    )
    key_kind: Literal["passphrase", "password", "recovery-password"] = "passphrase"

    def keys(self) -> list[VolumeKey]:
        if self.key is None:
            return []
        secret = self.key.get_secret_value()
        if len(secret) > _KEY_LIMIT:
            raise BadInputError(f"a key longer than {_KEY_LIMIT} characters", hint="check what was sent")
        return [typed_key(self.key_kind, secret)]

    def settings(self) -> TriageSettings:
        return web_triage_settings(
            identify=self.identify,
            pdq=self.pdq,
            exif=self.exif,
            archive_depth=self.archive_depth,
            set_ids=self.set_ids,
            priority=self.priority,
        )


@router.post("/evidence/{evidence_id}/triage-runs", response_model=RunOut, status_code=HTTPStatus.ACCEPTED)
def start_run(evidence_id: RowId, body: TriageStartIn, ctx: ContextDep, actor: ActorDep) -> RunOut:
    """Start a triage run of the item, worked on by its own process; follow it at /triage/runs/{id}."""
    run_id = ctx.runs.start(actor, evidence_id, body.settings(), body.keys())
    return _run_out(ctx, get_run_for(ctx.db, actor, run_id, hit_limit=0))


class TriageResumeIn(BaseModel):
    priority: int | None = Field(
        default=None,
        ge=-PRIORITY_LIMIT,
        le=PRIORITY_LIMIT,
        description="the run's new priority on the Dask cluster (absent: the one it has)",
    )


@router.post("/triage/runs/{run_id}/resume", response_model=RunOut, status_code=HTTPStatus.ACCEPTED)
def resume_run(run_id: RowId, ctx: ContextDep, actor: ActorDep, body: TriageResumeIn | None = None) -> RunOut:
    """Start a process on an unfinished run nobody is working on (a paused one resumes here or on the
    cluster, wherever its batches were written); it ends as an uninterrupted run would."""
    ctx.runs.resume(actor, run_id, None if body is None else body.priority)
    return _run_out(ctx, get_run_for(ctx.db, actor, run_id, hit_limit=0))


@router.post("/triage/runs/{run_id}/pause", response_model=RunOut)
def pause_run(run_id: RowId, ctx: ContextDep, actor: ActorDep) -> RunOut:
    """Pause a run: the process working on it stops after the batch it is writing (``control`` says "pause"
    until then); one nobody works on is paused at once. It resumes here or on a cluster with ``resume``."""
    ctx.runs.control(actor, run_id, "pause")
    return _run_out(ctx, get_run_for(ctx.db, actor, run_id, hit_limit=0))


@router.post("/triage/runs/{run_id}/cancel", response_model=RunOut)
def cancel_run(run_id: RowId, ctx: ContextDep, actor: ActorDep) -> RunOut:
    """Cancel a run as pause does; a cancelled run cannot be resumed (its batches written are kept)."""
    ctx.runs.control(actor, run_id, "cancel")
    return _run_out(ctx, get_run_for(ctx.db, actor, run_id, hit_limit=0))
