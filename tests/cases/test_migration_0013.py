"""Migration 0013: an evidence item seized with no case number gets, as its owner, the agency whose case
seized it first; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from vigilant.store import Database
from vigilant.store.engine import alembic_config

T = datetime(2024, 6, 1, tzinfo=UTC)


def _insert(db: Database, table: str, **values: object) -> int:
    columns = ", ".join(values)
    marks = ", ".join(f":{name}" for name in values)
    with db.engine.begin() as connection:
        connection.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), values)
        return int(connection.execute(sa.text(f"SELECT max(id) FROM {table}")).scalar_one())


def test_0013_records_the_first_seizing_agency_of_items_with_no_number(db: Database) -> None:
    config = alembic_config(db.engine)
    command.downgrade(config, "0012")
    agencies = [
        _insert(db, "agency", name=f"Agency {n}", short_name=f"A{n}", province="ON", municipalities="[]",
                is_coordinator=False, created_at=T)
        for n in (1, 2)
    ]  # fmt: skip
    cases = [
        _insert(db, "case_file", agency_id=a, number=f"C-{a}", title="t", distribution="agency_only",
                status="open", opened_at=T, created_by="test")
        for a in agencies
    ]  # fmt: skip
    items = {
        name: _insert(db, "evidence_item", label=name, case_number=number, source_type="directory",
                      path=f"/evidence/{name}", size=1, hashes="{}", added_at=T, added_by="lab")
        for name, number in (("seized", None), ("loose", None), ("numbered", "C-1"))
    }  # fmt: skip
    # The second agency's case seized "seized" first (lower device id), then the first agency's.
    for case in (cases[1], cases[0]):
        seizure = _insert(db, "seizure", case_id=case, seized_at=T, seized_where="x", seized_by="y")
        for item in (items["seized"], items["numbered"]):
            _insert(db, "seized_device", seizure_id=seizure, description="d", evidence_item_id=item)
    command.upgrade(config, "head")
    with db.engine.connect() as connection:
        owners: dict[str, int | None] = dict(
            connection.execute(sa.text("SELECT label, agency_id FROM evidence_item")).all()
        )
    # A numbered item is its number's agency's; one never seized has no owner yet.
    assert owners == {"seized": agencies[1], "loose": None, "numbered": None}
