"""Observations of known material, aggregated per IP with DuckDB, then joined into leads by identity.

Reads ``<observations dir>/*.parquet`` (the observer's sessions and imports, one schema) over a window
``(as_of - days, as_of]``: an observation exactly at ``as_of`` counts, one exactly ``days`` before does not,
so consecutive windows never count an observation twice.

Only observations of *known* material make a lead (a join with :func:`vigilant.leads.known.known_table`).
Two passes keep the work on 10^8 rows to one scan: DuckDB first folds the rows into one row per
(IP, target, peer id, client, UTC day), a far smaller table, and everything after works on that.

Identity continuity: a peer id (or GUID) seen on several IPs joins them into one lead (a client that moved
address, e.g. a new DHCP lease). Only peer ids from a direct connection (tier ``confirmed`` or above) join
IPs: a tracker's non-compact peer list repeats whatever peer id anyone announced, so trusting it would let a
third party merge strangers' addresses into one lead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from vigilant.leads.errors import LeadInputError
from vigilant.p2p.observations import Tier

DEFAULT_WINDOW_DAYS = 90
_EPOCH = date(1970, 1, 1)
_TIERS = {1: Tier.ANNOUNCED, 2: Tier.CONFIRMED, 3: Tier.DOWNLOADED}


@dataclass(frozen=True)
class Window:
    """``(as_of - days, as_of]``, in UTC."""

    as_of: datetime
    days: int = DEFAULT_WINDOW_DAYS

    def __post_init__(self) -> None:
        if self.as_of.tzinfo is None:
            raise LeadInputError("as_of has no time zone", hint="give a UTC time, e.g. 2024-05-01T00:00:00Z")
        if self.days < 1:
            raise LeadInputError(f"window of {self.days} days", hint="use a window of at least 1 day")

    @property
    def start(self) -> datetime:
        return self.as_of.astimezone(UTC) - timedelta(days=self.days)


@dataclass(frozen=True)
class KnownInfo:
    severity: int
    category: str | None


@dataclass
class IpStats:
    ip: str
    observations: int
    first_seen: datetime
    last_seen: datetime
    tier_rank: int
    seeding: bool
    days: frozenset[date]
    known_ids: frozenset[int]
    peer_ids: frozenset[str]  # hex, from direct connections only (see the module note)
    clients: frozenset[str]
    guids: frozenset[str]


@dataclass
class LeadAggregate:
    key: str
    ips: list[IpStats]
    observations: int
    first_seen: datetime
    last_seen: datetime
    days_seen: int
    known_files: int
    max_severity: int
    max_category: str | None
    seeding: bool
    tier: Tier
    peer_ids: list[str]
    clients: list[str]
    guids: list[str]
    known_ids: list[int] = field(default_factory=list)

    @property
    def ip_list(self) -> list[str]:
        return [stats.ip for stats in self.ips]


def connect(memory_limit: str = "8GB", threads: int = 2) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB bounded in memory and threads: the machine is shared, and 10^8 rows must fit."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET threads = {int(threads)}")
    con.execute("SET TimeZone = 'UTC'")
    return con


def parquet_glob(observations_dir: Path) -> str:
    files = sorted(observations_dir.glob("*.parquet"))
    if not files:
        raise LeadInputError(
            f"no observations (*.parquet) in {observations_dir}",
            hint="run an observer session or `vigilant p2p import` first",
        )
    return str(observations_dir / "*.parquet")


_FOLD = """
CREATE TEMP TABLE folded AS
SELECT row_number() OVER () AS rid, *
FROM (
    SELECT ip, infohash_v1 AS v1, infohash_v2 AS v2, lower(file_hash_kind) AS fk, file_hash AS fh,
           peer_id, client, guid,
           epoch_us(ts_utc) // 86400000000 AS day,
           count(*) AS n, min(ts_utc) AS first_seen, max(ts_utc) AS last_seen,
           max(CASE tier WHEN 'downloaded' THEN 3 WHEN 'confirmed' THEN 2 ELSE 1 END) AS tier_rank,
           -- have-state is only believed from our own connection: a tracker or an import only claims it
           bool_or(tier <> 'announced' AND coalesce(seeding, have_kind = 'have_all'
                   OR (pieces_total > 0 AND pieces_have >= 0.99 * pieces_total), false)) AS seeding
    FROM read_parquet($glob)
    WHERE ts_utc > $start AND ts_utc <= $as_of
    GROUP BY ALL
)
"""

# A hybrid torrent observed by both infohashes matches twice: DISTINCT keeps one (row, file) pair.
_MATCH = """
CREATE TEMP TABLE matched AS
SELECT DISTINCT rid, known_id FROM (
    SELECT f.rid, k.known_id FROM folded f JOIN known k ON k.kind = 'btih_v1' AND k.digest = f.v1
    UNION ALL
    SELECT f.rid, k.known_id FROM folded f JOIN known k ON k.kind = 'btih_v2' AND k.digest = f.v2
    UNION ALL
    SELECT f.rid, k.known_id FROM folded f JOIN known k ON k.kind = f.fk AND k.digest = f.fh
)
"""

_PER_IP = """
SELECT ip, sum(n)::BIGINT AS n, epoch_us(min(first_seen)) AS first_us, epoch_us(max(last_seen)) AS last_us,
       max(tier_rank) AS tier_rank, bool_or(seeding) AS seeding, list(DISTINCT day) AS days,
       list(DISTINCT hex(peer_id)) FILTER (WHERE tier_rank >= 2 AND peer_id IS NOT NULL) AS peer_ids,
       list(DISTINCT client) FILTER (WHERE client IS NOT NULL) AS clients,
       list(DISTINCT guid) FILTER (WHERE tier_rank >= 2 AND guid IS NOT NULL) AS guids
FROM folded WHERE rid IN (SELECT rid FROM matched)
GROUP BY ip
"""

_KNOWN_PER_IP = """
SELECT f.ip, list(DISTINCT m.known_id) AS known_ids FROM matched m JOIN folded f USING (rid) GROUP BY f.ip
"""

_IP_FIGURES = f"SELECT p.*, k.known_ids FROM ({_PER_IP}) p JOIN ({_KNOWN_PER_IP}) k USING (ip)"

# Every per-IP figure is a count, a minimum, a maximum, an "any" or a set, so figures of the same IP
# computed over disjoint parts of the observations combine exactly into the figures of the whole (a
# fold row's tier filter on peer ids and GUIDs is "some observation of it was direct", which also holds
# per part). This is what lets partitions be folded on separate machines (:mod:`vigilant.leads.cluster`).
_COMBINE = """
SELECT ip, sum(n)::BIGINT AS n, min(first_us) AS first_us, max(last_us) AS last_us,
       max(tier_rank) AS tier_rank, bool_or(seeding) AS seeding,
       list_distinct(flatten(list(days))) AS days, list_distinct(flatten(list(peer_ids))) AS peer_ids,
       list_distinct(flatten(list(clients))) AS clients, list_distinct(flatten(list(guids))) AS guids,
       list_distinct(flatten(list(known_ids))) AS known_ids
FROM parts GROUP BY ip
"""


def ip_figures(
    con: duckdb.DuckDBPyConnection, source: str | list[str], known: pa.Table, window: Window
) -> pa.Table:
    """Per-IP figures (one row per IP, known ids included) of the observations in ``source``: a glob or
    a list of Parquet files."""
    con.register("known", known)
    try:
        params = {"glob": source, "start": window.start, "as_of": window.as_of}
        con.execute(_FOLD, params)
        con.execute(_MATCH)
        return con.sql(_IP_FIGURES).to_arrow_table()
    finally:
        con.unregister("known")
        con.execute("DROP TABLE IF EXISTS matched")
        con.execute("DROP TABLE IF EXISTS folded")


def combine_figures(con: duckdb.DuckDBPyConnection, parts: list[pa.Table]) -> pa.Table:
    """The per-IP figures of the union of disjoint parts, from each part's :func:`ip_figures`."""
    con.register("parts", pa.concat_tables(parts))
    try:
        return con.sql(_COMBINE).to_arrow_table()
    finally:
        con.unregister("parts")


def ip_stats(figures: pa.Table) -> list[IpStats]:
    """:class:`IpStats` from per-IP figures, sorted by IP."""
    columns = [figures.column(name).to_pylist() for name in figures.column_names]
    return sorted((_ip_stats(row) for row in zip(*columns, strict=True)), key=lambda s: s.ip)


def aggregate_ips(
    con: duckdb.DuckDBPyConnection, observations_dir: Path, known: pa.Table, window: Window
) -> list[IpStats]:
    """One :class:`IpStats` per IP seen with known material in the window, sorted by IP."""
    return ip_stats(ip_figures(con, parquet_glob(observations_dir), known, window))


def _from_us(micros: int) -> datetime:
    # Times leave DuckDB as integers: its timestamptz → datetime conversion needs pytz; integers are exact.
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))


def _ip_stats(row: tuple[Any, ...]) -> IpStats:
    ip, n, first, last, tier_rank, seeding, days, peer_ids, clients, guids, known_ids = row
    return IpStats(
        ip=ip,
        observations=int(n),
        first_seen=_from_us(first),
        last_seen=_from_us(last),
        tier_rank=int(tier_rank),
        seeding=bool(seeding),
        days=frozenset(_EPOCH + timedelta(days=int(d)) for d in days),
        known_ids=frozenset(int(k) for k in known_ids),
        peer_ids=frozenset(p.lower() for p in peer_ids or ()),
        clients=frozenset(clients or ()),
        guids=frozenset(guids or ()),
    )


class UnionFind:
    """Disjoint sets over hashable labels, with path halving and union by size."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}
        self._size: dict[str, int] = {}

    def add(self, item: str) -> None:
        if item not in self._parent:
            self._parent[item] = item
            self._size[item] = 1

    def find(self, item: str) -> str:
        self.add(item)
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self._size[ra] < self._size[rb]:
            ra, rb = rb, ra
        self._parent[rb] = ra
        self._size[ra] += self._size[rb]


def group_ips(stats: Iterable[IpStats]) -> list[list[IpStats]]:
    """IPs joined through shared peer ids or GUIDs: edges (ip, identity), components by union-find."""
    uf = UnionFind()
    by_ip: dict[str, IpStats] = {}
    for s in stats:
        by_ip[s.ip] = s
        uf.add("ip:" + s.ip)
        for peer_id in s.peer_ids:
            uf.union("ip:" + s.ip, "peer:" + peer_id)
        for guid in s.guids:
            uf.union("ip:" + s.ip, "guid:" + guid)
    groups: dict[str, list[IpStats]] = {}
    for ip in sorted(by_ip):
        groups.setdefault(uf.find("ip:" + ip), []).append(by_ip[ip])
    return sorted(groups.values(), key=lambda g: g[0].ip)


def lead_key(ips: Iterable[str]) -> str:
    """Stable while the same IPs make the lead: a rebuild updates the lead instead of making a new one."""
    return "L-" + hashlib.sha256("\n".join(sorted(ips)).encode()).hexdigest()[:16]


def merge(group: list[IpStats], known: dict[int, KnownInfo]) -> LeadAggregate:
    known_ids = sorted(set().union(*(s.known_ids for s in group)))
    # Highest severity first; between equals the smallest label, so the choice never depends on order.
    best = min(
        (known[k] for k in known_ids), key=lambda info: (-info.severity, info.category or "~"), default=None
    )
    return LeadAggregate(
        key=lead_key(s.ip for s in group),
        ips=sorted(group, key=lambda s: s.ip),
        observations=sum(s.observations for s in group),
        first_seen=min(s.first_seen for s in group),
        last_seen=max(s.last_seen for s in group),
        days_seen=len(set().union(*(s.days for s in group))),
        known_files=len(known_ids),
        max_severity=best.severity if best else 0,
        max_category=best.category if best else None,
        seeding=any(s.seeding for s in group),
        tier=_TIERS[max(s.tier_rank for s in group)],
        peer_ids=sorted(set().union(*(s.peer_ids for s in group))),
        clients=sorted(set().union(*(s.clients for s in group))),
        guids=sorted(set().union(*(s.guids for s in group))),
        known_ids=known_ids,
    )


def known_info(known: pa.Table) -> dict[int, KnownInfo]:
    ids = known.column("known_id").to_pylist()
    severities = known.column("severity").to_pylist()
    categories = known.column("category").to_pylist()
    return {int(i): KnownInfo(int(sev), cat) for i, sev, cat in zip(ids, severities, categories, strict=True)}


def aggregate_leads(
    observations_dir: Path,
    known: pa.Table,
    window: Window,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[LeadAggregate]:
    """Leads for the window, sorted by key: per-IP aggregation, then identity continuity."""
    con = con or connect()
    return leads_from(aggregate_ips(con, observations_dir, known, window), known)


def leads_from(stats: list[IpStats], known: pa.Table) -> list[LeadAggregate]:
    """Per-IP figures joined into leads by identity continuity, sorted by key."""
    info = known_info(known)
    return sorted((merge(group, info) for group in group_ips(stats)), key=lambda lead: lead.key)
