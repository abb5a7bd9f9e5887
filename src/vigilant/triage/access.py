"""Evidence items and triage runs a page at a time, for the web's lists and pages: the role must grant
``evidence.read`` or ``triage.read``, and rows are scoped through the cases the caller may see, by the same
rule :class:`~vigilant.triage.service.TriageService` and
:class:`~vigilant.evidence.service.EvidenceService` apply for the CLI
(:func:`vigilant.cases.access.item_visible`).

The lab registers evidence items (CLI). An item is visible through a case of its owner that the caller may
see: a seized device of that case linked to it (``SeizedDeviceRow.evidence_item_id``: exact), or its
``case_number`` naming that case: that of the item's agency, or, for an item registered without its
agency, the one case with that number while no other agency has one (case numbers are unique per agency
only). Another agency's case that links the item (with the owner's consent) shows nothing more: the
owner's distribution decides, as it is at each read. An item linked to no case is visible to no one here.
A triage run inherits its item's visibility; anything else answers "not found", like a missing record.
Every read is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement, select

from vigilant.cases.access import audit, case_visible, item_visible
from vigilant.cases.models import CaseRow, SeizedDeviceRow, SeizureRow
from vigilant.errors import NotFoundError
from vigilant.evidence.models import EvidenceItemRow
from vigilant.security.audit import RecordRead
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow
from vigilant.triage.records import FileRecord
from vigilant.triage.results import iter_records
from vigilant.triage.run_records import RunRecord

T = TypeVar("T")
HIT_LIMIT = 500  # hits shown on one run's page; the full list is in the run's reports


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    offset: int
    limit: int
    more: bool


@dataclass(frozen=True)
class RunDetail:
    run: RunRecord
    evidence: EvidenceItemRow
    hits: list[FileRecord] = field(default_factory=list)  # files that matched a library entry
    truncated: bool = False  # more hits than HIT_LIMIT
    results_available: bool = True  # the run's Parquet batches are where the run left them


def evidence_visible(actor: Actor) -> ColumnElement[bool]:
    """The WHERE clause that keeps only the evidence items ``actor`` may see (the owner's cases decide:
    :func:`vigilant.cases.access.item_visible`)."""
    return item_visible(actor)


def seized_in_for(db: Database, actor: Actor, item_ids: list[int]) -> dict[int, list[str]]:
    """For each item, the numbers of the cases ``actor`` may see that record it as a seized device."""
    require(actor, Permission.EVIDENCE_READ)
    if not item_ids:
        return {}
    query = (
        select(SeizedDeviceRow.evidence_item_id, CaseRow.number)
        .join(SeizureRow, SeizureRow.id == SeizedDeviceRow.seizure_id)
        .join(CaseRow, CaseRow.id == SeizureRow.case_id)
        .where(SeizedDeviceRow.evidence_item_id.in_(item_ids), case_visible(actor))
        .distinct()
        .order_by(CaseRow.number)
    )
    found: dict[int, list[str]] = {}
    with db.session() as s:
        for item_id, number in s.execute(query):
            if item_id is not None:  # the query asks for linked devices only
                found.setdefault(item_id, []).append(number)
    return found


def list_evidence_for(
    db: Database, actor: Actor, *, limit: int = 50, offset: int = 0
) -> Page[EvidenceItemRow]:
    require(actor, Permission.EVIDENCE_READ)
    query = (
        select(EvidenceItemRow)
        .where(evidence_visible(actor))
        .order_by(EvidenceItemRow.id.desc())
        .limit(limit + 1)
        .offset(offset)
    )
    with db.session() as s:
        rows = list(s.scalars(query))
        audit(s, actor, RecordRead, object_type="evidence", records=len(rows))
    return Page(rows[:limit], offset, limit, len(rows) > limit)


def list_runs_for(
    db: Database, actor: Actor, *, evidence_id: int | None = None, limit: int = 50, offset: int = 0
) -> Page[tuple[RunRecord, EvidenceItemRow]]:
    """The caller's triage runs, newest first, each with its evidence item."""
    require(actor, Permission.TRIAGE_READ)
    query = (
        select(TriageRunRow, EvidenceItemRow)
        .join(EvidenceItemRow, EvidenceItemRow.id == TriageRunRow.evidence_id)
        .where(evidence_visible(actor))
    )
    if evidence_id is not None:
        query = query.where(TriageRunRow.evidence_id == evidence_id)
    query = query.order_by(TriageRunRow.id.desc()).limit(limit + 1).offset(offset)
    with db.session() as s:
        rows = [(RunRecord.of(run), item) for run, item in s.execute(query)]
        audit(s, actor, RecordRead, object_type="triage_run", records=len(rows))
    return Page(rows[:limit], offset, limit, len(rows) > limit)


def get_run_for(db: Database, actor: Actor, run_id: int, *, hit_limit: int | None = HIT_LIMIT) -> RunDetail:
    """One run with its evidence item and its hits (each with its address chain), if the caller may see it.

    ``hit_limit`` None: the run and its item only, without reading the run's results (a progress poll).
    """
    require(actor, Permission.TRIAGE_READ)
    query = (
        select(TriageRunRow, EvidenceItemRow)
        .join(EvidenceItemRow, EvidenceItemRow.id == TriageRunRow.evidence_id)
        .where(TriageRunRow.id == run_id, evidence_visible(actor))
    )
    with db.session() as s:
        found = s.execute(query).one_or_none()
        if found is None:
            raise NotFoundError(
                f"no triage run {run_id} that you may see", hint="see the list of triage runs"
            )
        row, item = found
        run = RunRecord.of(row)
        audit(
            s, actor, RecordRead, object_type="triage_run", object_id=str(run.id), case_ref=item.case_number
        )
    results = Path(run.results_dir) if run.results_dir else None
    if results is None or not results.is_dir():
        return RunDetail(run, item, results_available=False)
    if hit_limit is None:
        return RunDetail(run, item)
    matched = (r for r in iter_records(results) if r.hits)
    hits = list(islice(matched, hit_limit + 1))
    return RunDetail(run, item, hits[:hit_limit], truncated=len(hits) > hit_limit)
