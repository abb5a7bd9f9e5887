"""A read-only mainline DHT client (BEP 5) that does one thing: ``get_peers`` for an infohash.

Read-only on purpose: every query carries ``ro: 1`` (BEP 43) so nodes keep us out of their routing
tables, we answer no queries, and we never send ``announce_peer`` (that would advertise us as a peer of
the torrent). The lookup is the usual Kademlia walk: ask the ``alpha`` closest unasked nodes by XOR
distance, learn closer ones from ``nodes``/``nodes6``, stop after ``max_rounds`` rounds, when the ``k``
closest known nodes have all been asked, or at the overall deadline (returning what was found).

There is no default bootstrap: nodes are given explicitly, and outside loopback only with
``allow_remote=True`` (nodes learned from replies are skipped likewise).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from vigilant.p2p import compact
from vigilant.p2p.bencode import BencodeError, Value, decode, encode
from vigilant.p2p.discovery import (
    DiscoveredPeer,
    DiscoveryError,
    check_infohash,
    is_loopback,
    require_loopback,
    utc_now,
)
from vigilant.p2p.observations import Method

Address = tuple[str, int]


@dataclass(frozen=True)
class NodeReply:
    node_id: bytes
    version: bytes | None  # the node's ``v`` (client and version), recorded with what it reported
    values: list[Address]
    nodes: list[tuple[bytes, str, int]]


class _Krpc(asyncio.DatagramProtocol):
    """Matches replies to queries by transaction id *and* sender address; everything else is dropped."""

    def __init__(self) -> None:
        self.pending: dict[bytes, tuple[Address, asyncio.Future[dict[bytes, Value]]]] = {}

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        try:
            message = decode(data)
        except BencodeError:
            return
        if not isinstance(message, dict) or not isinstance(tid := message.get(b"t"), bytes):
            return
        expected = self.pending.get(tid)
        if expected is None or (str(addr[0]), int(addr[1])) != expected[0] or expected[1].done():
            return
        expected[1].set_result(message)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors cannot be tied to one query on an unconnected socket: that query times out


def _parse_reply(message: dict[bytes, Value]) -> NodeReply:
    if message.get(b"y") != b"r" or not isinstance(body := message.get(b"r"), dict):
        raise DiscoveryError(f"DHT node answered with an error or no reply: {message.get(b'e')!r}")
    node_id = body.get(b"id")
    if not isinstance(node_id, bytes) or len(node_id) != 20:
        raise DiscoveryError("DHT reply without a 20-byte node id")
    raw_values = body.get(b"values", [])
    values = []
    if isinstance(raw_values, list):
        for item in raw_values:
            if isinstance(item, bytes):
                with contextlib.suppress(compact.CompactError):
                    values.append(compact.peer(item))
    nodes = []
    for key, v6 in ((b"nodes", False), (b"nodes6", True)):
        raw = body.get(key)
        if isinstance(raw, bytes):
            with contextlib.suppress(compact.CompactError):  # a broken list from one node: ignore the list
                nodes += compact.nodes(raw, ipv6=v6)
    version = message.get(b"v")
    return NodeReply(node_id, version if isinstance(version, bytes) else None, values, nodes)


def _distance(a: bytes, b: bytes) -> int:
    return int.from_bytes(a, "big") ^ int.from_bytes(b, "big")


def _label(addr: Address, reply: NodeReply) -> str:
    host = f"[{addr[0]}]" if ":" in addr[0] else addr[0]
    version = f"&v={reply.version.hex()}" if reply.version else ""
    return f"dht://{host}:{addr[1]}?id={reply.node_id.hex()}{version}"


class DhtClient:
    """A :class:`~vigilant.p2p.discovery.PeerSource` over the mainline DHT, read-only."""

    def __init__(
        self,
        bootstrap: Sequence[Address],
        *,
        allow_remote: bool = False,
        alpha: int = 3,
        k: int = 8,
        max_rounds: int = 4,
        query_timeout: float = 2.0,
        deadline: float = 10.0,
    ) -> None:
        if not bootstrap:
            raise DiscoveryError(
                "no DHT bootstrap nodes given: name them explicitly (there is no default public bootstrap)"
            )
        for host, _port in bootstrap:
            require_loopback(host, "DHT bootstrap node", allow_remote=allow_remote)
        self.bootstrap = [(h, p) for h, p in bootstrap]
        self.allow_remote = allow_remote
        self.alpha, self.k, self.max_rounds = alpha, k, max_rounds
        self.query_timeout, self.deadline = query_timeout, deadline

    async def peers(self, infohash20: bytes) -> list[DiscoveredPeer]:
        check_infohash(infohash20)
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in self.bootstrap[0][0] else socket.AF_INET
        local = "::" if family == socket.AF_INET6 else "0.0.0.0"  # remote nodes need a routable socket
        if not self.allow_remote:
            local = "::1" if family == socket.AF_INET6 else "127.0.0.1"
        transport, krpc = await loop.create_datagram_endpoint(_Krpc, local_addr=(local, 0), family=family)
        try:
            return await _Lookup(self, transport, krpc, infohash20, family).run()
        finally:
            transport.close()


class _Lookup:
    def __init__(
        self,
        client: DhtClient,
        transport: asyncio.DatagramTransport,
        krpc: _Krpc,
        infohash: bytes,
        family: socket.AddressFamily,
    ) -> None:
        self.client, self.transport, self.krpc, self.infohash = client, transport, krpc, infohash
        self.v6 = family == socket.AF_INET6
        self.node_id = os.urandom(20)  # random per lookup: nothing links one lookup to the next
        self.known: dict[Address, bytes | None] = dict.fromkeys(client.bootstrap)  # address -> node id
        self.asked: set[Address] = set()
        self.answered = 0
        self.found: dict[Address, DiscoveredPeer] = {}

    async def run(self) -> list[DiscoveredPeer]:
        with contextlib.suppress(TimeoutError):  # the deadline ends the walk; what was found stands
            async with asyncio.timeout(self.client.deadline):
                for _ in range(self.client.max_rounds):
                    batch = self._next_batch()
                    if not batch:
                        break
                    await asyncio.gather(*(self._ask(addr) for addr in batch))
        if not self.answered:
            raise DiscoveryError(
                f"no DHT node answered get_peers within {self.client.deadline} s: "
                "check the bootstrap nodes are up and reachable"
            )
        return list(self.found.values())

    def _rank(self, addr: Address) -> int:
        node_id = self.known[addr]
        return -1 if node_id is None else _distance(node_id, self.infohash)  # bootstrap nodes first

    def _next_batch(self) -> list[Address]:
        closest = sorted(self.known, key=self._rank)[: self.client.k]
        unasked = [addr for addr in closest if addr not in self.asked]
        return unasked[: self.client.alpha] if self.asked else unasked

    async def _ask(self, addr: Address) -> None:
        self.asked.add(addr)
        tid = os.urandom(2)
        while tid in self.krpc.pending:
            tid = os.urandom(2)
        query: Value = {
            b"t": tid,
            b"y": b"q",
            b"q": b"get_peers",
            b"a": {b"id": self.node_id, b"info_hash": self.infohash},
            b"ro": 1,  # BEP 43: we are read-only, do not add us to routing tables
        }
        future: asyncio.Future[dict[bytes, Value]] = asyncio.get_running_loop().create_future()
        self.krpc.pending[tid] = (addr, future)
        try:
            self.transport.sendto(encode(query), addr)
            async with asyncio.timeout(self.client.query_timeout):
                reply = _parse_reply(await future)
        except (TimeoutError, DiscoveryError):
            self.known.pop(addr, None)  # silent or broken: never ask it again, never rank by it
            return
        finally:
            self.krpc.pending.pop(tid, None)
        self.answered += 1
        self.known[addr] = reply.node_id
        when = utc_now()
        for peer in reply.values:
            if peer[1] and peer not in self.found:
                self.found[peer] = DiscoveredPeer(peer[0], peer[1], Method.DHT, _label(addr, reply), when)
        for node_id, ip, port in reply.nodes:
            node = (ip, port)
            if port == 0 or (":" in ip) != self.v6 or node in self.asked or node_id == self.node_id:
                continue
            if not self.client.allow_remote and not is_loopback(ip):
                continue  # a remote node named by a loopback one: not ours to contact without permission
            self.known.setdefault(node, node_id)
