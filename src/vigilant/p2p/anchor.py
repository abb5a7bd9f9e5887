"""A session log's outside anchor: its final hash in the audit chain, written when the session ends.

The session log is hash-chained, but whoever can write the log can also recompute every hash: the chain
alone proves only that the file is self-consistent. So when a session ends its final ``sha256`` and record
count go into the audit chain (an :class:`~vigilant.security.audit.ObserverSessionEnded` event, object
``p2p_session`` / the session id), and :func:`check_anchor` compares a log with it: ``p2p verify`` and the
lead package fail a log whose end differs from the chain's, or that the chain does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from vigilant.security.audit import AuditLog, ObserverSessionEnded, event_hash
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor
from vigilant.store import Database

OBJECT_TYPE = "p2p_session"


@dataclass(frozen=True)
class SessionEnd:
    """What a closed session log ends with."""

    session_id: str
    log: str  # file name
    records: int
    final_sha256: str
    parquet_sha256: str | None
    case_id: str | None


def record_session_end(db: Database, actor: Actor, end: SessionEnd, *, now: datetime) -> int:
    """Write the session's end into the audit chain; returns the event's ``seq``."""
    event = ObserverSessionEnded.by(
        actor,
        object_type=OBJECT_TYPE,
        object_id=end.session_id,
        case_ref=end.case_id,
        log=end.log,
        records=end.records,
        final_sha256=end.final_sha256,
        parquet_sha256=end.parquet_sha256,
    )
    return AuditLog(db).record(event, now=now)


@dataclass(frozen=True)
class AnchorCheck:
    status: str  # matches | differs | missing | no-session-id
    audit_seq: int | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "matches"

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "audit_seq": self.audit_seq, "problems": list(self.problems)}


def check_anchor(db: Database, session_id: str | None, records: int, final_sha256: str | None) -> AnchorCheck:
    """Compare a verified log's end with the audit chain's record of it, naming each difference in full."""
    if not session_id:
        return AnchorCheck("no-session-id", problems=("the log names no session (no session_start record)",))
    with db.session() as s:
        rows = list(
            s.scalars(
                select(AuditEventRow)
                .where(
                    AuditEventRow.action == ObserverSessionEnded.action,
                    AuditEventRow.object_type == OBJECT_TYPE,
                    AuditEventRow.object_id == session_id,
                )
                .order_by(AuditEventRow.seq)
            )
        )
        hashes = [(row, event_hash(row) == row.hash) for row in rows]
    if not rows:
        why = f"the audit chain holds no end of session {session_id}: the log cannot be checked against it"
        return AnchorCheck("missing", problems=(why,))
    row, intact = hashes[-1]
    problems: list[str] = []
    if not intact:
        problems.append(f"audit event {row.seq} changed since it was written (run `vigilant audit verify`)")
    logged = row.detail.get("final_sha256")
    if logged != final_sha256:
        problems.append(
            f"final sha256 {final_sha256} differs from audit event {row.seq}, which holds {logged}: "
            "the log was rewritten after its session ended"
        )
    if row.detail.get("records") != records:
        problems.append(
            f"the log has {records} records where audit event {row.seq} counts {row.detail.get('records')}"
        )
    return AnchorCheck("differs" if problems else "matches", row.seq, tuple(problems))
