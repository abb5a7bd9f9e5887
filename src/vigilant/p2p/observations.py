"""One observation of a peer, and its columnar (Parquet) form: what the observer writes and imports
produce, and what lead aggregation reads with DuckDB.

Tiers, weakest first: ``announced`` (a tracker, the DHT or PEX named the address: spoofable, a lead only),
``confirmed`` (a TCP handshake echoed the infohash and the peer stated what it has), ``downloaded`` (a
piece fetched from that one connection and verified against the piece hash or Merkle root).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

import pyarrow as pa

SCHEMA_VERSION = 1


class Tier(StrEnum):
    ANNOUNCED = "announced"
    CONFIRMED = "confirmed"
    DOWNLOADED = "downloaded"

    @property
    def rank(self) -> int:
        return {"announced": 1, "confirmed": 2, "downloaded": 3}[self.value]


class Method(StrEnum):
    TRACKER_HTTP = "tracker_http"
    TRACKER_UDP = "tracker_udp"
    DHT = "dht"
    PEX = "pex"
    HANDSHAKE = "handshake"
    METADATA = "metadata"
    PIECE = "piece"
    IMPORT = "import"  # from another tool's log or a CyberTipline-style report


@dataclass(frozen=True)
class VerifiedPiece:
    index: int
    algo: str  # "sha1" (v1 piece hash) | "sha256-merkle" (v2)
    digest: str  # hex


@dataclass
class Observation:
    obs_id: str
    session_id: str  # an observer session, or an import
    ts_utc: datetime  # timezone-aware UTC, microseconds
    network: str  # "bittorrent"
    method: str  # Method value
    tier: str  # Tier value
    ip: str
    port: int | None
    source: str  # "observer", "import:csv", "import:json", "import:cybertip"
    operator: str
    case_id: str | None = None
    software: str | None = None  # "Vigilant 0.1.0"
    config_sha256: str | None = None
    library_version: str | None = None  # the hash sets the targets came from
    clock_source: str | None = None
    clock_offset_ms: float | None = None
    mono_ns: int | None = None
    reported_by: str | None = None  # tracker URL, DHT node, PEX peer
    transport: str = "tcp"
    infohash_v1: bytes | None = None
    infohash_v2: bytes | None = None
    file_hash_kind: str | None = None  # imports naming a file: "sha1", "md5", …
    file_hash: bytes | None = None
    peer_id: bytes | None = None
    client: str | None = None  # decoded client label, e.g. "libtorrent 2.1.1.0"
    ltep_v: str | None = None
    reserved: str | None = None  # handshake reserved bytes, hex
    guid: str | None = None  # a stable client identifier where the network has one
    have_kind: str | None = None  # bitfield | have_all | have_none | haves
    pieces_have: int | None = None
    pieces_total: int | None = None
    seeding: bool | None = None
    metadata_verified: bool | None = None
    pieces_verified: list[VerifiedPiece] = field(default_factory=list)
    bytes_from_peer: int | None = None
    single_source: bool | None = None
    record_sha256: str | None = None  # this record's link in the session log's hash chain


_TS = pa.timestamp("us", tz="UTC")
PIECE_TYPE = pa.struct([("index", pa.int32()), ("algo", pa.string()), ("digest", pa.string())])
_TYPES: dict[str, pa.DataType] = {
    "obs_id": pa.string(), "session_id": pa.string(), "ts_utc": _TS, "network": pa.string(),
    "method": pa.string(), "tier": pa.string(), "ip": pa.string(), "port": pa.int32(), "source": pa.string(),
    "operator": pa.string(), "case_id": pa.string(), "software": pa.string(), "config_sha256": pa.string(),
    "library_version": pa.string(), "clock_source": pa.string(), "clock_offset_ms": pa.float64(),
    "mono_ns": pa.int64(), "reported_by": pa.string(), "transport": pa.string(),
    "infohash_v1": pa.binary(20), "infohash_v2": pa.binary(32), "file_hash_kind": pa.string(),
    "file_hash": pa.binary(), "peer_id": pa.binary(20), "client": pa.string(), "ltep_v": pa.string(),
    "reserved": pa.string(), "guid": pa.string(), "have_kind": pa.string(), "pieces_have": pa.int32(),
    "pieces_total": pa.int32(), "seeding": pa.bool_(), "metadata_verified": pa.bool_(),
    "pieces_verified": pa.list_(PIECE_TYPE), "bytes_from_peer": pa.int64(), "single_source": pa.bool_(),
    "record_sha256": pa.string(),
}  # fmt: skip
_NAMES = [f.name for f in fields(Observation)]
assert list(_TYPES) == _NAMES, "Observation and its Arrow types must list the same columns in order"
SCHEMA = pa.schema(list(_TYPES.items()), metadata={"vigilant.schema": f"observations/{SCHEMA_VERSION}"})


def to_table(observations: list[Observation]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in _NAMES}
    for obs in observations:
        for name in _NAMES:
            value = getattr(obs, name)
            if name == "pieces_verified":
                value = [{"index": p.index, "algo": p.algo, "digest": p.digest} for p in value]
            columns[name].append(value)
    return pa.table(columns, schema=SCHEMA)
