"""Starting and resuming triage runs for a caller of the web application or the API.

The caller needs ``triage.run`` and must see the evidence item (the same scoping as reading it, see
:mod:`vigilant.triage.access`); anything else answers as if the item did not exist. One item is triaged by
one run at a time: a second start while a run is being worked on is refused (409), naming that run. The
item's source must be reachable from the server (a folder or image path the server can read), or the start
is refused (422) before anything is registered.

The run is registered here (queued, with its start in the item's custody log and a ``record.changed``
event in the audit chain), then worked on by its own process (:mod:`vigilant.triage.worker`).

``VIGILANT_TRIAGE_WORKERS`` limits the runs whose batches this machine works on: each keeps two cores busy,
so more at once only slows each, and the web pages with them. A run on the installation's Dask cluster
(``VIGILANT_DASK_SCHEDULER``) is not counted: its process here only waits for the workers' results and
writes them (its share of a core is small), and the cluster queues such runs by their priority. A start
going to the cluster is therefore never refused for capacity, and runs on the cluster leave the local
slots to runs that need this machine (a run with keys of encrypted volumes, which never leave it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import or_, select, update

from vigilant.cases.access import audit
from vigilant.config import Settings
from vigilant.errors import BadInputError, ConflictError, NotFoundError
from vigilant.evidence.items import EvidenceInfo, evidence_info
from vigilant.evidence.keys import VolumeKey
from vigilant.evidence.models import EvidenceItemRow
from vigilant.security.audit import RecordChanged
from vigilant.security.rights import Actor, Permission, require
from vigilant.store import Database
from vigilant.triage.access import evidence_visible, get_run_for
from vigilant.triage.models import TriageRunRow
from vigilant.triage.runlock import RunLock
from vigilant.triage.service import LOCAL, TriageService
from vigilant.triage.settings import PRIORITY_LIMIT, TriageSettings
from vigilant.triage.worker import launch

log = logging.getLogger(__name__)

UNFINISHED = ("queued", "running", "failed")
ARCHIVE_DEPTH_LIMIT = 10  # archives inside archives: deeper is a bomb more often than evidence


def web_triage_settings(
    *,
    identify: bool,
    pdq: bool,
    exif: bool,
    archive_depth: int,
    set_ids: Sequence[int] | None = None,
    priority: int = 0,
) -> TriageSettings:
    """A run's settings from a caller's choices; the rest (threads, batches, limits) as the CLI's defaults.

    Without type identification nothing is known to be a picture: PDQ and EXIF are off with it.
    """
    if not 0 <= archive_depth <= ARCHIVE_DEPTH_LIMIT:
        raise BadInputError(
            f"archive depth {archive_depth} is out of range", hint=f"give 0 to {ARCHIVE_DEPTH_LIMIT}"
        )
    if not -PRIORITY_LIMIT <= priority <= PRIORITY_LIMIT:
        raise BadInputError(
            f"priority {priority} is out of range", hint=f"give -{PRIORITY_LIMIT} to {PRIORITY_LIMIT}"
        )
    return TriageSettings(
        identify=identify,
        pdq=pdq and identify,
        exif=exif and identify,
        archive_depth=archive_depth if identify else 0,
        set_ids=tuple(sorted(set(set_ids))) if set_ids else None,
        priority=priority,
    )


@dataclass
class RunLauncher:
    settings: Settings
    db: Database
    # Called with the run's id in this server once its worker has exited (the web's link graph rebuild).
    after_run: Callable[[int], object] | None = None
    # The installation's triage service (the application object's); None: one is built at each use.
    triage: TriageService | None = None
    # Starts in this server are one at a time, so two clicks cannot both find the item free.
    _starting: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Follow-ups running on reaper threads, and whether the server stopped (see ``close``).
    _follow_ups: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _in_flight: int = field(default=0, repr=False)
    _closed: bool = field(default=False, repr=False)

    def follow_up(self, run_id: int) -> None:
        """``after_run`` for a run whose worker exited (called on the run's reaper thread), unless the server
        has stopped: its database is gone, and the links pages show the run as after the last rebuild."""
        if self.after_run is None:
            return
        with self._follow_ups:
            if self._closed:
                log.warning("run %s ended after the server stopped: its follow-up is left", run_id)
                return
            self._in_flight += 1
        try:
            self.after_run(run_id)
        finally:
            with self._follow_ups:
                self._in_flight -= 1
                self._follow_ups.notify_all()

    def close(self, timeout: float = 60.0) -> None:
        """The server stops: wait (up to ``timeout`` seconds) for follow-ups in flight, refuse later ones;
        then the database may be disposed without a follow-up still using it."""
        with self._follow_ups:
            self._closed = True
            if not self._follow_ups.wait_for(lambda: self._in_flight == 0, timeout):
                log.warning("%s run follow-up(s) still running as the server stops", self._in_flight)

    def service(self) -> TriageService:
        """The triage service the runs go through: the one given, so a server's requests share it."""
        if self.triage is not None:
            return self.triage
        return TriageService(self.db, self.settings.data_dir)

    def start(
        self, actor: Actor, evidence_id: int, options: TriageSettings, keys: Sequence[VolumeKey] = ()
    ) -> int:
        """Register a run of ``options`` over the item, start its worker; return the run's id. ``keys``
        (for its encrypted volumes) go to the worker in memory; they are never stored."""
        require(actor, Permission.TRIAGE_RUN)
        item = self._visible_item(actor, evidence_id)
        if not Path(item.path).exists():
            raise BadInputError(
                f"evidence item {item.id} ({item.label}): its source {item.path} is not on this server",
                hint="triage it on the machine that holds it, with `vigilant triage run`",
            )
        service = self.service()
        with self._starting:
            busy = self.working_on(service, item.id)
            if busy is not None:
                raise ConflictError(
                    f"evidence item {item.id} is being triaged by run {busy}",
                    hint=f"follow run {busy}; start another when it has finished",
                )
            where = self.goes_to(keys)
            if where == LOCAL:
                self._check_capacity(service)
            run_id = service.create(item.id, options, actor)
            lock = RunLock.take(service.lock_path(run_id))
            self._mark(run_id, where)
            self._audit(actor, run_id, item, change="create")
            launch(self.settings, service, run_id, actor.username, lock, after_exit=self.follow_up, keys=keys)
        return run_id

    def resume(self, actor: Actor, run_id: int, priority: int | None = None) -> None:
        """Start a worker on an unfinished run nobody is working on (one killed, or that failed, or paused);
        ``priority``: its new priority on the cluster (None: the one it has)."""
        require(actor, Permission.TRIAGE_RUN)
        found = get_run_for(self.db, actor, run_id, hit_limit=None)
        service = self.service()
        with self._starting:
            if service.worker(run_id) is not None:
                raise ConflictError(f"run {run_id} is being worked on", hint="follow its progress")
            service.check_resumable(run_id)
            where = self.goes_to(())
            if where == LOCAL:
                self._check_capacity(service)
            if priority is not None:
                service.set_priority(run_id, priority)
            lock = RunLock.take(service.lock_path(run_id))
            self._mark(run_id, where)
            service.evidence.record(found.evidence.id, actor, "triage-resumed", {"run": run_id})
            self._audit(actor, run_id, found.evidence, change="update")
            launch(self.settings, service, run_id, actor.username, lock, after_exit=self.follow_up)

    def control(self, actor: Actor, run_id: int, action: str) -> str:
        """Pause or cancel a run (see :meth:`TriageService.control`); return its status."""
        require(actor, Permission.TRIAGE_RUN)  # before the lookup: no right, 403 whoever's run it is
        found = get_run_for(self.db, actor, run_id, hit_limit=None)
        status = self.service().control(run_id, action, actor)
        self._audit(actor, run_id, found.evidence, change="update")
        return status

    def goes_to(self, keys: Sequence[VolumeKey]) -> str:
        """Where a run started now works: the installation's Dask scheduler, or ``"local"`` (no scheduler,
        or keys of encrypted volumes, which never leave this machine); as :mod:`vigilant.triage.worker`
        decides it."""
        return self.settings.dask_scheduler if self.settings.dask_scheduler and not keys else LOCAL

    def working_on(self, service: TriageService, evidence_id: int | None = None) -> int | None:
        """The run (of this item, or of any) a process is working on now, if any."""
        return next(iter(self._working(service, evidence_id)), None)

    def _working(
        self, service: TriageService, evidence_id: int | None = None, *, local: bool = False
    ) -> list[int]:
        """Runs a process works on now (of the item, if given); ``local``: those working on this machine's
        cores (a run not yet started anywhere counts: it may be about to)."""
        query = select(TriageRunRow.id).where(TriageRunRow.status.in_(UNFINISHED))
        if evidence_id is not None:
            query = query.where(TriageRunRow.evidence_id == evidence_id)
        if local:
            query = query.where(or_(TriageRunRow.scheduler.is_(None), TriageRunRow.scheduler == LOCAL))
        with self.db.session() as s:
            candidates = list(s.scalars(query.order_by(TriageRunRow.id)))
        return [run for run in candidates if service.worker(run) is not None]

    def _check_capacity(self, service: TriageService) -> None:
        """Refuse a start on this machine while its share of runs works here (see the module's note). Runs
        of the CLI on this machine count too: they share its cores; runs on a cluster do not."""
        working = self._working(service, local=True)
        if len(working) >= self.settings.triage_workers:
            listed = ", ".join(str(run) for run in working)
            raise ConflictError(
                f"{len(working)} triage run(s) already working on this server (run {listed}); "
                f"it runs {self.settings.triage_workers} at once",
                hint="start it when one has finished, or raise VIGILANT_TRIAGE_WORKERS",
            )

    def _mark(self, run_id: int, where: str) -> None:
        """Record where the run is about to work before its process starts (which records it again), so
        that a start meanwhile counts it, or not, against this machine's share."""
        with self.db.session() as s:
            s.execute(update(TriageRunRow).where(TriageRunRow.id == run_id).values(scheduler=where))

    def _visible_item(self, actor: Actor, evidence_id: int) -> EvidenceInfo:
        with self.db.session() as s:
            item = s.scalars(
                select(EvidenceItemRow).where(EvidenceItemRow.id == evidence_id, evidence_visible(actor))
            ).one_or_none()
            if item is None:
                raise NotFoundError(
                    f"no evidence item {evidence_id} that you may see", hint="see the list of evidence"
                )
            return evidence_info(item)

    def _audit(self, actor: Actor, run_id: int, item: EvidenceInfo | EvidenceItemRow, *, change: str) -> None:
        with self.db.session() as s:
            audit(
                s,
                actor,
                RecordChanged,
                change=change,
                object_type="triage_run",
                object_id=str(run_id),
                case_ref=item.case_number,
                fields_changed=() if change == "create" else ("status",),
            )
