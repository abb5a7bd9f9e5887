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
from vigilant.p2p.torrent import BLOCK, block_hashes, merkle_root, zero_subtree

PIECE = 32 * 1024


@dataclass
class Content:
    data: bytes
    torrent: bytes
    info_raw: bytes
    infohash: bytes  # v1: SHA-1 of the info dict; v2: SHA-256 (the magnet's btmh)
    layer: tuple[bytes, ...] = ()  # v2: the file's piece layer (never in the info dict)

    def piece(self, index: int) -> bytes:
        return self.data[index * PIECE : (index + 1) * PIECE]


def make_v1(size: int = 5 * PIECE - 1000, seed: int = 7) -> Content:
    data = random.Random(seed).randbytes(size)
    pieces = b"".join(hashlib.sha1(data[i : i + PIECE]).digest() for i in range(0, size, PIECE))
    info = encode({b"name": b"x.bin", b"piece length": PIECE, b"pieces": pieces, b"length": size})
    return Content(data, _torrent(info), info, hashlib.sha1(info).digest())


def make_v2(size: int = 5 * PIECE - 1000, seed: int = 7) -> Content:
    """A v2-only single-file torrent of several pieces (its piece layer kept aside, as a magnet lacks it)."""
    data = random.Random(seed).randbytes(size)
    per_piece = PIECE // BLOCK
    layer = tuple(
        merkle_root(block_hashes(data[i : i + PIECE]), width=per_piece) for i in range(0, size, PIECE)
    )
    root = merkle_root(list(layer), pad=zero_subtree(per_piece))
    tree: dict[bytes, Value] = {b"x.bin": {b"": {b"length": size, b"pieces root": root}}}
    info = encode({b"file tree": tree, b"meta version": 2, b"name": b"x.bin", b"piece length": PIECE})
    return Content(data, _torrent(info), info, hashlib.sha256(info).digest(), layer)


def hash_answer(content: Content, head: wire.HashHeader) -> list[bytes]:
    """The honest BEP 52 answer: the requested piece-layer hashes, then the uncles up to the root."""
    width = 1 << (len(content.layer) - 1).bit_length()
    nodes = list(content.layer) + [zero_subtree(PIECE // BLOCK)] * (width - len(content.layer))
    out = nodes[head.index : head.index + head.length]
    levels = [nodes]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([hashlib.sha256(below[i] + below[i + 1]).digest() for i in range(0, len(below), 2)])
    depth = (head.length - 1).bit_length()  # the level of the requested run's subtree root
    position = head.index // head.length
    for level in levels[depth:-1]:
        out.append(level[position ^ 1])
        position //= 2
    return out


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
    # v2 hash request (BEP 52): serve | wrong_proof | wrong_piece_hash | reject | extra | flood | malformed
    # | misaligned | other_index | ignore
    on_hash_request: str = "serve"


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
            elif msg.id == wire.MsgId.HASH_REQUEST:
                writer.write(self._hashes(wire.parse_hash_header(msg.payload)[0]))
            elif msg.id == wire.MsgId.EXTENDED and msg.payload[:1] == b"\x03" and s.metadata is not None:
                req = decode(msg.payload[1:])
                assert isinstance(req, dict)
                piece = req[b"piece"]
                assert isinstance(piece, int)
                chunk = s.metadata[piece * 16384 : (piece + 1) * 16384]
                head = encode({b"msg_type": 1, b"piece": piece, b"total_size": len(s.metadata)})
                writer.write(wire.extended(wire.UT_METADATA_ID, head + chunk))
            await writer.drain()

    def _hashes(self, head: wire.HashHeader) -> bytes:
        mode = self.script.on_hash_request
        hashes = hash_answer(self.content, head)
        if mode == "wrong_proof":  # the last uncle altered: the proof no longer leads to the root
            hashes[-1] = bytes(32)
        elif mode == "wrong_piece_hash":  # a lie about the piece, with the other hashes honest
            hashes[0] = hashlib.sha256(b"not the piece").digest()
        elif mode == "reject":
            return wire.frame(wire.MsgId.HASH_REJECT, head.pack())
        elif mode == "extra":  # more hashes than were asked for (still inside the frame limit)
            hashes += [bytes(32)] * 20_000
        elif mode == "flood":  # a frame past the observer's limit
            return struct.pack(">IB", (2 << 20) + 1, wire.MsgId.HASHES) + head.pack()
        elif mode == "malformed":
            return wire.frame(wire.MsgId.HASHES, head.pack()[:20])
        elif mode == "misaligned":
            return wire.frame(wire.MsgId.HASHES, head.pack() + b"".join(hashes) + b"\x01\x02")
        elif mode == "other_index":  # an answer to a request we never made: must be ignored
            other = wire.HashHeader(head.pieces_root, head.base, head.index + head.length, head.length, 0)
            return wire.frame(wire.MsgId.HASHES, other.pack() + b"".join(hashes[: head.length]))
        elif mode == "ignore":
            return b""
        return wire.frame(wire.MsgId.HASHES, head.pack() + b"".join(hashes))
