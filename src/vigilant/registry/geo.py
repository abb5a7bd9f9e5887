"""Coordinates: checking them, the degree box that a spatial index is searched with, and the spherical
(haversine) distance that the NumPy reference scan of the benchmark uses.

Distances that decide anything are computed by the spatial engine on the WGS84 ellipsoid (see
:mod:`vigilant.registry.proximity`); the haversine here is the plain-scan peer and a quick sanity figure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from vigilant.errors import BadInputError

EARTH_MEAN_RADIUS_M = 6_371_008.8  # IUGG mean radius, the usual haversine sphere
# The shortest degree of latitude on WGS84 (at the equator) and a degree of longitude on the equator's
# circle: dividing by them gives the widest box a radius can need.
_METRES_PER_DEGREE_LAT_MIN = 110_574.0
_METRES_PER_DEGREE_LON_EQUATOR = 111_319.49
_BOX_MARGIN = 1.01  # never let the box clip a point the exact distance would keep
MAX_RADIUS_M = 200_000.0  # beyond a region's scale a "nearby" question is a mistake


@dataclass(frozen=True)
class Point:
    """WGS84 degrees."""

    latitude: float
    longitude: float


@dataclass(frozen=True)
class Box:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


def check_point(latitude: Any, longitude: Any, *, where: str = "") -> Point:
    """A point from two numbers (or numeric text), refused with ``where`` when out of range or not numbers."""
    prefix = f"{where}: " if where else ""
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        raise BadInputError(
            f"{prefix}latitude and longitude must be numbers (got {latitude!r}, {longitude!r})",
            hint="decimal degrees, WGS84: 43.6532, -79.3832",
        ) from None
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise BadInputError(
            f"{prefix}latitude {lat} / longitude {lon} is not on Earth",
            hint="latitude -90..90, longitude -180..180 (were they swapped?)",
        )
    return Point(lat, lon)


def check_radius(metres: float) -> float:
    if not math.isfinite(metres) or not 0 < metres <= MAX_RADIUS_M:
        raise BadInputError(
            f"radius {metres} m is out of range", hint=f"give 0 < radius <= {MAX_RADIUS_M:g} m"
        )
    return float(metres)


def degree_deltas(latitude: float, metres: float) -> tuple[float, float]:
    """Half-widths (latitude, longitude) in degrees of a box that holds every point within ``metres``."""
    dlat = metres * _BOX_MARGIN / _METRES_PER_DEGREE_LAT_MIN
    widest = min(89.9, abs(latitude) + dlat)  # the circle's poleward edge has the shortest degrees
    dlon = metres * _BOX_MARGIN / (_METRES_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(widest)))
    return dlat, min(dlon, 180.0)


def box_around(point: Point, metres: float) -> Box:
    dlat, dlon = degree_deltas(point.latitude, metres)
    return Box(point.longitude - dlon, point.latitude - dlat, point.longitude + dlon, point.latitude + dlat)


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Great-circle distance in metres on the mean sphere, vectorised over NumPy arrays."""
    p1, p2 = np.radians(np.asarray(lat1, dtype=np.float64)), np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    result: npt.NDArray[np.float64] = 2 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result
