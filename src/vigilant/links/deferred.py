"""Rebuilds of the record builders after the response: what a case form's save (and the records API) asks.

A save used to rebuild the record builders inside its request, so a form took as long as a rebuild of every
case record of the installation. Now the save marks the graph stale for what changed (:func:`mark`: the
freshness record's *pending* entry, written before the response) and the face runs :func:`drain` after the
response (the web: a background task of the response).

Saves close together fold into one rebuild: one drainer at a time, installation-wide (a non-blocking
``flock`` on ``DATA_DIR/links/records-drain.lock``), rebuilds while a change is pending; a save whose drain
finds another drainer at work returns at once, and that drainer sees the save's mark (written before the
drain was tried) when it looks again after letting go of the lock. So no thread waits on the rebuild lock for
a rebuild another thread is about to do, and no mark is left behind by a drainer that just stopped.

"A failure is recorded and visible, never lost": the rebuild goes through :mod:`vigilant.links.hooks`, which
records a failure in the freshness record; a mark whose rebuild never ran (the server stopped first) stays,
so the links pages say the graph is stale since the save until a rebuild succeeds (the next save's drain,
or ``vigilant links build``, does it).
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path

from vigilant.links import hooks
from vigilant.links.builder import Trigger
from vigilant.links.freshness import GraphFreshness
from vigilant.store import Database
from vigilant.store.models import utcnow

log = logging.getLogger(__name__)

# Rebuilds one drain may run before it leaves the rest to the next save (saves arriving without pause).
MAX_REBUILDS = 20


def mark(data_dir: Path, case_id: int) -> None:
    """A record of ``case_id`` was saved: the graph is stale from now until a rebuild started later ends."""
    try:
        GraphFreshness(data_dir).pending(Trigger.RECORD, utcnow(), f"a record of case {case_id}")
    except OSError:  # the drain still rebuilds; only the early mark is missing, and the log says so
        log.exception("the link graph could not be marked stale after a record of case %s", case_id)


def _waiting(freshness: GraphFreshness) -> str | None:
    pending: dict[str, dict[str, str]] = freshness.read().get("pending", {})
    waiting = pending.get(Trigger.RECORD)
    return waiting["what"] if waiting else None


def drain(db: Database, data_dir: Path) -> list[hooks.HookResult]:
    """Rebuild the record builders while a change is marked pending, unless another drain is at it.
    Returns what each rebuild did (nothing when there was nothing to do, or another drain does it)."""
    freshness = GraphFreshness(data_dir)
    results: list[hooks.HookResult] = []
    try:
        freshness.folder.mkdir(parents=True, exist_ok=True)
        while len(results) < MAX_REBUILDS and _waiting(freshness) is not None:
            with (freshness.folder / "records-drain.lock").open("a") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return results  # another drain holds it, and will look again before it stops
                try:
                    while len(results) < MAX_REBUILDS and (what := _waiting(freshness)) is not None:
                        results.append(hooks.rebuild_records(db, data_dir, what))
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
            # Looked at again after letting go: a save marked while this drain held the lock, whose own
            # drain found the lock taken, is rebuilt here (the loop's condition).
    except OSError:  # the freshness record cannot be read or written: the marks stay, the log says why
        log.exception("the link graph's deferred rebuild could not run")
    return results
