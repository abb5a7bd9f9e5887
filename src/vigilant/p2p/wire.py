"""The BitTorrent peer wire (BEP 3, 6, 9, 10, 52) over asyncio streams: handshake, framing, messages.

Only what an observer needs: everything the peer sends is parsed defensively (a malformed or oversized
frame is a :class:`PeerError`, never a crash), and the builders offer no way to send a piece or claim
to have one — the observer cannot distribute by construction.
"""

from __future__ import annotations

import asyncio
import os
import re
import struct
from dataclasses import dataclass
from enum import IntEnum

from vigilant.p2p.bencode import BencodeError, Value, decode_prefix, encode

PROTOCOL = b"\x13BitTorrent protocol"
HANDSHAKE_LEN = 68
MAX_FRAME = 1 << 20  # a 16 KiB block or a bitfield of 8M pieces fits; anything bigger is hostile
UT_METADATA_ID = 1  # the extended-message id we ask peers to use for ut_metadata sent to us
UT_PEX_ID = 2  # likewise for ut_pex (BEP 11): we read the peers a peer names, and never send any
METADATA_PIECE = 16 * 1024


class PeerError(Exception):
    """The peer broke the protocol (bad handshake, malformed or oversized frame): drop it, keep observing."""


class MsgId(IntEnum):
    CHOKE = 0
    UNCHOKE = 1
    INTERESTED = 2
    NOT_INTERESTED = 3
    HAVE = 4
    BITFIELD = 5
    REQUEST = 6
    PIECE = 7
    CANCEL = 8
    PORT = 9
    SUGGEST = 13
    HAVE_ALL = 14
    HAVE_NONE = 15
    REJECT = 16
    ALLOWED_FAST = 17
    EXTENDED = 20
    HASH_REQUEST = 21
    HASHES = 22
    HASH_REJECT = 23


# --- handshake ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Handshake:
    reserved: bytes
    infohash: bytes
    peer_id: bytes

    @property
    def ltep(self) -> bool:
        return bool(self.reserved[5] & 0x10)

    @property
    def fast(self) -> bool:
        return bool(self.reserved[7] & 0x04)

    @property
    def v2(self) -> bool:
        return bool(self.reserved[7] & 0x10)


def reserved_bits(*, ltep: bool = True, fast: bool = True, v2: bool = False) -> bytes:
    reserved = bytearray(8)
    if ltep:
        reserved[5] |= 0x10
    if fast:
        reserved[7] |= 0x04
    if v2:
        reserved[7] |= 0x10
    return bytes(reserved)


def build_handshake(infohash: bytes, peer_id: bytes, reserved: bytes) -> bytes:
    if len(infohash) != 20 or len(peer_id) != 20 or len(reserved) != 8:
        raise ValueError("handshake needs a 20-byte infohash, a 20-byte peer id and 8 reserved bytes")
    return PROTOCOL + reserved + infohash + peer_id


def new_peer_id(prefix: bytes) -> bytes:
    """A fresh peer id per probe: seeders drop a second connection that reuses one."""
    return prefix + os.urandom(20 - len(prefix))


async def read_handshake(reader: asyncio.StreamReader) -> Handshake:
    try:
        data = await reader.readexactly(HANDSHAKE_LEN)
    except asyncio.IncompleteReadError as exc:
        raise PeerError(f"connection closed during the handshake after {len(exc.partial)} bytes") from None
    if data[:20] != PROTOCOL:
        raise PeerError(f"not a BitTorrent handshake: {data[:20]!r}")
    return Handshake(data[20:28], data[28:48], data[48:68])


# --- framing -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    id: int | None  # None: keep-alive
    payload: bytes = b""


def frame(msg_id: int, payload: bytes = b"") -> bytes:
    return struct.pack(">IB", len(payload) + 1, msg_id) + payload


KEEP_ALIVE = b"\0\0\0\0"


async def read_message(reader: asyncio.StreamReader, max_frame: int = MAX_FRAME) -> Message:
    try:
        (length,) = struct.unpack(">I", await reader.readexactly(4))
        if length == 0:
            return Message(None)
        if length > max_frame:
            raise PeerError(f"frame of {length} bytes exceeds the {max_frame}-byte limit")
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError as exc:
        raise PeerError(f"connection closed mid-frame ({len(exc.partial)} bytes read)") from None
    return Message(body[0], body[1:])


# --- message builders (none of them can offer data) --------------------------------------------------------
def interested() -> bytes:
    return frame(MsgId.INTERESTED)


def have_none() -> bytes:
    return frame(MsgId.HAVE_NONE)


def empty_bitfield(num_pieces: int) -> bytes:
    return frame(MsgId.BITFIELD, bytes((num_pieces + 7) // 8))


def request(index: int, begin: int, length: int) -> bytes:
    return frame(MsgId.REQUEST, struct.pack(">III", index, begin, length))


def extended(ext_id: int, payload: bytes) -> bytes:
    return frame(MsgId.EXTENDED, bytes([ext_id]) + payload)


def ltep_handshake(client_version: str | None, *, pex: bool = False) -> bytes:
    """Our LTEP handshake: ut_metadata, and ut_pex when we want the peer's PEX (we send none back)."""
    extensions: dict[bytes, Value] = {b"ut_metadata": UT_METADATA_ID}
    if pex:
        extensions[b"ut_pex"] = UT_PEX_ID
    body: dict[bytes, Value] = {b"m": extensions}
    if client_version:
        body[b"v"] = client_version.encode()
    return extended(0, encode(body))


def metadata_request(ext_id: int, piece: int) -> bytes:
    return extended(ext_id, encode({b"msg_type": 0, b"piece": piece}))


@dataclass(frozen=True)
class HashHeader:
    """The 48-byte head shared by BEP 52 hash request (21), hashes (22) and hash reject (23)."""

    pieces_root: bytes  # the file's Merkle root (32 bytes)
    base: int  # the requested layer: 0 = 16 KiB blocks, log2(piece length / 16 KiB) = the piece layer
    index: int  # position of the first requested hash in that layer (a multiple of length)
    length: int  # how many hashes of that layer (a power of two, >= 2)
    proof_layers: int  # how many ancestor layers the uncle hashes cover, counted from the base layer

    def pack(self) -> bytes:
        return self.pieces_root + struct.pack(">IIII", self.base, self.index, self.length, self.proof_layers)


HASH_HEADER_LEN = 48


def hash_request(header: HashHeader) -> bytes:
    """BEP 52 hash request. There is deliberately no builder for hashes (22) or hash reject (23): we never
    serve hashes, so the observer cannot answer a peer's hash request."""
    if len(header.pieces_root) != 32:
        raise ValueError("a hash request needs a 32-byte pieces root")
    return frame(MsgId.HASH_REQUEST, header.pack())


def parse_hash_header(payload: bytes) -> tuple[HashHeader, bytes]:
    """The 48-byte head of a hash request / hashes / hash reject and what follows it."""
    if len(payload) < HASH_HEADER_LEN:
        raise PeerError(f"hash message of {len(payload)} bytes is shorter than its 48-byte header")
    base, index, length, proof_layers = struct.unpack(">IIII", payload[32:HASH_HEADER_LEN])
    return HashHeader(payload[:32], base, index, length, proof_layers), payload[HASH_HEADER_LEN:]


# --- message parsers ---------------------------------------------------------------------------------------
def parse_u32(payload: bytes, what: str) -> int:
    if len(payload) != 4:
        raise PeerError(f"{what} payload is {len(payload)} bytes, not 4")
    value: int = struct.unpack(">I", payload)[0]
    return value


def parse_block(payload: bytes) -> tuple[int, int, bytes]:
    if len(payload) < 8:
        raise PeerError("piece message shorter than its header")
    index, begin = struct.unpack(">II", payload[:8])
    return index, begin, payload[8:]


def parse_request(payload: bytes) -> tuple[int, int, int]:
    if len(payload) != 12:
        raise PeerError(f"request/reject payload is {len(payload)} bytes, not 12")
    index, begin, length = struct.unpack(">III", payload)
    return index, begin, length


def parse_bitfield(payload: bytes, num_pieces: int) -> set[int]:
    """Set bits, MSB first; the length must fit the torrent and the spare bits must be zero."""
    if len(payload) != (num_pieces + 7) // 8:
        raise PeerError(f"bitfield of {len(payload)} bytes for {num_pieces} pieces")
    have = {i for i in range(len(payload) * 8) if payload[i >> 3] & (0x80 >> (i & 7))}
    if any(i >= num_pieces for i in have):
        raise PeerError("bitfield sets spare bits past the last piece")
    return have


@dataclass(frozen=True)
class Extended:
    ext_id: int
    header: dict[bytes, Value]
    trailer: bytes  # the raw bytes after the bencoded dict (ut_metadata data)


def parse_extended(payload: bytes) -> Extended:
    if not payload:
        raise PeerError("empty extended message")
    try:
        header, end = decode_prefix(payload[1:])
    except (BencodeError, IndexError) as exc:
        raise PeerError(f"extended message {payload[0]} is not bencoded: {exc}") from None
    if not isinstance(header, dict):
        raise PeerError(f"extended message {payload[0]} is not a dict")
    return Extended(payload[0], header, payload[1 + end :])


@dataclass(frozen=True)
class LtepInfo:
    ut_metadata: int | None  # the id the peer wants our ut_metadata messages to carry
    metadata_size: int | None
    version: str | None
    ut_pex: int | None = None  # set when the peer offers PEX: it may then send us ut_pex messages


def _ext_id(m: Value | None, name: bytes) -> int | None:
    value = m.get(name) if isinstance(m, dict) else None
    return value if isinstance(value, int) and 0 < value < 256 else None


def parse_ltep_handshake(header: dict[bytes, Value]) -> LtepInfo:
    m = header.get(b"m")
    size = header.get(b"metadata_size")
    v = header.get(b"v")
    return LtepInfo(
        _ext_id(m, b"ut_metadata"),
        size if isinstance(size, int) and size > 0 else None,
        v.decode("utf-8", "replace")[:100] if isinstance(v, bytes) else None,
        _ext_id(m, b"ut_pex"),
    )


# --- client identity (BEP 20) ------------------------------------------------------------------------------
AZUREUS_CLIENTS = {
    "LT": "libtorrent",
    "lt": "libTorrent (rakshasa)",
    "qB": "qBittorrent",
    "TR": "Transmission",
    "UT": "µTorrent",
    "UM": "µTorrent Mac",
    "UW": "µTorrent Web",
    "DE": "Deluge",
    "AZ": "Vuze",
    "BC": "BitComet",
    "BT": "BitTorrent",
    "KT": "KTorrent",
    "BI": "BiglyBT",
    "WW": "WebTorrent",
    "FD": "Free Download Manager",
    "VG": "Vigilant",
}
_AZUREUS = re.compile(rb"-([A-Za-z~]{2})([0-9A-Za-z]{4})-")
_ARIA2 = re.compile(rb"A2-(\d+)-(\d+)-(\d+)-")
_MAINLINE = re.compile(rb"([MQ])(\d+)-(\d+)-(\d+)-")


def client_label(peer_id: bytes) -> str | None:
    """A readable client name from a peer id, or None when the style is not recognised."""
    if m := _AZUREUS.match(peer_id):
        code = m.group(1).decode()
        name = AZUREUS_CLIENTS.get(code, f"unknown ({code})")
        version = ".".join(_digit(c) for c in m.group(2).decode())
        return f"{name} {version}"
    if m := _ARIA2.match(peer_id):
        return "aria2 " + ".".join(g.decode() for g in m.groups())
    if m := _MAINLINE.match(peer_id):
        name = "BitTorrent (mainline)" if m.group(1) == b"M" else "Queen Bee"
        return name + " " + ".".join(g.decode() for g in m.groups()[1:])
    return None


def _digit(c: str) -> str:
    """Azureus version characters: 0-9, then A=10 … (libtorrent uses this for two-digit parts)."""
    return str(int(c, 36)) if c.isalnum() else c
