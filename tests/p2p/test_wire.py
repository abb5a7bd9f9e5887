"""Peer-wire details: reserved bits, framing limits, client labels from peer ids."""

from __future__ import annotations

import asyncio

import pytest

from vigilant.p2p import wire


def test_reserved_bits() -> None:
    assert wire.reserved_bits().hex() == "0000000000100004"
    hs = wire.Handshake(wire.reserved_bits(v2=True), bytes(20), bytes(20))
    assert (hs.ltep, hs.fast, hs.v2) == (True, True, True)


@pytest.mark.parametrize(
    ("peer_id", "label"),
    [
        (b"-LT2110-" + bytes(12), "libtorrent 2.1.1.0"),
        (b"-qB4520-" + bytes(12), "qBittorrent 4.5.2.0"),
        (b"A2-1-36-0-" + b"\xff" * 10, "aria2 1.36.0"),
        (b"M7-4-2--" + bytes(12), "BitTorrent (mainline) 7.4.2"),
        (bytes(20), None),
    ],
)
def test_client_labels(peer_id: bytes, label: str | None) -> None:
    assert wire.client_label(peer_id[:20]) == label


@pytest.mark.asyncio
async def test_frames_keepalive_and_oversize() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(wire.KEEP_ALIVE + wire.interested() + b"\x00\x10\x00\x01")
    reader.feed_eof()
    assert (await wire.read_message(reader)).id is None
    assert (await wire.read_message(reader)).id == wire.MsgId.INTERESTED
    with pytest.raises(wire.PeerError, match="exceeds"):
        await wire.read_message(reader, max_frame=1024)


def test_bitfield_rejects_spare_bits() -> None:
    assert wire.parse_bitfield(b"\xa0", 3) == {0, 2}
    with pytest.raises(wire.PeerError):
        wire.parse_bitfield(b"\xb0", 3)
    with pytest.raises(wire.PeerError):
        wire.parse_bitfield(b"\xa0\x00", 3)
