"""Shared-file links: Vigilant's builder query over triage Parquet records, side by side with the obvious
DuckDB self-join and a pandas merge.

Data: file records laid out as triage writes them (the full ``triage-records`` schema; the columns the
link builders do not read are null, which Parquet stores in a few bytes), made with numpy/pyarrow from a
seed in a temporary folder, one Parquet file per device (generation is not timed). Each device holds
``rows / devices`` files: 90 % its own, 10 % drawn from a pool of shared files whose popularity follows a
Zipf law (a few files on hundreds of devices, most on two or three), 1 % of the pool known-bad and 0.5 %
known-good.

Subjects, each timed in a fresh child process (its peak resident memory reported):

* vigilant: :func:`vigilant.links.build_shared_files.shared_pairs` (DuckDB: rarity per file, known-good and
  too-common files left out, one row per linked device pair and class of material with its weight and first
  files), ``threads=2``;
* duckdb self-join: ``JOIN ON sha256 AND a < b GROUP BY device pair`` over the same files, no frequency
  rule (the obvious query; its pairs grow with the square of a popular file's devices);
* pandas merge: the same self-join as ``DataFrame.merge`` then ``groupby``.

Scales: ``full`` 10^7 records from 1,000 devices (target < 60 s), peers at 10^6 (Vigilant again at 10^6 for
the ratios); ``quick`` 10^6 and 10^5. Run alone: ``.venv/bin/python bench/links_bench.py [--quick]``.

Neighbourhood queries (the second table; alone: ``bench/links_bench.py --neighbourhood [--quick]``): a
stored graph of 10^6 links (10^5 quick) between 2 × 10^5 entities (persons, devices, identifiers; each
link between two random entities, so a mean degree of 10), loaded into a SQLite store with its migrations
(loading not timed). Subjects, on the same random entities:

* vigilant: :func:`vigilant.links.views.neighbourhood` at depth 1 and 2, as the API answers it: entity
  resolution, visibility (the server's CLI actor, who sees all: a logged-in user adds one visibility query
  per kind and 500 entities), the view, and the audit event each read writes;
* networkx: the same edges in an in-memory ``nx.Graph`` (its load time and memory reported),
  ``G.edges(n, data=True)`` and ``nx.ego_graph(G, n, radius=2)``: what an analysis tool holding the whole
  graph in memory pays per query (target: p99 < 100 ms at 10^6 links, issue 13).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import insert

from vigilant.links.build_shared_files import shared_pairs
from vigilant.links.models import LinkEdgeRow, LinkEntityRow
from vigilant.links.views import neighbourhood
from vigilant.security.rights import Actor
from vigilant.store import open_database
from vigilant.store.models import utcnow
from vigilant.triage.records import SCHEMA

Row = dict[str, object]
SEED = 20261207
DEVICES = 1000
SHARED_SHARE = 0.10
POOL = 200_000
TARGET_SECONDS = 60.0
SCALES = {"full": (10**7, 10**6), "quick": (10**6, 10**5)}
BENCHMARK = "shared-file links"


def _sha(ids: np.ndarray) -> pa.Array:
    """A 32-byte digest per id: the id's 8 bytes repeated (distinct ids, distinct digests)."""
    raw = np.repeat(ids.astype("<u8").view(np.uint8).reshape(-1, 8), 4, axis=0).reshape(-1, 32)
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(32), len(ids), [None, pa.py_buffer(raw.tobytes())])


def generate(folder: Path, rows: int, devices: int = DEVICES) -> list[str]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(SEED)
    per_device = rows // devices
    popularity = 1.0 / np.arange(1, POOL + 1) ** 1.1
    popularity /= popularity.sum()
    bad = rng.random(POOL) < 0.01
    good = rng.random(POOL) < 0.005
    files = []
    for device in range(devices):
        shared = rng.random(per_device) < SHARED_SHARE
        pooled = rng.choice(POOL, size=per_device, p=popularity)
        own = POOL + device * per_device + np.arange(per_device)
        ids = np.where(shared, pooled, own)
        n = per_device
        columns: dict[str, pa.Array] = {f.name: pa.nulls(n, f.type) for f in SCHEMA}
        columns["evidence_id"] = pa.array(np.full(n, device + 1, np.int64))
        columns["position"] = pa.array(np.arange(n, dtype=np.int64))
        columns["member"] = pa.array(np.zeros(n, np.int32))
        columns["name"] = pa.array([f"f{i}.jpg" for i in ids.tolist()], pa.string())
        columns["size"] = pa.array(np.full(n, 50_000, np.int64))
        columns["sha256"] = _sha(ids)
        columns["known_bad"] = pa.array(np.where(shared, bad[np.minimum(ids, POOL - 1)], False))
        columns["known_good"] = pa.array(np.where(shared, good[np.minimum(ids, POOL - 1)], False))
        path = folder / f"batch-{device:06d}.parquet"
        pq.write_table(pa.table([columns[f.name] for f in SCHEMA], schema=SCHEMA), path)
        files.append(str(path))
    return files


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET memory_limit = '8GB'")
    return con


def _vigilant(files: list[str], devices: int) -> int:
    with _connect() as con:
        return len(shared_pairs(con, files, list(range(1, devices + 1)), max_share=0.05, listed=50))


SELF_JOIN = """
WITH f AS (SELECT DISTINCT evidence_id, sha256 FROM read_parquet($files) WHERE sha256 IS NOT NULL)
SELECT a.evidence_id, b.evidence_id, count(*) FROM f a JOIN f b ON a.sha256 = b.sha256
  AND a.evidence_id < b.evidence_id GROUP BY 1, 2
"""


def _self_join(files: list[str], devices: int) -> int:
    del devices
    with _connect() as con:
        return len(con.execute(SELF_JOIN, {"files": files}).fetchall())


def _pandas(files: list[str], devices: int) -> int:
    del devices
    frame = pq.read_table(files, columns=["evidence_id", "sha256"]).to_pandas().drop_duplicates()
    pairs = frame.merge(frame, on="sha256", suffixes=("_a", "_b"))
    pairs = pairs[pairs["evidence_id_a"] < pairs["evidence_id_b"]]
    return len(pairs.groupby(["evidence_id_a", "evidence_id_b"]).size())


def _timed(
    subject: Callable[[list[str], int], int], files: list[str], devices: int
) -> tuple[float, int, float]:
    start = time.perf_counter()
    pairs = subject(files, devices)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    return seconds, pairs, peak_mb


def measure(
    subject: Callable[[list[str], int], int], files: list[str], devices: int
) -> tuple[float, int, float]:
    """Time ``subject`` in a fresh child process, so that its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(_timed, subject, files, devices).result()


def _rows(data: str, subject: str, seconds: float, pairs: int, peak: float, **extra: object) -> list[Row]:
    base = {"benchmark": BENCHMARK, "data": data, "subject": subject}
    return [
        {**base, "metric": "time", "value": seconds, "unit": "s", "note": f"{pairs:,} device pairs", **extra},
        {**base, "metric": "peak memory", "value": peak, "unit": "MB"},
    ]


def run(scale: str) -> list[Row]:
    main_rows, peer_rows = SCALES[scale]
    work = Path(tempfile.mkdtemp(prefix="vigilant-links-bench-"))
    rows: list[Row] = []
    try:
        files = generate(work / "main", main_rows)
        seconds, pairs, peak = measure(_vigilant, files, DEVICES)
        full = main_rows == 10**7
        rows += _rows(
            f"10^{len(str(main_rows)) - 1} records, {DEVICES} devices",
            "vigilant (DuckDB)",
            seconds,
            pairs,
            peak,
            target="< 60 s at 10^7" if full else None,
            met=seconds < TARGET_SECONDS if full else None,
        )
        shutil.rmtree(work / "main")
        files = generate(work / "peer", peer_rows)
        data = f"10^{len(str(peer_rows)) - 1} records, {DEVICES} devices"
        ours, pairs, peak = measure(_vigilant, files, DEVICES)
        rows += _rows(data, "vigilant (DuckDB)", ours, pairs, peak)
        for name, subject, note in (
            ("duckdb self-join", _self_join, "no frequency rule: every pair of every shared file"),
            ("pandas merge", _pandas, "the same self-join as merge + groupby"),
        ):
            theirs, their_pairs, their_peak = measure(subject, files, DEVICES)
            rows += _rows(data, name, theirs, their_pairs, their_peak, ratio=theirs / ours)
            rows[-2]["note"] = f"{their_pairs:,} device pairs; {note}"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows + neighbourhood_rows(scale)


NEIGHBOURHOOD_SCALES = {"full": 10**6, "quick": 10**5}
ENTITIES_PER_LINK = 0.2  # 2 x 10^5 entities for 10^6 links: a mean degree of 10
QUERIES = 300
TARGET_P99_MS = 100.0


def _load_graph(url: str, links: int) -> tuple[int, list[tuple[int, int, float]]]:
    """A migrated SQLite store holding ``links`` random links; returns the entity count and the edges."""

    rng = np.random.default_rng(SEED)
    entities = int(links * ENTITIES_PER_LINK)
    kinds = ("person", "device", "identifier")
    db = open_database(url)
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(
            insert(LinkEntityRow),
            [
                {
                    "id": i + 1,
                    "kind": kinds[i % 3],
                    "key": f"{('person', 'item', 'email')[i % 3]}:{i + 1}",
                    "label": f"entity {i + 1}",
                    "ref_id": i + 1,
                    "agency_id": None,
                    "attrs": {},
                }
                for i in range(entities)
            ],
        )
        a = rng.integers(1, entities + 1, links)
        b = rng.integers(1, entities + 1, links)
        b = np.where(a == b, b % entities + 1, b)
        weight = rng.exponential(1.0, links).round(6)
        edges = [
            (int(x), int(y), float(w))
            for x, y, w in zip(np.minimum(a, b), np.maximum(a, b), weight, strict=True)
        ]
        for start in range(0, links, 50_000):
            conn.execute(
                insert(LinkEdgeRow),
                [
                    {
                        "builder": "same_identifier",
                        "kind": "same_identifier",
                        "source_id": x,
                        "target_id": y,
                        "weight": w,
                        "explanation": {"text": "benchmark"},
                        "origin": "record",
                        "origin_ids": [],
                        "observed_at": None,
                        "case_id": None,
                        "agency_id": None,
                        "distribution": None,
                        "built_at": now,
                    }
                    for x, y, w in edges[start : start + 50_000]
                ],
            )
    db.analyze()
    db.dispose()
    return entities, edges


def _percentiles(times: list[float]) -> tuple[float, float]:
    ms = np.array(times) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def _ours(url: str, picks: list[int], depth: int) -> tuple[float, ...]:
    db = open_database(url)
    actor = Actor.cli("bench")
    times, cpu, seen = [], [], 0
    neighbourhood(db, actor, str(picks[0]), depth=depth)  # warm the engine and the caches
    for entity in picks:
        start, start_cpu = time.perf_counter(), time.process_time()
        view = neighbourhood(db, actor, str(entity), depth=depth)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        seen += len(view.entities)
    db.dispose()
    p50, p99 = _percentiles(times)
    c50, c99 = _percentiles(cpu)
    return p50, p99, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seen // len(picks), c50, c99


def _networkx(
    edges: list[tuple[int, int, float]], picks: list[int], depth: int
) -> tuple[float, float, float, int, float]:
    start = time.perf_counter()
    g = nx.Graph()
    g.add_weighted_edges_from(edges)
    load = time.perf_counter() - start
    times, seen = [], 0
    for entity in picks:
        start = time.perf_counter()
        if depth == 1:
            found = {v for _, v, _ in g.edges(entity, data=True)} | {entity} if entity in g else set()
        else:
            found = set(nx.ego_graph(g, entity, radius=2).nodes) if entity in g else set()
        times.append(time.perf_counter() - start)
        seen += len(found)
    p50, p99 = _percentiles(times)
    return p50, p99, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, seen // len(picks), load


def _in_child(function: Callable[..., tuple[float, ...]], *args: object) -> tuple[float, ...]:
    """Run ``function`` in a fresh child process, so that its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(function, *args).result()


def neighbourhood_rows(scale: str) -> list[Row]:
    links = NEIGHBOURHOOD_SCALES[scale]
    work = Path(tempfile.mkdtemp(prefix="vigilant-links-nbh-"))
    rows: list[Row] = []
    try:
        url = f"sqlite:///{work / 'store.db'}"
        entities, edges = _load_graph(url, links)
        picks = [int(x) for x in np.random.default_rng(SEED + 1).integers(1, entities + 1, QUERIES)]
        data = f"10^{len(str(links)) - 1} links, {entities:,} entities (SQLite)"
        full = links == 10**6
        for depth in (1, 2):
            load_avg = os.getloadavg()[0]
            p50, p99, peak, seen, c50, c99 = _in_child(_ours, url, picks, depth)
            base = {"benchmark": f"neighbourhood, depth {depth}", "data": data}
            target = f"p99 < {TARGET_P99_MS:g} ms at 10^6" if full else None
            rows.append(
                {**base, "subject": "vigilant (store + views)", "metric": "p99", "value": p99, "unit": "ms",
                 "target": target, "met": p99 < TARGET_P99_MS if full else None,
                 "note": f"p50 {p50:.1f} ms; {seen} entities per answer; peak {peak:.0f} MB; audited; "
                         f"load average {load_avg:.1f} on {os.cpu_count()} cores"}
            )  # fmt: skip
            rows.append(
                {**base, "subject": "vigilant (store + views)", "metric": "p99 CPU", "value": c99,
                 "unit": "ms", "target": target, "met": c99 < TARGET_P99_MS if full else None,
                 "note": f"p50 {c50:.1f} ms: this process's CPU per query, which the machine's other load "
                         "does not inflate (SQLite's commit waits are not in it)"}
            )  # fmt: skip
            n50, n99, npeak, nseen, load = _in_child(_networkx, edges, picks, depth)
            rows.append(
                {**base, "subject": "networkx (in memory)", "metric": "p99", "value": n99, "unit": "ms",
                 "ratio": n99 / p99,
                 "note": f"p50 {n50:.2f} ms; {nseen} entities per answer; peak {npeak:.0f} MB; "
                         f"loading the graph {load:.1f} s"}
            )  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    from rich.console import Console
    from rich.table import Table

    chosen = "quick" if "--quick" in sys.argv else "full"
    result = neighbourhood_rows(chosen) if "--neighbourhood" in sys.argv else run(chosen)
    table = Table(*result[0].keys())
    for row in result:
        table.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in row.values()))
    Console().print(table)
