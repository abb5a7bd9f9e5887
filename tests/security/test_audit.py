"""The audit hash chain: typed events, tamper detection by seq, concurrent appends, auditor-only search."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, select, update

from tests.security.conftest import ADMIN, T0
from vigilant.security.audit import (
    GENESIS,
    AuditEvent,
    AuditLog,
    Exported,
    RecordChanged,
    RecordRead,
    append,
    event_hash,
    verify_chain,
)
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow, AuditHeadRow
from vigilant.security.rights import Actor, Role
from vigilant.store import Database

ANN = Actor(user_id=3, username="ann", roles=frozenset({Role.INVESTIGATOR}), agency_id=7, source="192.0.2.1")
AUDITOR = Actor(user_id=4, username="aud", roles=frozenset({Role.AUDITOR}), agency_id=1)


def _fill(db: Database, n: int = 6) -> AuditLog:
    log = AuditLog(db)
    for i in range(n):
        where = {"object_type": "case", "object_id": str(i), "case_ref": f"C-{i % 2}"}
        events: list[AuditEvent] = [
            RecordRead.by(ANN, **where, records=i),
            RecordChanged.by(ANN, **where, change="update"),
            Exported.by(ANN, **where, format="csv", records=i),
        ]
        log.record(events[i % 3], now=T0 + timedelta(seconds=i, microseconds=17))
    return log


def _row(db: Database, seq: int) -> AuditEventRow:
    with db.session() as s:
        return s.get_one(AuditEventRow, seq)


def test_events_chain_from_genesis_and_keep_microseconds(db: Database) -> None:
    _fill(db)
    first, second = _row(db, 1), _row(db, 2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash == event_hash(first)
    assert first.at == T0 + timedelta(microseconds=17)
    assert (first.action, first.actor, first.actor_id, first.source, first.detail) == (
        "record.read", "ann", 3, "192.0.2.1", {"query": None, "records": 0, "receiving_agency": None},
    )  # fmt: skip
    report = verify_chain(db)
    assert (report.ok, report.events, report.head_seq) == (True, 6, 6)


def test_an_empty_chain_is_intact(db: Database) -> None:
    assert verify_chain(db).ok


def test_an_edited_field_is_found_at_its_seq(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 3).values(actor="someone else"))
    report = verify_chain(db)
    assert (report.broken_seq, report.reason) == (3, "event changed since it was written")


def test_an_edited_detail_is_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(detail={"change": "delete"}))
    assert verify_chain(db).broken_seq == 2


def test_a_deleted_row_is_found_at_its_seq(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq == 4))
    report = verify_chain(db)
    assert report.broken_seq == 4
    assert "event 4 is missing" in (report.reason or "")


def test_deleting_the_newest_events_is_found_by_the_head(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq >= 5))
    assert verify_chain(db).broken_seq == 5


def test_a_forged_row_past_the_head_is_found_even_with_a_correct_hash(db: Database) -> None:
    _fill(db)
    last = _row(db, 6)
    forged = AuditEventRow(
        seq=7, at=T0, actor="ann", actor_id=3, action="record.read", outcome="success", detail={},
        prev_hash=last.hash,
    )  # fmt: skip
    forged.hash = event_hash(forged)
    with db.session() as s:
        s.add(forged)
    report = verify_chain(db)
    assert (report.broken_seq, report.reason) == (7, "event past the chain head (inserted)")


def test_a_row_forged_into_the_middle_is_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:  # make room at seq 3, top down so seq stays unique
        for seq in range(6, 2, -1):
            s.execute(update(AuditEventRow).where(AuditEventRow.seq == seq).values(seq=seq + 1))
            s.flush()
    forged = AuditEventRow(
        seq=3, at=T0, actor="ann", actor_id=3, action="record.read", outcome="success", detail={},
        prev_hash=_row(db, 2).hash,
    )  # fmt: skip
    forged.hash = event_hash(forged)
    with db.session() as s:
        s.add(forged)
    # The forged row itself links correctly; the row after it no longer does.
    assert verify_chain(db).broken_seq == 4


def test_two_swapped_rows_are_found_at_the_first(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 2).values(seq=-2))
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 5).values(seq=2))
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == -2).values(seq=5))
    assert verify_chain(db).broken_seq == 2


def test_a_changed_prev_hash_is_found(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        s.execute(update(AuditEventRow).where(AuditEventRow.seq == 5).values(prev_hash="f" * 64))
    report = verify_chain(db)
    assert (report.broken_seq, report.reason) == (5, "prev_hash does not match the event before")


def test_a_rehashed_last_event_disagrees_with_the_head(db: Database) -> None:
    _fill(db)
    with db.session() as s:
        row = s.get_one(AuditEventRow, 6)
        row.actor = "someone else"
        row.hash = event_hash(row)
    assert verify_chain(db).broken_seq == 6


@pytest.mark.parametrize("workers", [4])
def test_concurrent_appends_keep_one_valid_chain(db: Database, workers: int) -> None:
    """Threads, each with its own connection (SQLite: one file; PostgreSQL: separate sessions)."""
    per_worker = 15
    errors: list[BaseException] = []
    start = threading.Barrier(workers)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(per_worker):
                with db.session() as s:
                    ev = RecordRead(actor=f"w{n}", object_type="case", object_id=str(i))
                    append(s, ev, now=T0 + timedelta(microseconds=i))
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = verify_chain(db)
    assert (report.ok, report.events) == (True, workers * per_worker)
    with db.session() as s:
        assert s.get_one(AuditHeadRow, 1).seq == workers * per_worker
        assert list(s.scalars(select(AuditEventRow.seq).order_by(AuditEventRow.seq))) == list(
            range(1, workers * per_worker + 1)
        )


def test_search_is_for_auditors_and_admins_and_is_itself_audited(db: Database) -> None:
    log = _fill(db)
    with pytest.raises(PermissionDenied, match=r"ann may not audit\.read"):
        log.search(ANN, now=T0)
    denied = _row(db, 7)
    assert (denied.action, denied.outcome, denied.actor, denied.detail) == (
        "permission.denied", "denied", "ann", {"permission": "audit.read"},
    )  # fmt: skip

    found = log.search(AUDITOR, now=T0 + timedelta(hours=1), action="record", case_ref="C-0")
    assert [e.seq for e in found] == [5, 1]  # seq 3 is an export
    searched = _row(db, 8)
    assert (searched.action, searched.actor) == ("audit.search", "aud")
    assert searched.detail == {"filters": {"action": "record", "case_ref": "C-0"}, "returned": 2}

    since = log.search(ADMIN, now=T0, since=T0 + timedelta(seconds=4), by="ann")
    assert [e.seq for e in since] == [6, 5]  # the denial (seq 7) was at T0
    assert [e.action for e in log.search(AUDITOR, now=T0, action="audit.search")] == ["audit.search"] * 2
    assert verify_chain(db).ok


def test_naive_times_are_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="UTC-aware"), db.session() as s:
        append(s, RecordRead(actor="ann"), now=datetime(2026, 1, 1))
