"""The link builders' common ground: what a builder reads (:class:`Sources`), its settings, and the
protocol each one follows. The builders themselves are one module each, listed in :mod:`.builders`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select

from vigilant.links.entities import BuiltLinks
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow


class Trigger:
    """What makes a builder's links stale: the incremental hooks rebuild the builders listening to it."""

    RUN = "run"  # a triage run finished
    RECORD = "record"  # a case record (person, identifier, seizure, arrest, …) was recorded
    OBSERVATIONS = "observations"  # observations were imported or leads rebuilt


@dataclass(frozen=True)
class LinkSettings:
    # A file on more than this share of the installation's devices (and on more than two) never links:
    # an installer, a logo, a meme that every device holds says nothing about who traded with whom.
    max_device_share: float = 0.05
    pdq_distance: int = 31  # PDQ near-duplicates: distance <= 31 …
    pdq_quality: int = 50  # … between pictures whose PDQ quality is at least 50 (the PDQ reference's floor)
    ip_window_hours: float = 24.0  # one IP is one subscriber only within a window (dynamic addresses)
    files_listed: int = 50  # files named in a link's explanation (the count covers all)


@dataclass(frozen=True)
class RunResults:
    run_id: int
    evidence_id: int
    results_dir: Path
    finished_at: datetime | None


@dataclass
class Sources:
    """What builders read: the store, the observations folder, and each device's newest finished run."""

    db: Database
    observations_dir: Path
    settings: LinkSettings = field(default_factory=LinkSettings)

    def runs(self) -> list[RunResults]:
        """The newest finished triage run of each evidence item: an item triaged twice counts once."""
        with self.db.session() as s:
            newest = (
                select(TriageRunRow.evidence_id, func.max(TriageRunRow.id).label("run_id"))
                .where(TriageRunRow.status == "finished")
                .group_by(TriageRunRow.evidence_id)
                .subquery()
            )
            rows = s.execute(
                select(TriageRunRow.id, TriageRunRow.evidence_id, TriageRunRow.results_dir,
                       TriageRunRow.finished_at)
                .join(newest, newest.c.run_id == TriageRunRow.id)
                .order_by(TriageRunRow.evidence_id)
            )  # fmt: skip
            return [RunResults(r[0], r[1], Path(r[2]), r[3]) for r in rows]


class LinkBuilder(Protocol):
    """One kind of evidence that two things are linked. ``build`` is a pure function of the sources: its
    links replace all the links it made before, so an incremental rebuild equals a full one."""

    @property
    def name(self) -> str: ...

    @property
    def triggers(self) -> frozenset[str]: ...

    @property
    def description(self) -> str: ...

    def build(self, sources: Sources) -> BuiltLinks: ...
