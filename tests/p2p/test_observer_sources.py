"""The observer fed by real discovery on loopback: opentracker (HTTP and UDP) with a libtorrent seeder,
a private two-node libtorrent DHT, and PEX from a libtorrent peer that knows another one. Every discovery
must be in the hash-chained log as an ``announced`` observation naming its source, and then be probed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.p2p import harness
from tests.p2p.conftest import Swarm
from vigilant.cli import p2p_cmd
from vigilant.errors import ConfigError
from vigilant.p2p.confirm import ConfirmSettings
from vigilant.p2p.dht import DhtClient
from vigilant.p2p.discovery import DiscoveredPeer, utc_now
from vigilant.p2p.observations import Method
from vigilant.p2p.observer import Observer, ObserverSettings, SessionResult, StaticPeers
from vigilant.p2p.session_log import verify_log
from vigilant.p2p.targets import TargetSpec, torrent_trackers
from vigilant.p2p.tracker import TrackerClient

pytestmark = pytest.mark.usefixtures("udp_loopback_only")  # tests/p2p/conftest.py

DEADLINE_S = 20.0


def settings(**extra: Any) -> ObserverSettings:
    confirm = extra.pop("confirm", ConfirmSettings(connect_timeout=2.0, have_window=1.0, timeout=8.0))
    return ObserverSettings(confirm=confirm, retries=0, operator="test-examiner", case_id="TEST-1", **extra)


def records(result: SessionResult) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.log_path.read_text().splitlines()]


def announced(result: SessionResult) -> set[tuple[str, int, str, str]]:
    return {(o.ip, o.port or 0, o.method, o.reported_by or "") for o in result.discoveries}


async def _until_listed(client: TrackerClient | DhtClient, infohash: bytes, port: int) -> None:
    """Real peers announce on their own schedule: ask (bounded) until the source names the seeder."""
    end = time.monotonic() + DEADLINE_S
    while ("127.0.0.1", port) not in {(p.ip, p.port) for p in await client.peers(infohash)}:
        assert time.monotonic() < end, f"the source never named the seeder on port {port}"
        await asyncio.sleep(0.2)


def test_torrent_trackers_are_read_from_announce_and_announce_list(swarm: Swarm) -> None:
    assert torrent_trackers(swarm.torrent) == (swarm.tracker.http,)
    assert TargetSpec.from_torrent(swarm.torrent).trackers == (swarm.tracker.http,)


@pytest.mark.asyncio
async def test_trackers_feed_the_observer(swarm: Swarm, tmp_path: Path) -> None:
    port = swarm.seeder.port
    udp = TrackerClient(swarm.tracker.udp, timeout=5, udp_retry_timeout=1, udp_retries=1)
    await _until_listed(udp, swarm.infohash, port)
    # the torrent's own HTTP tracker (read from its announce) and a UDP tracker given to the observer
    observer = Observer(settings(), tmp_path / "data", [udp])
    result = await observer.run([TargetSpec.from_torrent(swarm.torrent)])

    assert announced(result) == {
        ("127.0.0.1", port, Method.TRACKER_HTTP.value, swarm.tracker.http),
        ("127.0.0.1", port, Method.TRACKER_UDP.value, swarm.tracker.udp),
    }
    assert len(result.probes) == 1  # two discoveries of one peer: one probe
    assert result.probes[0].echoed
    tiers = {o.tier for o in result.observations if o.method not in ("tracker_http", "tracker_udp")}
    assert "confirmed" in tiers
    log = records(result)
    by_kind = [r["kind"] for r in log]
    assert by_kind.count("discovery") == 2
    assert any(r["kind"] == "skipped" and r["why"] == "probed recently" for r in log)
    logged = [r for r in log if r["kind"] == "observation" and r["tier"] == "announced"]
    assert {r["reported_by"] for r in logged} == {swarm.tracker.http, swarm.tracker.udp}
    # streamed: each discovery is in the log before the probe it led to
    first_announced = min(r["seq"] for r in logged)
    first_connect = min(r["seq"] for r in log if r["kind"] == "connect")
    assert first_announced < first_connect
    assert verify_log(result.log_path).ok


@pytest.mark.asyncio
async def test_remote_torrent_trackers_are_skipped_and_logged(swarm: Swarm, tmp_path: Path) -> None:
    spec = TargetSpec.from_torrent(swarm.torrent)
    spec = TargetSpec(spec.name, spec.meta, None, spec.torrent, ("http://192.0.2.9/announce", "wss://x/a"))
    result = await Observer(settings(), tmp_path / "data", []).run([spec])
    skipped = [r for r in records(result) if r["kind"] == "tracker_skipped"]
    assert [r["url"] for r in skipped] == ["http://192.0.2.9/announce", "wss://x/a"]
    assert result.observations == []
    assert result.probes == []


class _Fixed:
    """A source naming peers inside and outside loopback."""

    def __init__(self, peers: list[tuple[str, int]]) -> None:
        self.peers_ = peers
        self.url = "fixed://test"

    async def peers(self, infohash: bytes) -> list[DiscoveredPeer]:
        when = harness_now()
        return [DiscoveredPeer(ip, port, Method.DHT, self.url, when) for ip, port in self.peers_]


def harness_now() -> datetime:
    return utc_now()


@pytest.mark.asyncio
async def test_discovered_remote_peer_is_refused_not_fatal(swarm: Swarm, tmp_path: Path) -> None:
    source = _Fixed([("192.0.2.10", 6881), ("127.0.0.1", swarm.seeder.port)])
    observer = Observer(settings(torrent_trackers=False), tmp_path / "data", [source])
    result = await observer.run([TargetSpec.from_torrent(swarm.torrent)])
    assert announced(result) == {("127.0.0.1", swarm.seeder.port, "dht", "fixed://test")}
    refused = [r for r in records(result) if r["kind"] == "target_refused"]
    assert [r["ip"] for r in refused] == ["192.0.2.10"]
    assert [p.ip for p in result.probes] == ["127.0.0.1"]


@pytest.mark.asyncio
async def test_probe_limit_bounds_the_session(swarm: Swarm, tmp_path: Path) -> None:
    source = _Fixed([("127.0.0.1", swarm.seeder.port), ("127.0.0.2", 9)])
    observer = Observer(settings(torrent_trackers=False, max_probes=1), tmp_path / "data", [source])
    result = await observer.run([TargetSpec.from_torrent(swarm.torrent)])
    assert len(result.probes) == 1
    assert any("limit of 1 probes" in r.get("why", "") for r in records(result))


@pytest.mark.asyncio
async def test_failing_source_is_logged_and_the_others_go_on(swarm: Swarm, tmp_path: Path) -> None:
    dead = TrackerClient(
        f"udp://127.0.0.1:{harness.free_port()}/announce", udp_retry_timeout=0.2, udp_retries=0
    )
    static = StaticPeers((("127.0.0.1", swarm.seeder.port),))
    result = await Observer(settings(torrent_trackers=False), tmp_path / "data", [dead, static]).run(
        [TargetSpec.from_torrent(swarm.torrent)]
    )
    failed = [r for r in records(result) if r["kind"] == "discovery_failed"]
    assert [r["source"] for r in failed] == [dead.url]
    assert result.discoveries == []  # operator-given peers are not discoveries
    assert [p.port for p in result.probes] == [swarm.seeder.port]


DHT = {
    "enable_dht": True,
    "dht_restrict_routing_ips": False,
    "dht_restrict_search_ips": False,
    "dht_prefer_verified_node_ids": False,
    "dht_ignore_dark_internet": False,
}


@pytest.mark.asyncio
async def test_private_dht_feeds_the_observer(tmp_path: Path) -> None:
    node = harness.Node(**DHT)
    seeder: harness.Seeder | None = None
    port = 0
    try:
        infohash, torrent = harness.make_torrent(tmp_path / "content", [])
        seeder = harness.Seeder(
            torrent, tmp_path / "content", dht_bootstrap_nodes=f"127.0.0.1:{node.port}", **DHT
        )
        port = seeder.port
        client = DhtClient([("127.0.0.1", node.port)], query_timeout=1, deadline=3)
        end = time.monotonic() + DEADLINE_S
        while True:
            seeder.handle.force_dht_announce()
            found = await client.peers(infohash)
            if ("127.0.0.1", seeder.port) in {(p.ip, p.port) for p in found}:
                break
            assert time.monotonic() < end, "the DHT never listed the seeder"
            await asyncio.sleep(0.2)
        result = await Observer(settings(), tmp_path / "data", [client]).run(
            [TargetSpec.from_torrent(torrent)]
        )
    finally:
        if seeder is not None:
            seeder.close()
        node.close()
    dht = [o for o in result.discoveries if o.port == port]
    assert dht
    assert all(o.method == "dht" and (o.reported_by or "").startswith("dht://127.0.0.1:") for o in dht)
    assert any(o.tier == "confirmed" and o.port == port for o in result.observations)
    assert verify_log(result.log_path).ok


@pytest.fixture
def pex_pair(tmp_path: Path) -> Iterator[tuple[bytes, int, int]]:
    """Two libtorrent seeders A and B, B connected to A: A names B by PEX. Loopback peers ignore rate
    limits, so a leecher would finish at once; two seeds stay connected with close_redundant_connections
    off."""
    _, torrent = harness.make_torrent(tmp_path / "content", [])
    both = {"allow_multiple_connections_per_ip": True, "close_redundant_connections": False}
    first = harness.Seeder(torrent, tmp_path / "content", **both)
    try:
        second = harness.Seeder(torrent, tmp_path / "content", **both)
        try:
            second.handle.connect_peer(("127.0.0.1", first.port))
            harness.wait_for(lambda: first.handle.status().num_peers >= 1, "the two seeders to connect")
            yield torrent, first.port, second.port
        finally:
            second.close()
    finally:
        first.close()


@pytest.mark.asyncio
async def test_pex_feeds_the_observer(pex_pair: tuple[bytes, int, int], tmp_path: Path) -> None:
    torrent, seed_port, leech_port = pex_pair
    confirm = ConfirmSettings(connect_timeout=2.0, have_window=1.0, timeout=10.0, pex_wait=5.0)
    observer = Observer(
        settings(confirm=confirm), tmp_path / "data", [StaticPeers((("127.0.0.1", seed_port),))]
    )
    result = await observer.run([TargetSpec.from_torrent(torrent)])
    pex = {(o.ip, o.port, o.reported_by) for o in result.discoveries if o.method == "pex"}
    assert ("127.0.0.1", leech_port, f"pex://127.0.0.1:{seed_port}") in pex
    assert {p.port for p in result.probes} >= {seed_port, leech_port}  # the PEX peer was probed too
    leech_probe = next(p for p in result.probes if p.port == leech_port)
    assert leech_probe.echoed
    assert any(o.port == leech_port and o.tier == "downloaded" for o in result.observations)
    # B names A back by PEX: logged as a discovery, but A is not probed twice
    assert len([p for p in result.probes if p.port == seed_port]) == 1
    assert any(r["kind"] == "recv" and r["msg"] == "ut_pex" for r in records(result))
    assert verify_log(result.log_path).ok


def test_cli_observes_through_the_torrents_own_tracker(swarm: Swarm, tmp_path: Path) -> None:
    http = TrackerClient(swarm.tracker.http, timeout=5)
    asyncio.run(_until_listed(http, swarm.infohash, swarm.seeder.port))
    torrent = tmp_path / "swarm.torrent"
    torrent.write_bytes(swarm.torrent)
    runner = CliRunner()
    done = runner.invoke(p2p_cmd.app, ["observe", str(torrent), "--timeout", "8", "--pex-wait", "0"])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert f"announced tracker_http 127.0.0.1:{swarm.seeder.port} via {swarm.tracker.http}" in said
    assert "downloaded" in said
    assert "1 discoveries, 1 peers probed" in said
    refused = runner.invoke(p2p_cmd.app, ["observe", str(torrent), "--no-torrent-trackers"])
    assert isinstance(refused.exception, ConfigError)  # the top-level app turns it into a message
    assert "no peers and no way to find any" in str(refused.exception)
