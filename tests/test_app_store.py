"""One contract, every audit store: the in-memory fake answers as the database's store does, so a service
test can use the fake and save the database (python-threatexchange's habit). Each contract test runs on
the fake, SQLite and PostgreSQL; the service tests below it run on the fake alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from vigilant.security.audit import (
    SEARCH_LIMIT,
    AuditLog,
    AuditQuery,
    AuditStore,
    LoginFailed,
    LoginSucceeded,
    RecordChanged,
    RecordRead,
    SqlAuditStore,
)
from vigilant.security.audit_memory import MemoryAuditStore
from vigilant.security.errors import PermissionDenied
from vigilant.security.passwords import ArgonParams, Passwords
from vigilant.security.rights import Actor, Role
from vigilant.security.users import UserService
from vigilant.store import open_database

FAST = Passwords(ArgonParams(time_cost=1, memory_cost_kib=1024, parallelism=1))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROOT = Actor.cli("root-on-server")


@dataclass
class Subject:
    store: AuditStore
    add_user: Callable[[str], int]  # a user of that name, whose id the store can match; returns the id


def _memory() -> Subject:
    memory = MemoryAuditStore()

    def add_user(name: str) -> int:
        memory.users[name] = 100 + len(memory.users)
        return memory.users[name]

    return Subject(memory, add_user)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    if request.param == "memory":
        yield _memory()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:  # an empty schema, as the db fixture gives
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    db = open_database(url)
    users = UserService(db, passwords=FAST)

    def add_user(name: str) -> int:
        # Created before T0: its own audit event stays out of every search below (all from T0 on).
        made = users.create(
            ROOT, name, "correct horse battery staple", roles=frozenset({Role.ANALYST}), agency_id=None,
            now=T0 - timedelta(days=1),
        )  # fmt: skip
        return made.user_id

    yield Subject(SqlAuditStore(db), add_user)
    db.dispose()


def _fill(subject: Subject) -> tuple[int, list[int]]:
    """Five events from T0 on, one a minute; the user dana's id and the events' seqs."""
    dana_id = subject.add_user("dana")
    dana = Actor(dana_id, "dana", frozenset({Role.ANALYST}), None, source="203.0.113.7")
    events = [
        LoginSucceeded.by(dana, session_id=1),
        RecordRead.by(dana, object_type="case", object_id="7", case_ref="OP-1", records=3),
        # Written under the id alone, as the cases domain writes its author.
        RecordChanged(actor=str(dana_id), actor_id=dana_id, change="update", case_ref="OP-1"),
        LoginFailed(actor="mallory", reason="bad-password", source="198.51.100.9"),
        RecordChanged.by(
            ROOT, change="create", object_type="case", case_ref="OP-2", fields_changed=("title",)
        ),
    ]
    seqs = [subject.store.append(e, now=T0 + timedelta(minutes=i)) for i, e in enumerate(events)]
    return dana_id, seqs


def _seqs(subject: Subject, **filters: object) -> list[int]:
    query = AuditQuery(**{"since": T0, **filters})  # type: ignore[arg-type]
    return [r.seq for r in subject.store.find(query)]


# --- the contract -----------------------------------------------------------------------------------------
def test_appends_number_the_events_in_order_and_count_them(subject: Subject) -> None:
    before = subject.store.count()
    _, seqs = _fill(subject)
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert subject.store.count() == before + 5 + (seqs[0] - before - 1)  # dana's creation, on the database
    with pytest.raises(ValueError, match="UTC-aware"):
        subject.store.append(LoginFailed(actor="x", reason="bad-password"), now=datetime(2026, 3, 2, 9, 0))


def test_a_found_event_reads_back_as_it_was_recorded(subject: Subject) -> None:
    _, seqs = _fill(subject)
    [read] = subject.store.find(AuditQuery(since=T0, action="record.read"))
    assert read.seq == seqs[1]
    assert read.at == T0 + timedelta(minutes=1)
    assert (read.actor, read.action, read.outcome) == ("dana", "record.read", "success")
    assert (read.object_type, read.object_id, read.case_ref, read.source) == (
        "case",
        "7",
        "OP-1",
        "203.0.113.7",
    )
    assert read.detail == {"query": None, "records": 3, "receiving_agency": None}
    [created] = subject.store.find(AuditQuery(since=T0, case_ref="OP-2"))
    assert created.detail == {"change": "create", "fields_changed": ["title"]}  # as JSON keeps it


def test_every_filter_narrows_the_search_newest_first(subject: Subject) -> None:
    _, s = _fill(subject)
    assert _seqs(subject) == s[::-1]
    assert _seqs(subject, by="dana") == [s[2], s[1], s[0]]  # by name, and by id where written so
    assert _seqs(subject, by="mallory") == [s[3]]
    assert _seqs(subject, action="login") == [s[3], s[0]]  # a prefix up to a dot
    assert _seqs(subject, action="login.ok") == [s[0]]
    assert _seqs(subject, action="log") == []
    assert _seqs(subject, case_ref="OP-1") == [s[2], s[1]]
    assert _seqs(subject, outcome="failure") == [s[3]]
    assert _seqs(subject, until=T0 + timedelta(minutes=2)) == [s[1], s[0]]  # before, not at
    assert _seqs(subject, since=T0 + timedelta(minutes=3)) == [s[4], s[3]]  # from, at included
    assert _seqs(subject, by="dana", case_ref="OP-1") == [s[2], s[1]]
    assert _seqs(subject, limit=2) == [s[4], s[3]]
    assert _seqs(subject, limit=0) == [s[4]]  # at least one
    assert AuditQuery(limit=SEARCH_LIMIT + 5).bounded_limit == SEARCH_LIMIT


# --- a service over the fake: fast, no database -----------------------------------------------------------
def test_an_audit_search_is_refused_and_logged_for_a_caller_without_the_right() -> None:
    store = MemoryAuditStore()
    log = AuditLog(store=store)
    analyst = Actor(5, "ana", frozenset({Role.ANALYST}), 1)
    with pytest.raises(PermissionDenied):
        log.search(analyst, now=T0)
    [denied] = store.find(AuditQuery())
    assert (denied.action, denied.outcome, denied.actor) == ("permission.denied", "denied", "ana")
    assert denied.detail["permission"] == "audit.read"


def test_an_audit_search_records_itself_after_reading() -> None:
    store = MemoryAuditStore()
    log = AuditLog(store=store)
    auditor = Actor(6, "aud", frozenset({Role.AUDITOR}), 1)
    log.record(LoginFailed(actor="mallory", reason="bad-password"), now=T0)
    found = log.search(auditor, now=T0 + timedelta(minutes=1), action="login")
    assert [r.actor for r in found] == ["mallory"]  # the search's own event is not among its results
    newest = store.find(AuditQuery(limit=1))[0]
    assert (newest.action, newest.actor) == ("audit.search", "aud")
    assert newest.detail["filters"] == {"action": "login"}
    assert newest.detail["returned"] == 1
    assert log.count() == 2
    with pytest.raises(RuntimeError, match="anchors need the database"):
        _ = log.db
