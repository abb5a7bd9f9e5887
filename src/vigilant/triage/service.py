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
from vigilant.cases.evidence_rules import evidence_service
from vigilant.errors import BadInputError, ConflictError, NotFoundError
from vigilant.evidence.items import EvidenceInfo
from vigilant.evidence.models import EvidenceItemRow
from vigilant.evidence.vss import snapshots
from vigilant.library.indexes import LibraryIndexes
from vigilant.library.records import HashSetInfo
from vigilant.library.store import LibraryStore
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.store.models import utcnow
from vigilant.triage.cluster import ClusterRun, execute_on_cluster
from vigilant.triage.cluster_tasks import BatchDone, Plan
from vigilant.triage.matcher import Matcher
from vigilant.triage.models import TriageRunRow
from vigilant.triage.reports import reports
from vigilant.triage.results import iter_records, summarise
from vigilant.triage.run_records import RunRecord
from vigilant.triage.runinfo import Coverage, LibrarySetInfo, RunInfo
from vigilant.triage.runlock import RunLock, holder
from vigilant.triage.runner import (
    TOOL,
    Executed,
    Progress,
    count_entries,
    execute,
    library_snapshot,
)
from vigilant.triage.settings import NOT_IN_RESULTS, PRIORITY_LIMIT, TriageSettings

# What a caller may ask of a run being worked on, and the status the run has once it stopped.
CONTROLS = {"pause": "paused", "cancel": "cancelled"}
LOCAL = "local"  # a run's scheduler and worker when this machine's runner works on it


class RunStopped(Exception):
    """A pause or a cancel asked of the run, seen by the process working on it between two batches."""

    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


class TriageService:
    def __init__(self, db: Database, data_dir: Path) -> None:
        self.db = db
        self.data_dir = data_dir
        self.evidence = evidence_service(db)
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
        return self._create(evidence_ref, settings, actor)[0]

    def _create(
        self, evidence_ref: str | int, settings: TriageSettings, actor: Actor
    ) -> tuple[int, EvidenceInfo]:
        """:meth:`create`, and the item it looked up (for :meth:`start`, which then runs on it)."""
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
        return run_id, evidence

    def start(
        self,
        evidence_ref: str | int,
        settings: TriageSettings,
        actor: Actor,
        progress: Progress,
        cluster: ClusterRun | None = None,
    ) -> int:
        run_id, evidence = self._create(evidence_ref, settings, actor)
        with RunLock.take(self.lock_path(run_id)):  # (as work() does, with the item create looked up)
            self._run(run_id, actor, progress, cluster=cluster, evidence=evidence)
        return run_id

    def resume(
        self,
        run_id: int,
        actor: Actor,
        progress: Progress,
        *,
        threads: int | None = None,
        lock: RunLock | None = None,
        cluster: ClusterRun | None = None,
        priority: int | None = None,
    ) -> int:
        """Do a run's missing batches, here or on a cluster (whichever did the others: batches are kept);
        ``priority``: the run's new priority on the cluster (None: the one it was given)."""
        require(actor, Permission.TRIAGE_RUN)
        row = self._row(run_id, actor)
        self.check_resumable(run_id)
        if priority is not None:
            self.set_priority(run_id, priority)
        self.evidence.record(row.evidence_id, actor, "triage-resumed", {"run": run_id})
        self.work(run_id, actor, progress, threads=threads, lock=lock, cluster=cluster)
        return run_id

    def set_priority(self, run_id: int, priority: int) -> None:
        """Store a run's new priority among its settings (out of its results: see ``NOT_IN_RESULTS``), for
        the callers of :meth:`resume` (and the web's, which resumes in a worker process of its own), which
        check the caller first."""
        if not -PRIORITY_LIMIT <= priority <= PRIORITY_LIMIT:
            raise BadInputError(
                f"priority {priority} is out of range", hint=f"give -{PRIORITY_LIMIT} to {PRIORITY_LIMIT}"
            )
        with self.db.session() as s:
            stored = s.get(TriageRunRow, run_id)
            assert stored is not None
            stored.settings = {**stored.settings, "priority": priority}

    def check_resumable(self, run_id: int) -> None:
        """Refuse (ConflictError) a run that finished, or whose library changed since it started (for the
        callers of :meth:`resume`, which check the caller first)."""
        row = self._row(run_id, None)
        if row.status == "finished":
            raise ConflictError(f"run {run_id} has already finished", hint="`vigilant triage report` it")
        if row.status == "cancelled":
            raise ConflictError(
                f"run {run_id} was cancelled", hint="start a new run with `vigilant triage run`"
            )
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
        *,
        threads: int | None = None,
        lock: RunLock | None = None,
        cluster: ClusterRun | None = None,
    ) -> None:
        """Do the run's missing batches, holding its lock (taken here unless handed over): here, or on the
        Dask ``cluster``'s workers."""
        require(actor, Permission.TRIAGE_RUN)
        self._row(run_id, actor)
        with lock or RunLock.take(self.lock_path(run_id)):
            self._run(run_id, actor, progress, threads=threads, cluster=cluster)

    def control(self, run_id: int, action: str, actor: Actor) -> str:
        """Pause or cancel a run; return its status. A run being worked on stops after the batch being
        written (its finished batches are kept: a paused run resumes, here or on a cluster); one nobody
        works on stops at once. A cancelled run cannot be resumed."""
        require(actor, Permission.TRIAGE_RUN)
        if action not in CONTROLS:
            raise BadInputError(f"cannot {action!r} a run", hint="pause or cancel")
        row = self._row(run_id, actor)
        if row.status in ("finished", "cancelled") or row.status == CONTROLS[action]:
            raise ConflictError(f"run {run_id} is {row.status}", hint="`vigilant triage status` it")
        with self.db.session() as s:
            stored = s.get(TriageRunRow, run_id)
            assert stored is not None
            if self.worker(run_id) is None:
                stored.status, stored.control = CONTROLS[action], None
            else:
                stored.control = action  # seen by the working process between two batches
            status = stored.status
        self.evidence.record(row.evidence_id, actor, f"triage-{action}", {"run": run_id})
        return status

    def _check(self, run_id: int) -> None:
        """Raise :class:`RunStopped` when a pause or a cancel was asked of the run."""
        with self.db.session() as s:
            action = s.scalar(select(TriageRunRow.control).where(TriageRunRow.id == run_id))
        if action in CONTROLS:
            raise RunStopped(action)

    def _run(
        self,
        run_id: int,
        actor: Actor,
        progress: Progress,
        threads: int | None = None,
        cluster: ClusterRun | None = None,
        *,
        evidence: EvidenceInfo | None = None,
    ) -> None:
        """Do the run's batches, then summarise and verify the item: looked up here once (``evidence``:
        the caller has, for this run), and handed to the walk and to the verification."""
        row = self._row(run_id, None)
        if evidence is None:
            evidence = self.evidence.lookup(row.evidence_id)
        assert evidence.id == row.evidence_id, "a run reads its own item"
        settings = TriageSettings.from_json(row.settings)
        if threads is not None:
            settings = TriageSettings(**{**asdict(settings), "threads": threads})
        with self.db.session() as s:
            stored = s.get(TriageRunRow, run_id)
            assert stored is not None
            stored.status, stored.error, stored.files_done, stored.bytes_done = "running", None, 0, 0
            stored.coverage, stored.control = None, None
            stored.scheduler = LOCAL if cluster is None else cluster.scheduler
            workers = dict(stored.workers or {})  # who did the batches of earlier executions
        results = Path(row.results_dir)
        try:
            if cluster is None:
                with snapshots(settings.shadow_copies):  # as the run was started, whatever this process says
                    executed = self._execute_here(
                        run_id,
                        evidence=evidence,
                        settings=settings,
                        results=results,
                        progress=progress,
                        workers=workers,
                    )
            else:
                totals = _Totals(None, progress, run_id, self.db, workers)
                executed = execute_on_cluster(
                    evidence,
                    settings,
                    cluster,
                    matcher=Matcher(self.indexes, self._sets(settings)),
                    results_dir=results,
                    on_plan=totals.planned,
                    on_batch=totals.batch_came,
                    check=lambda: self._check(run_id),
                )
                totals.finish()
        except RunStopped as stop:
            with self.db.session() as s:
                stored = s.get(TriageRunRow, run_id)
                assert stored is not None
                stored.status, stored.control = CONTROLS[stop.action], None
            self.evidence.record(evidence.id, actor, f"triage-{CONTROLS[stop.action]}", {"run": run_id})
            return
        except BaseException as exc:
            with self.db.session() as s:
                stored = s.get(TriageRunRow, run_id)
                assert stored is not None
                stored.status, stored.error = "failed", f"{type(exc).__name__}: {exc}"
            raise
        summary = summarise(iter_records(results))  # (the batches of every execution, wherever done)
        if evidence.source_type == "directory":
            verification = self.evidence.verify_from_records(evidence, iter_records(results), actor)
        elif executed.image_hashes is not None:  # a raw or E01 image, hashed as the run read it (one read)
            verification = self.evidence.verify_from_image_pass(evidence, executed.image_hashes, actor)
        else:
            verification = self.evidence.verify_item(evidence, actor)
        with self.db.session() as s:
            stored = s.get(TriageRunRow, run_id)
            assert stored is not None
            stored.status, stored.finished_at, stored.error = "finished", utcnow(), None
            stored.batches_done = stored.batches_total = executed.batches
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

    def _execute_here(
        self,
        run_id: int,
        *,
        evidence: EvidenceInfo,
        settings: TriageSettings,
        results: Path,
        progress: Progress,
        workers: dict[str, Any],
    ) -> Executed:
        # The count only feeds the progress bar and the run's totals, so it walks the evidence beside
        # the pass instead of before it: no core waits for it (a 20,000-file folder takes 0.3 s).
        with ThreadPoolExecutor(1, thread_name_prefix="triage-count") as counting:
            totals = _Totals(counting.submit(count_entries, evidence), progress, run_id, self.db, workers)

            def batch_done(index: int, files: int, size: int) -> None:
                totals.batch_done(index, files, size, LOCAL)
                self._check(run_id)  # a pause or cancel stops the run here, its batch written

            executed = execute(
                evidence,
                settings,
                library=self.indexes,
                sets=self._sets(settings),
                results_dir=results,
                progress=Progress(on_advance=totals.advance),
                on_batch=batch_done,
            )
            totals.finish()
        return executed

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

    def runs(self, actor: Actor) -> list[RunRecord]:
        """The runs the caller sees, oldest first."""
        require(actor, Permission.TRIAGE_READ)
        with self.db.session() as s:
            rows = s.scalars(self._visible_runs(actor).order_by(TriageRunRow.id))
            return [RunRecord.of(row) for row in rows]

    def status(self, run_id: int, actor: Actor) -> RunRecord:
        """The run as it stands now, if the caller sees it."""
        require(actor, Permission.TRIAGE_READ)
        return RunRecord.of(self._row(run_id, actor))

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

    def __init__(
        self,
        counted: Future[tuple[int, int]] | None,
        progress: Progress,
        run_id: int,
        db: Database,
        workers: dict[str, Any],
    ):
        # The count comes from a thread beside the local runner, or from the plan of a cluster run.
        self.counted, self.progress, self.run_id, self.db = counted, progress, run_id, db
        self.total: tuple[int, int] | None = None  # (files, bytes), once the count is in
        self.batches_total: int | None = None
        self.files = self.size = 0
        self.workers = {name: dict(done) for name, done in workers.items()}
        self._done: dict[str, set[int]] = {
            name: set(batch_numbers(str(done.get("batches", "")))) for name, done in workers.items()
        }
        self._lock = threading.Lock()  # told from the hashing threads as their groups finish

    def advance(self, files: int, size: int) -> None:
        with self._lock:
            self._count()  # the total first, once known: a bar never shows more done than there is
            self.progress.on_advance(files, size)
            self.files += files
            self.size += size

    def planned(self, plan: Plan) -> None:
        self.total, self.batches_total = (plan.files, plan.bytes), plan.batches
        self.progress.on_total(plan.files, plan.bytes)
        self._store(batches=0)

    def batch_came(self, done: BatchDone) -> None:
        """A batch from a cluster worker, written: the run advances by all of its files at once."""
        self.advance(done.files, done.bytes)
        self.batch_done(done.index, done.files, done.bytes, done.worker)

    def batch_done(self, index: int, files: int, size: int, worker: str) -> None:
        with self._lock:
            numbers = self._done.setdefault(worker, set())
            numbers.add(index)
            mine = self.workers.setdefault(worker, {"count": 0, "files": 0, "bytes": 0})
            mine["batches"] = batch_ranges(numbers)
            mine["count"] = len(numbers)
            mine["files"] = int(mine.get("files", 0)) + files
            mine["bytes"] = int(mine.get("bytes", 0)) + size
        self._store(batches=1)

    def finish(self) -> None:
        self._count(wait=True)
        self._store(batches=0)

    def _count(self, wait: bool = False) -> None:
        if self.counted is None:
            return
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
            if self.batches_total is not None:
                stored.batches_total = self.batches_total
            with self._lock:
                stored.workers = {name: dict(done) for name, done in self.workers.items()}


def batch_ranges(numbers: set[int]) -> str:
    """``{0, 1, 2, 5}`` as ``"0-2,5"``: which batches a worker wrote, short enough to show."""
    ranges: list[str] = []
    ordered = sorted(numbers)
    start = previous = None
    for n in [*ordered, None]:
        if n is not None and previous is not None and n == previous + 1:
            previous = n
            continue
        if start is not None:
            ranges.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = n
    return ",".join(ranges)


def batch_numbers(text: str) -> list[int]:
    """The batch numbers :func:`batch_ranges` wrote."""
    numbers: list[int] = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return numbers


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
