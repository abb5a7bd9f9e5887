"""Shared-file links on Dask: digest ranges, the exactness of combining them, the local builder against a
brute-force oracle, and builds on a real LocalCluster (two worker processes) equal to the local build's
links, fact for fact, on both engines.

The records exercise every rule of the builder: files on 2 to many devices (popular ones past the share
limit), known-bad and known-good files, empty files, records without a digest, one file held twice under
two names on a device, names that differ between devices, and digests whose first bytes cover the whole
range (SHA-256 of distinct texts), so that every digest range of a cluster build holds some.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

from tests.links.world import planted
from vigilant.leads.cluster import ClusterSettings
from vigilant.links.build_shared_files import (
    HIGHEST,
    LOWEST,
    ClusterLinkSettings,
    Pair,
    SharedFiles,
    combine,
    figures_of,
    max_devices,
    pair_figures,
    pair_table,
    shared_pairs,
    weighed,
)
from vigilant.links.builder import LinkSettings, Sources
from vigilant.links.cluster import (
    PREFIXES,
    LinksClusterError,
    plan_ranges,
    shared_figures_on,
    shared_pairs_at,
    shared_pairs_on,
)
from vigilant.links.entities import BuiltLinks
from vigilant.links.errors import LinksError
from vigilant.store import Database

SCHEMA = pa.schema(
    [
        ("evidence_id", pa.int64()),
        ("name", pa.string()),
        ("size", pa.int64()),
        ("sha256", pa.binary(32)),
        ("known_bad", pa.bool_()),
        ("known_good", pa.bool_()),
    ]
)


@dataclass(frozen=True)
class Record:
    evidence_id: int
    name: str
    size: int
    sha256: bytes | None
    known_bad: bool
    known_good: bool


def make_records(seed: int, devices: int = 30, files: int = 500) -> list[Record]:
    rng = random.Random(seed)
    digests = [hashlib.sha256(f"file {seed}-{i}".encode()).digest() for i in range(files)]
    held: dict[int, list[int]] = {device: [] for device in range(1, devices + 1)}
    for i in range(files):
        if i < 20:  # popular: on about half of the devices, past the share limit
            holders = [d for d in held if rng.random() < 0.5]
        else:  # rare: on two to seven devices
            holders = rng.sample(sorted(held), rng.choice([2, 2, 2, 3, 3, 4, 5, 6, 7]))
        for device in holders:
            held[device].append(i)
    out: list[Record] = []
    for device, numbers in held.items():
        for i in numbers:
            name = f"f{i}.jpg" if rng.random() < 0.5 else f"f{i}-on-{device}.jpg"
            size = 0 if i % 97 == 5 else 1000 + i
            bad, good = i % 13 == 1, i % 31 == 2
            out.append(Record(device, name, size, digests[i], bad, good))
            if rng.random() < 0.05:  # the same file again under another name
                out.append(Record(device, f"copy of {name}", size, digests[i], bad, good))
        out.append(Record(device, "unhashed.bin", 10, None, False, False))
    return out


def write_records(folder: Path, records: list[Record]) -> list[str]:
    """Two batch files per device, in the layout of a triage run's results (one folder holding all)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    by_device = itertools.groupby(records, key=lambda r: r.evidence_id)
    for device, group in by_device:
        rows = list(group)
        for batch, part in enumerate((rows[::2], rows[1::2])):
            path = folder / f"batch-{device:04d}-{batch}.parquet"
            columns = {name: [getattr(r, name) for r in part] for name in SCHEMA.names}
            pq.write_table(pa.table(columns, schema=SCHEMA), path)
            paths.append(str(path))
    return paths


def oracle(records: list[Record], items: list[int], max_share: float, listed: int) -> list[tuple[Any, ...]]:
    """Every linked pair by brute force: (a, b, known-bad?, weight, files, first files listed)."""
    total = len(items)
    most = max_devices(total, max_share)
    names: dict[bytes, dict[int, str]] = {}
    bad: dict[bytes, bool] = {}
    good: dict[bytes, bool] = {}
    for r in records:
        if r.sha256 is None or r.size <= 0 or r.evidence_id not in items:
            continue
        held = names.setdefault(r.sha256, {})
        held[r.evidence_id] = min(held.get(r.evidence_id, r.name), r.name)
        bad[r.sha256] = bad.get(r.sha256, False) or r.known_bad
        good[r.sha256] = good.get(r.sha256, False) or r.known_good
    pairs: dict[tuple[int, int, bool], list[dict[str, Any]]] = {}
    for sha, held in names.items():
        if good[sha] or not 2 <= len(held) <= most:
            continue
        for a, b in itertools.combinations(sorted(held), 2):
            pairs.setdefault((a, b, bad[sha]), []).append(
                {"sha256": sha, "name_a": held[a], "name_b": held[b], "devices": len(held)}
            )
    out = []
    for (a, b, known_bad), shared in sorted(pairs.items()):
        weight = sum(math.log(1 + total / f["devices"]) for f in shared)
        first = sorted(shared, key=lambda f: (f["devices"], f["sha256"]))[:listed]
        out.append((a, b, known_bad, weight, len(shared), first))
    return out


# --- tests -----------------------------------------------------------------------------------------------
ALL_DEVICES = list(range(1, 31))


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two worker processes of one thread each, on loopback; closed (workers ended) after the module."""
    with LocalCluster(  # type: ignore[no-untyped-call]  # distributed is only partly annotated
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster, set_as_default=False) as c:  # type: ignore[no-untyped-call]
        yield c


def local_pairs(files: list[str], items: list[int], max_share: float = 0.2, listed: int = 3) -> list[Pair]:
    with duckdb.connect() as con:
        return shared_pairs(con, files, items, max_share=max_share, listed=listed)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_local_pairs_are_the_brute_force_oracle_s(tmp_path: Path, seed: int) -> None:
    records = make_records(seed)
    files = write_records(tmp_path, records)
    items = ALL_DEVICES[:-2]  # two devices triaged but not the newest run of theirs: not counted
    got = local_pairs(files, items)
    expected = oracle(records, items, 0.2, 3)
    assert len(expected) > 50
    assert {bad for _, _, bad, *_ in expected} == {False, True}  # both classes of material
    assert any(count > 3 for *_, count, _ in expected)  # lists cut at three files
    assert [(*p[:3], *p[4:]) for p in got] == [(*p[:3], *p[4:]) for p in expected]
    assert [p[3] for p in got] == pytest.approx([p[3] for p in expected], rel=1e-12)


def test_digest_ranges_cover_every_digest_once() -> None:
    for count in (1, 2, 3, 7, 256, PREFIXES, 10**6):
        ranges = plan_ranges(count)
        assert len(ranges) == min(count, PREFIXES)
        assert ranges[0].low == LOWEST
        assert ranges[-1].high == HIGHEST
        assert all(r.high == s.low for r, s in itertools.pairwise(ranges))  # no gap, no overlap
        assert all(r.low < r.high for r in ranges)
    assert [r.id for r in plan_ranges(2)] == ["0000-7fff", "8000-ffff"]
    assert max(hashlib.sha256(b"any").digest(), b"\xff" * 32) < HIGHEST


@pytest.mark.parametrize("count", [2, 3, 16])
def test_figures_of_digest_ranges_combine_into_the_figures_of_all(tmp_path: Path, count: int) -> None:
    files = write_records(tmp_path, make_records(3))
    rules: dict[str, Any] = {"most_devices": 6, "listed": 3}
    with duckdb.connect() as con:
        whole = pair_figures(con, files, ALL_DEVICES, **rules)
        parts = [
            figures_of(pair_table(con, files, ALL_DEVICES, low=r.low, high=r.high, **rules))
            for r in plan_ranges(count)
        ]
    # A real test of combining: pairs whose files lie in several ranges, lists that must be merged and cut.
    assert sum(map(len, parts)) > len(whole) + 20
    assert combine(parts, 3) == whole
    assert combine(list(reversed(parts)), 3) == whole
    assert weighed(combine(parts, 3), 30) == weighed(whole, 30)  # the very floats


def test_on_a_local_cluster_the_pairs_are_the_local_pairs(tmp_path: Path, client: Client) -> None:
    files = write_records(tmp_path, make_records(4))
    expected = local_pairs(files, ALL_DEVICES)
    assert len(expected) > 50
    progress: list[tuple[int, int]] = []
    by_five = shared_figures_on(
        client,
        files,
        ALL_DEVICES,
        max_share=0.2,
        listed=3,
        settings=ClusterSettings(partitions=5),
        on_range=lambda done, total: progress.append((done, total)),
    )
    assert weighed(by_five, 30) == expected
    assert progress == [(i, 5) for i in range(1, 6)]
    # The default: one range per worker thread (two here).
    assert shared_pairs_on(client, files, ALL_DEVICES, max_share=0.2, listed=3) == expected


def _facts(built: BuiltLinks) -> list[tuple[Any, ...]]:
    """Every fact whole: kind, both ends, weight, explanation and provenance."""
    return [(f.kind, f.a, f.b, f.weight, f.explanation, f.provenance) for f in built.links]


def test_the_builder_on_a_cluster_makes_the_local_builder_s_links(
    db: Database, tmp_path: Path, cluster: LocalCluster
) -> None:
    p = planted(db, tmp_path)
    observations = p.data / "observations"
    local = SharedFiles().build(Sources(db, observations, LinkSettings()))
    on_cluster = ClusterLinkSettings(scheduler=cluster.scheduler_address, ranges=3)
    built = SharedFiles().build(Sources(db, observations, on_cluster))
    assert {f.kind for f in local.links} == {"shared_unknown_files", "shared_known_bad_files"}
    assert _facts(built) == _facts(local)
    # No scheduler named: the same settings build here.
    assert _facts(SharedFiles().build(Sources(db, observations, ClusterLinkSettings()))) == _facts(local)


def test_a_record_file_no_worker_can_read_is_named_in_the_error(tmp_path: Path, client: Client) -> None:
    files = write_records(tmp_path, make_records(5))
    Path(files[7]).write_bytes(b"not parquet at all")
    with pytest.raises(LinksClusterError, match=r"could not read the triage records for digests") as caught:
        shared_pairs_on(client, files, ALL_DEVICES, max_share=0.2, listed=3)
    assert isinstance(caught.value, LinksError)
    assert Path(files[7]).name in str(caught.value)  # which file
    assert "worker tcp://127.0.0.1:" in str(caught.value)  # which worker, for the operator
    assert "VIGILANT_PATH_MAP" in str(caught.value.hint)


def test_no_scheduler_at_the_address_is_a_links_error(tmp_path: Path) -> None:
    files = write_records(tmp_path, make_records(6))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(
        LinksClusterError, match=r"no Dask scheduler answers at tcp://127\.0\.0\.1:"
    ) as caught:
        shared_pairs_at(f"tcp://127.0.0.1:{port}", files, ALL_DEVICES, max_share=0.2, listed=3)
    assert "dask scheduler" in str(caught.value.hint)
