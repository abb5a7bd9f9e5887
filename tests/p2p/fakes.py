"""Fake trackers on loopback (asyncio) that misbehave on purpose, and record what they were sent."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import cast


@dataclass
class HttpTracker:
    url: str
    requests: list[str] = field(default_factory=list)  # request lines, in order


@asynccontextmanager
async def http_tracker(body: bytes | None, status: str = "200 OK") -> AsyncIterator[HttpTracker]:
    """Answers every request with ``body``; ``None`` means never answer (a hung tracker)."""
    stalled: list[asyncio.Event] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        fake.requests.append(head.split(b"\r\n", 1)[0].decode("ascii"))
        if body is None:
            gate = asyncio.Event()
            stalled.append(gate)
            await gate.wait()
        else:
            writer.write(f"HTTP/1.0 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    fake = HttpTracker(f"http://127.0.0.1:{port}/announce")
    try:
        yield fake
    finally:
        for gate in stalled:
            gate.set()
        server.close()
        await server.wait_closed()


Reply = Callable[[bytes], bytes | None]  # a request datagram in, the answer (or None: stay silent) out


class _UdpServer(asyncio.DatagramProtocol):
    def __init__(self, reply: Reply, log: list[bytes]) -> None:
        self.reply, self.log = reply, log
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # selector transports don't subclass it

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.log.append(data)
        answer = self.reply(data)
        if answer is not None and self.transport is not None:
            self.transport.sendto(answer, addr)


@dataclass
class UdpTracker:
    url: str
    received: list[bytes]


@asynccontextmanager
async def udp_tracker(reply: Reply, host: str = "127.0.0.1") -> AsyncIterator[UdpTracker]:
    log: list[bytes] = []
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: _UdpServer(reply, log), local_addr=(host, 0))
    port = transport.get_extra_info("sockname")[1]
    shown = f"[{host}]" if ":" in host else host
    try:
        yield UdpTracker(f"udp://{shown}:{port}/announce", log)
    finally:
        transport.close()


def bep15(peers: bytes, *, tx_shift: int = 0) -> Reply:
    """A correct BEP 15 tracker answering ``peers`` (already compact), with ``tx_shift`` added to every
    transaction id (non-zero: a tracker, or a forger, answering the wrong request)."""

    def reply(data: bytes) -> bytes:
        action, tx = struct.unpack_from(">II", data, 8)
        tx = (tx + tx_shift) & 0xFFFFFFFF
        if action == 0:
            return struct.pack(">IIQ", 0, tx, 0x1234)
        return struct.pack(">IIIII", 1, tx, 1800, 0, 1) + peers

    return reply


def bep15_error(message: bytes) -> Reply:
    def reply(data: bytes) -> bytes:
        _, tx = struct.unpack_from(">II", data, 8)
        return struct.pack(">II", 3, tx) + message

    return reply


def silent(data: bytes) -> None:
    return None
