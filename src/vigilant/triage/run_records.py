"""A triage run as the service hands it out: a frozen record, not the ORM row (issue 12, item 5).

A face (the CLI, the API, the pages, the worker) reads a run's fields after the session that read it has
closed; an ORM row would reach for the database on a lazy attribute, or let a caller's change slip into a
later flush. The record is copied from :class:`~vigilant.triage.models.TriageRunRow` once, where the
service reads it, so the run's shape outside the store is written here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vigilant.triage.models import TriageRunRow


@dataclass(frozen=True)
class RunRecord:
    """One triage run: what it was asked to do, how far it got, and its outcome.

    The JSON columns are copied (a caller's change to ``summary`` never reaches the row). Times are as the
    store gives them (UTC).
    """

    id: int
    evidence_id: int
    status: str  # queued | running | paused | cancelled | finished | failed
    settings: dict[str, Any]  # TriageSettings.to_json(), priority included
    tool: str  # "Vigilant 0.1.0"
    library: list[dict[str, Any]]  # the library's sets as the run saw them (triage.runinfo.LibrarySetInfo)
    results_dir: str
    actor: str  # who started it
    created_at: datetime
    finished_at: datetime | None
    files_total: int | None
    bytes_total: int | None
    batches_done: int
    files_done: int | None  # this execution's progress
    bytes_done: int | None
    summary: dict[str, Any]  # triage.runinfo.RunSummary's figures
    verification: dict[str, Any] | None  # the evidence re-verified after the run: {"ok": bool, …}
    error: str | None
    coverage: dict[str, Any] | None  # triage.runinfo.Coverage.to_json(); None: not recorded
    scheduler: str | None  # "local" or a Dask scheduler's address; None: before triage on Dask
    batches_total: int | None
    workers: dict[str, Any] | None  # per worker {"batches": "0-3,7", "count", "files", "bytes"}
    control: str | None  # a pause or cancel asked of the process working on it, not yet seen
    settings_digest: str

    @classmethod
    def of(cls, row: TriageRunRow) -> RunRecord:
        """The record of a row read in an open session (its JSON columns copied)."""
        return cls(
            id=row.id,
            evidence_id=row.evidence_id,
            status=row.status,
            settings=dict(row.settings),
            tool=row.tool,
            library=[dict(s) for s in row.library],
            results_dir=row.results_dir,
            actor=row.actor,
            created_at=row.created_at,
            finished_at=row.finished_at,
            files_total=row.files_total,
            bytes_total=row.bytes_total,
            batches_done=row.batches_done,
            files_done=row.files_done,
            bytes_done=row.bytes_done,
            summary=dict(row.summary),
            verification=None if row.verification is None else dict(row.verification),
            error=row.error,
            coverage=None if row.coverage is None else dict(row.coverage),
            scheduler=row.scheduler,
            batches_total=row.batches_total,
            workers=None if row.workers is None else dict(row.workers),
            control=row.control,
            settings_digest=row.settings_digest,
        )
