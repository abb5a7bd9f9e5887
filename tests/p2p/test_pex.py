"""ut_pex parsing (BEP 11): flags, IPv6, dropped peers and malformed payloads."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vigilant.p2p.bencode import encode
from vigilant.p2p.compact import encode_peer
from vigilant.p2p.observations import Method
from vigilant.p2p.pex import PexError, PexFlag, PexPeer, parse_pex, pex_peers

pytestmark = pytest.mark.usefixtures("udp_loopback_only")  # tests/p2p/conftest.py


def test_added_with_flags_ipv6_and_dropped() -> None:
    payload = encode(
        {
            b"added": encode_peer("127.0.0.2", 6881) + encode_peer("127.0.0.3", 6882),
            b"added.f": bytes([0x12, 0x01]),
            b"added6": encode_peer("::1", 6883),
            b"added6.f": bytes([0x04]),
            b"dropped": encode_peer("127.0.0.4", 6884),
            b"dropped6": encode_peer("::1", 6885),
        }
    )
    message = parse_pex(payload)
    assert message.added == [
        PexPeer("127.0.0.2", 6881, PexFlag.SEED | PexFlag.REACHABLE),
        PexPeer("127.0.0.3", 6882, PexFlag.ENCRYPTION),
        PexPeer("::1", 6883, PexFlag.UTP),
    ]
    assert message.dropped == [("127.0.0.4", 6884), ("::1", 6885)]


def test_missing_flags_and_empty_fields() -> None:
    message = parse_pex(encode({b"added": encode_peer("127.0.0.2", 1)}))
    assert message.added == [PexPeer("127.0.0.2", 1, None)]
    assert parse_pex(encode({})).added == []


def test_discoveries_name_the_sender() -> None:
    when = datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    payload = encode({b"added6": encode_peer("::1", 7000), b"added6.f": b"\x02"})
    [peer] = pex_peers(payload, sender=("::1", 6881), ts_utc=when)
    assert (peer.ip, peer.port, peer.method, peer.reported_by, peer.flags, peer.ts_utc) == (
        "::1", 7000, Method.PEX, "pex://[::1]:6881", 0x02, when,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        (b"d5:added", "malformed"),
        (encode([b"added"]), "not a dict"),
        (encode({b"added": b"\x7f\x00\x00\x01\x1a"}), "multiple of 6"),
        (encode({b"added6": b"\x00" * 19}), "multiple of 18"),
        (encode({b"added": encode_peer("127.0.0.2", 1), b"added.f": b"\x01\x02"}), "2 flag bytes for 1"),
        (encode({b"added": 5}), "not a byte string"),
    ],
)
def test_malformed_payloads_are_refused(payload: bytes, match: str) -> None:
    with pytest.raises(PexError, match=match):
        parse_pex(payload)
