"""Evidence items and triage runs over the REST API: one guarded service call per route.

Visibility (role table, and scoping through the cases the caller may see) is decided by
:mod:`vigilant.triage.access`. A run's hits carry their full address chain (evidence item → partition →
file system → path → archive members), so any hit can be traced to the exact bytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from vigilant.store.models import EvidenceItemRow, TriageRunRow
from vigilant.triage.access import get_run_for, list_evidence_for, list_runs_for
from vigilant.triage.records import FileRecord, Hit
from vigilant.web.api import API_V1, ERRORS
from vigilant.web.auth import ActorDep, ContextDep

router = APIRouter(prefix=API_V1, responses=ERRORS, tags=["evidence and triage"])


class EvidenceOut(BaseModel):
    id: int
    label: str
    case_number: str | None
    description: str | None
    source_type: str
    size: int
    hashes: dict[str, str]
    added_at: datetime
    added_by: str

    @classmethod
    def of(cls, row: EvidenceItemRow) -> EvidenceOut:
        return cls(
            id=row.id,
            label=row.label,
            case_number=row.case_number,
            description=row.description,
            source_type=row.source_type,
            size=row.size,
            hashes=dict(row.hashes),
            added_at=row.added_at,
            added_by=row.added_by,
        )


class EvidenceList(BaseModel):
    evidence: list[EvidenceOut]
    offset: int
    limit: int
    more: bool


class RunSummaryOut(BaseModel):
    id: int
    evidence_id: int
    evidence_label: str
    case_number: str | None
    status: str  # running | finished | failed
    tool: str
    actor: str
    created_at: datetime
    finished_at: datetime | None
    files_total: int | None
    summary: dict[str, Any]  # files, known_bad, by_class (counts by category class), by_set, …
    verified: bool | None  # the evidence re-verified after the run

    @classmethod
    def fields_of(cls, run: TriageRunRow, item: EvidenceItemRow) -> dict[str, Any]:
        return {
            "id": run.id,
            "evidence_id": item.id,
            "evidence_label": item.label,
            "case_number": item.case_number,
            "status": run.status,
            "tool": run.tool,
            "actor": run.actor,
            "created_at": run.created_at,
            "finished_at": run.finished_at,
            "files_total": run.files_total,
            "summary": dict(run.summary),
            "verified": (run.verification or {}).get("ok"),
        }


class RunList(BaseModel):
    runs: list[RunSummaryOut]
    offset: int
    limit: int
    more: bool


class HitOut(BaseModel):
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

    @classmethod
    def of(cls, hit: Hit) -> HitOut:
        return cls(
            set_name=hit.set_name,
            set_version=hit.set_version,
            set_kind=hit.set_kind,
            matched_on=hit.matched_on,
            distance=hit.distance,
            category=hit.category,
            category_label=hit.category_label,
            category_class=hit.category_class,
            severity=hit.severity,
            series=hit.series,
            frame=hit.frame,
            frame_seconds=hit.frame_seconds,
        )


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
    offset: Annotated[int, Query(ge=0)] = 0,
) -> EvidenceList:
    page = list_evidence_for(ctx.db, actor, limit=limit, offset=offset)
    return EvidenceList(
        evidence=[EvidenceOut.of(r) for r in page.items], offset=offset, limit=limit, more=page.more
    )


@router.get("/triage/runs", response_model=RunList)
def list_runs(
    ctx: ContextDep,
    actor: ActorDep,
    evidence: Annotated[int | None, Query(ge=1, description="only runs over this evidence item")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> RunList:
    page = list_runs_for(ctx.db, actor, evidence_id=evidence, limit=limit, offset=offset)
    runs = [RunSummaryOut(**RunSummaryOut.fields_of(run, item)) for run, item in page.items]
    return RunList(runs=runs, offset=offset, limit=limit, more=page.more)


@router.get("/triage/runs/{run_id}", response_model=RunOut)
def show_run(run_id: int, ctx: ContextDep, actor: ActorDep) -> RunOut:
    found = get_run_for(ctx.db, actor, run_id)
    return RunOut(
        **RunSummaryOut.fields_of(found.run, found.evidence),
        settings=dict(found.run.settings),
        library=list(found.run.library),
        results_available=found.results_available,
        hits_truncated=found.truncated,
        hits=[HitFileOut.of(r) for r in found.hits],
    )
