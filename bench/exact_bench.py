"""Exact look-ups: Vigilant's ExactIndex against a Python set and SQLite, side by side, one thread each.

Data: random digests (MD5 and SHA-256), made chunk by chunk from a seed in a temporary folder, never in
the repository. Queries: a shuffled batch with 1% hits (digests of the set) and 99% misses (fresh random
digests). Every subject must return exactly the planted hits, or the benchmark fails.

Subjects:

* vigilant: :class:`~vigilant.library.exact_index.ExactIndex`, memory-mapped, one ``contains`` call per
  batch; build time excludes making the data; its figures at 10^8 MD5 run when memory and disk allow.
* python set: ``set`` of ``bytes`` digests, what a script does; queries as a ready list of ``bytes``
  (its best case: no conversion counted); memory is the process's anonymous RSS growth.
* sqlite3: a table with an indexed BLOB column, what a database-backed tool does; look-ups as one
  ``SELECT 1 FROM h WHERE md5 = ?`` per digest (on a slice of the queries: it is slow) and as one join
  against a temporary table of all the queries (SQLite's best case).

Scales: ``full`` 10^7 digests per kind (10^6 queries), peers at 10^7 MD5, 10^8 MD5 when it fits (about
3–4 minutes on two cores); ``quick`` 10^6 digests (2×10^5 queries), about 20 s.
Run alone: ``.venv/bin/python bench/exact_bench.py [--quick]``.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from vigilant.hashing.digests import MD5, SHA256, DigestKind
from vigilant.library.exact_index import ExactIndex

Row = dict[str, object]
Digests = npt.NDArray[np.uint8]
Bools = npt.NDArray[np.bool_]
_T = TypeVar("_T")

HIT_SHARE = 0.01
TARGET_RATE = 1_000_000  # look-ups per second per core (design.md)
TARGET_SIZE = 1.2  # index bytes / raw digest bytes
CHUNK = 1 << 20
SEED = 20240601


@dataclass(frozen=True)
class Scale:
    sizes: tuple[tuple[DigestKind, int], ...]  # the index runs
    big: tuple[DigestKind, int] | None  # the run that needs memory checks
    queries: int
    peers: tuple[DigestKind, int]  # the data the peers run on (also one of ``sizes``)
    sqlite_loop_queries: int  # one SELECT per digest is slow: time it on this many


SCALES = {
    "full": Scale(
        sizes=((MD5, 10**7), (SHA256, 10**7)),
        big=(MD5, 10**8),
        queries=10**6,
        peers=(MD5, 10**7),
        sqlite_loop_queries=100_000,
    ),
    "quick": Scale(
        sizes=((MD5, 10**6), (SHA256, 10**6)),
        big=None,
        queries=200_000,
        peers=(MD5, 10**6),
        sqlite_loop_queries=20_000,
    ),
}


def power(count: int) -> str:
    exponent = len(str(count)) - 1
    return f"10^{exponent}" if count == 10**exponent else f"{count:,}"


@dataclass
class Dataset:
    """``count`` random digests of ``kind``, made chunk by chunk: the same every time it is iterated."""

    kind: DigestKind
    count: int
    seed: int = SEED
    # Rows copied out as the chunks stream past (positions chosen up front): the queries' hits.
    sample_positions: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    sampled: list[Digests] = field(default_factory=list)
    generate_s: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.kind.label} {power(self.count)}"

    def chunks(self) -> Iterator[Digests]:
        self.sampled.clear()
        for number, start in enumerate(range(0, self.count, CHUNK)):
            begun = time.perf_counter()
            rows = min(CHUNK, self.count - start)
            rng = np.random.default_rng([self.seed, self.kind.size, number])
            chunk = np.frombuffer(rng.bytes(rows * self.kind.size), dtype=np.uint8).reshape(rows, -1)
            lo, hi = np.searchsorted(self.sample_positions, [start, start + rows])
            self.sampled.append(chunk[self.sample_positions[lo:hi] - start].copy())
            self.generate_s += time.perf_counter() - begun
            yield chunk


@dataclass(frozen=True)
class Queries:
    digests: Digests
    expected: Bools  # the planted hits

    def as_bytes(self) -> list[bytes]:
        blob, size = self.digests.tobytes(), self.digests.shape[1]
        return [blob[i : i + size] for i in range(0, len(blob), size)]


def plan_queries(data: Dataset, total: int) -> None:
    rng = np.random.default_rng([SEED, 1])
    hits = max(1, int(total * HIT_SHARE))
    data.sample_positions = np.sort(rng.choice(data.count, size=hits, replace=False)).astype(np.int64)


def make_queries(data: Dataset, total: int) -> Queries:
    """The planted hits (sampled during the build's pass) and fresh random misses, shuffled."""
    rng = np.random.default_rng([SEED, 2])
    hits = np.concatenate(data.sampled)
    misses = np.frombuffer(rng.bytes((total - len(hits)) * data.kind.size), dtype=np.uint8)
    digests = np.concatenate([hits, misses.reshape(-1, data.kind.size)])
    expected = np.zeros(total, dtype=np.bool_)
    expected[: len(hits)] = True  # 10^6 random misses colliding with 10^8 digests: p < 10^-23
    order = rng.permutation(total)
    return Queries(np.ascontiguousarray(digests[order]), expected[order])


# -- measuring ----------------------------------------------------------------------------------------


def timed(action: Callable[[], _T]) -> tuple[_T, float]:
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started


def median_of_three(action: Callable[[], _T]) -> tuple[_T, float]:
    """The machine is shared: the median of three runs, each subject alike."""
    runs = [timed(action) for _ in range(3)]
    return runs[0][0], sorted(seconds for _, seconds in runs)[1]


def rss_anon() -> int:
    """Anonymous resident memory of this process (bytes); memory maps of files are not counted."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakMemory:
    """Highest anonymous RSS above the level at entry, sampled every 20 ms by a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._base = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_anon() - self._base)

    def __enter__(self) -> PeakMemory:
        gc.collect()
        self._base = rss_anon()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_anon() - self._base)


def check(subject: str, found: Bools, expected: Bools) -> None:
    if not np.array_equal(found, expected):
        raise RuntimeError(
            f"{subject} returned {int(found.sum())} hits, {int((found != expected).sum())} wrong answers"
        )


def memory_available() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


# -- subjects -----------------------------------------------------------------------------------------


@dataclass
class Ours:
    rate: float
    build_s: float
    size: int  # bytes on disk
    rows: list[Row]


def bench_vigilant(data: Dataset, total_queries: int, folder: Path) -> tuple[Ours, Queries]:
    plan_queries(data, total_queries)
    raw = data.count * data.kind.size
    with PeakMemory() as memory:
        index, seconds = timed(lambda: ExactIndex.build(data.kind, data.chunks(), folder / "index"))
    build_s = seconds - data.generate_s
    queries = make_queries(data, total_queries)
    del index
    index, open_s = timed(lambda: ExactIndex.open(folder / "index"))
    index.warm()
    found, lookup_s = median_of_three(lambda: index.contains(queries.digests))
    check("vigilant", found, queries.expected)
    _, verify_s = timed(index.verify)
    size = sum(path.stat().st_size for path in (folder / "index").iterdir())
    rate = total_queries / lookup_s
    base: Row = {"benchmark": "exact look-up", "data": data.name, "subject": "vigilant"}
    rows: list[Row] = [
        {
            **base,
            "metric": "look-ups/s",
            "value": rate,
            "unit": "/s",
            "target": f">= {TARGET_RATE:,}",
            "met": rate >= TARGET_RATE,
            "note": f"{total_queries:,} queries, {HIT_SHARE:.0%} hits, one thread, warm page cache",
        },
        {
            **base,
            "metric": "size / raw digest bytes",
            "value": size / raw,
            "unit": "x",
            "target": f"<= {TARGET_SIZE}",
            "met": size / raw <= TARGET_SIZE,
            "note": f"{size / 1e6:,.0f} MB on disk, mapped, not loaded",
        },
        {**base, "metric": "build time", "value": build_s, "unit": "s", "note": "sorted, hashed, fsynced"},
        {
            **base,
            "metric": "build peak memory",
            "value": memory.peak / 1e6,
            "unit": "MB",
            "note": f"{memory.peak / data.count:.1f} B/digest (anonymous RSS)",
        },
        {**base, "metric": "open time", "value": open_s * 1e3, "unit": "ms"},
        {**base, "metric": "verify time", "value": verify_s, "unit": "s", "note": "recomputes content hash"},
    ]
    return Ours(rate, build_s, size, rows), queries


def bench_set(data: Dataset, queries: Queries, ours: Ours) -> list[Row]:
    query_list = queries.as_bytes()
    gc.collect()
    before = rss_anon()

    def build() -> set[bytes]:
        digests: set[bytes] = set()
        size = data.kind.size
        for chunk in data.chunks():
            blob = chunk.tobytes()
            digests.update(blob[i : i + size] for i in range(0, len(blob), size))
        return digests

    generated = data.generate_s
    digests, seconds = timed(build)
    build_s = seconds - (data.generate_s - generated)
    memory = rss_anon() - before
    found, lookup_s = median_of_three(lambda: np.array([q in digests for q in query_list], dtype=np.bool_))
    check("python set", found, queries.expected)
    rate = len(query_list) / lookup_s
    base: Row = {"benchmark": "exact look-up", "data": data.name, "subject": "python set"}
    return [
        {
            **base,
            "metric": "look-ups/s",
            "value": rate,
            "unit": "/s",
            "ratio": ours.rate / rate,
            "note": "queries given as a ready list of bytes",
        },
        {
            **base,
            "metric": "size / raw digest bytes",
            "value": memory / (data.count * data.kind.size),
            "unit": "x",
            "ratio": memory / ours.size,
            "note": f"{memory / 1e6:,.0f} MB of process memory, rebuilt at every start",
        },
        {**base, "metric": "build time", "value": build_s, "unit": "s", "ratio": build_s / ours.build_s},
    ]


def bench_sqlite(data: Dataset, queries: Queries, ours: Ours, folder: Path, loop_queries: int) -> list[Row]:
    path = folder / "hashes.sqlite"
    query_list = queries.as_bytes()
    db = sqlite3.connect(path)
    try:
        # The fastest bulk load SQLite offers; a real tool would journal, and be slower.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")

        def build() -> None:
            db.execute("CREATE TABLE h (id INTEGER PRIMARY KEY, md5 BLOB NOT NULL)")
            size = data.kind.size
            for chunk in data.chunks():
                blob = chunk.tobytes()  # slicing one blob: the same cheap conversion the set gets
                rows = ((blob[i : i + size],) for i in range(0, len(blob), size))
                db.executemany("INSERT INTO h (md5) VALUES (?)", rows)
            db.execute("CREATE INDEX h_md5 ON h (md5)")  # after the load: faster than during it
            db.commit()

        generated = data.generate_s
        _, seconds = timed(build)
        build_s = seconds - (data.generate_s - generated)
        size = path.stat().st_size

        cursor = db.cursor()
        subset = query_list[:loop_queries]

        def one_by_one() -> Bools:
            select = "SELECT 1 FROM h WHERE md5 = ?"
            return np.array([cursor.execute(select, (q,)).fetchone() is not None for q in subset])

        found, loop_s = timed(one_by_one)
        check("sqlite3 one by one", found, queries.expected[:loop_queries])

        def joined() -> Bools:
            db.execute("CREATE TEMP TABLE q (i INTEGER PRIMARY KEY, md5 BLOB NOT NULL)")
            db.executemany("INSERT INTO q (i, md5) VALUES (?, ?)", enumerate(query_list))
            hits = [i for (i,) in db.execute("SELECT q.i FROM q JOIN h ON h.md5 = q.md5")]
            db.execute("DROP TABLE q")
            out = np.zeros(len(query_list), dtype=np.bool_)
            out[hits] = True
            return out

        found, join_s = timed(joined)
        check("sqlite3 join", found, queries.expected)
    finally:
        db.close()
    loop_rate, join_rate = loop_queries / loop_s, len(query_list) / join_s
    base: Row = {"benchmark": "exact look-up", "data": data.name, "subject": "sqlite3"}
    return [
        {
            **base,
            "metric": "look-ups/s",
            "value": loop_rate,
            "unit": "/s",
            "ratio": ours.rate / loop_rate,
            "note": f"one SELECT per digest, on {loop_queries:,} of the queries",
        },
        {
            **base,
            "metric": "look-ups/s",
            "value": join_rate,
            "unit": "/s",
            "ratio": ours.rate / join_rate,
            "note": "all queries in a temp table, one join (insert included)",
        },
        {
            **base,
            "metric": "size / raw digest bytes",
            "value": size / (data.count * data.kind.size),
            "unit": "x",
            "ratio": size / ours.size,
            "note": f"{size / 1e6:,.0f} MB on disk (table + index)",
        },
        {**base, "metric": "build time", "value": build_s, "unit": "s", "ratio": build_s / ours.build_s},
    ]


def big_run_fits(kind: DigestKind, count: int, folder: Path) -> str | None:
    """Why the big run cannot run here, or None when memory and disk allow it."""
    # Build peak (size + 8) B/digest, then the mapped index (~1.1 x raw) and the queries, plus slack
    # for what others run on the machine.
    needed = count * (kind.size + 8) + int(count * kind.size * 1.2) + 2 * 2**30
    available = memory_available()
    if available < needed:
        return (
            f"skipped: needs ~{needed / 2**30:.1f} GiB of available memory,"
            f" /proc/meminfo says {available / 2**30:.1f} GiB"
        )
    disk = shutil.disk_usage(folder).free
    if disk < count * kind.size * 1.5:
        return f"skipped: needs ~{count * kind.size * 1.5 / 2**30:.1f} GiB free disk in {folder}"
    return None


def run(scale: str) -> list[Row]:
    """Every exact look-up benchmark at ``scale`` ("quick" or "full")."""
    if scale not in SCALES:
        raise ValueError(f"scale is one of {', '.join(SCALES)}, got {scale!r}")
    plan = SCALES[scale]
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="vigilant-exact-bench-") as tmp:
        for kind, count in plan.sizes:
            folder = Path(tmp) / f"{kind.name}-{count}"
            folder.mkdir()
            data = Dataset(kind, count)
            ours, queries = bench_vigilant(data, plan.queries, folder)
            rows.extend(ours.rows)
            if (kind, count) == plan.peers:
                rows.extend(bench_set(data, queries, ours))
                rows.extend(bench_sqlite(data, queries, ours, folder, plan.sqlite_loop_queries))
            shutil.rmtree(folder)
        if plan.big is not None:
            kind, count = plan.big
            data = Dataset(kind, count)
            reason = big_run_fits(kind, count, Path(tmp))
            if reason is None:
                folder = Path(tmp) / "big"
                folder.mkdir()
                rows.extend(bench_vigilant(data, plan.queries, folder)[0].rows)
            else:
                rows.append(
                    {
                        "benchmark": "exact look-up",
                        "data": data.name,
                        "subject": "vigilant",
                        "metric": "look-ups/s",
                        "value": None,
                        "unit": "/s",
                        "note": reason,
                    }
                )
    return rows


if __name__ == "__main__":
    # The harness prints the table; imported only when this file runs alone.
    from run import main

    sys.exit(main(["--only", "exact_bench", *sys.argv[1:]]))
