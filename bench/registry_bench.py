"""Registry proximity on the spatial engines, against a plain NumPy haversine scan, side by side.

Data, made from a seed: registrants with one current main residence each, clustered around 300 towns of
Canada's populated band (42.5-54 N, 60-128 W; a town's people within ~5 km of it: at 10^6 about ten
registrants a square kilometre in a town, some twenty times a real registry's density), and facilities
clustered the same way (a quarter daycares, a quarter schools, the rest parks and community centres).
Loaded through the real schema (migration 0019's triggers make the points and keep the spatial indexes).

Measured, on SQLite + SpatiaLite and on PostgreSQL + PostGIS (where ``VIGILANT_BENCH_POSTGRES_URL`` or
``VIGILANT_TEST_POSTGRES_URL`` names a server; a database of the bench's own is made there and dropped):

* radius query: :func:`vigilant.registry.proximity.within_radius`, 1 km around 200 random places (an
  incident's place near a town), latency p50/p99 (target p99 < 50 ms); the peer: NumPy haversine over every
  point, per query;
* every registrant within 500 m of any daycare: :func:`vigilant.registry.proximity.registrants_near_any`
  (target < 10 s); the peer: NumPy, points sorted by latitude, each daycare's latitude band found by binary
  search and scanned with haversine (a plain scan, with the one obvious pruning).

* the daily compliance sweep: :func:`vigilant.registry.sweep.sweep` as of one day over every registrant
  (target < 30 s at 10^6), each with one order (10 years, 20 years or life, started 2008-2019) and an
  in-person report on every anniversary, except for 40 % who stopped at a random year: years of missed
  reports, an alert each; the peer: NumPy over the same orders and reports in memory, the anniversaries a
  vectorised loop (its counts of statuses and alerts must equal the sweep's).

Results are compared: the engines measure on the WGS84 ellipsoid and NumPy on a sphere, so counts may differ
by the few points within ~0.5 % of the boundary; the row says by how many.

Scales: ``full`` 10^6 registrants and 10^5 facilities; ``quick`` 2 × 10^4 and 2 × 10^3.
Run alone: ``.venv/bin/python bench/registry_bench.py [--quick] [--sqlite-only] [--sweep-only]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pyproj import Geod

from _pg import drop_postgres, fresh_postgres
from vigilant.registry.geo import Point, degree_deltas, haversine_m
from vigilant.registry.models import AddressKind, Regime, ReportKind, ReportOutcome
from vigilant.registry.places_models import FacilityKind
from vigilant.registry.proximity import registrants_near_any, within_radius
from vigilant.registry.rules import rule_set
from vigilant.registry.sweep import sweep
from vigilant.security.rights import Actor
from vigilant.store import Database

Row = dict[str, object]
SIZES = {"full": (1_000_000, 100_000), "quick": (20_000, 2_000)}
QUERIES = 200
RADIUS_M = 1000.0
DAYCARE_M = 500.0
AS_OF = date(2026, 12, 7)
TOWNS = 300
BENCH_DB = f"vigilant_bench_registry_{os.getpid()}"
KINDS = [FacilityKind.DAYCARE] * 25 + [FacilityKind.SCHOOL] * 25 + [FacilityKind.PARK] * 35
KINDS += [FacilityKind.COMMUNITY_CENTRE] * 15
HOMES = {AddressKind.MAIN}
GEOD = Geod(ellps="WGS84")


class Data:
    """Points of registrants' homes and of facilities, from one seed."""

    def __init__(self, registrants: int, facilities: int, seed: int = 15) -> None:
        rng = np.random.default_rng(seed)
        towns_lat = rng.uniform(42.5, 54.0, TOWNS)
        towns_lon = rng.uniform(-128.0, -60.0, TOWNS)
        weights = rng.pareto(1.2, TOWNS) + 1
        self.weights = weights / weights.sum()
        self.towns = (towns_lat, towns_lon)
        self.rng = rng
        self.lat, self.lon = self._around(registrants, 0.05)
        self.f_lat, self.f_lon = self._around(facilities, 0.05)
        self.f_kind = [KINDS[i % len(KINDS)].value for i in range(facilities)]
        q_lat, q_lon = self._around(QUERIES, 0.05)  # the same places for every engine
        self.queries = [Point(float(a), float(b)) for a, b in zip(q_lat, q_lon, strict=True)]

    def _around(self, n: int, spread: float) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        town = self.rng.choice(TOWNS, size=n, p=self.weights)
        lat = self.towns[0][town] + self.rng.normal(0, spread, n)
        lon = self.towns[1][town] + self.rng.normal(0, spread * 1.4, n)
        return np.round(lat, 7), np.round(lon, 7)


# --- loading ---------------------------------------------------------------------------------------------
def _rows(data: Data) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    n = len(data.lat)
    persons = [
        (i, 1, "Pat", f"Bench{i}", date(1960 + i % 40, 1 + i % 12, 1 + i % 28), False, now)
        for i in range(1, n + 1)
    ]
    registrants = [(i, i, f"B-{i}", 1, "M", now, now) for i in range(1, n + 1)]
    moved = date(2020, 1, 1)
    addresses = [
        (i, i, "main", f"{i} Bench St", moved, moved, float(data.lat[i - 1]), float(data.lon[i - 1]))
        for i in range(1, n + 1)
    ]
    return persons, registrants, addresses


_COLUMNS = {
    "agency": "id, name, short_name, province, municipalities, is_coordinator, created_at",
    "person": "id, agency_id, given_names, surname, date_of_birth, depicted, created_at",
    "registrant": "id, person_id, registry_number, office_agency_id, sex, created_at, updated_at",
    # reported_on: the move to it was reported the same day (the sweep counts no missed move)
    "registrant_address": "id, registrant_id, kind, line, valid_from, reported_on, latitude, longitude",
    "registry_facility": "id, kind, ref, name, latitude, longitude, source, imported_by, imported_at",
}


def _facility_rows(data: Data) -> list[tuple[Any, ...]]:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        (
            i + 1,
            data.f_kind[i],
            f"f{i}",
            f"Facility {i}",
            float(data.f_lat[i]),
            float(data.f_lon[i]),
            "bench",
            "bench",
            now,
        )
        for i in range(len(data.f_lat))
    ]


def load(db: Database, data: Data) -> float:
    """Bulk-load through the real schema (its triggers make the points); seconds taken."""
    started = time.perf_counter()
    persons, registrants, addresses = _rows(data)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    tables = [
        ("agency", [(1, "Bench Registry", "BR", "ON", "[]", False, now)]),
        ("person", persons),
        ("registrant", registrants),
        ("registrant_address", addresses),
        ("registry_facility", _facility_rows(data)),
    ]
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if db.backend == "sqlite":
            # A bulk load's working set (the R*Tree above all) in memory: with SQLite's default 2 MB cache
            # every spilled page went to the WAL again and again (tens of GB written for 10^6 rows).
            cursor.execute("PRAGMA cache_size = -524288")
        for table, rows in tables:
            columns = _COLUMNS[table]
            if db.backend == "sqlite":
                marks = ", ".join("?" * len(rows[0]))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", _sqlite_plain(rows))
            else:
                _copy(raw, table, columns, rows)
        raw.commit()
        if db.backend == "postgresql":
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def _sqlite_plain(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # Dates and times as the store writes them on SQLite (ISO text, UTC without zone)
    def plain(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        if isinstance(v, date):
            return v.isoformat()
        return v

    return [tuple(plain(v) for v in row) for row in rows]


def _copy(raw: Any, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    connection = raw.driver_connection
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- the NumPy peer --------------------------------------------------------------------------------------
def numpy_radius(data: Data, point: Point, metres: float) -> int:
    return int(np.count_nonzero(haversine_m(point.latitude, point.longitude, data.lat, data.lon) <= metres))


def numpy_near_daycares(data: Data, metres: float, *, exact: bool = False) -> set[int]:
    """The sphere's answer; with ``exact``, the WGS84 one: pairs within 1 % of ``metres`` on the sphere are
    measured again with Karney's geodesic (PROJ), the reference the engines' answers must equal."""
    order = np.argsort(data.lat, kind="stable")
    lat, lon = data.lat[order], data.lon[order]
    dlat, _ = degree_deltas(0.0, metres * 1.01)
    found: set[int] = set()
    for f in range(len(data.f_lat)):
        if data.f_kind[f] != FacilityKind.DAYCARE.value:
            continue
        flat, flon = float(data.f_lat[f]), float(data.f_lon[f])
        lo, hi = np.searchsorted(lat, [flat - dlat, flat + dlat])
        sphere = haversine_m(flat, flon, lat[lo:hi], lon[lo:hi])
        near = sphere <= metres
        if exact:
            ring = np.flatnonzero(np.abs(sphere - metres) <= metres * 0.01)
            if ring.size:
                n = ring.size
                _, _, geodesic = GEOD.inv(
                    np.full(n, flon),
                    np.full(n, flat),
                    lon[lo:hi][ring],
                    lat[lo:hi][ring],
                    return_back_azimuth=False,
                )
                near[ring] = np.asarray(geodesic) <= metres
        found.update((order[lo:hi][near] + 1).tolist())  # registrant ids are 1-based positions
    return found


# --- one engine ------------------------------------------------------------------------------------------
def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _cpu_note(db: Database, cpu_ms: list[float]) -> str:
    if db.backend != "sqlite":  # the work is the server's, not this process's
        return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    return f"CPU p50 {np.percentile(cpu_ms, 50):.2f} ms, p99 {np.percentile(cpu_ms, 99):.2f} ms"


def bench_engine(
    name: str, db: Database, data: Data, size: str, *, proximity: bool = True, sweeping: bool = True
) -> list[Row]:
    rows: list[Row] = []
    load_s = load(db, data)
    rows.append(
        {
            "benchmark": "registry load",
            "data": f"{name}, {size}",
            "subject": "vigilant",
            "metric": "load",
            "value": round(load_s, 1),
            "unit": "s",
            "note": "bulk insert through the schema's triggers",
        }
    )
    if not proximity:
        return rows + (bench_sweep(name, db, len(data.lat)) if sweeping else [])
    points = data.queries
    latencies: list[float] = []
    cpu_ms: list[float] = []  # this process's CPU: on SQLite the whole query, whatever else the machine runs
    counts: list[int] = []
    with db.session() as s:
        within_radius(s, points[0], RADIUS_M, kinds=HOMES, as_of=AS_OF)  # warm the caches
        for point in points:
            started, cpu = time.perf_counter(), time.process_time()
            found = within_radius(s, point, RADIUS_M, kinds=HOMES, as_of=AS_OF)
            latencies.append((time.perf_counter() - started) * 1000)
            cpu_ms.append((time.process_time() - cpu) * 1000)
            counts.append(len(found))
    peer_ms: list[float] = []
    peer_counts: list[int] = []
    for point in points:
        started = time.perf_counter()
        peer_counts.append(numpy_radius(data, point, RADIUS_M))
        peer_ms.append((time.perf_counter() - started) * 1000)
    differ = sum(abs(c - n) for c, n in zip(counts, peer_counts, strict=True))
    p99, peer_p99 = float(np.percentile(latencies, 99)), float(np.percentile(peer_ms, 99))
    data_text = f"{name}, {size}, {RADIUS_M:g} m, {QUERIES} queries, mean {np.mean(counts):.0f} found"
    rows.append(
        {
            "benchmark": "radius query",
            "data": data_text,
            "subject": "vigilant",
            "metric": "p99 latency",
            "value": round(p99, 2),
            "unit": "ms",
            "target": "< 50 ms",
            "met": p99 < 50,
            "note": f"p50 {np.percentile(latencies, 50):.2f} ms; {_cpu_note(db, cpu_ms)}",
        }
    )
    rows.append(
        {
            "benchmark": "radius query",
            "data": data_text,
            "subject": "numpy haversine scan",
            "metric": "p99 latency",
            "value": round(peer_p99, 2),
            "unit": "ms",
            "ratio": round(peer_p99 / p99, 1),
            "note": f"results differ by {differ} points in all (sphere vs ellipsoid at the edge)",
        }
    )

    with db.session() as s:
        cpu = time.process_time()
        seconds, registrants = _timed(
            lambda: registrants_near_any(s, FacilityKind.DAYCARE, DAYCARE_M, kinds=HOMES, as_of=AS_OF)
        )
        near_cpu = time.process_time() - cpu
    peer_s, peer_set = _timed(lambda: numpy_near_daycares(data, DAYCARE_M))
    reference = numpy_near_daycares(data, DAYCARE_M, exact=True)
    daycares = data.f_kind.count(FacilityKind.DAYCARE.value)
    data_text = f"{name}, {size}, {daycares} daycares, {DAYCARE_M:g} m"
    rows.append(
        {
            "benchmark": "near any daycare",
            "data": data_text,
            "subject": "vigilant",
            "metric": "time",
            "value": round(seconds, 2),
            "unit": "s",
            "target": "< 10 s",
            "met": seconds < 10,
            "note": f"{len(registrants)} registrants, {len(registrants ^ reference)} differ from the exact "
            "WGS84 reference (NumPy band scan, Karney's geodesic at the edge); "
            + (f"CPU {near_cpu:.1f} s; " if db.backend == "sqlite" else "")
            + f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        }
    )
    rows.append(
        {
            "benchmark": "near any daycare",
            "data": data_text,
            "subject": "numpy haversine (latitude band)",
            "metric": "time",
            "value": round(peer_s, 2),
            "unit": "s",
            "ratio": round(peer_s / seconds, 1),
            "note": f"{len(peer_set)} registrants; {len(registrants ^ peer_set)} differ",
        }
    )
    return rows + (bench_sweep(name, db, len(data.lat)) if sweeping else [])


# --- the compliance sweep --------------------------------------------------------------------------------
STOPPED = 0.4  # the share of registrants who stopped reporting at some anniversary (years of misses)
WINDOW_DAYS, DUE_SOON_DAYS = 15, 30  # the federal rules' figures in force since 2004 (rules.toml)
NEVER = np.datetime64("9999-12-31")


class Obligations:
    """Each registrant's order (from a seed) and in-person reports: the first on the order's first day (a day
    of the month up to 28, so no anniversary falls on 29 February), then one on each anniversary up to
    ``kept`` of them and up to the sweep's day."""

    def __init__(self, n: int, seed: int = 16) -> None:
        rng = np.random.default_rng(seed)
        self.year = rng.integers(2008, 2020, n)
        self.month = rng.integers(1, 13, n)
        self.day = rng.integers(1, 29, n)
        self.term = rng.choice(np.array([10, 20, 0]), n, p=[0.4, 0.4, 0.2])  # 0: life
        self.kept = np.where(rng.random(n) < STOPPED, rng.integers(0, 8, n), 99)
        self.last = AS_OF.year - 2008 + 1  # no anniversary after it matters on AS_OF

    def anniversary(self, k: int) -> npt.NDArray[Any]:
        months = (self.year + k - 1970) * 12 + self.month - 1
        return months.astype("datetime64[M]").astype("datetime64[D]") + (self.day - 1)

    def end(self) -> npt.NDArray[Any]:
        ten, twenty = self.anniversary(10), self.anniversary(20)
        return np.where(self.term == 10, ten, np.where(self.term == 20, twenty, NEVER))

    def reported(self, k: int) -> npt.NDArray[np.bool_]:
        """Who reported on anniversary ``k`` (0: the first report)."""
        a = self.anniversary(k)
        return (k <= self.kept) & (a < self.end()) & (a <= np.datetime64(AS_OF))


def load_obligations(db: Database, o: Obligations) -> float:
    """The orders and reports, bulk-loaded a year of reports at a time; seconds taken."""
    started, now = time.perf_counter(), datetime(2026, 12, 1, tzinfo=UTC)
    n = len(o.year)
    terms = {10: "10y", 20: "20y", 0: "life"}
    starts = o.anniversary(0).astype(object)
    batches: list[tuple[str, str, list[tuple[Any, ...]]]] = [
        (
            "registrant_order",
            "id, registrant_id, regime, term, starts_on",
            [(i + 1, i + 1, "federal", terms[int(o.term[i])], starts[i]) for i in range(n)],
        )
    ]
    first = 1
    for k in range(o.last + 1):
        who = np.flatnonzero(o.reported(k))
        days = o.anniversary(k)[who].astype(object)
        kind = (ReportKind.INITIAL if k == 0 else ReportKind.ANNUAL).value
        done = ReportOutcome.COMPLETED.value
        rows = [
            (first + j, int(r) + 1, kind, days[j], "Cst. Bench", done, "bench", now)
            for j, r in enumerate(who)
        ]
        columns = "id, registrant_id, kind, reported_on, officer, outcome, recorded_by, recorded_at"
        batches.append(("registrant_report", columns, rows))
        first += len(rows)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for table, columns, rows in batches:
            if not rows:
                continue
            if db.backend == "sqlite":
                marks = ", ".join("?" * len(rows[0]))
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", _sqlite_plain(rows))
            else:
                _copy(raw, table, columns, rows)
        raw.commit()
        if db.backend == "postgresql":
            cursor.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - started


def numpy_sweep(o: Obligations) -> dict[str, int]:
    """The statuses and alerts of every registrant as of AS_OF, from the arrays: a missed anniversary is
    overdue once its window closed; the first unsettled one ahead decides due soon."""
    day = np.datetime64(AS_OF)
    end = o.end()
    ended = day >= end
    overdue = np.zeros(len(o.year), dtype=np.int64)
    first_open = np.full(len(o.year), NEVER)
    for k in range(1, o.last + 2):
        a = o.anniversary(k)
        unsettled = (a < end) & ~o.reported(k)
        overdue += unsettled & (a + WINDOW_DAYS < day) & ~ended
        first_open = np.where(unsettled & (first_open == NEVER), a, first_open)
    non = ~ended & (overdue > 0)
    soon = ~ended & ~non & (first_open != NEVER) & ((first_open - day).astype(np.int64) <= DUE_SOON_DAYS)
    return {
        "compliant": int(np.count_nonzero(~ended & ~non & ~soon)),
        "due_soon": int(np.count_nonzero(soon)),
        "non_compliant": int(np.count_nonzero(non)),
        "order_ended": int(np.count_nonzero(ended)),
        "alerts": int(overdue.sum()),
    }


def bench_sweep(name: str, db: Database, n: int) -> list[Row]:
    o = Obligations(n)
    load_s = load_obligations(db, o)
    cpu = time.process_time()
    seconds, state = _timed(
        lambda: sweep(db, Actor.cli("bench"), rules=rule_set(Regime.FEDERAL), as_of=AS_OF)
    )
    cpu_s = time.process_time() - cpu
    peer_s, peer = _timed(lambda: numpy_sweep(o))
    got = {
        "compliant": state.compliant,
        "due_soon": state.due_soon,
        "non_compliant": state.non_compliant,
        "order_ended": state.order_ended,
        "alerts": state.alerts_raised,
    }
    differ = {k: got[k] - peer[k] for k in got if got[k] != peer[k]}
    data_text = f"{name}, {n:,} registrants, {STOPPED:.0%} stopped reporting"
    return [
        {
            "benchmark": "compliance sweep",
            "data": data_text,
            "subject": "vigilant",
            "metric": "time",
            "value": round(seconds, 2),
            "unit": "s",
            "target": "< 30 s",
            "met": seconds < 30,
            "note": f"{got}; CPU {cpu_s:.1f} s (this process); orders and reports loaded in {load_s:.0f} s; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        },
        {
            "benchmark": "compliance sweep",
            "data": data_text,
            "subject": "numpy scan (arrays in memory)",
            "metric": "time",
            "value": round(peer_s, 3),
            "unit": "s",
            "ratio": round(peer_s / seconds, 4),
            "note": "counts equal the sweep's" if not differ else f"counts differ (sweep - numpy): {differ}",
        },
    ]


def run(
    scale: str,
    engines: tuple[str, ...] = ("sqlite", "postgresql"),
    sizes: tuple[int, int] | None = None,
    parts: dict[str, bool] | None = None,
) -> list[Row]:
    """``parts``: ``proximity`` and ``sweeping``, both measured unless set False."""
    parts = parts or {}
    registrants, facilities = sizes or SIZES[scale]
    size = f"{registrants:,} registrants, {facilities:,} facilities"
    data = Data(registrants, facilities)
    rows: list[Row] = []
    work = Path(tempfile.mkdtemp(prefix="vigilant-registry-bench-"))
    try:
        if "sqlite" in engines:
            db = Database(f"sqlite:///{work / 'registry.db'}")
            db.upgrade()
            try:
                rows += _told(bench_engine("SQLite + SpatiaLite", db, data, size, **parts))
            finally:
                db.dispose()
        if "postgresql" in engines:
            url = fresh_postgres(BENCH_DB)
            if url is None:
                rows.append(
                    {
                        "benchmark": "radius query",
                        "data": "PostgreSQL + PostGIS",
                        "subject": "vigilant",
                        "metric": "skipped",
                        "value": None,
                        "unit": "",
                        "note": "set VIGILANT_BENCH_POSTGRES_URL: .ci/postgres-start",
                    }
                )
            else:
                db = Database(url)
                db.upgrade()
                try:
                    rows += _told(bench_engine("PostgreSQL + PostGIS", db, data, size, **parts))
                finally:
                    db.dispose()
                    drop_postgres(url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


def _told(rows: list[Row]) -> list[Row]:
    """Rows as they come, on stderr (a full run takes minutes per engine)."""
    for row in rows:
        print(row, file=sys.stderr, flush=True)
    return rows


if __name__ == "__main__":
    chosen = ("sqlite",) if "--sqlite-only" in sys.argv else ("sqlite", "postgresql")
    chosen = ("postgresql",) if "--postgresql-only" in sys.argv else chosen
    # --size=200000,20000: registrants and facilities of a run between quick and full
    given = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--size=")), None)
    sizes = (int(given.split(",")[0]), int(given.split(",")[1])) if given else None
    parts = {"proximity": "--sweep-only" not in sys.argv, "sweeping": "--no-sweep" not in sys.argv}
    run("quick" if "--quick" in sys.argv else "full", chosen, sizes, parts)
