"""registry places: facility layers, address points (triggers), spatial indexes, cross-checks, VSC requests

The spatial columns and indexes differ per engine (see vigilant.registry.places_models): on SQLite a
SpatiaLite POINT registered with AddGeometryColumn and an R*Tree index (CreateSpatialIndex); on PostgreSQL a
PostGIS geography(POINT, 4326) with a GiST index. PostGIS must be available to the server; creating the
extension needs a superuser once (CREATE EXTENSION postgis), which this migration does when it can.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_SPATIAL = ("registry_facility", "registry_address_point")

_SQLITE_TRIGGERS = (
    """CREATE TRIGGER registry_address_point_insert AFTER INSERT ON registrant_address
    WHEN NEW.latitude IS NOT NULL AND NEW.longitude IS NOT NULL
    BEGIN
        INSERT INTO registry_address_point (address_id, geom)
        VALUES (NEW.id, MakePoint(NEW.longitude, NEW.latitude, 4326));
    END""",
    """CREATE TRIGGER registry_address_point_update AFTER UPDATE OF latitude, longitude ON registrant_address
    BEGIN
        DELETE FROM registry_address_point WHERE address_id = NEW.id;
        INSERT INTO registry_address_point (address_id, geom)
        SELECT NEW.id, MakePoint(NEW.longitude, NEW.latitude, 4326)
        WHERE NEW.latitude IS NOT NULL AND NEW.longitude IS NOT NULL;
    END""",
    # A facility's point follows its coordinates, whoever writes them.
    """CREATE TRIGGER registry_facility_geom_insert AFTER INSERT ON registry_facility
    BEGIN
        UPDATE registry_facility SET geom = MakePoint(NEW.longitude, NEW.latitude, 4326) WHERE id = NEW.id;
    END""",
    """CREATE TRIGGER registry_facility_geom_update AFTER UPDATE OF latitude, longitude ON registry_facility
    BEGIN
        UPDATE registry_facility SET geom = MakePoint(NEW.longitude, NEW.latitude, 4326) WHERE id = NEW.id;
    END""",
)

_POSTGRES_TRIGGER = (
    """CREATE FUNCTION registry_address_point_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM registry_address_point WHERE address_id = NEW.id;
        IF NEW.latitude IS NOT NULL AND NEW.longitude IS NOT NULL THEN
            INSERT INTO registry_address_point (address_id, geom)
            VALUES (NEW.id, ST_SetSRID(ST_MakePoint(NEW.longitude, NEW.latitude), 4326)::geography);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER registry_address_point_sync
    AFTER INSERT OR UPDATE OF latitude, longitude ON registrant_address
    FOR EACH ROW EXECUTE FUNCTION registry_address_point_sync()""",
    """CREATE FUNCTION registry_facility_geom() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.geom := ST_SetSRID(ST_MakePoint(NEW.longitude, NEW.latitude), 4326)::geography;
        RETURN NEW;
    END $$""",
    """CREATE TRIGGER registry_facility_geom
    BEFORE INSERT OR UPDATE OF latitude, longitude ON registry_facility
    FOR EACH ROW EXECUTE FUNCTION registry_facility_geom()""",
)


def _geom(postgres: bool) -> list[sa.Column[object]]:
    # On SQLite the column is added afterwards by AddGeometryColumn, which registers it with SpatiaLite.
    if not postgres:
        return []
    return [sa.Column("geom", Geography("POINT", srid=4326, spatial_index=False), nullable=True)]


def _spatialite(bind: sa.Connection, statement: str) -> None:
    # SpatiaLite's functions answer 0 on failure (and print why) instead of raising: an error must stop here.
    if bind.exec_driver_sql(statement).scalar() != 1:
        raise RuntimeError(f"SpatiaLite refused: {statement}")


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    elif bind.exec_driver_sql("SELECT CheckSpatialMetaData()").scalar() == 0:
        # 0: inside Alembic's transaction (SpatiaLite's own BEGIN would fail, and its ROLLBACK undo ours)
        _spatialite(bind, "SELECT InitSpatialMetaData(0, 'WGS84_ONLY')")

    op.create_table(
        "registry_facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("municipality", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=False),
        sa.Column("longitude", sa.Double(), nullable=False),
        *_geom(postgres),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("imported_by", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_facility")),
        sa.UniqueConstraint("kind", "ref", name="uq_registry_facility_kind_ref"),
    )
    op.create_index(op.f("ix_registry_facility_kind"), "registry_facility", ["kind"], unique=False)
    op.create_table(
        "registry_address_point",
        sa.Column("address_id", sa.Integer(), autoincrement=False, nullable=False),
        *_geom(postgres),
        sa.ForeignKeyConstraint(
            ["address_id"],
            ["registrant_address.id"],
            name=op.f("fk_registry_address_point_address_id_registrant_address"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("address_id", name=op.f("pk_registry_address_point")),
    )
    for table in _SPATIAL:
        if postgres:
            op.execute(f"CREATE INDEX idx_{table}_geom ON {table} USING gist (geom)")
        else:
            _spatialite(bind, f"SELECT AddGeometryColumn('{table}', 'geom', 4326, 'POINT', 'XY')")
            _spatialite(bind, f"SELECT CreateSpatialIndex('{table}', 'geom')")
    for statement in _POSTGRES_TRIGGER if postgres else _SQLITE_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "registry_crosscheck",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.String(length=200), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_registry_crosscheck_case_id_case_file"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_crosscheck")),
    )
    op.create_table(
        "registry_crosscheck_match",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crosscheck_id", sa.Integer(), nullable=False),
        sa.Column("registrant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.JSON(), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["registry_alert.id"],
            name=op.f("fk_registry_crosscheck_match_alert_id_registry_alert"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["case_file.id"],
            name=op.f("fk_registry_crosscheck_match_case_id_case_file"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["crosscheck_id"],
            ["registry_crosscheck.id"],
            name=op.f("fk_registry_crosscheck_match_crosscheck_id_registry_crosscheck"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["registry_facility.id"],
            name=op.f("fk_registry_crosscheck_match_facility_id_registry_facility"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_registry_crosscheck_match_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registrant_id"],
            ["registrant.id"],
            name=op.f("fk_registry_crosscheck_match_registrant_id_registrant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_crosscheck_match")),
        sa.UniqueConstraint(
            "registrant_id", "kind", "key", name="uq_registry_crosscheck_match_registrant_id_kind_key"
        ),
    )
    for column in ("case_id", "person_id", "registrant_id"):
        op.create_index(
            op.f(f"ix_registry_crosscheck_match_{column}"),
            "registry_crosscheck_match",
            [column],
            unique=False,
        )
    op.create_table(
        "registry_vsc_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("surname", sa.String(length=200), nullable=False),
        sa.Column("given_names", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("organisation", sa.String(length=300), nullable=False),
        sa.Column("consent", sa.Text(), nullable=False),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmation", sa.String(length=20), nullable=True),
        sa.Column("confirmation_notes", sa.Text(), nullable=True),
        sa.Column("fingerprints_compared", sa.Boolean(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_vsc_request")),
        sa.UniqueConstraint("reference", name="uq_registry_vsc_request_reference"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.drop_table("registry_vsc_request")
    op.drop_table("registry_crosscheck_match")
    op.drop_table("registry_crosscheck")
    if postgres:
        op.execute("DROP TRIGGER IF EXISTS registry_address_point_sync ON registrant_address")
        op.execute("DROP FUNCTION IF EXISTS registry_address_point_sync()")
        op.execute("DROP TRIGGER IF EXISTS registry_facility_geom ON registry_facility")
        op.execute("DROP FUNCTION IF EXISTS registry_facility_geom()")
    else:
        op.execute("DROP TRIGGER IF EXISTS registry_address_point_insert")
        op.execute("DROP TRIGGER IF EXISTS registry_address_point_update")
        op.execute("DROP TRIGGER IF EXISTS registry_facility_geom_insert")
        op.execute("DROP TRIGGER IF EXISTS registry_facility_geom_update")
        for table in _SPATIAL:
            op.execute(f"SELECT DisableSpatialIndex('{table}', 'geom')")
            op.execute(f"DROP TABLE IF EXISTS idx_{table}_geom")
            op.execute(f"SELECT DiscardGeometryColumn('{table}', 'geom')")
    op.drop_table("registry_address_point")
    op.drop_table("registry_facility")
