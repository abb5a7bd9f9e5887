"""Migration 0007: leads gain agency ids, filled from their agency names, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from alembic import command

from vigilant.cases.models import AgencyRow
from vigilant.store import Database
from vigilant.store.engine import alembic_config

T = datetime(2024, 6, 1, tzinfo=UTC)
MIGRATION = Path(__file__).parents[2] / "src/vigilant/store/migrations/versions/0007_lead_agencies.py"


def _migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0007", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _lead(key: str, agency: str | None, routed_to: str | None) -> dict[str, Any]:
    """A lead row as 0006 knows it (no agency ids yet)."""
    return {
        "key": key, "status": "assigned" if agency else "new", "agency": agency, "routed_to": routed_to,
        "routing": {}, "window_days": 90, "as_of": T, "first_seen": T, "last_seen": T, "observation_count": 1,
        "known_files": 1, "max_severity": 5, "max_category": "1", "seeding": True, "days_seen": 1,
        "tier": "confirmed", "score": 10.0, "actionable": True, "explanation": {}, "identities": {},
        "geo_databases": [], "created_at": T, "built_at": T, "built_by": "test",
    }  # fmt: skip


def test_0007_fills_agency_ids_from_names_and_leaves_the_unmatched_empty(db: Database) -> None:
    config = alembic_config(db.engine)
    command.downgrade(config, "0006")
    assert db.current_revision() == "0006"
    agencies = {
        "OPP": ("OPP ICE", "OPP"),
        "NCECC": ("National Child Exploitation Crime Centre", "NCECC"),
        "SQ": ("SÛRETÉ DU QUÉBEC", "SQ"),  # SQLite's lower() would not fold Û or É
        "ORI": ("Orillia Police", "ORI"),
        "ORIX": ("ORI", "ORIX"),  # its name is the other's short name: "ORI" names two agencies
    }
    with db.session() as s:
        rows = {
            key: AgencyRow(name=name, short_name=short, province="ON", municipalities=[], created_at=T)
            for key, (name, short) in agencies.items()
        }  # fmt: skip
        s.add_all(rows.values())
        s.flush()
        ids = {key: row.id for key, row in rows.items()}
    lead = sa.Table("lead", sa.MetaData(), autoload_with=db.engine)
    assert "assigned_agency_id" not in lead.c
    with db.engine.begin() as connection:
        connection.execute(
            sa.insert(lead),
            [
                _lead("L-1", "opp ice", "ncecc"),  # a name and a short name, in another case
                _lead("L-2", None, "Toronto Police ICE"),  # no such agency
                _lead("L-3", "ORI", " Sûreté du Québec "),  # ambiguous; accents and spaces
                _lead("L-4", None, None),
            ],
        )
    command.upgrade(config, "head")

    def agency_ids() -> dict[str, tuple[int | None, int | None]]:
        query = sa.text("SELECT key, assigned_agency_id, routed_agency_id FROM lead ORDER BY key")
        with db.engine.connect() as connection:
            return {key: (assigned, routed) for key, assigned, routed in connection.execute(query)}

    assert agency_ids() == {
        "L-1": (ids["OPP"], ids["NCECC"]),
        "L-2": (None, None),
        "L-3": (None, ids["SQ"]),
        "L-4": (None, None),
    }
    with db.engine.connect() as connection:
        names: dict[str, str | None] = dict(
            connection.execute(sa.text("SELECT key, routed_to FROM lead")).all()
        )
    assert names["L-2"] == "Toronto Police ICE"  # the name stays, for the record
    # Run again (as the upgrade did), the backfill changes nothing and names what it could not match.
    with db.engine.begin() as connection:
        assert _migration().backfill(connection) == {"Toronto Police ICE": 1, "ORI": 1}
    assert agency_ids()["L-1"] == (ids["OPP"], ids["NCECC"])
    # And down again: the columns go, the names stay.
    command.downgrade(config, "0006")
    assert "routed_agency_id" not in sa.Table("lead", sa.MetaData(), autoload_with=db.engine).c
    command.upgrade(config, "head")
