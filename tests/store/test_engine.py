"""The store on both engines: migrations, pragmas, UTC times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from tests.conftest import REPO
from vigilant.config import Settings, normalise_database_url
from vigilant.errors import ConfigError
from vigilant.library.models import HashSetRow
from vigilant.store import Database
from vigilant.store.models import Base
from vigilant.store.spatialite import include_object


def test_migrations_create_every_table(db: Database) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"hash_set", "known_file", "library_import", "library_import_problem", "alembic_version"} <= tables
    assert {"evidence_item", "custody_event", "triage_run"} <= tables
    assert db.current_revision() == db.head_revision()
    # One linear chain 0001, 0002, … with no gap and no branch: each revision names the one before it.
    versions = sorted((REPO / "src/vigilant/store/migrations/versions").glob("0*.py"))
    assert [p.name[:4] for p in versions] == [f"{i:04d}" for i in range(1, len(versions) + 1)]
    assert db.head_revision() == f"{len(versions):04d}"


def test_migrations_match_the_models(db: Database) -> None:
    """What the migrations build is what the models declare: no table, column, type, index or foreign key
    differs (alembic's own comparison), so a model change cannot ship without its migration."""
    import vigilant.cases.models  # noqa: PLC0415 - every table must be in the metadata compared
    import vigilant.evidence.models  # noqa: PLC0415
    import vigilant.leads.models  # noqa: PLC0415
    import vigilant.library.models  # noqa: PLC0415
    import vigilant.links.models  # noqa: PLC0415
    import vigilant.links.xref_models  # noqa: PLC0415
    import vigilant.registry.models  # noqa: PLC0415
    import vigilant.registry.places_models  # noqa: PLC0415
    import vigilant.review.models  # noqa: PLC0415
    import vigilant.security.models  # noqa: PLC0415
    import vigilant.triage.models  # noqa: F401, PLC0415

    with db.engine.connect() as connection:
        opts = {"compare_type": True, "include_object": include_object}  # not the spatial engines' tables
        context = MigrationContext.configure(connection, opts=opts)
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_upgrade_is_idempotent(db: Database) -> None:
    db.upgrade()
    assert db.current_revision() == db.head_revision()


def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path: object) -> None:
    db = Database(f"sqlite:///{tmp_path}/x.db")
    try:
        with db.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()


def _set(imported_at: datetime) -> HashSetRow:
    return HashSetRow(
        name="s",
        version="1",
        kind="known-bad",
        profile="vic-us",
        format="vics",
        source_file="f",
        source_sha256="0" * 64,
        source_size=1,
        imported_at=imported_at,
        imported_by="t",
        entry_count=0,
        refused_count=0,
        pdq_threshold=31,
    )


def test_times_come_back_as_utc(db: Database) -> None:
    eastern = timezone(timedelta(hours=-5))
    with db.session() as s:
        s.add(_set(datetime(2026, 3, 1, 7, 30, tzinfo=eastern)))
    with db.session() as s:
        stored = s.scalars(select(HashSetRow)).one().imported_at
    assert stored == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_naive_times_are_refused(db: Database) -> None:
    naive = _set(datetime(2026, 3, 1, 7, 30))
    with pytest.raises(Exception, match="naive datetime"), db.session() as s:  # noqa: PT012 - flush raises
        s.add(naive)
        s.flush()


def test_settings_default_to_sqlite_in_the_data_dir(tmp_path: object) -> None:
    settings = Settings.from_env({"VIGILANT_DATA_DIR": f"{tmp_path}/d", "VIGILANT_USER": "ann"})
    assert settings.database_url == f"sqlite:///{tmp_path}/d/vigilant.db"
    assert settings.user == "ann"


def test_postgres_urls_use_psycopg3() -> None:
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigError, match="unsupported database URL"):
        normalise_database_url("mysql://u@h/db")


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_triage_workers_must_be_a_whole_number_of_at_least_one(tmp_path: object, value: str) -> None:
    env = {"VIGILANT_DATA_DIR": f"{tmp_path}/d", "VIGILANT_TRIAGE_WORKERS": value}
    with pytest.raises(ConfigError, match="VIGILANT_TRIAGE_WORKERS"):
        Settings.from_env(env)
    assert Settings.from_env({**env, "VIGILANT_TRIAGE_WORKERS": "3"}).triage_workers == 3
    assert Settings.from_env({"VIGILANT_DATA_DIR": f"{tmp_path}/d"}).triage_workers == 1
