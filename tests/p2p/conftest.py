"""Shared p2p fixtures: fast observer settings for loopback peers; for the discovery tests, UDP sent outside
loopback fails the test even where asyncio swallowed the error; the real discovery peers (opentracker, a
libtorrent seeder) are started once per module and always stopped."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.p2p import harness
from vigilant.p2p.confirm import ConfirmSettings
from vigilant.p2p.observer import ObserverSettings

_real_sendto = socket.socket.sendto
PERCENT_HASH = bytes.fromhex("20" + "2b" * 3 + "25" + "7e" + "00" * 14)  # space, '+', '%', '~' (unreserved)


@pytest.fixture
def fast_settings() -> ObserverSettings:
    """Short windows: loopback peers answer in milliseconds, and every test must stay bounded."""
    return ObserverSettings(
        confirm=ConfirmSettings(connect_timeout=2.0, have_window=1.0, timeout=8.0),
        retries=1,
        backoff=0.1,
        operator="test-examiner",
        case_id="TEST-1",
    )


def _loopback(sock: socket.socket, address: Any) -> bool:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return True
    if address[0] == "localhost":
        return True
    try:
        return ipaddress.ip_address(address[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def udp_loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse ``sendto`` outside loopback, and fail the test afterwards too: asyncio's datagram transport
    swallows a send error into a log line, so raising alone could go unnoticed (the top conftest's guard
    raises only). The discovery tests (DHT, PEX, trackers, observer sources) use it module-wide."""
    attempts: list[Any] = []

    def guarded(self: socket.socket, data: Any, *args: Any) -> int:
        address = args[-1]
        if not _loopback(self, address):
            attempts.append(address)
            raise AssertionError(f"test tried to send UDP to {address!r}: tests may only reach loopback")
        return _real_sendto(self, data, *args)

    monkeypatch.setattr(socket.socket, "sendto", guarded)
    yield attempts
    assert not attempts, f"UDP sent outside loopback: {attempts}"


@dataclass
class Swarm:
    tracker: harness.Opentracker
    infohash: bytes
    seeder: harness.Seeder
    torrent: bytes  # names the tracker's HTTP URL as its announce


@pytest.fixture(scope="module")
def swarm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Swarm]:
    """opentracker on HTTP+UDP with a libtorrent seeder announced to it over HTTP."""
    harness.need_tool("opentracker")
    base = tmp_path_factory.mktemp("swarm")
    port_dir = base / "content"
    # The whitelist needs the hash before the tracker starts, and the torrent needs the tracker URL:
    # pick the port first, then start opentracker on it.
    port = harness.free_port()
    url = f"http://127.0.0.1:{port}/announce"
    infohash, torrent = harness.make_torrent(port_dir, [url])
    tracker = harness.start_opentracker(base / "tracker", [infohash, PERCENT_HASH], port=port)
    try:
        # every peer is 127.0.0.1 here: without this the seeder drops us while it tries its own entry
        seeder = harness.Seeder(torrent, port_dir, allow_multiple_connections_per_ip=True)
    except BaseException:
        tracker.stop()
        raise
    try:
        yield Swarm(tracker, infohash, seeder, torrent)
    finally:
        seeder.close()
        tracker.stop()
