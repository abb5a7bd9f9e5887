"""Proximity on both spatial engines, checked against Karney's geodesics (geographiclib) as the oracle."""

from __future__ import annotations

import random
from datetime import date

import pytest
from geographiclib.geodesic import Geodesic
from sqlalchemy import select

from tests.registry.places_data import AUDITOR, OFFICER, office, registrant
from vigilant.errors import BadInputError
from vigilant.registry.errors import PurposeRequired
from vigilant.registry.geo import haversine_m
from vigilant.registry.models import AddressKind
from vigilant.registry.places_models import FacilityKind, FacilityRow
from vigilant.registry.proximity import (
    near_facilities,
    registrants_near,
    registrants_near_any,
    registrants_near_facilities,
)
from vigilant.security.errors import PermissionDenied
from vigilant.security.models import AuditEventRow
from vigilant.store import Database
from vigilant.store.models import utcnow

TODAY = date(2026, 12, 7)
WGS84 = Geodesic.WGS84


def _geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"])


@pytest.mark.parametrize(
    "centre", [(43.6532, -79.3832), (74.7, -94.8)]
)  # Toronto; Resolute, where degrees shrink
def test_radius_query_agrees_with_geodesics(db: Database, centre: tuple[float, float]) -> None:
    agency = office(db)
    rng = random.Random(15)
    lat0, lon0 = centre
    points = {}
    for i in range(120):
        # scattered over a box a little wider than the circle, so some fall just outside it
        azimuth, metres = rng.uniform(0, 360), rng.uniform(0, 1300)
        spot = WGS84.Direct(lat0, lon0, azimuth, metres)
        rid = registrant(db, agency, f"N{i}", addresses=((AddressKind.MAIN, spot["lat2"], spot["lon2"]),))
        points[rid] = (spot["lat2"], spot["lon2"])
    found = registrants_near(
        db, OFFICER, latitude=lat0, longitude=lon0, radius_m=1000, purpose="incident 26-1", as_of=TODAY
    )
    expected = {rid for rid, (lat, lon) in points.items() if _geodesic_m(lat0, lon0, lat, lon) <= 1000}
    assert 30 < len(expected) < 120
    assert {n.registrant_id for n in found} == expected
    for near in found:
        lat, lon = points[near.registrant_id]
        assert near.distance_m == pytest.approx(_geodesic_m(lat0, lon0, lat, lon), abs=0.05)
        # the sphere is within 0.5 % of the ellipsoid at this scale: a sanity check of both
        assert float(haversine_m(lat0, lon0, lat, lon)) == pytest.approx(near.distance_m, rel=5e-3)
    assert [n.distance_m for n in found] == sorted(n.distance_m for n in found)


def test_only_current_addresses_of_the_kinds_asked(db: Database) -> None:
    agency = office(db)
    here = (45.4215, -75.6972)
    current = registrant(db, agency, "C", addresses=((AddressKind.MAIN, *here),))
    registrant(db, agency, "OLD", addresses=((AddressKind.MAIN, *here),), valid_to=date(2025, 1, 1))
    school = registrant(db, agency, "S", addresses=((AddressKind.SCHOOL, *here),))
    work = registrant(db, agency, "W", addresses=((AddressKind.EMPLOYMENT, *here),), organisation="Acme")
    found = registrants_near(
        db, OFFICER, latitude=here[0], longitude=here[1], radius_m=10, purpose="canvass", as_of=TODAY
    )
    assert {n.registrant_id for n in found} == {current, work}
    homes = registrants_near(
        db, OFFICER, latitude=here[0], longitude=here[1], radius_m=10, purpose="canvass", as_of=TODAY,
        kinds={AddressKind.MAIN, AddressKind.SCHOOL},
    )  # fmt: skip
    assert {n.registrant_id for n in homes} == {current, school}
    # an address as the centre
    centre = found[0].address_id
    assert {
        n.registrant_id
        for n in registrants_near(db, OFFICER, address_id=centre, radius_m=5, purpose="canvass", as_of=TODAY)
    } == {current, work}


def test_queries_need_a_purpose_and_the_right_and_are_audited(db: Database) -> None:
    with pytest.raises(PurposeRequired, match="purpose"):
        registrants_near(db, OFFICER, latitude=45.0, longitude=-75.0, radius_m=100, purpose=" ", as_of=TODAY)
    with pytest.raises(PermissionDenied):
        registrants_near(
            db, AUDITOR, latitude=45.0, longitude=-75.0, radius_m=100, purpose="looking", as_of=TODAY
        )
    with pytest.raises(BadInputError, match="not on Earth"):
        registrants_near(
            db, OFFICER, latitude=-79.0, longitude=145.0 + 100, radius_m=100, purpose="looking", as_of=TODAY
        )
    with pytest.raises(BadInputError, match="radius"):
        registrants_near(
            db, OFFICER, latitude=45.0, longitude=-75.0, radius_m=0, purpose="looking", as_of=TODAY
        )
    registrants_near(
        db, OFFICER, latitude=45.0, longitude=-75.0, radius_m=100, purpose="incident 26-2", as_of=TODAY
    )
    with db.session() as s:
        event = s.scalars(
            select(AuditEventRow).where(AuditEventRow.object_type == "registry_proximity")
        ).one()
    assert event.actor == "officer"
    assert "purpose: incident 26-2" in str(event.detail)


def test_registrants_near_daycares(db: Database) -> None:
    agency = office(db)
    daycare = (43.70, -79.40)
    near_home = WGS84.Direct(*daycare, 90, 450)
    near_work = WGS84.Direct(*daycare, 0, 300)
    far = WGS84.Direct(*daycare, 180, 560)
    home = registrant(db, agency, "H", addresses=((AddressKind.MAIN, near_home["lat2"], near_home["lon2"]),))
    worker = registrant(
        db, agency, "E", addresses=((AddressKind.EMPLOYMENT, near_work["lat2"], near_work["lon2"]),)
    )
    registrant(db, agency, "F", addresses=((AddressKind.MAIN, far["lat2"], far["lon2"]),))
    with db.session() as s:
        for kind, ref, (lat, lon) in (("daycare", "d", daycare), ("park", "p", (far["lat2"], far["lon2"]))):
            s.add(FacilityRow(kind=kind, ref=ref, name=f"{kind} {ref}", latitude=lat, longitude=lon,
                              source="t", imported_by="t", imported_at=utcnow()))  # fmt: skip
    found = registrants_near_facilities(
        db, OFFICER, facility_kind=FacilityKind.DAYCARE, distance_m=500, purpose="daily check", as_of=TODAY
    )
    assert {(n.registrant_id, n.kind) for n in found} == {(home, "main"), (worker, "employment")}
    assert {n.facility_name for n in found} == {"daycare d"}
    assert sorted(n.distance_m for n in found) == pytest.approx([300.0, 450.0], abs=0.05)
    parks = registrants_near_facilities(
        db, OFFICER, facility_kind=FacilityKind.PARK, distance_m=500, purpose="daily check", as_of=TODAY
    )
    assert [n.registry_number for n in parks] == ["F"]


@pytest.mark.parametrize(
    "latitude", [0.5, 43.7, 78.2, 84.5]
)  # equator, Toronto, Svalbard: the sphere's error varies; 84.5: past the in-memory grid, SQL decides
def test_registrants_near_any_decides_on_the_ellipsoid_at_the_edge(db: Database, latitude: float) -> None:
    """The sphere decides only far from the edge: points 0.1 % to 1 % inside and outside 500 m (where the
    sphere alone would be wrong) come out as the geodesic says."""
    agency = office(db)
    daycare = (latitude, -79.40)
    with db.session() as s:
        s.add(FacilityRow(kind="daycare", ref="d", name="d", latitude=daycare[0], longitude=daycare[1],
                          source="t", imported_by="t", imported_at=utcnow()))  # fmt: skip
    truth = set()
    for i, (azimuth, metres) in enumerate(
        (az, 500 * f) for az in (0, 45, 90, 135, 180, 270) for f in (0.99, 0.995, 0.999, 1.001, 1.005, 1.01)
    ):
        spot = WGS84.Direct(*daycare, azimuth, metres)
        rid = registrant(db, agency, f"E{i}", addresses=((AddressKind.MAIN, spot["lat2"], spot["lon2"]),))
        if _geodesic_m(*daycare, spot["lat2"], spot["lon2"]) <= 500:
            truth.add(rid)
    with db.session() as s:
        found = registrants_near_any(s, FacilityKind.DAYCARE, 500, kinds={AddressKind.MAIN}, as_of=TODAY)
        pairs = near_facilities(s, FacilityKind.DAYCARE, 500, kinds={AddressKind.MAIN}, as_of=TODAY)
    assert len(truth) == 18
    assert found == truth
    assert {p.registrant_id for p in pairs} == truth
