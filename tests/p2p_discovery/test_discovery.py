"""Discoveries become ``announced`` observations, nothing more; the loopback rule for sources."""

from __future__ import annotations

import socket
import uuid
from datetime import UTC, datetime

import pytest

from vigilant.p2p.discovery import AddressSource, DiscoveredPeer, is_loopback, to_observations
from vigilant.p2p.observations import Method, Tier, to_table

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def test_discoveries_become_announced_observations() -> None:
    found = [
        DiscoveredPeer("127.0.0.2", 6881, Method.TRACKER_UDP, "udp://127.0.0.1:6969/announce", WHEN),
        DiscoveredPeer("::1", 6882, Method.PEX, "pex://127.0.0.3:6881", WHEN, flags=0x02),
    ]
    records = to_observations(
        found, infohash20=b"\xaa" * 20, session_id="s1", operator="cst-1", case_id="C-9"
    )
    assert [(r.ip, r.port, r.method, r.tier, r.reported_by) for r in records] == [
        ("127.0.0.2", 6881, "tracker_udp", Tier.ANNOUNCED, "udp://127.0.0.1:6969/announce"),
        ("::1", 6882, "pex", Tier.ANNOUNCED, "pex://127.0.0.3:6881"),
    ]
    for record in records:
        assert (record.operator, record.case_id, record.session_id, record.ts_utc) == (
            "cst-1",
            "C-9",
            "s1",
            WHEN,
        )
        assert record.infohash_v1 == b"\xaa" * 20
        assert record.seeding is None  # a PEX "seed" flag is a claim, not an observation
        assert uuid.UUID(record.obs_id).version == 7
    assert to_table(records).num_rows == 2  # fits the columnar schema


def test_v2_hash_is_not_stored_as_v1_and_bad_lengths_are_refused() -> None:
    [record] = to_observations(
        [DiscoveredPeer("127.0.0.2", 1, Method.DHT, "dht://x", WHEN)],
        infohash20=b"\x01" * 20,
        session_id="s",
        operator="o",
        infohash_is_v2=True,
    )
    assert record.infohash_v1 is None
    with pytest.raises(ValueError, match="truncate a v2"):
        to_observations([], infohash20=b"\x01" * 32, session_id="s", operator="o")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("localhost", True), ("198.51.100.7", False),
     ("192.0.2.1", False), ("tracker.example", False), ("::ffff:203.0.113.9", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_udp_to_non_loopback_fails_the_test(udp_loopback_only: list[object]) -> None:
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock,
        pytest.raises(AssertionError, match="loopback"),
    ):
        sock.sendto(b"x", ("192.0.2.1", 6881))
    assert udp_loopback_only == [("192.0.2.1", 6881)]
    udp_loopback_only.clear()  # seen and refused: let the fixture's own end-of-test check pass


@pytest.mark.asyncio
async def test_address_source_gives_the_observer_tuples() -> None:
    class Fixed:
        async def peers(self, infohash20: bytes) -> list[DiscoveredPeer]:
            return [DiscoveredPeer("127.0.0.2", 6881, Method.DHT, "dht://127.0.0.1:1", WHEN)]

    assert await AddressSource(Fixed()).peers(b"\x00" * 20) == [("127.0.0.2", 6881, "dht://127.0.0.1:1")]
