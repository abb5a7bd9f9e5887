"""Torrent metainfo (v1, v2 per BEP 52, hybrid) and magnet links: the targets the observer confirms.

Infohashes are hashes of the info dict's raw bytes as found in the file (v1 SHA-1, v2 SHA-256): a
re-encoding could differ, so we hash the span the strict decoder reports. A piece index on the wire is
global; for v2 every file starts on a piece boundary, so the piece map is built per file.
"""

from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vigilant.errors import BadInputError
from vigilant.p2p.bencode import BencodeError, Span, Value, decode_with_spans, encode

BLOCK = 16 * 1024  # the v2 Merkle leaf size, and the request size every client accepts
ZERO_LEAF = bytes(32)


class TorrentError(BadInputError):
    """A torrent or magnet that cannot be used as a target; the message names the field and offset."""


@dataclass(frozen=True)
class FileEntry:
    path: tuple[str, ...]
    length: int
    offset: int  # start in the v1 byte space (pad files included); for v2-only, in the v2 piece space
    first_piece: int  # global index of the file's first piece
    pieces_root: bytes | None = None  # v2 Merkle root over 16 KiB blocks
    pad: bool = False


@dataclass(frozen=True)
class PieceSpan:
    """Where a piece's bytes lie, and how long it is on the wire."""

    index: int
    length: int  # bytes requested from the peer
    file: FileEntry | None  # the v2 file holding it (None for v1-only)
    file_piece: int  # the piece's index within that file


@dataclass(frozen=True)
class Metainfo:
    name: str
    piece_length: int
    info_raw: bytes
    infohash_v1: bytes | None
    infohash_v2: bytes | None  # the full 32 bytes; the wire carries the first 20
    v1_pieces: tuple[bytes, ...] = ()
    files: tuple[FileEntry, ...] = ()
    piece_layers: dict[bytes, bytes] = field(default_factory=dict)  # pieces root -> concatenated hashes

    @property
    def total_length(self) -> int:
        return sum(f.length for f in self.files if not f.pad)

    @property
    def num_pieces(self) -> int:
        if self.v1_pieces:
            return len(self.v1_pieces)
        return sum(_file_pieces(f.length, self.piece_length) for f in self.files)

    def piece_span(self, index: int) -> PieceSpan:
        if not 0 <= index < self.num_pieces:
            raise TorrentError(f"piece {index} outside 0..{self.num_pieces - 1}")
        v2_file: FileEntry | None = None
        for f in self.files:
            if f.pieces_root is not None and f.first_piece <= index < f.first_piece + _file_pieces(
                f.length, self.piece_length
            ):
                v2_file = f
        file_piece = index - v2_file.first_piece if v2_file else index
        if self.v1_pieces:  # the v1 byte space decides what the peer sends (pad bytes included)
            space = sum(f.length for f in self.files)
            length = min(self.piece_length, space - index * self.piece_length)
        else:
            assert v2_file is not None
            length = min(self.piece_length, v2_file.length - file_piece * self.piece_length)
        return PieceSpan(index, length, v2_file, file_piece)

    def wire_hashes(self) -> list[bytes]:
        """The 20-byte hashes a peer may echo in its handshake (one per swarm of a hybrid)."""
        return [h[:20] for h in (self.infohash_v1, self.infohash_v2) if h is not None]


@dataclass(frozen=True)
class Magnet:
    infohash_v1: bytes | None
    infohash_v2: bytes | None
    name: str | None
    trackers: tuple[str, ...]
    peers: tuple[str, ...]  # x.pe host:port hints


def _file_pieces(length: int, piece_length: int) -> int:
    return math.ceil(length / piece_length) if length else 0


# --- parsing -----------------------------------------------------------------------------------------------
class _Fields:
    """Typed access to a decoded dict that names the key path and byte offset when a field is wrong."""

    def __init__(self, spans: dict[tuple[bytes, ...], Span]) -> None:
        self.spans = spans

    def where(self, path: tuple[bytes, ...]) -> str:
        span = self.spans.get(path)
        name = "/".join(p.decode("utf-8", "replace") for p in path) or "top level"
        return f"{name} (byte {span.start})" if span else name

    def get(self, d: dict[bytes, Value], path: tuple[bytes, ...], kind: type, required: bool = True) -> Any:
        value = d.get(path[-1])
        if value is None:
            if required:
                raise TorrentError(f"missing {self.where(path)}", hint="the torrent file is incomplete")
            return None
        if not isinstance(value, kind):
            raise TorrentError(f"{self.where(path)} must be {kind.__name__}", hint="the torrent is malformed")
        return value


def parse_torrent(data: bytes) -> Metainfo:
    """Parse a .torrent file (v1, v2 or hybrid); raises :class:`TorrentError` naming what is wrong."""
    try:
        top, spans = decode_with_spans(data)
    except BencodeError as exc:
        raise TorrentError(f"not a torrent: {exc}", hint="check the file is a .torrent, not HTML") from exc
    if not isinstance(top, dict):
        raise TorrentError("not a torrent: the top level is not a dict")
    f = _Fields(spans)
    info = f.get(top, (b"info",), dict)
    assert isinstance(info, dict)
    span = spans[(b"info",)]
    info_raw = data[span.start : span.end]
    piece_length = f.get(info, (b"info", b"piece length"), int)
    assert isinstance(piece_length, int)
    if piece_length <= 0:
        raise TorrentError(f"{f.where((b'info', b'piece length'))} must be positive")
    name = _text(f.get(info, (b"info", b"name"), bytes), f.where((b"info", b"name")))
    version = f.get(info, (b"info", b"meta version"), int, required=False)
    has_v2 = version == 2
    if version not in (None, 2):
        raise TorrentError(f"{f.where((b'info', b'meta version'))} is {version}: only 2 is known")
    has_v1 = b"pieces" in info
    if not (has_v1 or has_v2):
        raise TorrentError("info has neither `pieces` (v1) nor `meta version` 2 (v2)")
    v1_pieces: tuple[bytes, ...] = ()
    files: tuple[FileEntry, ...]
    if has_v1:
        raw = f.get(info, (b"info", b"pieces"), bytes)
        assert isinstance(raw, bytes)
        if len(raw) % 20:
            raise TorrentError(f"{f.where((b'info', b'pieces'))} length {len(raw)} is not a multiple of 20")
        v1_pieces = tuple(raw[i : i + 20] for i in range(0, len(raw), 20))
    layers: dict[bytes, bytes] = {}
    if has_v2:
        if piece_length < BLOCK or piece_length & (piece_length - 1):
            raise TorrentError(f"v2 piece length {piece_length} must be a power of two >= 16 KiB")
        tree = f.get(info, (b"info", b"file tree"), dict)
        assert isinstance(tree, dict)
        files = _v2_files(tree, piece_length, f)
        if not (len(files) == 1 and len(files[0].path) == 1):  # a multi-file tree sits under `name`
            files = tuple(
                FileEntry((name, *x.path), x.length, x.offset, x.first_piece, x.pieces_root) for x in files
            )
        layers = _piece_layers(top, files, piece_length, f)
    if has_v1:
        v1_files = _v1_files(info, name, f)
        expected = _file_pieces(sum(x.length for x in v1_files), piece_length)
        if expected != len(v1_pieces):
            raise TorrentError(f"`pieces` lists {len(v1_pieces)} hashes; the files need {expected}")
        if not has_v2:
            files = v1_files
        else:  # hybrid: v1 offsets from the v1 list, v2 roots from the file tree, matched by path
            roots = {x.path: x for x in files}
            merged = []
            for x in v1_files:
                v2 = roots.get(x.path) if not x.pad else None
                if not x.pad and (v2 is None or v2.length != x.length):
                    raise TorrentError(f"hybrid: v1 file {'/'.join(x.path)} does not match its v2 entry")
                first = v2.first_piece if v2 else x.offset // piece_length
                root = v2.pieces_root if v2 else None
                merged.append(FileEntry(x.path, x.length, x.offset, first, root, x.pad))
            files = tuple(merged)
    return Metainfo(
        name=name,
        piece_length=piece_length,
        info_raw=info_raw,
        infohash_v1=hashlib.sha1(info_raw).digest() if has_v1 else None,
        infohash_v2=hashlib.sha256(info_raw).digest() if has_v2 else None,
        v1_pieces=v1_pieces,
        files=files,
        piece_layers=layers,
    )


def parse_info(info_raw: bytes, piece_layers: dict[bytes, bytes] | None = None) -> Metainfo:
    """Metainfo from raw info-dict bytes (fetched by ut_metadata); v2 piece layers are not in them."""
    # keys must be sorted: "info" < "piece layers", so this is strict bencode
    layers = b"12:piece layers" + encode(dict(piece_layers)) if piece_layers else b""
    body = b"d4:info" + info_raw + layers + b"e"
    return parse_torrent(body)


def _text(value: object, where: str) -> str:
    assert isinstance(value, bytes)
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise TorrentError(f"{where} is not UTF-8") from None


def _v1_files(info: dict[bytes, Value], name: str, f: _Fields) -> tuple[FileEntry, ...]:
    if b"length" in info:
        length = f.get(info, (b"info", b"length"), int)
        assert isinstance(length, int)
        return (FileEntry((name,), length, 0, 0),)
    entries = f.get(info, (b"info", b"files"), list)
    assert isinstance(entries, list)
    out: list[FileEntry] = []
    offset = 0
    piece_length = info[b"piece length"]
    assert isinstance(piece_length, int)
    for n, entry in enumerate(entries):
        where = f"{f.where((b'info', b'files'))} entry {n}"
        if not isinstance(entry, dict) or not isinstance(entry.get(b"length"), int):
            raise TorrentError(f"{where} needs an integer `length`")
        path = entry.get(b"path")
        if not isinstance(path, list) or not path or not all(isinstance(p, bytes) for p in path):
            raise TorrentError(f"{where} needs a non-empty `path` list")
        length = entry[b"length"]
        assert isinstance(length, int)
        if length < 0:
            raise TorrentError(f"{where} has a negative length")
        pad = b"p" in (entry.get(b"attr") or b"") if isinstance(entry.get(b"attr"), bytes) else False
        parts = tuple(_text(p, where) for p in path)
        out.append(FileEntry((name, *parts), length, offset, offset // piece_length, None, pad))
        offset += length
    return tuple(out)


def _v2_files(tree: dict[bytes, Value], piece_length: int, f: _Fields) -> tuple[FileEntry, ...]:
    out: list[FileEntry] = []
    piece = 0

    def walk(node: dict[bytes, Value], path: tuple[str, ...]) -> None:
        nonlocal piece
        for key in sorted(node):
            child = node[key]
            where = "info/file tree/" + "/".join((*path, key.decode("utf-8", "replace")))
            if not isinstance(child, dict):
                raise TorrentError(f"{where} must be a dict")
            if key == b"":  # a file's properties
                length = child.get(b"length")
                root = child.get(b"pieces root")
                if not isinstance(length, int) or length < 0:
                    raise TorrentError(f"{where} needs a non-negative integer `length`")
                if length and (not isinstance(root, bytes) or len(root) != 32):
                    raise TorrentError(f"{where} needs a 32-byte `pieces root`")
                out.append(FileEntry(path, length, piece * piece_length, piece, root if length else None))  # type: ignore[arg-type]
                piece += _file_pieces(length, piece_length)
            else:
                walk(child, (*path, _text(key, where)))

    walk(tree, ())
    if not out:
        raise TorrentError(f"{f.where((b'info', b'file tree'))} lists no files")
    return tuple(out)


def _piece_layers(
    top: dict[bytes, Value], files: tuple[FileEntry, ...], piece_length: int, f: _Fields
) -> dict[bytes, bytes]:
    layers = top.get(b"piece layers")
    if layers is None:
        return {}  # from a magnet: the layers come later (hash requests) or not at all
    if not isinstance(layers, dict) or not all(isinstance(v, bytes) for v in layers.values()):
        raise TorrentError(f"{f.where((b'piece layers',))} must map roots to byte strings")
    out: dict[bytes, bytes] = {}
    for entry in files:
        if entry.pieces_root is None or entry.length <= piece_length:
            continue  # a one-piece file's root is its piece hash
        layer = layers.get(entry.pieces_root)
        where = f"piece layers for {'/'.join(entry.path)}"
        n = _file_pieces(entry.length, piece_length)
        if not isinstance(layer, bytes) or len(layer) != 32 * n:
            raise TorrentError(f"{where}: expected {n} hashes", hint="the torrent is truncated or corrupt")
        hashes = [layer[i : i + 32] for i in range(0, len(layer), 32)]
        if merkle_root(hashes, pad=zero_subtree(piece_length // BLOCK)) != entry.pieces_root:
            raise TorrentError(f"{where} do not hash to the file's pieces root")
        out[entry.pieces_root] = layer
    return out


# --- v2 Merkle trees ---------------------------------------------------------------------------------------
def zero_subtree(leaves: int) -> bytes:
    """The root of a subtree of ``leaves`` zero leaves (how BEP 52 pads upper layers)."""
    node = ZERO_LEAF
    while leaves > 1:
        node = hashlib.sha256(node + node).digest()
        leaves //= 2
    return node


def merkle_root(hashes: list[bytes], pad: bytes = ZERO_LEAF, width: int | None = None) -> bytes:
    """Root over ``hashes`` padded with ``pad`` to ``width`` (default: the next power of two)."""
    n = max(1, len(hashes))
    width = width or 1 << (n - 1).bit_length()
    layer = hashes + [pad] * (width - len(hashes))
    while len(layer) > 1:
        layer = [hashlib.sha256(layer[i] + layer[i + 1]).digest() for i in range(0, len(layer), 2)]
    return layer[0]


def block_hashes(data: bytes) -> list[bytes]:
    return [hashlib.sha256(data[i : i + BLOCK]).digest() for i in range(0, len(data), BLOCK)]


# --- magnets -----------------------------------------------------------------------------------------------
def parse_magnet(uri: str) -> Magnet:
    """``magnet:?xt=urn:btih:<hex40|base32>`` and/or ``xt=urn:btmh:1220<hex64>``, plus dn, tr, x.pe."""
    parts = urlsplit(uri)
    if parts.scheme != "magnet":
        raise TorrentError(f"not a magnet link: {uri[:60]!r}", hint="it must start with magnet:?")
    query = parse_qs(parts.query)
    v1 = v2 = None
    for xt in query.get("xt", []):
        if xt.startswith("urn:btih:"):
            v1 = _btih(xt[9:])
        elif xt.startswith("urn:btmh:"):
            code = xt[9:]
            if not code.lower().startswith("1220") or len(code) != 68:
                raise TorrentError(f"btmh {code!r} is not a SHA-256 multihash (1220 + 64 hex digits)")
            v2 = _hex(code[4:], 32)
    if v1 is None and v2 is None:
        raise TorrentError("magnet has no urn:btih or urn:btmh `xt`", hint="add the torrent's infohash")
    names = query.get("dn")
    name = names[0] if names else None
    return Magnet(v1, v2, name, tuple(query.get("tr", [])), tuple(query.get("x.pe", [])))


def _btih(text: str) -> bytes:
    if len(text) == 40:
        return _hex(text, 20)
    if len(text) == 32:
        try:
            return base64.b32decode(text.upper())
        except ValueError:
            pass
    raise TorrentError(f"btih {text!r} is neither 40 hex digits nor 32 base32 characters")


def _hex(text: str, size: int) -> bytes:
    try:
        value = bytes.fromhex(text)
    except ValueError:
        raise TorrentError(f"{text!r} is not hexadecimal") from None
    if len(value) != size:
        raise TorrentError(f"{text!r} is not {size} bytes")
    return value
