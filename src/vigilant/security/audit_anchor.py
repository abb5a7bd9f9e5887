"""Anchors: the audit chain's head taken out of the database, to catch a chain rewritten wholesale.

The hash chain (:mod:`vigilant.security.audit`) catches an edited, deleted, inserted or reordered event,
unless whoever edits also recomputes every hash after the edit and the head: anyone with write access to
the database can. An anchor is the seq and hash of one event, written to a small file that leaves the
database's reach: printed into a court package, sent to the operation's coordinator, kept in a write-once
store. Verifying against an anchor checks that the chain still holds that event with that hash; a chain
rewritten at or before the anchored event no longer does, and one cut short before it lacks the event.

Taking an anchor is itself an event (``audit.anchored``), and the anchor is that event: the file proves the
log up to and including the moment it was taken.

When an anchor and the log disagree, a court asks which side is wrong. So an anchor (format 2) carries the
anchored event's hashed fields too, and its hash can be recomputed from the file alone: a file whose hash
does not follow from its own event was altered or damaged (and the log is then compared with the file's
event, field by field); a file consistent in itself that the log no longer matches means the log was
rewritten, and the fields that differ are named (``prev_hash`` when an earlier event was changed). Hashes
are always shown in full: two altered hashes may share any prefix. Anchors of format 1 (seq, hash and time
only) are still checked, but cannot tell which side changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from vigilant.errors import BadInputError
from vigilant.security.audit import AuditEvent, AuditLog, append, body_hash, event_body
from vigilant.security.models import AuditEventRow
from vigilant.security.rights import Actor, Permission

FORMAT = "vigilant-audit-anchor/2"
FORMAT_1 = "vigilant-audit-anchor/1"  # seq, hash and time only: still read and checked
_HASH = re.compile(r"[0-9a-f]{64}")
MAX_SEQ = 2**63 - 1  # audit_event.seq is a BIGINT: a larger seq names no event (and cannot be bound)


@dataclass(frozen=True, kw_only=True)
class AuditAnchored(AuditEvent):
    action: ClassVar[str] = "audit.anchored"
    note: str | None  # where the anchor is to be kept, as the person taking it said


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str  # the event's hash, hex
    at: datetime  # the event's time (UTC): when the anchor was taken
    event: dict[str, Any] | None = None  # the event's hashed fields (format 2); None for format 1

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format": FORMAT if self.event is not None else FORMAT_1}
        data |= {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat()}
        if self.event is not None:
            data["event"] = self.event
        return data

    @classmethod
    def from_json(cls, data: Any, where: str) -> Anchor:
        """An anchor read back; anything else is refused, naming ``where`` it came from. Whether the file
        is consistent in itself is for :func:`check_anchor` to say, not a reason to refuse it."""
        if not isinstance(data, dict) or data.get("format") not in (FORMAT, FORMAT_1):
            raise BadInputError(
                f"{where}: not a Vigilant audit anchor", hint=f"expected format {FORMAT!r} or {FORMAT_1!r}"
            )
        seq, digest, at = data.get("seq"), data.get("hash"), data.get("at")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SEQ:
            raise BadInputError(f"{where}: the anchor's seq is not a positive whole number")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise BadInputError(f"{where}: the anchor's hash is not 64 lower-case hexadecimal characters")
        try:
            moment = datetime.fromisoformat(at) if isinstance(at, str) else None
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise BadInputError(f"{where}: the anchor's time is not an ISO time with its zone")
        event = data.get("event")
        if data["format"] == FORMAT and not isinstance(event, dict):
            raise BadInputError(f"{where}: the anchor has no event (format {FORMAT!r} carries one)")
        return cls(seq, digest, moment, event if isinstance(event, dict) else None)

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
        return Anchor(row.seq, row.hash, row.at, event_body(row))


def check_anchor(log: AuditLog, actor: Actor, anchor: Anchor, *, now: datetime) -> str | None:
    """None when the chain holds the anchored event unchanged; else what is wrong, in words, saying which
    side is inconsistent: the anchor file or the log. Auditors only."""
    log.authorize(actor, Permission.AUDIT_READ, now=now, object_type="audit")
    file_problem = _file_inconsistency(anchor)
    with log.db.session() as s:
        row = s.get(AuditEventRow, anchor.seq)
        if row is None:
            if file_problem is not None:
                return f"{file_problem}; the log has no event {anchor.seq} either"
            return f"event {anchor.seq} is gone: the log was cut short after the anchor was taken"
        log_hash, log_body = row.hash, event_body(row)
    if row.hash == anchor.hash and file_problem is None:
        return None
    if file_problem is not None:
        assert anchor.event is not None  # format 1 files cannot be judged on their own
        if log_body == anchor.event and log_hash == body_hash(log_body):
            return (
                f"{file_problem}; the log holds the anchored event unchanged (hash {log_hash}): "
                "the anchor file was altered or damaged, not the log"
            )
        return (
            f"{file_problem}; and the log's event {row.seq} (hash {log_hash}) differs from the file's event "
            f"in {_differing(anchor.event, log_body)}: neither side can be trusted, keep both for examination"
        )
    if anchor.event is None:
        return (
            f"event {anchor.seq} has hash {log_hash} in the log, the anchor {anchor.hash}: the log was "
            "rewritten at or before the anchored event, or the anchor file was altered (an anchor of "
            "format 1 holds no event, so it cannot tell which: take anchors again to get ones that can)"
        )
    return (
        f"event {anchor.seq} has hash {log_hash} in the log, the anchor {anchor.hash}; the anchor file is "
        f"consistent in itself and the log's event differs from it in {_differing(anchor.event, log_body)}: "
        "the log was rewritten at or before the anchored event"
    )


def _file_inconsistency(anchor: Anchor) -> str | None:
    """What is wrong with an anchor file on its own (format 2), in words; None if it is consistent."""
    if anchor.event is None:
        return None
    recomputed = body_hash(anchor.event)
    if recomputed != anchor.hash:
        return (
            f"the anchor file is inconsistent: it states hash {anchor.hash}, its own event recomputes to "
            f"{recomputed}"
        )
    if anchor.event.get("seq") != anchor.seq:
        return (
            f"the anchor file is inconsistent: it states seq {anchor.seq}, its own event is seq "
            f"{anchor.event.get('seq')}"
        )
    return None


def _differing(anchored: dict[str, Any], logged: dict[str, Any]) -> str:
    fields = sorted(k for k in anchored.keys() | logged.keys() if anchored.get(k) != logged.get(k))
    named = ", ".join(fields) or "no field (only its stored hash)"
    if "prev_hash" in fields:
        named += " (prev_hash: an event before it was changed)"
    return named
