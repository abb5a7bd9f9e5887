"""The dashboard computes an operation's figures once per change of the records, not on every request:
under 50 connections the figures' twenty-odd queries per operation were the page's whole cost. A change
recorded anywhere (an audited write) shows at the next request; each caller keeps their own figures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests.web.conftest import Clock, World, log_in
from vigilant.cases import figures
from vigilant.cases.models import PersonRole
from vigilant.cases.people import add_person
from vigilant.security.audit import AuditLog, RecordChanged, RecordRead, last_change_seq
from vigilant.security.rights import Actor, Role
from vigilant.store import Database
from vigilant.web.figures_memo import VersionedMemo


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The operation ids whose figures were computed, in order."""
    calls: list[int] = []
    real: Callable[..., Any] = figures.operation_figures

    def counting(db: Database, actor: Any, operation_id: int, **kwargs: Any) -> Any:
        calls.append(operation_id)
        return real(db, actor, operation_id, **kwargs)

    monkeypatch.setattr(figures, "operation_figures", counting)
    return calls


def test_figures_are_computed_once_until_a_record_changes(
    client: TestClient, world: World, clock: Clock, db: Database, computed: list[int]
) -> None:
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    first = client.get("/")
    assert first.status_code == 200
    once = list(computed)
    assert world.own_operation in once
    for _ in range(3):
        again = client.get("/")
        assert again.status_code == 200
    assert computed == once  # served from the figures already computed
    coordinator = Actor.cli("coord", agency_id=world.own_agency, roles={"coordinator"})
    add_person(
        db,
        coordinator,
        world.own_case,
        given_names="Robin",
        surname="Newrecord",
        role=PersonRole.ACCUSED,
        date_of_birth=date(1979, 3, 2),
    )
    assert client.get("/").status_code == 200
    assert len(computed) == 2 * len(once)  # the change is seen at the next request


def test_each_caller_gets_figures_computed_for_them(
    client: TestClient, world: World, clock: Clock, computed: list[int]
) -> None:
    assert log_in(client, world.users[Role.COORDINATOR], clock) == 303
    client.get("/")
    after_first = len(computed)
    client.post("/logout", headers={"X-CSRF-Token": client.cookies.get("vigilant_csrf") or ""})
    client.cookies.clear()
    assert log_in(client, world.users[Role.ANALYST], clock) == 303
    assert client.get("/").status_code == 200
    assert len(computed) > after_first  # never another caller's figures


def test_reads_leave_the_records_version_and_changes_move_it(db: Database) -> None:
    who = Actor(None, "tester", frozenset({Role.ADMIN}), None)
    log, now = AuditLog(db), datetime(2026, 12, 7, tzinfo=UTC)
    with db.session() as s:
        start = last_change_seq(s)
    log.record(RecordRead.by(who, object_type="case", object_id="1"), now=now)
    with db.session() as s:
        assert last_change_seq(s) == start
    changed = log.record(RecordChanged.by(who, object_type="case", object_id="1", change="update"), now=now)
    log.record(RecordRead.by(who, object_type="case", object_id="1"), now=now)
    with db.session() as s:
        assert last_change_seq(s) == changed


def test_the_memo_recomputes_on_a_new_version_and_forgets_the_oldest() -> None:
    memo: VersionedMemo[str] = VersionedMemo(size=2)
    made: list[str] = []

    def make(value: str) -> Callable[[], str]:
        def compute() -> str:
            made.append(value)
            return value

        return compute

    assert memo.get("a", 1, make("a1")) == "a1"
    assert memo.get("a", 1, make("never")) == "a1"
    assert memo.get("a", 2, make("a2")) == "a2"
    memo.get("b", 2, make("b2"))
    memo.get("c", 2, make("c2"))  # "a" is the least recently used: forgotten
    assert memo.get("a", 2, make("a2 again")) == "a2 again"
    assert made == ["a1", "a2", "b2", "c2", "a2 again"]


def test_the_records_version_is_one_read_of_the_audit_head(db: Database) -> None:
    """Every dashboard request asks for the version: it is kept on the chain's head row, which every append
    already locks, instead of searched among the events (one sub-query per change action took ~2 ms a request
    on PostgreSQL, and missed the actions of event types not yet imported)."""
    who = Actor(None, "tester", frozenset({Role.ADMIN}), None)
    changed = AuditLog(db).record(
        RecordChanged.by(who, object_type="case", object_id="1", change="update"), now=datetime.now(UTC)
    )
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.session() as s:
            assert last_change_seq(s) == changed
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    queries = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 1, queries
    assert "audit_head" in queries[0]
    assert "audit_event" not in queries[0]
