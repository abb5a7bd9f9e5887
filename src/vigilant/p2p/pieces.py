"""Verifying one piece's bytes against a torrent: the v1 SHA-1 piece hash and/or the v2 Merkle hash.

Used by the observer when a download finishes and by ``verify_log`` when a defence expert re-checks the
stored bytes, so both run exactly the same test.
"""

from __future__ import annotations

import hashlib

from vigilant.p2p.observations import VerifiedPiece
from vigilant.p2p.torrent import BLOCK, Metainfo, block_hashes, merkle_root


class PieceMismatch(Exception):
    """The bytes do not hash to what the torrent says: never evidence, and the peer is not trusted."""


def verify_piece(meta: Metainfo, index: int, data: bytes) -> list[VerifiedPiece]:
    """Every check the torrent allows for this piece; raises :class:`PieceMismatch` if one fails.

    An empty list means the torrent holds no hash to check against (v2 from a magnet without its piece
    layers): the caller must not treat such bytes as verified.
    """
    span = meta.piece_span(index)
    if len(data) != span.length:
        raise PieceMismatch(f"piece {index} is {len(data)} bytes; the torrent says {span.length}")
    checks: list[VerifiedPiece] = []
    if meta.v1_pieces:
        digest = hashlib.sha1(data).digest()
        if digest != meta.v1_pieces[index]:
            raise PieceMismatch(f"piece {index}: SHA-1 {digest.hex()} != {meta.v1_pieces[index].hex()}")
        checks.append(VerifiedPiece(index, "sha1", digest.hex()))
    expected = _v2_expected(meta, index)
    if expected is not None and span.file is not None:
        in_file = min(meta.piece_length, span.file.length - span.file_piece * meta.piece_length)
        body, tail = data[:in_file], data[in_file:]
        if tail.strip(b"\0"):  # hybrid: v1 pad bytes after the file's end must be zeros
            raise PieceMismatch(f"piece {index}: non-zero bytes in the padding after the file's end")
        leaves = block_hashes(body)
        if span.file.length <= meta.piece_length:
            root = merkle_root(leaves)  # a one-piece file: its tree is just wide enough for its blocks
        else:
            root = merkle_root(leaves, width=meta.piece_length // BLOCK)
        if root != expected:
            raise PieceMismatch(f"piece {index}: Merkle hash {root.hex()} != {expected.hex()}")
        checks.append(VerifiedPiece(index, "sha256-merkle", root.hex()))
    return checks


def _v2_expected(meta: Metainfo, index: int) -> bytes | None:
    span = meta.piece_span(index)
    f = span.file
    if f is None or f.pieces_root is None:
        return None
    if f.length <= meta.piece_length:
        return f.pieces_root
    layer = meta.piece_layers.get(f.pieces_root)
    if layer is None:
        return None
    return layer[32 * span.file_piece : 32 * span.file_piece + 32]
