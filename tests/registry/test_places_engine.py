"""The spatial engines under the registry: SpatiaLite in every SQLite connection, PostGIS on PostgreSQL, the
spatial indexes migration 0019 makes, and the triggers that keep address and facility points current."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from tests.registry.places_data import office, registrant
from vigilant.registry.models import AddressKind, RegistrantAddressRow
from vigilant.registry.places_models import FacilityRow
from vigilant.store import Database
from vigilant.store.models import utcnow
from vigilant.store.spatialite import include_object, is_engine_table


def _point(db: Database, sql: str, **params: object) -> tuple[float, float] | None:
    xy = "ST_X(geom), ST_Y(geom)" if db.backend == "sqlite" else "ST_X(geom::geometry), ST_Y(geom::geometry)"
    with db.engine.connect() as conn:
        row = conn.execute(text(sql.format(xy=xy)), params).first()
    return None if row is None else (round(row[0], 6), round(row[1], 6))


def test_the_spatial_engine_is_there(db: Database) -> None:
    query = "SELECT spatialite_version()" if db.backend == "sqlite" else "SELECT postgis_lib_version()"
    with db.engine.connect() as conn:
        version = conn.execute(text(query)).scalar()
    assert version is not None
    assert version[0] in "35"


@pytest.mark.parametrize("table", ["registry_facility", "registry_address_point"])
def test_points_have_a_spatial_index(db: Database, table: str) -> None:
    with db.engine.connect() as conn:
        if db.backend == "sqlite":
            enabled = conn.execute(
                text("SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = :t"),
                {"t": table},
            ).scalar()
            assert enabled == 1  # an R*Tree kept by SpatiaLite's triggers
            assert conn.execute(text(f"SELECT count(*) FROM idx_{table}_geom")).scalar() == 0
        else:
            definition = conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE tablename = :t AND indexname = :i"),
                {"t": table, "i": f"idx_{table}_geom"},
            ).scalar()
            assert definition is not None
            assert "USING gist (geom)" in definition


def test_an_address_point_follows_its_coordinates(db: Database) -> None:
    agency = office(db)
    rid = registrant(
        db, agency, "R1", addresses=((AddressKind.MAIN, 43.65, -79.38), (AddressKind.SCHOOL, None, None))
    )
    sql = "SELECT {xy} FROM registry_address_point WHERE address_id = :a"
    with db.session() as s:
        with_point, without = s.scalars(
            select(RegistrantAddressRow.id)
            .where(RegistrantAddressRow.registrant_id == rid)
            .order_by(RegistrantAddressRow.id)
        ).all()
    assert _point(db, sql, a=with_point) == (-79.38, 43.65)  # x is the longitude
    assert _point(db, sql, a=without) is None
    with db.session() as s:
        s.execute(
            update(RegistrantAddressRow)
            .where(RegistrantAddressRow.id == without)
            .values(latitude=45.0, longitude=-75.5)
        )
        s.execute(
            update(RegistrantAddressRow).where(RegistrantAddressRow.id == with_point).values(latitude=None)
        )
    assert _point(db, sql, a=without) == (-75.5, 45.0)
    assert _point(db, sql, a=with_point) is None
    with db.session() as s:
        s.delete(s.get(RegistrantAddressRow, without))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM registry_address_point")).scalar() == 0


def test_a_facility_point_follows_its_coordinates(db: Database) -> None:
    with db.session() as s:
        row = FacilityRow(
            kind="daycare", ref="d1", name="Little Steps", latitude=44.0, longitude=-79.0, source="t",
            imported_by="t", imported_at=utcnow(),
        )  # fmt: skip
        s.add(row)
        s.flush()
        fid = row.id
    sql = "SELECT {xy} FROM registry_facility WHERE id = :f"
    assert _point(db, sql, f=fid) == (-79.0, 44.0)
    with db.session() as s:
        s.execute(update(FacilityRow).where(FacilityRow.id == fid).values(latitude=44.5))
    assert _point(db, sql, f=fid) == (-79.0, 44.5)


def test_schema_comparison_leaves_out_only_the_engines_tables() -> None:
    for name in (
        "spatial_ref_sys",
        "geometry_columns",
        "idx_registry_facility_geom",
        "idx_registry_facility_geom_node",
    ):
        assert is_engine_table(name)
        assert not include_object(None, name, "table", True, None)
    for name in ("registry_facility", "registrant_address", "identifier", "idx_hash"):
        assert not is_engine_table(name)
        assert include_object(None, name, "table", True, None)
    assert include_object(None, "geometry_columns", "column", True, None)
