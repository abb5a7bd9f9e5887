"""Planner statistics after a bulk load, on both engines: the planner then knows how many rows a table has
(a fresh PostgreSQL table counts as nearly empty until autovacuum gets to it, and its plans go wrong)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, text

from vigilant.cases.models import IdentifierRow
from vigilant.store import Database

ROWS = 1337


def _planned_rows(db: Database) -> float:
    """How many rows the planner believes the identifier table holds."""
    with db.engine.connect() as conn:
        if db.backend == "postgresql":
            return float(
                conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'identifier'")).one()[0]
            )
        # SQLite: one line per index, its first number the table's rows (the unique (kind, value) index).
        found = conn.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'identifier'")).first()
        return -1.0 if found is None else float(found[0].split()[0])


def test_analyze_tells_the_planner_how_many_rows_a_bulk_load_wrote(db: Database) -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    with db.session() as s:
        s.execute(
            insert(IdentifierRow),
            [{"kind": "ip", "value": f"198.51.100.{i % 256}/{i}", "created_at": now} for i in range(ROWS)],
        )
    db.analyze()
    assert _planned_rows(db) == ROWS
