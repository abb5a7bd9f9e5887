"""Proximity on the spatial engine: registrants within R of a point (an incident, an address, a facility), and
registrants whose residence or workplace lies within D of facilities of a kind.

Both engines answer in ellipsoidal WGS84 metres: PostGIS's geography ``ST_DWithin``/``ST_Distance`` (spheroid
by default); on SQLite, SpatiaLite's R*Tree (``idx_<table>_geom``) searched with a degree box that holds the
whole circle (:func:`vigilant.registry.geo.degree_deltas`), then the exact distance: for a radius query every
candidate's at once with PROJ's geodesic (Karney's algorithm, pyproj), which a dense town's thousands of
candidates made worth it (SpatiaLite's ``ST_Distance(a, b, 1)`` costs ~7 µs a call); for "every registrant
near any facility" the addresses and facilities are read once and joined in memory
(:mod:`vigilant.registry.near_grid`), or, near a pole or the antimeridian, the sphere decides in SQL far from
the edge and ``ST_Distance(a, b, 1)`` only within 0.7 % of it. The
R*Tree's rowid is the address's id, so its hits join the addresses without reading the point rows. Only
current addresses count (valid on the day asked). Every query needs a purpose and is audited.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

import numpy as np
from pyproj import Geod
from sqlalchemy import Row, bindparam, text
from sqlalchemy.orm import Session

from vigilant.errors import BadInputError, NotFoundError
from vigilant.registry.access import require_reader
from vigilant.registry.errors import PurposeRequired
from vigilant.registry.geo import Point, box_around, check_point, check_radius, degree_deltas
from vigilant.registry.models import AddressKind, RegistrantAddressRow
from vigilant.registry.near_grid import grid_fits, within_any
from vigilant.registry.places_models import FacilityKind, FacilityRow
from vigilant.security.audit import RecordRead, append
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.store.models import utcnow

DEFAULT_KINDS: frozenset[AddressKind] = frozenset(
    {AddressKind.MAIN, AddressKind.SECONDARY, AddressKind.EMPLOYMENT, AddressKind.VOLUNTEER}
)


@dataclass(frozen=True)
class NearbyAddress:
    registrant_id: int
    registry_number: str
    surname: str
    given_names: str
    address_id: int
    kind: str
    line: str
    organisation: str | None
    distance_m: float
    facility_id: int | None = None
    facility_name: str | None = None


def require_purpose(purpose: str | None) -> str:
    text_ = (purpose or "").strip()
    if len(text_) < 5:
        raise PurposeRequired(
            "a registry query needs its purpose", hint='say why: --purpose "incident 2026-114"'
        )
    return text_


_SELECT = """
SELECT a.registrant_id, r.registry_number, p.surname, p.given_names, a.id AS address_id, a.kind, a.line,
       a.organisation, {distance} AS distance_m{facility}
FROM {source}
{join} registrant_address a ON a.id = pt.address_id
{join} registrant r ON r.id = a.registrant_id
{join} person p ON p.id = r.person_id
WHERE a.kind IN :kinds AND a.valid_from <= :as_of AND (a.valid_to IS NULL OR a.valid_to > :as_of)
"""
# SQLite's planner would rather start from an index of registrant_address (its kind) and probe the R*Tree
# once a row; CROSS JOIN makes SQLite join in the order written: the spatial index first.
_SQLITE_JOIN = "CROSS JOIN"
_SQLITE_BOX_PER_FACILITY = """registry_facility f
    CROSS JOIN idx_registry_address_point_geom hit
      ON hit.xmin <= f.longitude + {dlon} AND hit.xmax >= f.longitude - {dlon}
     AND hit.ymin <= f.latitude + :dlat AND hit.ymax >= f.latitude - :dlat
    CROSS JOIN registry_address_point pt ON pt.address_id = hit.pkid"""
# The same boxes straight onto the addresses: the R*Tree's rowid is the point's, which is its address's id, so
# the point row (and its geometry blob) need not be read; the ring's distance is made from the coordinates.
_SQLITE_BOX_ADDRESSES = """registry_facility f
    CROSS JOIN idx_registry_address_point_geom hit
      ON hit.xmin <= f.longitude + {dlon} AND hit.xmax >= f.longitude - {dlon}
     AND hit.ymin <= f.latitude + :dlat AND hit.ymax >= f.latitude - :dlat
    CROSS JOIN registrant_address a ON a.id = hit.pkid"""
# The box's half-width in longitude at each facility's latitude (its poleward edge, as degree_deltas does).
_SQLITE_DLON = "(:dlon_eq / cos(radians(min(89.9, abs(f.latitude) + :dlat))))"
# On a sphere of the mean radius, a distance differs from the WGS84 one by less than 0.6 % (the ellipsoid's
# radii of curvature run from 6,335 to 6,400 km): a haversine below D(1 - 0.007) or above D(1 + 0.007) decides
# alone, and only the thin ring between needs SpatiaLite's ellipsoidal distance (~25 µs a call).
SPHERE_MARGIN = 0.007
_SQLITE_HAVERSINE = (
    "(2 * 6371008.8 * asin(min(1.0, sqrt(pow(sin(radians(a.latitude - f.latitude) / 2), 2)"
    " + cos(radians(f.latitude)) * cos(radians(a.latitude))"
    " * pow(sin(radians(a.longitude - f.longitude) / 2), 2)))))"
)


def _kinds(kinds: Collection[AddressKind] | None) -> list[str]:
    return sorted(k.value for k in (kinds or DEFAULT_KINDS))


def _nearby(row: Row[tuple[object, ...]]) -> NearbyAddress:
    m = row._mapping
    return NearbyAddress(
        registrant_id=int(m["registrant_id"]),
        registry_number=str(m["registry_number"]),
        surname=str(m["surname"]),
        given_names=str(m["given_names"]),
        address_id=int(m["address_id"]),
        kind=str(m["kind"]),
        line=str(m["line"]),
        organisation=m["organisation"],
        distance_m=round(float(m["distance_m"]), 2),
        facility_id=m.get("facility_id"),
        facility_name=m.get("facility_name"),
    )


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def within_radius(
    session: Session, point: Point, radius_m: float, *, kinds: Collection[AddressKind] | None, as_of: date
) -> list[NearbyAddress]:
    """The current addresses of the given kinds within ``radius_m`` of ``point``, nearest first."""
    params = {"lat": point.latitude, "lon": point.longitude, "r": radius_m, "kinds": _kinds(kinds)}
    params["as_of"] = as_of
    if _postgres(session):
        origin = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography"
        distance = f"ST_Distance(pt.geom, {origin})"
        sql = _SELECT.format(distance=distance, facility="", source="registry_address_point pt", join="JOIN")
        sql += f" AND ST_DWithin(pt.geom, {origin}, :r)"
        statement = text(sql + " ORDER BY distance_m, a.id").bindparams(bindparam("kinds", expanding=True))
        return [_nearby(row) for row in session.execute(statement, params)]
    return _within_radius_sqlite(session, point, radius_m, params)


# The R*Tree's rowid is the point's, which is its address's id: the box's hits join the addresses directly.
_SQLITE_RADIUS = """
SELECT a.registrant_id, r.registry_number, p.surname, p.given_names, a.id, a.kind, a.line, a.organisation,
       a.latitude, a.longitude
FROM (SELECT pkid FROM idx_registry_address_point_geom
      WHERE xmin <= :maxx AND xmax >= :minx AND ymin <= :maxy AND ymax >= :miny) AS hit
CROSS JOIN registrant_address a ON a.id = hit.pkid
CROSS JOIN registrant r ON r.id = a.registrant_id
CROSS JOIN person p ON p.id = r.person_id
WHERE a.kind IN :kinds AND a.valid_from <= :as_of AND (a.valid_to IS NULL OR a.valid_to > :as_of)
  AND a.latitude IS NOT NULL AND a.longitude IS NOT NULL
"""
_WGS84 = Geod(ellps="WGS84")


def _within_radius_sqlite(
    session: Session, point: Point, radius_m: float, params: dict[str, object]
) -> list[NearbyAddress]:
    """SQLite: the R*Tree's box, then every candidate's WGS84 geodesic distance at once with PROJ (Karney's
    algorithm, as exact as SpatiaLite's ``ST_Distance(a, b, 1)``): a dense town's box holds thousands of
    addresses, and SpatiaLite's distance cost ~7 µs each, twice (filter and answer), most of the query."""
    box = box_around(point, radius_m)
    params |= {"minx": box.min_lon, "miny": box.min_lat, "maxx": box.max_lon, "maxy": box.max_lat}
    statement = text(_SQLITE_RADIUS).bindparams(bindparam("kinds", expanding=True))
    rows = session.execute(statement, params).all()
    if not rows:
        return []
    lat = np.fromiter((row[8] for row in rows), dtype=np.float64, count=len(rows))
    lon = np.fromiter((row[9] for row in rows), dtype=np.float64, count=len(rows))
    n = len(rows)
    _, _, metres = _WGS84.inv(
        np.full(n, point.longitude), np.full(n, point.latitude), lon, lat, return_back_azimuth=False
    )
    inside = np.flatnonzero(metres <= radius_m)
    ordered = sorted(inside.tolist(), key=lambda i: (float(metres[i]), rows[i][4]))
    return [
        NearbyAddress(
            int(rows[i][0]),
            rows[i][1],
            rows[i][2],
            rows[i][3],
            int(rows[i][4]),
            rows[i][5],
            rows[i][6],
            rows[i][7],
            round(float(metres[i]), 2),
        )
        for i in ordered
    ]


def _facility_params(facility_kind: FacilityKind, distance_m: float, kinds: Collection[AddressKind] | None,
                     as_of: date) -> dict[str, object]:  # fmt: skip
    dlat, dlon_eq = degree_deltas(0.0, distance_m)
    return {"fkind": facility_kind.value, "r": distance_m, "kinds": _kinds(kinds), "as_of": as_of,
            "dlat": dlat, "dlon_eq": dlon_eq}  # fmt: skip


def near_facilities(
    session: Session,
    facility_kind: FacilityKind,
    distance_m: float,
    *,
    kinds: Collection[AddressKind] | None,
    as_of: date,
) -> list[NearbyAddress]:
    """Every current address of the given kinds within ``distance_m`` of a facility of ``facility_kind``: one
    row per (address, facility) pair with its ellipsoidal distance, by registrant then distance."""
    params = _facility_params(facility_kind, distance_m, kinds, as_of)
    facility = ", f.id AS facility_id, f.name AS facility_name"
    if _postgres(session):
        source = "registry_facility f JOIN registry_address_point pt ON ST_DWithin(pt.geom, f.geom, :r)"
        sql = _SELECT.format(
            distance="ST_Distance(pt.geom, f.geom)", facility=facility, source=source, join="JOIN"
        )
    else:
        source = _SQLITE_BOX_PER_FACILITY.format(dlon=_SQLITE_DLON)
        distance = "ST_Distance(pt.geom, f.geom, 1)"
        sql = _SELECT.format(distance=distance, facility=facility, source=source, join=_SQLITE_JOIN)
        sql += f" AND {distance} <= :r"
    sql += " AND f.kind = :fkind ORDER BY a.registrant_id, distance_m, f.id"
    statement = text(sql).bindparams(bindparam("kinds", expanding=True))
    return [_nearby(row) for row in session.execute(statement, params)]


def registrants_near_any(
    session: Session,
    facility_kind: FacilityKind,
    distance_m: float,
    *,
    kinds: Collection[AddressKind] | None,
    as_of: date,
) -> set[int]:
    """The registrants with a current address of the given kinds within ``distance_m`` of any facility of
    ``facility_kind`` (ellipsoidal, as :func:`near_facilities`, without listing every pair's distance)."""
    params = _facility_params(facility_kind, distance_m, kinds, as_of)
    where = """ WHERE f.kind = :fkind AND a.kind IN :kinds AND a.valid_from <= :as_of
                AND (a.valid_to IS NULL OR a.valid_to > :as_of)"""
    if _postgres(session):
        sql = (
            """SELECT DISTINCT a.registrant_id FROM registry_facility f
                 JOIN registry_address_point pt ON ST_DWithin(pt.geom, f.geom, :r)
                 JOIN registrant_address a ON a.id = pt.address_id"""
            + where
        )
    else:
        found = _near_any_in_memory(session, facility_kind, distance_m, kinds=kinds, as_of=as_of)
        if found is not None:
            return found
        # Near a pole or the antimeridian: the spatial engine, pair by pair.
        params |= {"inner": distance_m * (1 - SPHERE_MARGIN), "outer": distance_m * (1 + SPHERE_MARGIN)}
        sql = (
            f"""SELECT DISTINCT a.registrant_id FROM {_SQLITE_BOX_ADDRESSES.format(dlon=_SQLITE_DLON)}"""
            + where
        )
        sql += f""" AND ({_SQLITE_HAVERSINE} <= :inner
                    OR ({_SQLITE_HAVERSINE} <= :outer
                        AND ST_Distance(MakePoint(a.longitude, a.latitude, 4326), f.geom, 1) <= :r))"""
    statement = text(sql).bindparams(bindparam("kinds", expanding=True))
    return set(session.scalars(statement, params))


_LOCATED = """SELECT registrant_id, latitude, longitude FROM registrant_address
WHERE kind IN ({kinds}) AND valid_from <= ? AND (valid_to IS NULL OR valid_to > ?)
  AND latitude IS NOT NULL AND longitude IS NOT NULL"""
_ADDRESS = np.dtype([("registrant_id", np.int64), ("lat", np.float64), ("lon", np.float64)])
_CENTRE = np.dtype([("lat", np.float64), ("lon", np.float64)])


def _near_any_in_memory(
    session: Session,
    facility_kind: FacilityKind,
    distance_m: float,
    *,
    kinds: Collection[AddressKind] | None,
    as_of: date,
) -> set[int] | None:
    """SQLite: the current located addresses and the facilities, each read once (straight from the DB-API
    cursor: 10^6 rows as SQLAlchemy rows cost seconds), joined in memory by
    :func:`vigilant.registry.near_grid.within_any`; None where a degree grid does not fit the data."""
    raw = session.connection().connection.driver_connection
    assert raw is not None  # a live pysqlite connection
    wanted = _kinds(kinds)
    sql = _LOCATED.format(kinds=", ".join("?" * len(wanted)))
    day = as_of.isoformat()  # dates are ISO text on SQLite
    addresses = np.fromiter(raw.execute(sql, [*wanted, day, day]), dtype=_ADDRESS)
    centres = np.fromiter(
        raw.execute(
            "SELECT latitude, longitude FROM registry_facility WHERE kind = ?", [facility_kind.value]
        ),
        dtype=_CENTRE,
    )
    lat, lon, c_lat, c_lon = addresses["lat"], addresses["lon"], centres["lat"], centres["lon"]
    if not grid_fits(lat, lon, c_lat, c_lon, distance_m * (1 + SPHERE_MARGIN)):
        return None
    inside = within_any(lat, lon, c_lat, c_lon, distance_m, margin=SPHERE_MARGIN)
    return set(np.unique(addresses["registrant_id"][inside]).tolist())


def point_of(
    session: Session, *, latitude: float | None, longitude: float | None, address_id: int | None,
    facility_id: int | None,
) -> tuple[Point, str]:  # fmt: skip
    """The centre of a radius query and what it is, from exactly one of: coordinates (an incident's place),
    a registrant address, a facility."""
    given = [latitude is not None or longitude is not None, address_id is not None, facility_id is not None]
    if sum(given) != 1:
        raise BadInputError("give one centre", hint="--lat/--lon, --address ID or --facility ID")
    if address_id is not None:
        address = session.get(RegistrantAddressRow, address_id)
        if address is None:
            raise NotFoundError(f"no registrant address {address_id}")
        if address.latitude is None or address.longitude is None:
            raise BadInputError(
                f"address {address_id} has no coordinates", hint="record its latitude and longitude"
            )
        return Point(address.latitude, address.longitude), f"address {address_id}"
    if facility_id is not None:
        row = session.get(FacilityRow, facility_id)
        if row is None:
            raise NotFoundError(f"no facility {facility_id}")
        return Point(row.latitude, row.longitude), f"facility {facility_id} ({row.name})"
    point = check_point(latitude, longitude)
    return point, f"{point.latitude:.6f},{point.longitude:.6f}"


def registrants_near(
    db: Database,
    actor: Actor,
    *,
    radius_m: float,
    purpose: str,
    as_of: date,
    latitude: float | None = None,
    longitude: float | None = None,
    address_id: int | None = None,
    facility_id: int | None = None,
    kinds: Collection[AddressKind] | None = None,
) -> list[NearbyAddress]:
    """Registrants with a current address within ``radius_m`` of the centre given; audited with purpose."""
    reason = require_purpose(purpose)
    require_reader(actor, reason)  # a registry reader, or an investigator with the purpose
    radius = check_radius(radius_m)
    with db.session() as s:
        point, centre = point_of(
            s, latitude=latitude, longitude=longitude, address_id=address_id, facility_id=facility_id
        )
        found = within_radius(s, point, radius, kinds=kinds, as_of=as_of)
        append(
            s,
            RecordRead.by(
                actor,
                object_type="registry_proximity",
                object_id=centre,
                query=f"within {radius:g} m of {centre} on {as_of.isoformat()}; purpose: {reason}",
                records=len({n.registrant_id for n in found}),
            ),
            now=utcnow(),
        )
    return found


def registrants_near_facilities(
    db: Database,
    actor: Actor,
    *,
    facility_kind: FacilityKind,
    distance_m: float,
    purpose: str,
    as_of: date,
    kinds: Collection[AddressKind] | None = None,
) -> list[NearbyAddress]:
    """Registrants whose current residence or workplace lies within ``distance_m`` of a facility of a kind."""
    reason = require_purpose(purpose)
    require_reader(actor, reason)  # a registry reader, or an investigator with the purpose
    distance = check_radius(distance_m)
    with db.session() as s:
        found = near_facilities(s, facility_kind, distance, kinds=kinds, as_of=as_of)
        append(
            s,
            RecordRead.by(
                actor,
                object_type="registry_proximity",
                object_id=facility_kind.value,
                query=f"within {distance:g} m of any {facility_kind.value} on {as_of}; purpose: {reason}",
                records=len({n.registrant_id for n in found}),
            ),
            now=utcnow(),
        )
    return found
