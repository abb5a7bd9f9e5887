"""Anchors: the audit chain's head taken out of the database, to catch a chain rewritten wholesale.

The hash chain (:mod:`vigilant.security.audit`) catches an edited, deleted, inserted or reordered event,
unless whoever edits also recomputes every hash after the edit and the head: anyone with write access to
the database can. An anchor is the seq and hash of one event, written to a small file that leaves the
database's reach: printed into a court package, sent to the operation's coordinator, kept in a write-once
store. Verifying against an anchor checks that the chain still holds that event with that hash; a chain
rewritten at or before the anchored event no longer does, and one cut short before it lacks the event.

Taking an anchor is itself an event (``audit.anchored``), and the anchor is that event: the file proves the
log up to and including the moment it was taken.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from vigilant.errors import BadInputError
from vigilant.security.audit import AuditEvent, AuditLog, append
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Permission

FORMAT = "vigilant-audit-anchor/1"
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, kw_only=True)
class AuditAnchored(AuditEvent):
    action: ClassVar[str] = "audit.anchored"
    note: str | None  # where the anchor is to be kept, as the person taking it said


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str  # the event's hash, hex
    at: datetime  # the event's time (UTC): when the anchor was taken

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "seq": self.seq, "hash": self.hash, "at": self.at.isoformat()}

    @classmethod
    def from_json(cls, data: Any, where: str) -> Anchor:
        """An anchor read back; anything else is refused, naming ``where`` it came from."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BadInputError(f"{where}: not a Vigilant audit anchor", hint=f"expected format {FORMAT!r}")
        seq, digest, at = data.get("seq"), data.get("hash"), data.get("at")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
            raise BadInputError(f"{where}: the anchor's seq is not a positive whole number")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise BadInputError(f"{where}: the anchor's hash is not 64 lower-case hexadecimal characters")
        try:
            moment = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise BadInputError(f"{where}: the anchor's time is not an ISO time with its zone")
        return cls(seq, digest, moment)

    @classmethod
    def read(cls, path: Path) -> Anchor:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BadInputError(f"{path}: cannot read the anchor: {exc}") from None
        return cls.from_json(data, str(path))


def take_anchor(log: AuditLog, actor: Actor, *, now: datetime, note: str | None = None) -> Anchor:
    """Append an ``audit.anchored`` event and return it as the anchor (seq, hash, time); auditors only
    (a refusal is itself logged)."""
    log.authorize(actor, Permission.AUDIT_READ, now=now, object_type="audit")
    with log.db.session() as s:
        seq = append(s, AuditAnchored.by(actor, note=note), now=now)
        row = s.get(AuditEventRow, seq)
        assert row is not None  # just appended in this transaction
        return Anchor(row.seq, row.hash, row.at)


def check_anchor(log: AuditLog, actor: Actor, anchor: Anchor, *, now: datetime) -> str | None:
    """None when the chain holds the anchored event unchanged; else what is wrong, in words. Auditors only."""
    log.authorize(actor, Permission.AUDIT_READ, now=now, object_type="audit")
    with log.db.session() as s:
        row = s.get(AuditEventRow, anchor.seq)
        if row is None:
            return f"event {anchor.seq} is gone: the log was cut short after the anchor was taken"
        if row.hash != anchor.hash:
            return (
                f"event {anchor.seq} has hash {row.hash[:16]}…, the anchor {anchor.hash[:16]}…: "
                "the log was rewritten at or before the anchored event"
            )
    return None
