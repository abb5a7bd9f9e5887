"""Which points lie within D metres (WGS84) of any centre of a set: a grid join in NumPy, exact at the edge.

The all-facilities question on SQLite ("every registrant within 500 m of any daycare"): probing SpatiaLite's
R*Tree once per facility and testing each (facility, address) pair in SQL cost ~15 s of CPU at 10^6
addresses and 2.5 × 10^4 daycares, and handing those pairs to Python cost more still. Here the addresses
and the centres are each read once, and the pairs are made in memory: both sets fall into a grid of cells
at least D (plus margin) wide, so a point's centres within D lie in its own cell or the eight around it; the
pairs of those nine cells are tested on the mean sphere (haversine), which decides everything outside a
thin ring (:data:`vigilant.registry.proximity.SPHERE_MARGIN`); the ring's pairs get PROJ's WGS84 geodesic
(Karney's algorithm, pyproj's ``Geod.inv``), as SpatiaLite's ``ST_Distance(a, b, 1)`` would. A point found
in one cell is not looked for in the next.

Grids in degrees break down near the poles and across the antimeridian: :func:`grid_fits` says when the
data are clear of both (the caller otherwise asks the spatial engine).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from vigilant.registry.geo import degree_deltas, haversine_m

Floats = npt.NDArray[np.float64]
Flags = npt.NDArray[np.bool_]
_WGS84 = Geod(ellps="WGS84")
CHUNK = 200_000  # points per pass: bounds the pairs held at once (~10 per point in a dense town)
MAX_LATITUDE = 80.0  # beyond it a degree of longitude is too short for a fixed-width grid


def _cell_size(latitudes: Floats, metres: float) -> tuple[float, float]:
    """Cell height and width in degrees: at least the box half-widths a circle of ``metres`` needs
    anywhere in the data (the widest longitude span is at the poleward edge)."""
    widest = float(np.max(np.abs(latitudes))) if latitudes.size else 0.0
    return degree_deltas(widest, metres)


def grid_fits(lat: Floats, lon: Floats, c_lat: Floats, c_lon: Floats, metres: float) -> bool:
    """Whether a degree grid answers exactly: every point away from the poles and from the antimeridian by
    more than a cell."""
    if lat.size == 0 or c_lat.size == 0:
        return True
    both_lat = np.concatenate([lat, c_lat])
    if float(np.max(np.abs(both_lat))) > MAX_LATITUDE:
        return False
    _, width = _cell_size(both_lat, metres)
    both_lon = np.concatenate([lon, c_lon])
    return bool(float(np.max(np.abs(both_lon))) < 180.0 - 2 * width)


def _keys(lat: Floats, lon: Floats, height: float, width: float) -> tuple[npt.NDArray[np.int64], ...]:
    return np.floor(lat / height).astype(np.int64), np.floor((lon + 180.0) / width).astype(np.int64)


def within_any(
    lat: Floats, lon: Floats, c_lat: Floats, c_lon: Floats, metres: float, *, margin: float
) -> Flags:
    """For each point (``lat``, ``lon``), whether some centre lies within ``metres`` of it on WGS84.

    ``margin``: the relative difference a sphere's distance may have from the ellipsoid's (pairs nearer than
    ``metres * (1 - margin)`` on the sphere are in, farther than ``metres * (1 + margin)`` out, the rest are
    measured exactly). Call :func:`grid_fits` first."""
    found = np.zeros(lat.size, dtype=np.bool_)
    if lat.size == 0 or c_lat.size == 0:
        return found
    height, width = _cell_size(np.concatenate([lat, c_lat]), metres * (1 + margin))
    columns = math.ceil(360.0 / width) + 3
    c_row, c_col = _keys(c_lat, c_lon, height, width)
    c_key = c_row * columns + c_col
    order = np.argsort(c_key, kind="stable")
    sorted_keys = c_key[order]
    row, col = _keys(lat, lon, height, width)
    inner, outer = metres * (1 - margin), metres * (1 + margin)
    for start in range(0, lat.size, CHUNK):
        part = slice(start, start + CHUNK)
        here = found[part]  # a view: marks land in ``found``
        for d_row, d_col in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)):
            todo = np.flatnonzero(~here)
            if todo.size == 0:
                break
            key = (row[part][todo] + d_row) * columns + (col[part][todo] + d_col)
            lo = np.searchsorted(sorted_keys, key, side="left")
            counts = np.searchsorted(sorted_keys, key, side="right") - lo
            total = int(counts.sum())
            if total == 0:
                continue
            point = np.repeat(todo, counts)  # index within the chunk
            first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
            centre = order[first + np.arange(total)]
            p_lat, p_lon = lat[part][point], lon[part][point]
            sphere = haversine_m(p_lat, p_lon, c_lat[centre], c_lon[centre])
            hit = sphere <= inner
            ring = np.flatnonzero((sphere > inner) & (sphere <= outer))
            if ring.size:
                _, _, exact = _WGS84.inv(
                    p_lon[ring],
                    p_lat[ring],
                    c_lon[centre[ring]],
                    c_lat[centre[ring]],
                    return_back_azimuth=False,
                )
                hit[ring] = np.asarray(exact) <= metres
            here[point[hit]] = True
    return found
