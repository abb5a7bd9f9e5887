"""The read-only DHT client against fake KRPC nodes and a private two-node libtorrent DHT on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import pytest

from tests.p2p import harness
from vigilant.p2p.bencode import Value, decode, encode
from vigilant.p2p.compact import encode_peer
from vigilant.p2p.dht import DhtClient
from vigilant.p2p.discovery import DiscoveryError, RemoteRefusedError
from vigilant.p2p.observations import Method

pytestmark = pytest.mark.usefixtures("udp_loopback_only")  # tests/p2p/conftest.py

HASH = bytes(range(20))
Answer = Callable[[dict[bytes, Value]], dict[bytes, Value] | None]


class _Node(asyncio.DatagramProtocol):
    def __init__(self, answer: Answer, log: list[dict[bytes, Value]]) -> None:
        self.answer, self.log = answer, log
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        query = decode(data)
        assert isinstance(query, dict)
        self.log.append(query)
        reply = self.answer(query)
        if reply is not None and self.transport is not None:
            self.transport.sendto(encode(reply), addr)


@asynccontextmanager
async def fake_node(answer: Answer, log: list[dict[bytes, Value]]) -> AsyncIterator[tuple[str, int]]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Node(answer, log), local_addr=("127.0.0.1", 0)
    )
    try:
        yield ("127.0.0.1", transport.get_extra_info("sockname")[1])
    finally:
        transport.close()


def replying(node_id: bytes, tx_shift: bool = False, **body: Value) -> Answer:
    def answer(query: dict[bytes, Value]) -> dict[bytes, Value]:
        tid = query[b"t"]
        assert isinstance(tid, bytes)
        if tx_shift:
            tid = bytes(b ^ 0xFF for b in tid)
        fields: dict[bytes, Value] = {key.encode(): value for key, value in body.items()}
        return {b"t": tid, b"y": b"r", b"v": b"FK\x00\x01", b"r": {b"id": node_id, **fields}}

    return answer


def _node_entry(node_id: bytes, addr: tuple[str, int]) -> bytes:
    return node_id + encode_peer(*addr)


@pytest.mark.asyncio
async def test_iterative_lookup_follows_nodes_to_values_read_only() -> None:
    log: list[dict[bytes, Value]] = []
    far, near = b"\xff" * 20, HASH[:19] + b"\x00"
    async with fake_node(replying(near, token=b"tk", values=[encode_peer("127.0.0.8", 6881)]), log) as second:
        nodes = _node_entry(near, second) + _node_entry(b"\x01" * 20, ("192.0.2.1", 6881))
        async with fake_node(replying(far, nodes=nodes, token=b"tk"), log) as first:
            found = await DhtClient([first], query_timeout=0.5, deadline=3).peers(HASH)
    assert [(p.ip, p.port, p.method) for p in found] == [("127.0.0.8", 6881, Method.DHT)]
    assert found[0].reported_by == f"dht://127.0.0.1:{second[1]}?id={near.hex()}&v=464b0001"
    assert len(log) == 2  # the remote node 192.0.2.1 was learned but never contacted
    for query in log:
        assert query[b"q"] == b"get_peers"  # never announce_peer
        assert query[b"ro"] == 1
        args = query[b"a"]
        assert isinstance(args, dict)
        assert args[b"info_hash"] == HASH


@pytest.mark.asyncio
async def test_wrong_transaction_ids_and_silence_end_in_a_clear_error() -> None:
    log: list[dict[bytes, Value]] = []
    async with (
        fake_node(replying(b"\x02" * 20, tx_shift=True), log) as forged,
        fake_node(lambda q: None, log) as mute,
    ):
        started = time.monotonic()
        with pytest.raises(DiscoveryError, match="no DHT node answered"):
            await DhtClient([forged, mute], query_timeout=0.3, deadline=2).peers(HASH)
    assert time.monotonic() - started < 1.5
    assert len(log) == 2


def test_remote_and_missing_bootstrap_nodes_are_refused() -> None:
    with pytest.raises(RemoteRefusedError, match="allow_remote=True"):
        DhtClient([("192.0.2.1", 6881)])
    with pytest.raises(DiscoveryError, match="name them explicitly"):
        DhtClient([])
    DhtClient([("192.0.2.1", 6881)], allow_remote=True)  # constructing it sends nothing


@pytest.mark.asyncio
async def test_private_libtorrent_dht_finds_the_seeder(tmp_path: Path) -> None:
    dht = {
        "enable_dht": True,
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        "dht_prefer_verified_node_ids": False,
        "dht_ignore_dark_internet": False,
    }
    node = harness.Node(**dht)
    seeder: harness.Seeder | None = None
    try:
        infohash, torrent = harness.make_torrent(tmp_path / "content", [])
        bootstrap = f"127.0.0.1:{node.port}"
        seeder = harness.Seeder(torrent, tmp_path / "content", dht_bootstrap_nodes=bootstrap, **dht)
        client = DhtClient([("127.0.0.1", node.port)], query_timeout=1, deadline=3)
        end = time.monotonic() + 20
        while True:
            seeder.handle.force_dht_announce()
            found = await client.peers(infohash)
            if ("127.0.0.1", seeder.port) in {(p.ip, p.port) for p in found}:
                break
            assert time.monotonic() < end, f"the DHT never listed the seeder on {seeder.port}: {found}"
            await asyncio.sleep(0.2)
        assert all(p.method is Method.DHT and p.reported_by.startswith("dht://127.0.0.1:") for p in found)
    finally:
        if seeder is not None:
            seeder.close()
        node.close()
