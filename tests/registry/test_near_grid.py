"""The in-memory grid join behind "every registrant within D of any facility" on SQLite, against a
brute-force oracle: Karney's geodesic (geographiclib) between every point and every centre."""

from __future__ import annotations

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic

from vigilant.registry.near_grid import grid_fits, within_any
from vigilant.registry.proximity import SPHERE_MARGIN

WGS84 = Geodesic.WGS84


def _oracle(
    lat: np.ndarray, lon: np.ndarray, c_lat: np.ndarray, c_lon: np.ndarray, metres: float
) -> np.ndarray:
    return np.array(
        [
            any(WGS84.Inverse(a, b, c, d)["s12"] <= metres for c, d in zip(c_lat, c_lon, strict=True))
            for a, b in zip(lat, lon, strict=True)
        ]
    )


@pytest.mark.parametrize("town", [(43.7, -79.4), (-33.9, 151.2), (0.2, 9.5), (69.6, 18.9)])
def test_the_grid_finds_what_every_pair_finds(town: tuple[float, float]) -> None:
    """Scattered points and centres around a town (north, south, at the equator, far north), plus points
    placed 0.1-1 % either side of 500 m from a centre, where the sphere alone would be wrong."""
    rng = np.random.default_rng(15)
    lat = town[0] + rng.normal(0, 0.01, 600)
    lon = town[1] + rng.normal(0, 0.015, 600)
    c_lat = town[0] + rng.normal(0, 0.01, 40)
    c_lon = town[1] + rng.normal(0, 0.015, 40)
    edge = [
        WGS84.Direct(float(c_lat[0]), float(c_lon[0]), azimuth, 500 * f)
        for azimuth in (0, 60, 90, 150, 200, 270)
        for f in (0.99, 0.999, 1.001, 1.01)
    ]
    lat = np.concatenate([lat, [e["lat2"] for e in edge]])
    lon = np.concatenate([lon, [e["lon2"] for e in edge]])
    assert grid_fits(lat, lon, c_lat, c_lon, 500 * (1 + SPHERE_MARGIN))
    found = within_any(lat, lon, c_lat, c_lon, 500.0, margin=SPHERE_MARGIN)
    truth = _oracle(lat, lon, c_lat, c_lon, 500.0)
    assert 0 < truth.sum() < truth.size  # some in, some out
    np.testing.assert_array_equal(found, truth)


def test_small_chunks_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(7)
    lat, lon = 45 + rng.normal(0, 0.02, 900), -75 + rng.normal(0, 0.03, 900)
    c_lat, c_lon = 45 + rng.normal(0, 0.02, 30), -75 + rng.normal(0, 0.03, 30)
    whole = within_any(lat, lon, c_lat, c_lon, 800.0, margin=SPHERE_MARGIN)
    monkeypatch.setattr("vigilant.registry.near_grid.CHUNK", 64)
    np.testing.assert_array_equal(within_any(lat, lon, c_lat, c_lon, 800.0, margin=SPHERE_MARGIN), whole)
    assert 0 < whole.sum() < whole.size


def test_no_points_or_no_centres_find_nothing() -> None:
    some = np.array([45.0, 45.001])
    none = np.array([], dtype=np.float64)
    assert within_any(some, some, none, none, 500.0, margin=SPHERE_MARGIN).tolist() == [False, False]
    assert within_any(none, none, some, some, 500.0, margin=SPHERE_MARGIN).size == 0


@pytest.mark.parametrize(
    ("lat", "lon"), [(85.0, 10.0), (-83.0, 10.0), (10.0, 179.999), (10.0, -179.999)]
)  # near a pole, across the antimeridian: the caller asks the spatial engine instead
def test_the_grid_declines_near_poles_and_the_antimeridian(lat: float, lon: float) -> None:
    points = np.array([lat]), np.array([lon])
    centres = np.array([45.0]), np.array([10.0])
    assert not grid_fits(*points, *centres, 500.0)
    assert grid_fits(np.array([45.0]), np.array([10.0]), *centres, 500.0)
