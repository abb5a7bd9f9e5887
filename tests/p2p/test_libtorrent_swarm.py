"""The observer against a real peer: libtorrent seeding v1, v2 and hybrid torrents on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.p2p.lt_helpers import make_content, make_torrent, seeder
from vigilant.p2p.observer import Observer, ObserverSettings, StaticPeers
from vigilant.p2p.session_log import verify_log
from vigilant.p2p.targets import TargetSpec
from vigilant.p2p.torrent import parse_torrent


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["v1", "v2", "hybrid"])
async def test_observer_downloads_and_verifies_a_piece(
    tmp_path: Path, kind: str, fast_settings: ObserverSettings
) -> None:
    make_content(tmp_path / "seed", "content.bin", 1_200_000, seed=11)
    made = make_torrent(tmp_path / "seed", "content.bin", kind)
    with seeder(made) as port:
        observer = Observer(fast_settings, tmp_path / "data", [StaticPeers((("127.0.0.1", port),))])
        result = await observer.run([TargetSpec.from_torrent(made.torrent)])
    swarms = {"v1": 1, "v2": 1, "hybrid": 2}[kind]
    assert len(result.probes) == swarms
    for probe in result.probes:
        assert probe.echoed, probe.error
        assert probe.have_kind == "have_all"  # libtorrent with the Fast bit: HAVE_ALL, never a bitfield
        assert probe.metadata_verified is True
        assert probe.checks, probe.notes
    tiers = sorted((o.method, o.tier) for o in result.observations)
    assert tiers == sorted(
        [("handshake", "confirmed"), ("metadata", "confirmed"), ("piece", "downloaded")] * swarms
    )
    piece_obs = [o for o in result.observations if o.tier == "downloaded"]
    assert all(o.client == "libtorrent 2.1.1.0" and o.single_source for o in piece_obs)
    meta = parse_torrent(made.torrent)
    assert {o.infohash_v1 for o in piece_obs} == {meta.infohash_v1}
    assert {o.infohash_v2 for o in piece_obs} == {meta.infohash_v2}
    table = pq.read_table(result.parquet_path)
    assert table.num_rows == len(result.observations)
    report = verify_log(result.log_path)
    assert report.ok, report.problems
    assert report.pieces_checked == swarms
