"""Long jobs of link analysis: their record (``links_job``: phase, n of N, what was found so far), their
folder of batch results (``DATA_DIR/links/jobs/ID``), and the lock that tells a job at work from one that
was interrupted.

A job is worked on by one process at a time, which holds an exclusive ``flock`` on the job's ``lock`` file
for as long as it works; a job the record calls ``running`` whose lock is free was interrupted (the process
was killed, the machine stopped), and resuming it is safe. Progress is written to the record as each step
ends, in the same transaction as the step's rows where it writes rows, so the record never says more was
done than was.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigilant.errors import ConflictError
from vigilant.links.models import LinksJobRow
from vigilant.store import Database
from vigilant.store.models import utcnow

# The phases of an xref job, in order; each names what its n of N counts.
PHASES = {
    "reading": "persons read",
    "scoring": "blocking rules applied and their pairs scored",
    "merging": "batches merged",
    "writing": "proposals written",
    "done": "",
}


def job_folder(data_dir: Path, job_id: int) -> Path:
    return data_dir / "links" / "jobs" / str(job_id)


def _lock_path(data_dir: Path, job_id: int) -> Path:
    return job_folder(data_dir, job_id) / "lock"


@contextmanager
def working_on(data_dir: Path, job_id: int) -> Iterator[None]:
    """Hold job ``job_id`` for this process; a job another process holds is refused."""
    folder = job_folder(data_dir, job_id)
    folder.mkdir(parents=True, exist_ok=True)
    with _lock_path(data_dir, job_id).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(
                f"links job {job_id} is being worked on by another process",
                hint="follow it: vigilant links status",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def held(data_dir: Path, job_id: int) -> bool:
    """Whether a process works on job ``job_id`` now."""
    path = _lock_path(data_dir, job_id)
    if not path.exists():
        return False
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def start(db: Database, kind: str, by: str, params: dict[str, Any]) -> int:
    now = utcnow()
    with db.session() as s:
        row = LinksJobRow(kind=kind, status="running", phase="reading", done=0, total=0, detail="",
                          params=params, result={}, error=None, started_by=by, started_at=now,
                          updated_at=now, finished_at=None)  # fmt: skip
        s.add(row)
        s.flush()
        return row.id


def progress(s: Session, job_id: int, where: tuple[str, int, int], detail: str = "", **found: Any) -> None:
    """Record where job ``job_id`` stands (phase, done, of total), in the caller's transaction (with the
    step's own rows); ``found``: figures to keep on its result."""
    row = s.get(LinksJobRow, job_id)
    if row is None:
        raise LookupError(f"no links job {job_id}")
    (row.phase, row.done, row.total), row.detail = where, detail[:400]
    if found:
        row.result = {**row.result, **found}
    row.updated_at = utcnow()


def unfinished(db: Database, kind: str) -> int | None:
    """The newest job of ``kind`` that has not finished (running or interrupted, or failed), if any."""
    with db.session() as s:
        return s.scalar(
            select(LinksJobRow.id)
            .where(LinksJobRow.kind == kind, LinksJobRow.status != "finished")
            .order_by(LinksJobRow.id.desc())
            .limit(1)
        )


def abandon(db: Database, job_id: int, why: str) -> None:
    """Close job ``job_id`` as failed without resuming it (``why``: the reason, kept on its record)."""
    with db.session() as s:
        row = s.get(LinksJobRow, job_id)
        if row is not None:
            row.status, row.error, row.updated_at = "failed", f"abandoned: {why}"[:1000], utcnow()


@dataclass(frozen=True)
class JobView:
    """A job as the faces show it."""

    id: int
    kind: str
    status: str  # running | interrupted | failed | finished
    phase: str
    done: int
    total: int
    detail: str
    result: dict[str, Any]
    error: str | None
    started_by: str
    started_at: datetime
    updated_at: datetime
    finished_at: datetime | None

    @property
    def line(self) -> str:
        """One line: "xref job 4 (running): scoring, 3 of 9 … — blocking rule 4: …"."""
        where = f"{self.phase}, {self.done} of {self.total} {PHASES.get(self.phase, '')}".rstrip()
        if self.status == "finished":
            figures = ("persons", "pairs_compared", "proposals")
            where = ", ".join(f"{self.result[k]} {k.replace('_', ' ')}" for k in figures if k in self.result)
            if "xref_run_id" in self.result:
                where += f" (xref run {self.result['xref_run_id']})"
        text = f"{self.kind} job {self.id} ({self.status}): {where}"
        if self.detail and self.status != "finished":
            text += f" — {self.detail}"
        if self.error and self.status != "finished":
            text += f"; last failure: {self.error}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "status": self.status, "phase": self.phase, "done": self.done,
            "total": self.total, "detail": self.detail, "result": self.result, "error": self.error,
            "started_by": self.started_by, "started_at": self.started_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }  # fmt: skip


def view(row: LinksJobRow, data_dir: Path) -> JobView:
    status = row.status
    if status == "running" and not held(data_dir, row.id):
        status = "interrupted"
    return JobView(row.id, row.kind, status, row.phase, row.done, row.total, row.detail, dict(row.result),
                   row.error, row.started_by, row.started_at, row.updated_at, row.finished_at)  # fmt: skip


def last_job(db: Database, data_dir: Path, kind: str | None = None) -> JobView | None:
    """The newest job (of ``kind``), as the faces show it."""
    with db.session() as s:
        query = select(LinksJobRow).order_by(LinksJobRow.id.desc()).limit(1)
        if kind is not None:
            query = query.where(LinksJobRow.kind == kind)
        row = s.scalar(query)
        return view(row, data_dir) if row is not None else None
