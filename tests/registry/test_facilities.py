"""Facility layers from CSV and GeoJSON: bad rows refused with their line numbers, re-import idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.registry.places_data import AUDITOR, OFFICER
from vigilant.errors import BadInputError
from vigilant.registry.facilities import import_facilities
from vigilant.registry.places_models import FacilityKind, FacilityRow
from vigilant.security.errors import PermissionDenied
from vigilant.store import Database

CSV = """id,kind,name,lat,lon,address,city
S1,school,Maple Public School,43.70,-79.40,1 Maple St,Toronto
D1,Day care,Little Steps,43.71,-79.41,,Toronto
X1,zoo,Animal Place,43.72,-79.42,,Toronto
P1,park,Riverside,95.0,-79.43,,Toronto
P2,park,,43.74,-79.44,,Toronto
C1,community centre,Eastview,43.75,-79.45,,Toronto
"""


def _rows(db: Database) -> dict[str, tuple[str, str, float, float]]:
    with db.session() as s:
        return {r.ref: (r.kind, r.name, r.latitude, r.longitude) for r in s.scalars(select(FacilityRow))}


def test_csv_layer_with_bad_rows(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "toronto.csv"
    path.write_text(CSV, encoding="utf-8")
    report = import_facilities(db, OFFICER, path)
    assert (report.imported, report.updated) == (3, 0)
    assert [(r.line, r.reason.split(":")[0]) for r in report.refused] == [
        (4, "line 4"),
        (5, "line 5"),
        (6, "line 6"),
    ]
    assert "unknown facility kind 'zoo'" in report.refused[0].reason
    assert "not on Earth" in report.refused[1].reason
    assert "no name" in report.refused[2].reason
    assert _rows(db) == {
        "S1": ("school", "Maple Public School", 43.70, -79.40),
        "D1": ("daycare", "Little Steps", 43.71, -79.41),
        "C1": ("community_centre", "Eastview", 43.75, -79.45),
    }
    # the same file again changes nothing; a moved facility is updated, not doubled
    assert (import_facilities(db, OFFICER, path).imported, import_facilities(db, OFFICER, path).updated) == (
        0,
        0,
    )
    path.write_text(CSV.replace("43.71,-79.41", "43.715,-79.41"), encoding="utf-8")
    again = import_facilities(db, OFFICER, path)
    assert (again.imported, again.updated) == (0, 1)
    assert _rows(db)["D1"][2] == 43.715


def test_geojson_layer_with_bad_features(db: Database, tmp_path: Path) -> None:
    features = [
        {
            "type": "Feature",
            "id": "d-7",
            "geometry": {"type": "Point", "coordinates": [-79.5, 43.8]},
            "properties": {"name": "Sunny Daycare", "kind": "daycare"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": []},
            "properties": {"name": "Lot"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-79.6, 43.9]},
            "properties": {"name": "Elm Park"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": ["x", 43.9]},
            "properties": {"name": "Bad"},
        },
    ]
    body = ",\n".join(json.dumps(f) for f in features)
    path = tmp_path / "layer.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [\n' + body + "\n]}\n", encoding="utf-8")
    report = import_facilities(db, OFFICER, path, default_kind=FacilityKind.PARK)
    assert report.imported == 2
    assert [r.line for r in report.refused] == [4, 6]  # the lines the features start on
    assert "not a Point" in report.refused[0].reason
    assert "must be numbers" in report.refused[1].reason
    rows = _rows(db)
    assert rows["d-7"] == ("daycare", "Sunny Daycare", 43.8, -79.5)  # [longitude, latitude], RFC 7946
    assert ("park", "Elm Park", 43.9, -79.6) in rows.values()
    assert import_facilities(db, OFFICER, path, default_kind=FacilityKind.PARK).imported == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(FacilityRow)) == 2


def test_unreadable_layers_and_rights(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,kind\nA,school\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="no latitude, longitude column"):
        import_facilities(db, OFFICER, path)
    path.write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(BadInputError, match="FeatureCollection"):
        import_facilities(db, OFFICER, path)
    with pytest.raises(PermissionDenied):
        import_facilities(db, AUDITOR, path)
