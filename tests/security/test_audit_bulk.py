"""Bulk audit appends: N events under one lock give the chain N single appends give, and it verifies."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from tests.security.conftest import T0
from tests.security.test_audit import ANN, _fill
from vigilant.security.audit import (
    AuditEvent,
    Exported,
    RecordChanged,
    RecordRead,
    append,
    append_many,
    last_change_seq,
    verify_chain,
)
from vigilant.security.models import AuditEventRow, AuditHeadRow
from vigilant.store import Database

NOW = T0 + timedelta(hours=1, microseconds=3)
EVENTS: list[AuditEvent] = [
    RecordChanged.by(ANN, object_type="registrant", object_id="1", change="create"),
    RecordChanged.by(
        ANN, object_type="registrant", object_id="2", change="update", fields_changed=("orders",)
    ),
    Exported.by(ANN, object_type="registrant", format="csv", records=2),
    RecordChanged.by(ANN, object_type="registrant", object_id="3", change="create"),
    RecordRead.by(ANN, object_type="registrant", query="due", records=3),  # not a change: change_seq stays
]
Chain = tuple[list[tuple[int, str, str, str]], tuple[int, str, int]]


def _chain(db: Database, after: int) -> Chain:
    with db.session() as s:
        rows = s.scalars(select(AuditEventRow).where(AuditEventRow.seq > after).order_by(AuditEventRow.seq))
        events = [(r.seq, r.action, r.prev_hash, r.hash) for r in rows]
        head = s.get_one(AuditHeadRow, 1)
        return events, (head.seq, head.hash, last_change_seq(s))


def test_a_bulk_append_makes_the_chain_single_appends_make(db: Database) -> None:
    _fill(db, 4)  # the chain does not start at genesis
    _, before = _chain(db, 4)
    with db.session() as s:
        for event in EVENTS:
            append(s, event, now=NOW)
    one_by_one = _chain(db, 4)
    with db.session() as s:  # the same database, back to before those five
        s.execute(delete(AuditEventRow).where(AuditEventRow.seq > 4))
        head = s.get_one(AuditHeadRow, 1)
        head.seq, head.hash, head.change_seq = before
    assert verify_chain(db).head_seq == 4
    with db.session() as s:
        assert append_many(s, EVENTS, now=NOW) == [5, 6, 7, 8, 9]
        assert append_many(s, [], now=NOW) == []
    assert _chain(db, 4) == one_by_one
    assert one_by_one[1][2] == 8  # the newest change, not the read after it
    report = verify_chain(db)
    assert (report.ok, report.events, report.head_seq) == (True, 9, 9)


def test_a_bulk_append_rolled_back_leaves_nothing(db: Database) -> None:
    _fill(db, 2)
    before = _chain(db, 0)
    try:
        with db.session() as s:
            append_many(s, EVENTS, now=NOW)
            raise RuntimeError("the import failed")
    except RuntimeError:
        pass
    assert _chain(db, 0) == before
    assert verify_chain(db).ok
