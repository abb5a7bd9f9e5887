"""The audit store in memory: an :class:`~vigilant.security.audit.AuditStore` for fast service tests.

It keeps what the database's store keeps and answers searches as it does (``tests/test_app_store.py`` runs
one contract against both), without a database: a service test builds ``AuditLog(store=MemoryAuditStore())``
and reads back what the service recorded. It keeps no hash chain: nothing here is evidence.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from vigilant.security.audit import AuditEvent, AuditQuery, AuditRecord, canonical


class MemoryAuditStore:
    """Events in a list, oldest first. ``users``: user name -> id, for searches by a user whose events a
    service wrote under the id only (the database's store looks the name up in its users table)."""

    def __init__(self, users: Mapping[str, int] | None = None) -> None:
        self.users = dict(users or {})
        self.events: list[tuple[int | None, AuditRecord]] = []  # (actor_id, record)
        self._lock = threading.Lock()

    def append(self, event: AuditEvent, *, now: datetime) -> int:
        if now.tzinfo is None:
            raise ValueError("audit times are UTC-aware")
        with self._lock:
            seq = len(self.events) + 1
            record = AuditRecord(
                seq=seq,
                at=now.astimezone(UTC),
                actor=event.actor,
                action=event.action,
                outcome=event.outcome,
                object_type=event.object_type,
                object_id=event.object_id,
                case_ref=event.case_ref,
                source=event.source,
                # The same round trip as the database's store: the detail reads back as stored JSON.
                detail=json.loads(canonical(event.detail())),
            )
            self.events.append((event.actor_id, record))
            return seq

    def find(self, query: AuditQuery) -> list[AuditRecord]:
        user_id = self.users.get(query.by) if query.by is not None else None
        with self._lock:
            kept = list(self.events)
        found = [
            record
            for actor_id, record in reversed(kept)
            if (query.by is None or record.actor == query.by or (user_id is not None and actor_id == user_id))
            and (
                query.action is None
                or record.action == query.action
                or record.action.startswith(query.action + ".")
            )
            and (query.since is None or record.at >= query.since)
            and (query.until is None or record.at < query.until)
            and (query.case_ref is None or record.case_ref == query.case_ref)
            and (query.outcome is None or record.outcome == query.outcome)
        ]
        return found[: query.bounded_limit]

    def count(self) -> int:
        with self._lock:
            return len(self.events)
