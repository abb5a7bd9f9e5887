"""Observations for the cluster tests: several files whose split puts one IP, one peer id and even one
fold row (IP, torrent, peer, client, day) in several files, with every kind of evidence the aggregation
reads (infohashes, file hashes, GUIDs, tiers, seeding), and the leads of a single-machine build to compare.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from pathlib import Path

import pyarrow as pa

from tests.leads.helpers import AS_OF, file_sha1, obs, peer, write
from vigilant.leads.aggregate import LeadAggregate, Window, aggregate_leads, connect
from vigilant.p2p.observations import Observation, Tier

WINDOW = Window(AS_OF, 30)
CLIENTS = ("libtorrent 2.1.1.0", "qBittorrent 4.6.3", None)


def _ip(i: int) -> str:
    return f"192.0.2.{i + 1}" if i % 3 else f"2001:db8::{i + 1:x}"


def observations(seed: int, count: int = 600, ips: int = 40) -> list[Observation]:
    """Random observations over ``ips`` addresses and 12 torrents (8 known), 40 days (10 out of window);
    every 7th IP shares its peer id with the one before (identity continuity)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        i = rng.randrange(ips)
        ts = AS_OF - timedelta(days=rng.randrange(40), seconds=rng.randrange(86_400))
        tier = rng.choice((Tier.ANNOUNCED, Tier.ANNOUNCED, Tier.CONFIRMED, Tier.DOWNLOADED))
        o = obs(_ip(i), ts, rng.randrange(12), tier=tier, peer_id=peer(i - i % 7 // 6),
                seeding=rng.choice((True, False, None)), client=rng.choice(CLIENTS))  # fmt: skip
        if rng.random() < 0.15:  # an import naming a file instead of a torrent
            o = dataclasses.replace(
                o, infohash_v1=None, file_hash_kind="SHA1", file_hash=file_sha1(rng.randrange(12))
            )
        if rng.random() < 0.1:
            o = dataclasses.replace(o, guid=f"guid-{i // 2}")
        out.append(o)
    return out


def write_files(folder: Path, rows: list[Observation], files: int, seed: int) -> None:
    """The rows dealt at random into ``files`` Parquet files."""
    rng = random.Random(seed)
    parts: list[list[Observation]] = [[] for _ in range(files)]
    for o in rows:
        parts[rng.randrange(files)].append(o)
    for index, part in enumerate(parts):
        write(folder, f"session-{index:02d}", part)


def local_leads(folder: Path, known: pa.Table) -> list[LeadAggregate]:
    return aggregate_leads(folder, known, WINDOW, con=connect(threads=1))
