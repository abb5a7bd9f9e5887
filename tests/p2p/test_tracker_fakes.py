"""Trackers that fail, lie or stall, and what our announces look like on the wire."""

from __future__ import annotations

import struct
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.p2p import fakes
from vigilant.p2p.bencode import encode
from vigilant.p2p.compact import encode_peer
from vigilant.p2p.discovery import DiscoveryError, RemoteRefusedError
from vigilant.p2p.tracker import TrackerClient, TrackerFailureError, percent_encode

pytestmark = pytest.mark.usefixtures("udp_loopback_only")  # tests/p2p/conftest.py

HASH = bytes(range(20))


def test_percent_encoding_covers_every_reserved_byte() -> None:
    assert percent_encode(b" +%~aZ9-._/&=\x00\xff") == "%20%2B%25~aZ9-._%2F%26%3D%00%FF"


@pytest.mark.asyncio
async def test_http_announce_says_leecher_started_then_stopped() -> None:
    body = encode({b"interval": 60, b"peers": encode_peer("127.0.0.9", 6881)})
    async with fakes.http_tracker(body) as fake:
        client = TrackerClient(fake.url, timeout=2, sizes={HASH: 12345})
        found = await client.peers(HASH)
    assert [(p.ip, p.port) for p in found] == [("127.0.0.9", 6881)]
    assert len(fake.requests) == 2
    queries = [parse_qs(urlsplit(line.split(" ")[1]).query) for line in fake.requests]
    assert [q["event"] for q in queries] == [["started"], ["stopped"]]
    for q in queries:
        assert q["left"] == ["12345"]  # never 0: that would say we are a seeder
        assert q["uploaded"] == q["downloaded"] == ["0"]
        assert q["port"] == ["0"]  # unreachable on purpose
        assert 1 <= int(q["numwant"][0]) <= 200
    assert queries[0]["peer_id"] == queries[1]["peer_id"]
    assert "info_hash=" + percent_encode(HASH) in fake.requests[0]


@pytest.mark.asyncio
async def test_unknown_size_announces_left_1() -> None:
    async with fakes.http_tracker(encode({b"peers": b""})) as fake:
        await TrackerClient(fake.url, timeout=2).peers(HASH)
    assert "&left=1&" in fake.requests[0]


@pytest.mark.asyncio
async def test_http_ipv6_and_dict_peers() -> None:
    body = encode(
        {
            b"peers": [
                {b"ip": b"127.0.0.7", b"port": 7000, b"peer id": b"-XX0000-" + b"a" * 12},
                {b"ip": b"::1", b"port": 7001},
            ],
            b"peers6": encode_peer("::1", 7002) + encode_peer("::1", 0),
        }
    )
    async with fakes.http_tracker(body) as fake:
        found = await TrackerClient(fake.url, timeout=2).peers(HASH)
    assert [(p.ip, p.port) for p in found] == [("127.0.0.7", 7000), ("::1", 7001), ("::1", 7002)]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "status", "error", "match"),
    [
        (encode({b"failure reason": b"torrent banned"}), "200 OK", TrackerFailureError, "torrent banned"),
        (b"d5:peers", "200 OK", DiscoveryError, "not bencode"),
        (b"<html>hi</html>", "200 OK", DiscoveryError, "not bencode"),
        (encode({b"peers": b"\x7f\x00\x00\x01\x1a"}), "200 OK", DiscoveryError, "not a multiple of 6"),
        (encode({b"peers": b"", b"peers6": b"\x00" * 17}), "200 OK", DiscoveryError, "not a multiple of 18"),
        (encode({b"peers": [{b"ip": b"127.0.0.1"}]}), "200 OK", DiscoveryError, "valid ip and port"),
        (encode({b"peers": 5}), "200 OK", DiscoveryError, "not a BEP 3 tracker"),
        (b"oops", "500 Internal Server Error", DiscoveryError, "HTTP 500"),
    ],
)
async def test_http_bad_replies_are_clear_errors(
    body: bytes, status: str, error: type[Exception], match: str
) -> None:
    async with fakes.http_tracker(body, status) as fake:
        with pytest.raises(error, match=match):
            await TrackerClient(fake.url, timeout=2).peers(HASH)


@pytest.mark.asyncio
async def test_http_tracker_that_never_answers_times_out() -> None:
    async with fakes.http_tracker(None) as fake:
        with pytest.raises(DiscoveryError, match="did not answer within"):
            await TrackerClient(fake.url, timeout=0.3).peers(HASH)


@pytest.mark.asyncio
async def test_udp_announce_packet_and_peers() -> None:
    peers = encode_peer("127.0.0.5", 51413) + encode_peer("127.0.0.6", 0)
    async with fakes.udp_tracker(fakes.bep15(peers)) as fake:
        found = await TrackerClient(fake.url, timeout=2, udp_retry_timeout=0.5, sizes={HASH: 99}).peers(HASH)
    assert [(p.ip, p.port) for p in found] == [("127.0.0.5", 51413)]
    connect, announce = fake.received[0], fake.received[1]
    assert struct.unpack(">QI", connect[:12]) == (0x41727101980, 0)
    assert len(announce) == 98
    cid, action, _tx, ih, _pid, down, left, up, event, ip, _key, numwant, port = struct.unpack(
        ">QII20s20sQQQIIIiH", announce
    )
    assert (cid, action, ih, down, left, up, event, ip, port) == (0x1234, 1, HASH, 0, 99, 0, 2, 0, 0)
    assert 1 <= numwant <= 200
    assert struct.unpack_from(">I", fake.received[-1], 80)[0] == 3  # then event=stopped


@pytest.mark.asyncio
async def test_udp_ipv6_tracker_gives_ipv6_peers() -> None:
    try:
        ctx = fakes.udp_tracker(fakes.bep15(encode_peer("::1", 6881)), host="::1")
        fake = await ctx.__aenter__()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        found = await TrackerClient(fake.url, timeout=2, udp_retry_timeout=0.5).peers(HASH)
    finally:
        await ctx.__aexit__(None, None, None)
    assert [(p.ip, p.port) for p in found] == [("::1", 6881)]


@pytest.mark.asyncio
async def test_udp_error_action_is_a_clear_failure() -> None:
    async with fakes.udp_tracker(fakes.bep15_error(b"unregistered torrent")) as fake:
        with pytest.raises(TrackerFailureError, match="unregistered torrent"):
            await TrackerClient(fake.url, timeout=2, udp_retry_timeout=0.5).peers(HASH)


@pytest.mark.asyncio
@pytest.mark.parametrize("reply", [fakes.bep15(b"", tx_shift=1), fakes.silent], ids=["wrong-tx", "silent"])
async def test_udp_retries_with_backoff_then_gives_up(reply: fakes.Reply) -> None:
    async with fakes.udp_tracker(reply) as fake:
        client = TrackerClient(fake.url, timeout=5, udp_retry_timeout=0.1, udp_retries=2)
        with pytest.raises(DiscoveryError, match="did not answer after 3 tries"):
            await client.peers(HASH)
    assert len(fake.received) == 3  # the first try and two retries (0.1, 0.2, 0.4 s), no more
    assert len({d[12:16] for d in fake.received}) == 3  # a fresh transaction id per try


@pytest.mark.asyncio
async def test_udp_overall_timeout_bounds_the_retries() -> None:
    async with fakes.udp_tracker(fakes.silent) as fake:
        client = TrackerClient(fake.url, timeout=0.3, udp_retry_timeout=0.2, udp_retries=5)
        with pytest.raises(DiscoveryError, match="did not finish within"):
            await client.peers(HASH)


@pytest.mark.parametrize(
    "url", ["http://192.0.2.1/announce", "udp://192.0.2.1:6969/announce", "https://tracker.example/announce"]
)
def test_remote_trackers_are_refused_by_default(url: str) -> None:
    with pytest.raises(RemoteRefusedError, match="allow_remote=True"):
        TrackerClient(url)
    TrackerClient(url, allow_remote=True)  # allowed explicitly: constructing it sends nothing


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(DiscoveryError, match="udp://"):
        TrackerClient("wss://127.0.0.1/announce")
