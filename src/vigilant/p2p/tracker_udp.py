"""UDP tracker announce (BEP 15): connect, then announce, each matched by a random transaction id.

BEP 15 retries a lost request after 15 * 2**n seconds; we keep that back-off but stop after ``retries``
retries (the BEP allows 8, an hour: far too long for an observer sweep). Datagrams carrying another
transaction id are ignored, not trusted: anyone can send a UDP packet to our port.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
from urllib.parse import urlsplit

from vigilant.p2p import compact
from vigilant.p2p.discovery import DiscoveryError, require_loopback
from vigilant.p2p.tracker_announce import Announce, AnnounceReply, TrackerFailureError

PROTOCOL_ID = 0x41727101980
CONNECT, ANNOUNCE, ERROR = 0, 1, 3
EVENTS = {"started": 2, "stopped": 3}
_ANNOUNCE = struct.Struct(">QII20s20sQQQIIIiH")  # 98 bytes


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes | Exception] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self.queue.put_nowait(data)

    def error_received(self, exc: Exception) -> None:
        self.queue.put_nowait(exc)  # e.g. ICMP port unreachable: nothing listens there


class _Exchange:
    def __init__(self, url: str, transport: asyncio.DatagramTransport, inbox: _Inbox) -> None:
        self.url, self.transport, self.inbox = url, transport, inbox

    async def request(self, body: bytes, action: int, retry_timeout: float, retries: int) -> bytes:
        """Send ``body`` (its action and a fresh transaction id are prefixed) until a matching reply."""
        for attempt in range(retries + 1):
            tx = int.from_bytes(os.urandom(4), "big")
            self.transport.sendto(body[:8] + struct.pack(">II", action, tx) + body[8:])
            wait = retry_timeout * 2**attempt
            try:
                async with asyncio.timeout(wait):
                    return await self._reply(tx, action)
            except TimeoutError:
                continue
        raise DiscoveryError(
            f"UDP tracker {self.url} did not answer after {retries + 1} tries; check it is up, or try later"
        )

    async def _reply(self, tx: int, action: int) -> bytes:
        while True:
            item = await self.inbox.queue.get()
            if isinstance(item, Exception):
                raise DiscoveryError(f"UDP tracker {self.url} is unreachable: {item}")
            if len(item) < 8:
                continue
            got_action, got_tx = struct.unpack_from(">II", item)
            if got_tx != tx:
                continue  # a late reply to an earlier try, or a forged packet
            if got_action == ERROR:
                message = item[8:].decode("utf-8", "replace")
                raise TrackerFailureError(f"UDP tracker {self.url} refused the announce: {message}")
            if got_action != action:
                raise DiscoveryError(
                    f"UDP tracker {self.url} answered action {got_action}, expected {action}"
                )
            return item[8:]


async def _resolve(url: str, allow_remote: bool) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "udp" or not parts.hostname or not parts.port:
        raise DiscoveryError(f"not a UDP tracker URL (udp://host:port/announce): {url!r}")
    require_loopback(parts.hostname, "tracker", allow_remote=allow_remote)
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port, type=socket.SOCK_DGRAM)
    address = infos[0][4]
    return str(address[0]), int(address[1])


async def udp_announce(
    url: str, announce: Announce, *, timeout: float, retry_timeout: float, retries: int, allow_remote: bool
) -> AnnounceReply:
    """Connect and announce; ``timeout`` bounds the whole exchange whatever the retries add up to."""
    try:
        async with asyncio.timeout(timeout):
            address = await _resolve(url, allow_remote)
            loop = asyncio.get_running_loop()
            transport, inbox = await loop.create_datagram_endpoint(_Inbox, remote_addr=address)
            try:
                return await _connect_and_announce(
                    _Exchange(url, transport, inbox), announce, retry_timeout, retries, address[0]
                )
            finally:
                transport.close()
    except TimeoutError:
        raise DiscoveryError(f"UDP tracker {url} did not finish within {timeout} s; try later") from None
    except OSError as exc:
        raise DiscoveryError(f"cannot reach UDP tracker {url}: {exc}") from None


async def _connect_and_announce(
    exchange: _Exchange, announce: Announce, retry_timeout: float, retries: int, tracker_ip: str
) -> AnnounceReply:
    reply = await exchange.request(struct.pack(">Q", PROTOCOL_ID), CONNECT, retry_timeout, retries)
    if len(reply) < 8:
        raise DiscoveryError(f"UDP tracker {exchange.url} sent a connect reply of {len(reply) + 8} bytes")
    (connection_id,) = struct.unpack_from(">Q", reply)
    packed = _ANNOUNCE.pack(
        connection_id, 0, 0,  # action and transaction id are filled in per try
        announce.infohash, announce.peer_id,
        0, announce.left, 0,  # downloaded, left, uploaded
        EVENTS[announce.event], 0,  # ip 0: the tracker uses the sender's address, we never spoof one
        int.from_bytes(os.urandom(4), "big"), announce.policy.numwant, announce.policy.port,
    )  # fmt: skip
    body = packed[:8] + packed[16:]
    reply = await exchange.request(body, ANNOUNCE, retry_timeout, retries)
    if len(reply) < 12:
        raise DiscoveryError(f"UDP tracker {exchange.url} sent an announce reply of {len(reply) + 8} bytes")
    raw = reply[12:]  # after interval, leechers, seeders
    sock = exchange.transport.get_extra_info("socket")
    local_ip = str(sock.getsockname()[0]) if sock is not None else ""
    try:
        # BEP 15: a tracker reached over IPv6 answers with 18-byte IPv6 entries
        peers = compact.peers6(raw) if ":" in tracker_ip else compact.peers4(raw)
    except compact.CompactError as exc:
        raise DiscoveryError(
            f"UDP tracker {exchange.url}: {exc}; the reply was cut short or is malformed"
        ) from None
    return AnnounceReply(peers=peers, peer_ids={}, local_ip=local_ip)
