"""The loopback rule for discovery sources (discoveries as observations: test_observer_sources.py)."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest

from vigilant.p2p.discovery import is_loopback

pytestmark = pytest.mark.usefixtures("udp_loopback_only")  # tests/p2p/conftest.py

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


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
