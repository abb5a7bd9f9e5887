"""Reading or opening a case writes an audit event into the hash chain, in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.cases.helpers import actor, world
from vigilant.cases.errors import RecordNotFoundError
from vigilant.cases.service import get_case, list_cases, open_case
from vigilant.security.audit import verify_chain
from vigilant.security.models import AuditEventRow
from vigilant.store import Database


def _events(db: Database) -> list[tuple[str, str | None, str | None, str]]:
    with db.session() as s:
        rows = s.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)).all()
        return [(r.action, r.object_id, r.case_ref, r.actor) for r in rows]


def test_opening_reading_and_listing_cases_is_audited(db: Database) -> None:
    w = world(db)
    me = actor(w.coordinator, "investigator")
    case = open_case(db, me, number="2024-001", title="Synthetic case")
    get_case(db, me, case.id)
    list_cases(db, me, search="synthetic")
    events = [e for e in _events(db) if e[0].startswith("record.")]
    assert events == [
        ("record.changed", str(case.id), "2024-001", f"user@{w.coordinator}"),
        ("record.read", str(case.id), "2024-001", f"user@{w.coordinator}"),
        ("record.read", None, None, f"user@{w.coordinator}"),
    ]
    assert verify_chain(db).ok


def test_a_refused_read_leaves_no_read_event(db: Database) -> None:
    w = world(db)
    case = open_case(db, actor(w.coordinator, "investigator"), number="2024-002", title="Own agency only")
    before = _events(db)
    with pytest.raises(RecordNotFoundError):
        get_case(db, actor(w.outsider, "investigator"), case.id)
    assert _events(db) == before
