"""Typed audit events, appended to a hash chain in the database, verified and searched.

Each event becomes one ``audit_event`` row whose ``hash`` is the SHA-256 of the canonical JSON (keys sorted,
no spaces, UTF-8) of every other column, ``prev_hash`` included: editing any field, deleting or inserting a
row, or reordering rows breaks a link that :func:`verify_chain` finds and names by ``seq``. The ``audit_head``
row holds the newest ``seq`` and hash; it is what catches deleted or forged events at the *end* of the chain.

What the chain cannot stop on its own: someone with write access to the database who recomputes every hash
and the head. Against that, anchors (:mod:`vigilant.security.audit_anchor`) take an event's seq and hash out
of the database; an HMAC with a key held outside the database would be a further step.

Events are appended in the caller's transaction, so a change and its audit event commit together or not at
all. Appends are serialised by locking the head row (see :mod:`vigilant.security.locking`): on PostgreSQL by
``SELECT … FOR UPDATE``, on SQLite by the database's single write lock, taken before the head is read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from enum import Enum
from typing import Any, ClassVar, Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigilant.security.errors import PermissionDenied
from vigilant.security.locking import lock_row
from vigilant.security.models import AuditEventRow, AuditHeadRow, UserRow
from vigilant.security.rights import Actor, Permission
from vigilant.store import Database

GENESIS = "0" * 64
HEAD_ID = 1
SEARCH_LIMIT = 1000

E = TypeVar("E", bound="AuditEvent")


# --- the events ------------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """Who did what to which object, with what outcome. Subclass fields become the event's ``detail``."""

    action: ClassVar[str]
    outcome: ClassVar[str] = "success"

    actor: str
    actor_id: int | None = None
    source: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    case_ref: str | None = None

    @classmethod
    def by(cls: type[E], who: Actor, **fields_: Any) -> E:
        """The event with its actor filled in from the caller."""
        return cls(actor=who.username, actor_id=who.user_id, source=who.source, **fields_)

    def detail(self) -> dict[str, Any]:
        common = {f.name for f in fields(AuditEvent)}
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self) if f.name not in common}


@dataclass(frozen=True, kw_only=True)
class LoginSucceeded(AuditEvent):
    action: ClassVar[str] = "login.ok"
    session_id: int
    password_rehashed: bool = False


@dataclass(frozen=True, kw_only=True)
class LoginFailed(AuditEvent):
    action: ClassVar[str] = "login.failed"
    outcome: ClassVar[str] = "failure"
    reason: str  # unknown-user | disabled | bad-password | bad-totp | totp-replay | no-mfa
    failures: int | None = None
    locked_until: datetime | None = None  # set when this failure locked the account


@dataclass(frozen=True, kw_only=True)
class LoginLocked(AuditEvent):
    """A login refused, without checking the password, because the account is locked."""

    action: ClassVar[str] = "login.locked"
    outcome: ClassVar[str] = "denied"
    locked_until: datetime


@dataclass(frozen=True, kw_only=True)
class Logout(AuditEvent):
    action: ClassVar[str] = "logout"
    session_id: int


@dataclass(frozen=True, kw_only=True)
class SessionEnded(AuditEvent):
    action: ClassVar[str] = "session.ended"
    session_id: int
    reason: str  # idle | disabled


@dataclass(frozen=True, kw_only=True)
class TokenCreated(AuditEvent):
    action: ClassVar[str] = "token.created"
    name: str
    roles: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TokenRevoked(AuditEvent):
    action: ClassVar[str] = "token.revoked"


@dataclass(frozen=True, kw_only=True)
class TokenUsed(AuditEvent):
    action: ClassVar[str] = "token.used"


@dataclass(frozen=True, kw_only=True)
class TokenRefused(AuditEvent):
    action: ClassVar[str] = "token.refused"
    outcome: ClassVar[str] = "failure"
    reason: str  # unknown | revoked | user-disabled


@dataclass(frozen=True, kw_only=True)
class RecordRead(AuditEvent):
    action: ClassVar[str] = "record.read"
    query: str | None = None
    records: int | None = None
    receiving_agency: int | None = None


@dataclass(frozen=True, kw_only=True)
class RecordChanged(AuditEvent):
    action: ClassVar[str] = "record.changed"
    change: str  # create | update | delete
    fields_changed: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReleaseFlagCleared(AuditEvent):
    """A reviewer cleared a release flag: naming the accused will not identify the victim it points at."""

    action: ClassVar[str] = "release.flag_cleared"
    person_id: int  # the accused, who will be named
    victim_person_id: int  # internal reference only: the victim is never named
    shared: tuple[str, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class EvidenceLinkDecided(AuditEvent):
    """The owner of an evidence item granted, refused or revoked another agency's request to link it to a
    device seized in that agency's case."""

    action: ClassVar[str] = "evidence.link_decided"
    decision: str  # granted | refused | revoked
    evidence_item_id: int
    requesting_agency_id: int
    reason: str


@dataclass(frozen=True, kw_only=True)
class Exported(AuditEvent):
    action: ClassVar[str] = "export"
    format: str
    records: int | None = None  # None where the exporter does not count them
    destination: str | None = None  # a file path, or "stdout"
    sha256: str | None = None  # of the bytes written to a file: which copy left, provably
    receiving_agency: int | None = None


@dataclass(frozen=True, kw_only=True)
class AccessDenied(AuditEvent):
    action: ClassVar[str] = "permission.denied"
    outcome: ClassVar[str] = "denied"
    permission: str


@dataclass(frozen=True, kw_only=True)
class AuditSearched(AuditEvent):
    action: ClassVar[str] = "audit.search"
    filters: dict[str, Any]
    returned: int


@dataclass(frozen=True, kw_only=True)
class UserCreated(AuditEvent):
    action: ClassVar[str] = "user.created"
    username: str
    roles: tuple[str, ...]
    agency_id: int | None


@dataclass(frozen=True, kw_only=True)
class UserChanged(AuditEvent):
    """A privileged change to an account (CJIS 5.4.1.1: permission and password changes)."""

    action: ClassVar[str] = "user.changed"
    change: str  # disabled | enabled | mfa-reset | password-set | unlocked | roles-set


@dataclass(frozen=True, kw_only=True)
class ObserverSessionEnded(AuditEvent):
    """A P2P observer session's log closed: its final hash, outside the log (``p2p verify`` checks it)."""

    action: ClassVar[str] = "p2p.session.ended"
    log: str  # the session log's file name
    records: int
    final_sha256: str  # the session_end record's sha256: the head of the log's own chain
    parquet_sha256: str | None = None  # the observations written, when the session wrote them


def _plain(value: Any) -> Any:
    """A JSON-ready form of a detail value (times as ISO text, enums as values, sets sorted)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


# --- the chain -------------------------------------------------------------------------------------------
def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_body(row: AuditEventRow) -> dict[str, Any]:
    """The fields an event's hash is taken over, as plain JSON values (its hash is the SHA-256 of their
    canonical text)."""
    return {
        "seq": row.seq,
        "at": row.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row.actor,
        "actor_id": row.actor_id,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "outcome": row.outcome,
        "case_ref": row.case_ref,
        "source": row.source,
        "detail": row.detail,
        "prev_hash": row.prev_hash,
    }


def body_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def event_hash(row: AuditEventRow) -> str:
    return body_hash(event_body(row))


def append(session: Session, event: AuditEvent, *, now: datetime) -> int:
    """Append ``event`` in the caller's transaction and return its ``seq``."""
    if now.tzinfo is None:
        raise ValueError("audit times are UTC-aware")
    head = lock_row(session, AuditHeadRow, HEAD_ID, touch=AuditHeadRow.seq)
    if head is None:
        raise RuntimeError("audit_head row missing: the database was not migrated by Vigilant")
    row = AuditEventRow(
        seq=head.seq + 1,
        at=now.astimezone(UTC),
        actor=event.actor,
        actor_id=event.actor_id,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        outcome=event.outcome,
        case_ref=event.case_ref,
        source=event.source,
        # Round-trip through the canonical text so the stored detail is exactly what was hashed.
        detail=json.loads(canonical(event.detail())),
        prev_hash=head.hash,
    )
    row.hash = event_hash(row)
    session.add(row)
    head.seq, head.hash = row.seq, row.hash
    if event.action not in NON_CHANGES:
        head.change_seq = row.seq
    session.flush()
    return row.seq


def append_many(session: Session, events: Sequence[AuditEvent], *, now: datetime) -> list[int]:
    """Append ``events`` in order in the caller's transaction, under one lock of the head and one flush: the
    same rows and hashes as :func:`append` called for each with the same ``now`` (a bulk import's per-record
    events cost one head round trip instead of N). Their ``seq`` values, in order."""
    if now.tzinfo is None:
        raise ValueError("audit times are UTC-aware")
    if not events:
        return []
    head = lock_row(session, AuditHeadRow, HEAD_ID, touch=AuditHeadRow.seq)
    if head is None:
        raise RuntimeError("audit_head row missing: the database was not migrated by Vigilant")
    at, seq, prev, rows = now.astimezone(UTC), head.seq, head.hash, []
    for event in events:
        seq += 1
        row = AuditEventRow(
            seq=seq, at=at, actor=event.actor, actor_id=event.actor_id, action=event.action,
            object_type=event.object_type, object_id=event.object_id, outcome=event.outcome,
            case_ref=event.case_ref, source=event.source, detail=json.loads(canonical(event.detail())),
            prev_hash=prev,
        )  # fmt: skip
        row.hash = prev = event_hash(row)
        rows.append(row)
        if event.action not in NON_CHANGES:
            head.change_seq = seq
    session.add_all(rows)
    head.seq, head.hash = seq, prev
    session.flush()
    return [r.seq for r in rows]


# Events that change no record: reads, searches, sign-ins and their refusals, exports, anchors. Every other
# event records a change (``record.changed`` and its kin), so the newest of those marks the records' version.
NON_CHANGES = frozenset(
    {
        "record.read",
        "audit.search",
        "audit.anchored",
        "export",
        "login.ok",
        "login.failed",
        "login.locked",
        "logout",
        "session.ended",
        "token.used",
        "token.refused",
        "permission.denied",
    }
)


def last_change_seq(session: Session) -> int:
    """The seq of the newest event that recorded a change (0 if none): what a view computed from the records
    may be cached under, since every change to them is audited in the same transaction. Kept on the head row
    by :func:`append` (any action outside :data:`NON_CHANGES`, whichever module defines its event type): one
    primary-key read, however long the log."""
    found = session.scalar(select(AuditHeadRow.change_seq).where(AuditHeadRow.id == HEAD_ID))
    return int(found or 0)


@dataclass(frozen=True)
class ChainReport:
    events: int
    head_seq: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(db: Database, *, batch: int = 1000) -> ChainReport:
    """Walk the chain in ``seq`` order and report the first broken link, if any.

    The head is read before the walk and again after it, so appends running meanwhile are not mistaken for
    tampering: every committed event is at or below the second head, and the first head's event must be in
    the walk with the first head's hash.
    """
    with db.session() as s:
        head_before = s.get(AuditHeadRow, HEAD_ID)
        if head_before is None:
            return ChainReport(0, 0, 1, "audit_head row missing")
        first_seq, first_hash = head_before.seq, head_before.hash
        expected, prev, count = 1, GENESIS, 0
        stmt = select(AuditEventRow).order_by(AuditEventRow.seq).execution_options(yield_per=batch)
        # Closed on every path: PostgreSQL streams through a server-side cursor that must not be left open.
        with s.execute(stmt) as result:
            for row in result.scalars():
                if row.seq != expected:
                    gap = (
                        f"event {expected} is missing" if row.seq > expected else f"unexpected seq {row.seq}"
                    )
                    return ChainReport(count, first_seq, expected, f"{gap} (found seq {row.seq} next)")
                if row.prev_hash != prev:
                    return ChainReport(count, first_seq, row.seq, "prev_hash does not match the event before")
                if event_hash(row) != row.hash:
                    return ChainReport(count, first_seq, row.seq, "event changed since it was written")
                if row.seq == first_seq and row.hash != first_hash:
                    return ChainReport(count, first_seq, row.seq, "event differs from the chain head")
                prev, expected, count = row.hash, expected + 1, count + 1
        last = expected - 1
        if last < first_seq:
            return ChainReport(count, first_seq, last + 1, f"events {last + 1}–{first_seq} are missing")
        s.expire_all()
        head_after = s.get(AuditHeadRow, HEAD_ID)
        if head_after is None or last > head_after.seq:
            top = 0 if head_after is None else head_after.seq
            return ChainReport(count, first_seq, top + 1, "event past the chain head (inserted)")
    return ChainReport(count, last)


# --- reading the log -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRecord:
    seq: int
    at: datetime
    actor: str
    action: str
    outcome: str
    object_type: str | None
    object_id: str | None
    case_ref: str | None
    source: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class AuditQuery:
    """What an audit search asks for: events matching every filter given, newest first, at most ``limit``."""

    by: str | None = None  # the user's events, whatever name or id the service wrote as author
    action: str | None = None  # "login" matches login.ok, login.failed and login.locked; "login.ok" itself
    since: datetime | None = None
    until: datetime | None = None  # before
    case_ref: str | None = None
    outcome: str | None = None
    limit: int = SEARCH_LIMIT  # clamped to 1..SEARCH_LIMIT

    def used(self) -> dict[str, Any]:
        """The filters given, as the search's own audit event records them."""
        named = {
            "actor": self.by,
            "action": self.action,
            "since": self.since,
            "until": self.until,
            "case_ref": self.case_ref,
            "outcome": self.outcome,
        }
        return {k: v for k, v in named.items() if v is not None}

    @property
    def bounded_limit(self) -> int:
        return max(1, min(self.limit, SEARCH_LIMIT))


class AuditStore(Protocol):
    """Where the audit events are kept: the database (:class:`SqlAuditStore`), or memory for fast service
    tests (:class:`vigilant.security.audit_memory.MemoryAuditStore`); ``tests/test_app_store.py`` holds both
    to one contract."""

    def append(self, event: AuditEvent, *, now: datetime) -> int:
        """Append ``event`` (in a transaction of its own) and return its ``seq``."""
        ...

    def find(self, query: AuditQuery) -> list[AuditRecord]: ...

    def count(self) -> int: ...


class SqlAuditStore:
    """The audit chain in the database: ``audit_event`` rows under the ``audit_head`` lock."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def append(self, event: AuditEvent, *, now: datetime) -> int:
        with self.db.session() as s:
            return append(s, event, now=now)

    def find(self, query: AuditQuery) -> list[AuditRecord]:
        stmt = select(AuditEventRow)
        if query.by is not None:
            # A user's events whatever the service wrote as author: some write the user name, the cases
            # domain the user id; every event carries the user id beside it.
            user = select(UserRow.id).where(UserRow.username == query.by).scalar_subquery()
            stmt = stmt.where((AuditEventRow.actor == query.by) | (AuditEventRow.actor_id == user))
        if query.action is not None:
            stmt = stmt.where(
                (AuditEventRow.action == query.action) | AuditEventRow.action.startswith(query.action + ".")
            )
        if query.since is not None:
            stmt = stmt.where(AuditEventRow.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(AuditEventRow.at < query.until)
        if query.case_ref is not None:
            stmt = stmt.where(AuditEventRow.case_ref == query.case_ref)
        if query.outcome is not None:
            stmt = stmt.where(AuditEventRow.outcome == query.outcome)
        stmt = stmt.order_by(AuditEventRow.seq.desc()).limit(query.bounded_limit)
        with self.db.session() as s:
            return [_record(row) for row in s.scalars(stmt)]

    def count(self) -> int:
        with self.db.session() as s:
            return int(s.scalar(select(func.count()).select_from(AuditEventRow)) or 0)


class AuditLog:
    """The audit service: record events, check rights with a record of refusals, search for auditors.

    Its events are kept by ``store`` (default: the database's chain); anchors read the database itself.
    """

    def __init__(self, db: Database | None = None, *, store: AuditStore | None = None) -> None:
        if store is None:
            if db is None:
                raise ValueError("an audit log needs a database or a store")
            store = SqlAuditStore(db)
        self._db = db
        self.store = store

    @property
    def db(self) -> Database:
        if self._db is None:
            raise RuntimeError("this audit log keeps its events in memory: anchors need the database")
        return self._db

    def record(self, event: AuditEvent, *, now: datetime) -> int:
        """Append ``event`` in a transaction of its own (for events with no change beside them)."""
        return self.store.append(event, now=now)

    def authorize(
        self,
        actor: Actor,
        permission: Permission,
        *,
        now: datetime,
        object_type: str | None = None,
        object_id: str | None = None,
        case_ref: str | None = None,
    ) -> None:
        """Like :func:`~vigilant.security.rights.require`, but a refusal is written to the log first."""
        if actor.may(permission):
            return
        self.record(
            AccessDenied.by(
                actor,
                permission=str(permission),
                object_type=object_type,
                object_id=object_id,
                case_ref=case_ref,
            ),
            now=now,
        )
        raise PermissionDenied(actor.username, str(permission))

    def search(
        self,
        actor: Actor,
        *,
        now: datetime,
        by: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        case_ref: str | None = None,
        outcome: str | None = None,
        limit: int = SEARCH_LIMIT,
    ) -> list[AuditRecord]:
        """Events matching every filter given, newest first. Auditors and admins only; itself audited."""
        self.authorize(actor, Permission.AUDIT_READ, now=now, object_type="audit_log")
        query = AuditQuery(
            by=by, action=action, since=since, until=until, case_ref=case_ref, outcome=outcome, limit=limit
        )
        found = self.store.find(query)
        searched = AuditSearched.by(actor, object_type="audit_log", filters=query.used(), returned=len(found))
        self.record(searched, now=now)
        return found

    def count(self) -> int:
        return self.store.count()


def _record(row: AuditEventRow) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        outcome=row.outcome,
        object_type=row.object_type,
        object_id=row.object_id,
        case_ref=row.case_ref,
        source=row.source,
        detail=dict(row.detail),
    )


def records(events: Iterable[AuditRecord]) -> list[dict[str, Any]]:
    """Plain dicts of records (for JSON output)."""
    return [{f.name: _plain(getattr(e, f.name)) for f in fields(e)} for e in events]
