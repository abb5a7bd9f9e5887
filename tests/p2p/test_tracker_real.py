"""Our HTTP and UDP announces against Debian's opentracker, with a real libtorrent seeder in the swarm."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.p2p.conftest import PERCENT_HASH, Swarm
from vigilant.p2p.discovery import DiscoveredPeer
from vigilant.p2p.observations import Method
from vigilant.p2p.tracker import TrackerClient, TrackerFailureError

pytestmark = pytest.mark.usefixtures("udp_loopback_only")  # tests/p2p/conftest.py

DEADLINE_S = 10.0


async def _until_seeder(client: TrackerClient, swarm: Swarm) -> list[DiscoveredPeer]:
    """The seeder announces on its own schedule: ask again (bounded) until the tracker lists it."""
    end = time.monotonic() + DEADLINE_S
    while True:
        found = await client.peers(swarm.infohash)
        if ("127.0.0.1", swarm.seeder.port) in {(p.ip, p.port) for p in found}:
            return found
        assert time.monotonic() < end, f"tracker never listed the seeder on port {swarm.seeder.port}: {found}"
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
@pytest.mark.parametrize("kind", ["http", "udp"])
async def test_announce_returns_the_seeder_and_not_us(swarm: Swarm, kind: str) -> None:
    url = swarm.tracker.http if kind == "http" else swarm.tracker.udp
    client = TrackerClient(url, timeout=5, udp_retry_timeout=1, udp_retries=1)
    found = await _until_seeder(client, swarm)
    method = Method.TRACKER_HTTP if kind == "http" else Method.TRACKER_UDP
    assert {(p.ip, p.port, p.method, p.reported_by) for p in found} == {
        ("127.0.0.1", swarm.seeder.port, method, url)
    }  # opentracker echoes our own (port 0) entry back: it must be filtered out
    assert found[0].ts_utc.tzinfo is not None


@pytest.mark.asyncio
async def test_hash_with_space_and_plus_is_accepted(swarm: Swarm) -> None:
    # opentracker reads '+' literally and this hash is whitelisted: only exact percent-encoding gets in.
    for url in (swarm.tracker.http, swarm.tracker.udp):
        assert await TrackerClient(url, timeout=5, udp_retry_timeout=1).peers(PERCENT_HASH) == []


@pytest.mark.asyncio
async def test_unlisted_hash_is_a_clear_failure(swarm: Swarm) -> None:
    with pytest.raises(TrackerFailureError, match="not authorized"):
        await TrackerClient(swarm.tracker.http, timeout=5).peers(b"\x01" * 20)
