"""A scripted BitTorrent peer on 127.0.0.1 that misbehaves on purpose (adversarial tests)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
import struct
from dataclasses import dataclass, field
from types import TracebackType

from vigilant.p2p import wire
from vigilant.p2p.bencode import Value, decode, encode

PIECE = 32 * 1024


@dataclass
class Content:
    data: bytes
    torrent: bytes
    info_raw: bytes
    infohash: bytes

    def piece(self, index: int) -> bytes:
        return self.data[index * PIECE : (index + 1) * PIECE]


def make_v1(size: int = 5 * PIECE - 1000, seed: int = 7) -> Content:
    data = random.Random(seed).randbytes(size)
    pieces = b"".join(hashlib.sha1(data[i : i + PIECE]).digest() for i in range(0, size, PIECE))
    info = encode({b"name": b"x.bin", b"piece length": PIECE, b"pieces": pieces, b"length": size})
    return Content(data, _torrent(info), info, hashlib.sha1(info).digest())


def _torrent(info: bytes) -> bytes:
    return b"d4:info" + info + b"e"


@dataclass
class Script:
    """What the peer does; every field defaults to a well-behaved seeder using the Fast extension."""

    infohash: bytes | None = None  # answer with this hash instead of echoing
    fast: bool = True
    opening: list[bytes] = field(default_factory=lambda: [wire.frame(wire.MsgId.HAVE_ALL)])
    unchoke: bool = True
    on_request: str = "serve"  # serve | garbage | reject | ignore
    metadata: bytes | None = None  # ut_metadata served when the observer asks
    raw_after_handshake: bytes = b""
    drip: float = 0.0  # seconds between handshake bytes (slow-loris)
    trickle_haves: bool = False  # super-seeding: one HAVE per request round


class FakePeer:
    def __init__(self, content: Content, script: Script) -> None:
        self.content = content
        self.script = script
        self.received: list[int | None] = []  # message ids the observer sent us
        self.handshakes: list[bytes] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    async def __aenter__(self) -> FakePeer:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._talk(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, wire.PeerError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _talk(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        s = self.script
        theirs = await reader.readexactly(68)
        self.handshakes.append(theirs)
        reserved = wire.reserved_bits(fast=s.fast)
        reply = wire.build_handshake(s.infohash or theirs[28:48], b"-LT2110-" + bytes(12), reserved)
        if s.drip:
            for byte in reply:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(s.drip)
        writer.write(reply)
        meta_size = len(s.metadata) if s.metadata is not None else None
        ltep: dict[bytes, Value] = {b"m": {b"ut_metadata": 3}, b"v": b"fake 1.0"}
        if meta_size:
            ltep[b"metadata_size"] = meta_size
        for opening in s.opening:
            writer.write(opening)
        writer.write(wire.extended(0, encode(ltep)))
        writer.write(s.raw_after_handshake)
        await writer.drain()
        sent_have = 0
        while True:
            msg = await wire.read_message(reader, 1 << 20)
            self.received.append(msg.id)
            if msg.id == wire.MsgId.INTERESTED and s.unchoke:
                writer.write(wire.frame(wire.MsgId.UNCHOKE))
            elif msg.id == wire.MsgId.REQUEST:
                index, begin, length = struct.unpack(">III", msg.payload)
                if s.trickle_haves and sent_have < 5:
                    writer.write(wire.frame(wire.MsgId.HAVE, struct.pack(">I", sent_have)))
                    sent_have += 1
                if s.on_request == "serve":
                    block = self.content.piece(index)[begin : begin + length]
                    writer.write(wire.frame(wire.MsgId.PIECE, struct.pack(">II", index, begin) + block))
                elif s.on_request == "garbage":
                    writer.write(
                        wire.frame(wire.MsgId.PIECE, struct.pack(">II", index, begin) + bytes(length))
                    )
                elif s.on_request == "reject":
                    writer.write(wire.frame(wire.MsgId.REJECT, msg.payload))
            elif msg.id == wire.MsgId.EXTENDED and msg.payload[:1] == b"\x03" and s.metadata is not None:
                req = decode(msg.payload[1:])
                assert isinstance(req, dict)
                piece = req[b"piece"]
                assert isinstance(piece, int)
                chunk = s.metadata[piece * 16384 : (piece + 1) * 16384]
                head = encode({b"msg_type": 1, b"piece": piece, b"total_size": len(s.metadata)})
                writer.write(wire.extended(wire.UT_METADATA_ID, head + chunk))
            await writer.drain()
