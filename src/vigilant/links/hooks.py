"""What keeps the link graph current: the calls the faces make when a triage run finished, a case record
was saved, or observations were imported and leads rebuilt.

``links`` sits above ``triage``, ``cases`` and ``leads`` in the layer contract (import-linter, ``make lint``),
so those services cannot call it; the face that finished the work does, once: the CLI's ``triage run`` and
``triage resume``, the web's run launcher (when the run's worker process ends), the case forms and the
records API, ``vigilant cases import``, ``vigilant leads build`` and ``vigilant p2p import``.

A hook never raises an ``Exception``: a rebuild that fails must not fail the run or the save that caused
it. Its failure is logged and written to the graph's freshness record (:mod:`vigilant.links.freshness`),
and the links pages say the graph is stale since then, with the reason, until a rebuild succeeds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from vigilant.links.builder import LinkSettings, Trigger
from vigilant.links.freshness import ALL_TRIGGERS, GraphFreshness
from vigilant.links.service import (
    BuildReport,
    build_all,
    rebuild_for_case,
    rebuild_for_observations,
    rebuild_for_run,
    require_links,
)
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.store.models import utcnow
from vigilant.triage.models import TriageRunRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HookResult:
    """What a hook did: the rebuild's report, or why it failed (recorded), or nothing to do."""

    what: str
    report: BuildReport | None = None
    error: str | None = None

    def line(self) -> str:
        """One line for a face to print."""
        if self.error is not None:
            return (
                f"link graph NOT updated after {self.what}: {self.error} (recorded: the links page shows "
                "the graph as stale; `vigilant links build` rebuilds it)"
            )
        if self.report is None:
            return f"link graph: nothing to update after {self.what}"
        built = ", ".join(f"{n} {b}" for b, n in self.report.links.items())
        return f"link graph updated after {self.what}: {built}"


def _rebuild(
    data_dir: Path, trigger: str, what: str, rebuild: Callable[[], BuildReport | None]
) -> HookResult:
    freshness = GraphFreshness(data_dir)
    try:
        with freshness.lock():
            started = utcnow()
            try:
                report = rebuild()
            except Exception as exc:  # recorded and shown, never lost, never the caller's failure
                # Its first line only, shown to every reader of the links page: a database error's
                # parameters (a record's values) stay in the server's log.
                first = (str(exc).strip().splitlines() or [""])[0]
                reason = f"{type(exc).__name__}: {first}"[:300]
                log.exception("link graph rebuild after %s failed", what)
                freshness.failed(trigger, started, what, reason)
                return HookResult(what, error=reason)
            if report is not None:
                freshness.succeeded([trigger], started)
            return HookResult(what, report=report)
    except OSError as exc:  # the freshness record itself cannot be written: the log is what is left
        log.exception("link graph rebuild after %s: its freshness record could not be written", what)
        return HookResult(what, error=f"the graph's freshness record could not be written: {exc}")


def after_run_finished(
    db: Database, run_id: int, data_dir: Path, observations_dir: Path | None = None
) -> HookResult:
    """Triage run ``run_id`` has ended: if it finished, rebuild the links triage runs make (shared files,
    near-duplicates, cameras, the devices' records). A run that failed or was stopped changes nothing."""
    observations = observations_dir or data_dir / "observations"

    def rebuild() -> BuildReport | None:
        with db.session() as s:
            status = s.scalar(select(TriageRunRow.status).where(TriageRunRow.id == run_id))
        return rebuild_for_run(db, run_id, observations) if status == "finished" else None

    return _rebuild(data_dir, Trigger.RUN, f"triage run {run_id}", rebuild)


def after_case_record(
    db: Database, case_id: int, data_dir: Path, observations_dir: Path | None = None
) -> HookResult:
    """A person, identifier, seizure or other record of case ``case_id`` was saved (the web's saves defer
    this to after the response: :mod:`vigilant.links.deferred`)."""
    return rebuild_records(db, data_dir, f"a record of case {case_id}", observations_dir)


def rebuild_records(
    db: Database, data_dir: Path, what: str, observations_dir: Path | None = None
) -> HookResult:
    """Rebuild the builders case records feed, after ``what`` ("a record of case 3", …)."""
    observations = observations_dir or data_dir / "observations"
    return _rebuild(data_dir, Trigger.RECORD, what, lambda: rebuild_for_case(db, 0, observations))


def after_case_import(db: Database, data_dir: Path, observations_dir: Path | None = None) -> HookResult:
    """A bulk import of case records ended: one rebuild for all of its records."""
    observations = observations_dir or data_dir / "observations"
    return _rebuild(
        data_dir,
        Trigger.RECORD,
        "an import of case records",
        lambda: rebuild_for_case(db, 0, observations),
    )


def after_observations(db: Database, data_dir: Path, observations_dir: Path | None = None) -> HookResult:
    """Observations were imported, or leads rebuilt from them."""
    observations = observations_dir or data_dir / "observations"
    return _rebuild(
        data_dir,
        Trigger.OBSERVATIONS,
        "observations or leads",
        lambda: rebuild_for_observations(db, observations),
    )


def full_build(
    db: Database,
    actor: Actor,
    data_dir: Path,
    settings: LinkSettings | None = None,
    *,
    only: list[str] | None = None,
    observations_dir: Path | None = None,
) -> BuildReport:
    """A full build asked for by a caller (``vigilant links build``, the API): errors are the caller's to
    see; a complete build clears every staleness it covers."""
    require_links(actor)  # before anything is written, even the lock file
    freshness = GraphFreshness(data_dir)
    with freshness.lock():
        started = utcnow()
        report = build_all(db, actor, observations_dir or data_dir / "observations", settings, only=only)
        if not only:
            freshness.succeeded(ALL_TRIGGERS, started)
    return report


def run_hook(db: Database, data_dir: Path) -> Callable[[int], HookResult]:
    """The web run launcher's follow-up: :func:`after_run_finished` for each run whose worker exited."""
    return lambda run_id: after_run_finished(db, run_id, data_dir)
