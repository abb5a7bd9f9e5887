"""Whether the link graph is up to date: when each kind of rebuild last succeeded, and the last failure of
each with its reason, kept beside the data (``DATA_DIR/links/graph-state.json``).

A rebuild the hooks start (:mod:`vigilant.links.hooks`) must never fail the triage run or the form save
that caused it, and must never be lost in silence either: its failure is written here, and the links pages
say "the graph is stale since X" with the reason until a rebuild of that kind succeeds. A triage run that
finished after the last successful rebuild of the run builders (its hook lost with a server restart, say)
makes the graph stale too: that is read from the runs themselves, so no lost hook can hide it.

A change whose rebuild is deferred (a case form's save: the rebuild runs after the response,
:mod:`vigilant.links.deferred`) is written here as *pending* before the response, so the graph reads as stale
from the save until a rebuild that started after it succeeds, even if the server stops before that rebuild.

The state is a small JSON file rather than a table; rebuilds are serialised across the server's threads,
the triage workers and the CLI by an exclusive ``flock`` on ``DATA_DIR/links/rebuild.lock`` (held for the
whole rebuild), each change of the file by a second one on ``state.lock`` (held for the read and the write
alone, so a save marking the graph stale never waits for a rebuild), and the file is replaced atomically
(written under a temporary name, then renamed).
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from vigilant.links.builder import Trigger
from vigilant.store import Database
from vigilant.triage.models import TriageRunRow

STATE_VERSION = 1
ALL_TRIGGERS = (Trigger.RUN, Trigger.RECORD, Trigger.OBSERVATIONS)


@dataclass(frozen=True)
class Staleness:
    """Why the graph may not show everything the records hold, and since when."""

    since: datetime
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "reason": self.reason}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class GraphFreshness:
    """The freshness record of the graph of one installation (one data folder)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "links"
        self.path = self.folder / "graph-state.json"

    @contextmanager
    def _flock(self, name: str) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / name).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """One rebuild at a time across every process of the installation (two rebuilds replacing the same
        builder's links at once would each delete what the other is writing)."""
        with self._flock("rebuild.lock"):
            yield

    def read(self) -> dict[str, Any]:
        """The recorded state; an unreadable file reads as a failure of every kind (never as fresh)."""
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
                raise ValueError(f"not a version {STATE_VERSION} graph state")
            return state
        except FileNotFoundError:
            return {"version": STATE_VERSION, "built": {}, "failed": {}, "pending": {}}
        except (OSError, ValueError) as exc:
            at = datetime.fromtimestamp(self.path.stat().st_mtime, UTC).isoformat()
            reason = f"the graph's state file {self.path} is unreadable ({exc})"
            failed = {t: {"at": at, "what": "state", "reason": reason} for t in ALL_TRIGGERS}
            return {"version": STATE_VERSION, "built": {}, "failed": failed, "pending": {}}

    def _write(self, state: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".graph-state-", dir=self.folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(state, out, indent=1, sort_keys=True)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def succeeded(self, triggers: Iterable[str], started: datetime) -> None:
        """Rebuilds of ``triggers`` that started at ``started`` succeeded: they saw everything until then."""
        with self._flock("state.lock"):
            state = self.read()
            for trigger in triggers:
                state["built"][trigger] = _utc(started).isoformat()
                state["failed"].pop(trigger, None)
                self._settle(state, trigger, started)
            self._write(state)

    def failed(self, trigger: str, at: datetime, what: str, reason: str) -> None:
        """A rebuild of ``trigger`` (after ``what``: "triage run 12", …) failed: kept until one succeeds."""
        with self._flock("state.lock"):
            state = self.read()
            earlier = state["failed"].get(trigger)
            since = earlier["at"] if earlier else _utc(at).isoformat()  # stale since the first failure
            state["failed"][trigger] = {"at": since, "what": what, "reason": reason}
            self._settle(state, trigger, at)  # the failure is what shows now
            self._write(state)

    def pending(self, trigger: str, at: datetime, what: str) -> None:
        """A change at ``at`` (``what``) waits for a rebuild of ``trigger`` that has not started yet: the
        graph is stale from now until a rebuild started after ``at`` ends."""
        with self._flock("state.lock"):
            state = self.read()
            waiting = state.setdefault("pending", {}).get(trigger)
            if waiting is None:
                state["pending"][trigger] = {"at": _utc(at).isoformat(), "what": what}
            else:  # stale since the oldest change not yet rebuilt; the newest says what
                waiting["what"] = what
            self._write(state)

    @staticmethod
    def _settle(state: dict[str, Any], trigger: str, started: datetime) -> None:
        """A rebuild of ``trigger`` that started at ``started`` saw every change pending from before then."""
        waiting = state.setdefault("pending", {}).get(trigger)
        if waiting is not None and datetime.fromisoformat(waiting["at"]) <= _utc(started):
            del state["pending"][trigger]

    def stale(self, db: Database) -> list[Staleness]:
        """Everything that makes the graph stale now, oldest first (empty: fresh as far as is known)."""
        state = self.read()
        out = [
            Staleness(
                _utc(datetime.fromisoformat(f["at"])), f"rebuild after {f['what']} failed: {f['reason']}"
            )
            for f in state["failed"].values()
        ]
        out += [
            Staleness(_utc(datetime.fromisoformat(w["at"])), f"the rebuild after {w['what']} has not ended")
            for w in state.get("pending", {}).values()
        ]
        built = state["built"].get(Trigger.RUN)
        query = select(TriageRunRow.id, TriageRunRow.finished_at).where(
            TriageRunRow.status == "finished", TriageRunRow.finished_at.is_not(None)
        )
        if built is not None:
            query = query.where(TriageRunRow.finished_at > datetime.fromisoformat(built))
        with db.session() as s:
            rows = s.execute(query.order_by(TriageRunRow.finished_at)).all()
        later = [(run, _utc(at)) for run, at in rows if at is not None]
        if later:
            runs = ", ".join(str(run) for run, _ in later[:10]) + (" …" if len(later) > 10 else "")
            out.append(
                Staleness(
                    later[0][1],
                    f"triage run(s) {runs} finished after the last rebuild of the links triage runs make",
                )
            )
        return sorted(out, key=lambda x: x.since)
