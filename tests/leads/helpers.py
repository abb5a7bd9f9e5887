"""Builders for leads tests: a synthetic library, observations over documentation ranges, an MMDB, and a
plain-Python oracle of the per-IP aggregation."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from vigilant.cases.models import AgencyRow
from vigilant.leads.known import KNOWN_SCHEMA
from vigilant.library.models import HashSetRow, KnownFileRow
from vigilant.p2p.observations import Observation, Tier, to_table
from vigilant.store import Database

AS_OF = datetime(2024, 6, 1, tzinfo=UTC)
CATEGORIES = ("1", "2", "3", None)  # vic-us: abuse (5), exploitive (4), CGI (3), uncategorised (0)
SEVERITY = {"1": 5, "2": 4, "3": 3, None: 0}


def btih(i: int) -> bytes:
    return hashlib.sha1(f"synthetic-torrent-{i}".encode()).digest()


def file_sha1(i: int) -> bytes:
    return hashlib.sha1(f"synthetic-file-{i}".encode()).digest()


def peer(i: int) -> bytes:
    return b"-LT2110-" + f"{i:012d}".encode()


def seed_library(db: Database, n: int = 8) -> None:
    """Known-bad torrents 0..n-1 (categories cycling), and a known-good set holding torrent 100."""
    now = datetime(2024, 1, 1, tzinfo=UTC)
    with db.session() as s:
        for name, kind, entries in (("synthetic-bad", "known-bad", range(n)), ("good", "known-good", [100])):
            hash_set = HashSetRow(
                name=name, version="1", kind=kind, profile="vic-us" if kind == "known-bad" else "none",
                format="test", source_file=name, source_sha256=hashlib.sha256(name.encode()).hexdigest(),
                source_size=0, imported_at=now, imported_by="test",
            )  # fmt: skip
            s.add(hash_set)
            s.flush()
            for i in entries:
                category = CATEGORIES[i % len(CATEGORIES)] if kind == "known-bad" else None
                s.add(KnownFileRow(hash_set_id=hash_set.id, btih_v1=btih(i), sha1=file_sha1(i),
                                   category=category, location=f"entry {i}"))  # fmt: skip


def known_table_for(n: int = 8) -> pa.Table:
    """What :func:`vigilant.leads.known.known_table` returns for :func:`seed_library` (no database needed)."""
    rows: list[tuple[str, bytes, int, int, str | None, str]] = []
    for i in range(n):
        category = CATEGORIES[i % len(CATEGORIES)]
        label = f"{category} x [vic-us]" if category else None
        rows.append(("btih_v1", btih(i), i + 1, SEVERITY[category], label, "synthetic-bad"))
        rows.append(("sha1", file_sha1(i), i + 1, SEVERITY[category], label, "synthetic-bad"))
    return pa.table(
        {name: [r[k] for r in rows] for k, name in enumerate(KNOWN_SCHEMA.names)}, schema=KNOWN_SCHEMA
    )


_counter = iter(range(10**9))


def obs(
    ip: str,
    ts: datetime,
    torrent: int,
    *,
    tier: Tier = Tier.CONFIRMED,
    peer_id: bytes | None = None,
    seeding: bool | None = None,
    client: str | None = None,
) -> Observation:
    return Observation(
        obs_id=f"o{next(_counter)}", session_id="s1", ts_utc=ts, network="bittorrent",
        method="handshake" if tier is not Tier.ANNOUNCED else "tracker_http", tier=tier.value, ip=ip,
        port=6881, source="observer", operator="test", infohash_v1=btih(torrent), peer_id=peer_id,
        seeding=seeding, client=client,
    )  # fmt: skip


def write(directory: Path, name: str, observations: list[Observation]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.parquet"
    pq.write_table(to_table(observations), path)
    return path


@dataclass
class OracleIp:
    observations: int
    first: datetime
    last: datetime
    days: set[date]
    known: set[int]
    tier: int
    seeding: bool
    peers: set[str]


def oracle(
    observations: Iterable[Observation], known: dict[bytes, int], as_of: datetime, days: int
) -> dict[str, OracleIp]:
    start = as_of - timedelta(days=days)
    out: dict[str, OracleIp] = {}
    for o in observations:
        if not (start < o.ts_utc <= as_of) or o.infohash_v1 not in known:
            continue
        rank = Tier(o.tier).rank
        s = out.setdefault(o.ip, OracleIp(0, o.ts_utc, o.ts_utc, set(), set(), 0, False, set()))
        s.observations += 1
        s.first, s.last = min(s.first, o.ts_utc), max(s.last, o.ts_utc)
        s.days.add(o.ts_utc.astimezone(UTC).date())
        s.known.add(known[o.infohash_v1])
        s.tier = max(s.tier, rank)
        s.seeding |= bool(o.seeding) and rank >= 2
        if o.peer_id is not None and rank >= 2:
            s.peers.add(o.peer_id.hex())
    return out


GEO_RECORDS = {
    "192.0.2.0/25": ("CA", "ON", "Ontario", "Ottawa", 64500, "Example Net"),
    "192.0.2.128/25": ("CA", "ON", "Ontario", "Toronto", 64501, "Other Cable"),
    "198.51.100.0/24": ("CA", "QC", "Quebec", "Montreal", 64502, "Exemple Télécom"),
    "203.0.113.0/24": ("US", "WA", "Washington", "Seattle", 64503, "Foreign ISP"),
    "2001:db8::/32": ("CA", "BC", "British Columbia", "Vancouver", 64504, "Example Net"),
}


def build_mmdb(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, database_type="Vigilant-Test-City-ISP", ipv4_compatible=True,
                        languages=["en"], description="synthetic, documentation ranges only")  # fmt: skip
    for network, (country, code, province, city, asn, isp) in GEO_RECORDS.items():
        writer.insert_network(IPSet([network]), {
            "country": {"iso_code": country}, "subdivisions": [{"iso_code": code, "names": {"en": province}}],
            "city": {"names": {"en": city}}, "autonomous_system_number": asn,
            "autonomous_system_organization": isp, "isp": isp,
        })  # fmt: skip
    writer.to_db_file(str(path))
    return path


JURISDICTIONS_CSV = """agency,priority,country,province,municipality,isp
Ottawa Police ICE,10,CA,ON,Ottawa,
Toronto Police ICE,10,CA,ON,Toronto,
OPP ICE,0,CA,ON,,
Sûreté du Québec,0,CA,QC,,
RCMP BC ICE,0,CA,BC,,
"""

# The agencies the jurisdiction table names, as the agency table holds them: NCECC by its short name only,
# and no "Toronto Police ICE" (a name in the table that matches no agency).
AGENCIES = (
    ("National Child Exploitation Crime Centre", "NCECC", "ON", True),
    ("Ottawa Police ICE", "OTTAWA", "ON", False),
    ("OPP ICE", "OPP", "ON", False),
    ("Sûreté du Québec", "SQ", "QC", False),
    ("RCMP BC ICE", "RCMP", "BC", False),
)


def seed_agencies(db: Database) -> dict[str, int]:
    """The agencies of :data:`AGENCIES`; their ids by short name."""
    with db.session() as s:
        rows = [
            AgencyRow(name=name, short_name=short, province=province, municipalities=[], is_coordinator=coord,
                      created_at=AS_OF)
            for name, short, province, coord in AGENCIES
        ]  # fmt: skip
        s.add_all(rows)
        s.flush()
        return {row.short_name: row.id for row in rows}
