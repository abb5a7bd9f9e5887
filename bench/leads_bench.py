"""Lead aggregation: Vigilant's DuckDB aggregation over Parquet observations, side by side with SQLite.

Data: synthetic observations over documentation ranges (IPv6 2001:db8::/32, plus 192.0.2.0/24), made with
numpy/pyarrow from a seed in a temporary folder and split into several Parquet files (generation is not
timed). About 500 observations per IP, three torrents per IP out of 2,000 (half of them known), five active
UTC days per IP over 120 days (so part falls outside the 90-day window), tiers 70% announced / 25% confirmed /
5% downloaded, and 1% of IPs sharing a peer id with a neighbour (continuity joins). Columns the aggregation
does not read (obs_id, session, software…) are left null: Parquet stores them in a few bytes, and DuckDB
never reads them.

Subjects:

* vigilant: :func:`vigilant.leads.aggregate.aggregate_leads` end to end (DuckDB fold + known join + per-IP
  figures, then union-find and lead merge in Python), DuckDB ``threads=2``, ``memory_limit=8GB``;
* sqlite3: the same fold, known join and per-IP figures in SQL (no continuity step: it has no union-find;
  its table load is not timed), on an in-memory database. It is much slower, so it runs on a smaller
  sample, and Vigilant runs on that same sample too for the ratio.

Scales: ``full`` 10^8 observations (target < 60 s), peer sample 10^6; ``quick`` 10^6, peer sample 10^5.
Run alone: ``.venv/bin/python bench/leads_bench.py [--quick]``.
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from vigilant.leads.aggregate import Window, aggregate_leads, connect
from vigilant.leads.known import KNOWN_SCHEMA
from vigilant.p2p.observations import SCHEMA

Row = dict[str, object]
AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
SEED = 20240601
TORRENTS = 2000
KNOWN_TORRENTS = 1000
OBS_PER_IP = 500
FILE_ROWS = 10**7
TARGET_SECONDS = 60.0
SCALES = {"full": (10**8, 10**6), "quick": (10**6, 10**5)}


def _digests(n: int, width: int, salt: int) -> pa.Array:
    rng = np.random.default_rng(SEED + salt)
    raw = rng.integers(0, 256, size=(n, width), dtype=np.uint8).tobytes()
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, pa.py_buffer(raw)])


def _ips(n: int) -> pa.Array:
    v4 = [f"192.0.2.{i}" for i in range(1, 255)]
    return pa.array(v4 + [f"2001:db8::{i:x}" for i in range(n - len(v4))], pa.string())


def known_table() -> pa.Table:
    infohashes = _digests(TORRENTS, 20, 1)
    severities = np.arange(KNOWN_TORRENTS) % 6
    return pa.table(
        {
            "kind": pa.array(["btih_v1"] * KNOWN_TORRENTS),
            "digest": infohashes.slice(0, KNOWN_TORRENTS).cast(pa.binary()),
            "known_id": pa.array(np.arange(1, KNOWN_TORRENTS + 1), pa.int64()),
            "severity": pa.array(severities, pa.int8()),
            "category": pa.array([f"class {s}" for s in severities]),
            "set_name": pa.array(["bench"] * KNOWN_TORRENTS),
        },
        schema=KNOWN_SCHEMA,
    )


def _chunk(n: int, n_ips: int, salt: int, pools: tuple[pa.Array, pa.Array, pa.Array]) -> pa.Table:
    ips, peers, infohashes = pools
    rng = np.random.default_rng(SEED + 100 + salt)
    ip = rng.integers(0, n_ips, n)
    torrent = (ip * 7 + rng.integers(0, 3, n) * 131) % TORRENTS
    day = (ip + rng.integers(0, 5, n) * 13) % 120
    micros = AS_OF.timestamp() * 1e6 - day * 86_400_000_000 - rng.integers(0, 86_400_000_000, n)
    tier_draw = rng.random(n)
    tier_index = np.where(tier_draw < 0.70, 0, np.where(tier_draw < 0.95, 1, 2))
    peer = np.where(ip % 100 == 0, np.maximum(ip - 1, 0), ip)
    clients = pa.array(["libtorrent 2.1.1.0", "qBittorrent 4.6.3", "Transmission 4.0.5", "aria2 1.37.0"])
    columns: dict[str, pa.Array] = {
        "ts_utc": pa.array(micros.astype(np.int64), pa.timestamp("us", tz="UTC")),
        "network": pa.array(["bittorrent"]).take(pa.array(np.zeros(n, np.int32))),
        "tier": pa.array(["announced", "confirmed", "downloaded"]).take(pa.array(tier_index)),
        "ip": ips.take(pa.array(ip)),
        "infohash_v1": infohashes.take(pa.array(torrent)),
        "peer_id": peers.take(pa.array(peer)),
        "client": clients.take(pa.array(ip % 4)),
        "seeding": pa.array(rng.random(n) < 0.3),
    }
    arrays = [columns.get(f.name, pa.nulls(n, f.type)) for f in SCHEMA]
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def generate(folder: Path, rows: int) -> None:
    n_ips = max(1000, rows // OBS_PER_IP)
    pools = (_ips(n_ips), _digests(n_ips, 20, 2), _digests(TORRENTS, 20, 1))
    folder.mkdir(parents=True, exist_ok=True)
    per_file = min(FILE_ROWS, max(rows // 4, 1))
    for index, start in enumerate(range(0, rows, per_file)):
        table = _chunk(min(per_file, rows - start), n_ips, index, pools)
        pq.write_table(table, folder / f"bench-{index:03d}.parquet", row_group_size=1 << 20)


def time_vigilant(folder: Path, known: pa.Table) -> tuple[float, int]:
    con = connect(memory_limit="8GB", threads=2)
    started = time.perf_counter()
    leads = aggregate_leads(folder, known, Window(AS_OF, 90), con=con)
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, len(leads)


_SQLITE = [
    """CREATE TEMP TABLE folded AS
       SELECT ip, v1, ts / 86400000000 AS day, peer_id, client, count(*) AS n, min(ts) AS f, max(ts) AS l,
              max(CASE tier WHEN 'downloaded' THEN 3 WHEN 'confirmed' THEN 2 ELSE 1 END) AS tr,
              max(tier <> 'announced' AND seeding) AS s
       FROM obs WHERE ts > ? AND ts <= ? GROUP BY ip, v1, day, peer_id, client""",
    """SELECT f.ip, sum(n), min(f), max(l), max(tr), max(s), count(DISTINCT day),
              group_concat(DISTINCT k.known_id)
       FROM folded f JOIN known k ON k.digest = f.v1 GROUP BY f.ip""",
]


def time_sqlite(folder: Path, known: pa.Table) -> tuple[float, int]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE obs (ip TEXT, v1 BLOB, ts INTEGER, tier TEXT, seeding INTEGER, peer_id BLOB, "
               "client TEXT)")  # fmt: skip
    db.execute("CREATE TABLE known (digest BLOB PRIMARY KEY, known_id INTEGER)")
    pairs = zip(known["digest"].to_pylist(), known["known_id"].to_pylist(), strict=True)
    db.executemany("INSERT INTO known VALUES (?, ?)", pairs)
    for path in sorted(folder.glob("*.parquet")):
        t = pq.read_table(
            path, columns=["ip", "infohash_v1", "ts_utc", "tier", "seeding", "peer_id", "client"]
        )
        ts = t["ts_utc"].cast(pa.int64()).to_pylist()
        db.executemany(
            "INSERT INTO obs VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(t["ip"].to_pylist(), t["infohash_v1"].to_pylist(), ts, t["tier"].to_pylist(),
                t["seeding"].to_pylist(), t["peer_id"].to_pylist(), t["client"].to_pylist(), strict=True),
        )  # fmt: skip
    start_us = int((AS_OF.timestamp() - 90 * 86400) * 1e6)
    started = time.perf_counter()
    db.execute(_SQLITE[0], (start_us, int(AS_OF.timestamp() * 1e6)))
    ips = len(db.execute(_SQLITE[1]).fetchall())
    elapsed = time.perf_counter() - started
    db.close()
    return elapsed, ips


def run(scale: str) -> list[Row]:
    main_rows, peer_rows = SCALES[scale]
    known = known_table()
    work = Path(tempfile.mkdtemp(prefix="vigilant-leads-bench-"))
    rows: list[Row] = []
    try:
        generate(work / "main", main_rows)
        seconds, leads = time_vigilant(work / "main", known)
        data = (
            f"10^{len(str(main_rows)) - 1} observations, {len(list((work / 'main').glob('*.parquet')))} files"
        )
        rows.append(
            {
                "benchmark": "lead aggregation",
                "data": data,
                "subject": "vigilant (DuckDB)",
                "metric": "time",
                "value": seconds,
                "unit": "s",
                "target": f"< {TARGET_SECONDS:.0f} s at 10^8" if main_rows == 10**8 else None,
                "met": seconds < TARGET_SECONDS if main_rows == 10**8 else None,
                "note": f"{leads:,} leads",
            }
        )
        rows.append(
            {
                "benchmark": "lead aggregation",
                "data": data,
                "subject": "vigilant (DuckDB)",
                "metric": "observations/s",
                "value": main_rows / seconds,
                "unit": "/s",
            }
        )
        shutil.rmtree(work / "main")
        generate(work / "peer", peer_rows)
        small = f"10^{len(str(peer_rows)) - 1} observations"
        ours, _ = time_vigilant(work / "peer", known)
        theirs, ips = time_sqlite(work / "peer", known)
        rows.append(
            {
                "benchmark": "lead aggregation",
                "data": small,
                "subject": "vigilant (DuckDB)",
                "metric": "time",
                "value": ours,
                "unit": "s",
            }
        )
        rows.append({"benchmark": "lead aggregation", "data": small, "subject": "sqlite3 (in memory)",
                     "metric": "time", "value": theirs, "unit": "s", "ratio": theirs / ours,
                     "note": f"{ips:,} IPs; same fold + join + per-IP figures, no continuity; "
                             "load not timed; too slow for the full scale"})  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


if __name__ == "__main__":
    from rich.console import Console

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import print_rows

    scale = "quick" if "--quick" in sys.argv else "full"
    print_rows(Console(), f"leads_bench — {scale}", run(scale))
