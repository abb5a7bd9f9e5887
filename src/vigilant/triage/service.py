"""Triage runs: start, resume, status, and the run's description for reports.

Every method takes the caller (:class:`~vigilant.security.rights.Actor`): starting and resuming need
``triage.run``, reading a run or its report ``triage.read``, and a run is seen by those who see its evidence
item (:func:`vigilant.cases.access.item_visible`); anything else answers "not found". The CLI passes its own
actor (:meth:`Actor.cli`), the web the logged-in user (through :mod:`vigilant.triage.launcher`), the worker
process the user who started the run. The run and its item's chain of custody name the caller.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Select, select

from vigilant.cases.access import item_visible
from vigilant.errors import ConflictError, NotFoundError
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import HashSetInfo
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import EvidenceItemRow, TriageRunRow, utcnow
from vigilant.triage.evidence_service import EvidenceService
from vigilant.triage.reports import reports
from vigilant.triage.results import iter_records, summarise
from vigilant.triage.runinfo import Coverage, LibrarySetInfo, RunInfo
from vigilant.triage.runlock import RunLock, holder
from vigilant.triage.runner import TOOL, Progress, count_entries, execute, library_snapshot
from vigilant.triage.settings import NOT_IN_RESULTS, TriageSettings


class TriageService:
    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.data_dir = data_dir
        self.evidence = EvidenceService(db)
        self.library = LibraryStore(db)
        self.indexes = LibraryIndexes(self.library, data_dir / "indexes")

    def _sets(self, settings: TriageSettings) -> list[HashSetInfo]:
        sets = self.library.list_sets()
        if settings.set_ids is not None:
            wanted = set(settings.set_ids)
            sets = [s for s in sets if s.id in wanted]
        return sorted(sets, key=lambda s: s.id)

    def create(self, evidence_ref: str | int, settings: TriageSettings, actor: Actor) -> int:
        """Register a run (queued: nothing read yet) and its start in the item's custody log."""
        require(actor, Permission.TRIAGE_RUN)
        evidence = self.evidence.get(evidence_ref, actor)
        sets = self._sets(settings)
        with self.db.session() as s:
            row = TriageRunRow(
                evidence_id=evidence.id,
                status="queued",
                settings=settings.to_json(),
                settings_digest=settings.digest(),
                tool=TOOL,
                library=library_snapshot(sets),
                results_dir="",
                actor=actor.username,
                created_at=utcnow(),
                batches_done=0,
                summary={},
            )
            s.add(row)
            s.flush()
            row.results_dir = str(self.data_dir / "runs" / f"run-{row.id:06d}")
            run_id = row.id
        self.evidence.record(
            evidence.id, actor, "triage-started", {"run": run_id, "settings": settings.to_json()}
        )
        return run_id

    def start(
        self, evidence_ref: str | int, settings: TriageSettings, actor: Actor, progress: Progress
    ) -> int:
        run_id = self.create(evidence_ref, settings, actor)
        self.work(run_id, actor, progress)
        return run_id

    def resume(
        self,
        run_id: int,
        actor: Actor,
        progress: Progress,
        threads: int | None = None,
        lock: RunLock | None = None,
    ) -> int:
        require(actor, Permission.TRIAGE_RUN)
        row = self._row(run_id, actor)
        self.check_resumable(run_id)
        self.evidence.record(row.evidence_id, actor, "triage-resumed", {"run": run_id})
        self.work(run_id, actor, progress, threads=threads, lock=lock)
        return run_id

    def check_resumable(self, run_id: int) -> None:
        """Refuse (ConflictError) a run that finished, or whose library changed since it started (for the
        callers of :meth:`resume`, which check the caller first)."""
        row = self._row(run_id, None)
        if row.status == "finished":
            raise ConflictError(f"run {run_id} has already finished", hint="`vigilant triage report` it")
        settings = TriageSettings.from_json(row.settings)
        current = library_snapshot(self._sets(settings))
        if current != row.library:
            raise ConflictError(
                f"the library changed since run {run_id} started: resuming would mix two libraries",
                hint="start a new run with `vigilant triage run`",
            )

    def lock_path(self, run_id: int) -> Path:
        return self.data_dir / "runs" / f"run-{run_id:06d}.lock"

    def worker(self, run_id: int) -> int | None:
        """The pid of the process working on the run now (0: not known yet), or None."""
        return holder(self.lock_path(run_id))

    def work(
        self,
        run_id: int,
        actor: Actor,
        progress: Progress,
        threads: int | None = None,
        lock: RunLock | None = None,
    ) -> None:
        """Do the run's missing batches, holding its lock (taken here unless handed over)."""
        require(actor, Permission.TRIAGE_RUN)
        self._row(run_id, actor)
        with lock or RunLock.take(self.lock_path(run_id)):
            self._run(run_id, actor, progress, threads=threads)

    def _run(self, run_id: int, actor: Actor, progress: Progress, threads: int | None = None) -> None:
        row = self._row(run_id, None)
        evidence = self.evidence.lookup(row.evidence_id)
        settings = TriageSettings.from_json(row.settings)
        if threads is not None:
            settings = TriageSettings(**{**asdict(settings), "threads": threads})
        with self.db.session() as s:
            stored = s.get(TriageRunRow, run_id)
            assert stored is not None
            stored.status, stored.error, stored.files_done, stored.bytes_done = "running", None, 0, 0
            stored.coverage = None
        results = Path(row.results_dir)
        try:
            # The count only feeds the progress bar and the run's totals, so it walks the evidence beside
            # the pass instead of before it: no core waits for it (a 20,000-file folder takes 0.3 s).
            with ThreadPoolExecutor(1, thread_name_prefix="triage-count") as counting:
                totals = _Totals(counting.submit(count_entries, evidence), progress, run_id, self.db)
                executed = execute(
                    evidence,
                    settings,
                    library=self.indexes,
                    sets=self._sets(settings),
                    results_dir=results,
                    progress=Progress(on_advance=totals.advance),
                    on_batch=totals.batch_done,
                )
                totals.finish()
        except BaseException as exc:
            with self.db.session() as s:
                stored = s.get(TriageRunRow, run_id)
                assert stored is not None
                stored.status, stored.error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        summary = summarise(iter_records(results))
        if evidence.source_type == "directory":
            verification = self.evidence.verify_from_records(evidence.id, iter_records(results), actor)
        else:
            verification = self.evidence.verify(evidence.id, actor)
        with self.db.session() as s:
            stored = s.get(TriageRunRow, run_id)
            assert stored is not None
            stored.status, stored.finished_at, stored.error = "finished", utcnow(), None
            stored.batches_done = executed.batches
            stored.summary = asdict(summary)
            stored.coverage = executed.coverage.to_json()
            stored.verification = verification
        self.evidence.record(
            evidence.id,
            actor,
            "triage-finished",
            {
                "run": run_id,
                "files": summary.files,
                "known_bad": summary.known_bad,
                **({"not_read": executed.coverage.lines()} if executed.coverage.headline else {}),
            },
        )

    @staticmethod
    def _visible_runs(actor: Actor | None) -> Select[TriageRunRow]:
        query = select(TriageRunRow)
        if actor is None:  # a service that has checked its caller already
            return query
        return query.join(EvidenceItemRow, EvidenceItemRow.id == TriageRunRow.evidence_id).where(
            item_visible(actor)
        )

    def _row(self, run_id: int, actor: Actor | None) -> TriageRunRow:
        with self.db.session() as s:
            row = s.scalars(self._visible_runs(actor).where(TriageRunRow.id == run_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"no triage run {run_id}", hint="`vigilant triage status` lists the runs")
            s.expunge(row)
            return row

    def runs(self, actor: Actor) -> list[TriageRunRow]:
        """The runs the caller sees, oldest first."""
        require(actor, Permission.TRIAGE_READ)
        with self.db.session() as s:
            rows = list(s.scalars(self._visible_runs(actor).order_by(TriageRunRow.id)))
            s.expunge_all()
            return rows

    def status(self, run_id: int, actor: Actor) -> TriageRunRow:
        require(actor, Permission.TRIAGE_READ)
        return self._row(run_id, actor)

    def run_info(self, run_id: int, actor: Actor) -> RunInfo:
        """The run as its reports describe it."""
        require(actor, Permission.TRIAGE_READ)
        row = self._row(run_id, actor)
        return RunInfo(
            id=row.id,
            evidence=self.evidence.lookup(row.evidence_id),
            tool=row.tool,
            settings=_report_settings(row.settings),
            library=[LibrarySetInfo(**s) for s in row.library],
            verification=_report_verification(row.verification),
            coverage=Coverage.from_json(row.coverage),
        )

    def report(self, run_id: int, fmt: str, out: BinaryIO, actor: Actor) -> None:
        """Write the report of a finished run, and record it in the item's chain of custody."""
        require(actor, Permission.TRIAGE_READ)
        row = self._row(run_id, actor)
        if row.status != "finished":
            raise ConflictError(
                f"run {run_id} is {row.status}", hint=f"`vigilant triage resume {run_id}` first"
            )
        results = Path(row.results_dir)
        reports()[fmt].write(self.run_info(run_id, actor), lambda: iter_records(results), out)
        self.evidence.record(row.evidence_id, actor, "report", {"run": run_id, "format": fmt})


class _Totals:
    """The progress of a run, told to the caller's progress (a bar) and kept in the run's row (for the web
    and `triage status`): the count of files and bytes once known, and how many are done. The row is
    written once per batch written (with the checkpoint count), and once at the end."""

    def __init__(self, counted: Future[tuple[int, int]], progress: Progress, run_id: int, db: Database):
        self.counted, self.progress, self.run_id, self.db = counted, progress, run_id, db
        self.total: tuple[int, int] | None = None  # (files, bytes), once the count is in
        self.files = self.size = 0
        self._lock = threading.Lock()  # told from the hashing threads as their groups finish

    def advance(self, files: int, size: int) -> None:
        with self._lock:
            self._count()  # the total first, once known: a bar never shows more done than there is
            self.progress.on_advance(files, size)
            self.files += files
            self.size += size

    def batch_done(self, index: int) -> None:
        self._store(batches=1)

    def finish(self) -> None:
        self._count(wait=True)
        self._store(batches=0)

    def _count(self, wait: bool = False) -> None:
        if self.total is None and (wait or self.counted.done()):
            self.total = self.counted.result()
            self.progress.on_total(*self.total)

    def _store(self, batches: int) -> None:
        with self.db.session() as s:
            stored = s.get(TriageRunRow, self.run_id)
            assert stored is not None
            stored.files_done, stored.bytes_done = self.files, self.size
            stored.batches_done += batches
            if self.total is not None:
                stored.files_total, stored.bytes_total = self.total


def _report_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in settings.items() if k not in NOT_IN_RESULTS}


def _report_verification(verification: dict[str, Any] | None) -> dict[str, Any] | None:
    if verification is None:
        return None
    return {
        "ok": verification.get("ok"),
        "compared": verification.get("compared"),
        "mismatched": verification.get("mismatched"),
    }
