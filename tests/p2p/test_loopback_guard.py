"""The autouse loopback guard also stops UDP datagrams (DHT, UDP trackers) from leaving the machine."""

from __future__ import annotations

import socket

import pytest


def test_udp_sendto_outside_loopback_fails() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(AssertionError, match="only reach loopback"):
            sock.sendto(b"x", ("192.0.2.1", 6881))
        with pytest.raises(AssertionError, match="only reach loopback"):
            sock.sendto(b"x", 0, ("192.0.2.1", 6881))
        sock.bind(("127.0.0.1", 0))
        assert sock.sendto(b"x", sock.getsockname()) == 1
