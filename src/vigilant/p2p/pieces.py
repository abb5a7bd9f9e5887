"""Verifying one piece's bytes against a torrent: the v1 SHA-1 piece hash and/or the v2 Merkle hash.

Used by the observer when a download finishes and by ``verify_log`` when a defence expert re-checks the
stored bytes, so both run exactly the same test.

From a v2 magnet the info dict has each file's ``pieces root`` but not its piece layer, so a piece of a
multi-piece file is checked through a :class:`HashProof` (BEP 52 hashes message): a run of piece-layer
hashes plus the uncle hashes up to the pieces root. The proof is checked against the root from the
verified info dict first; only then is the piece's Merkle hash compared with the proven piece hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from vigilant.p2p.observations import VerifiedPiece
from vigilant.p2p.torrent import BLOCK, Metainfo, block_hashes, merkle_root

PROOF_SPAN = 2  # piece-layer hashes asked for per proof: the BEP 52 minimum (our piece and its sibling)


@dataclass(frozen=True)
class HashProof:
    """Piece-layer hashes for one file and the uncle hashes proving them against its pieces root."""

    pieces_root: bytes
    base: int  # the layer the hashes are in (the piece layer: log2(piece length / 16 KiB))
    index: int  # position of hashes[0] in that layer
    hashes: tuple[bytes, ...]
    uncles: tuple[bytes, ...]  # lowest first: the sibling of the hashes' subtree root, up to below the root

    def as_json(self) -> dict[str, Any]:
        return {
            "pieces_root": self.pieces_root.hex(),
            "base": self.base,
            "index": self.index,
            "hashes": [h.hex() for h in self.hashes],
            "uncles": [h.hex() for h in self.uncles],
        }

    @classmethod
    def from_json(cls, data: object) -> HashProof:
        try:
            if not isinstance(data, dict):
                raise TypeError("not an object")
            base, index = data["base"], data["index"]
            if not isinstance(base, int) or not isinstance(index, int):
                raise TypeError("base and index must be integers")
            return cls(
                bytes.fromhex(data["pieces_root"]),
                base,
                index,
                tuple(bytes.fromhex(h) for h in data["hashes"]),
                tuple(bytes.fromhex(h) for h in data["uncles"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PieceMismatch(f"the logged hash proof is malformed: {exc!r}") from None


def piece_layer(piece_length: int) -> int:
    """The layer of a v2 file tree holding piece hashes (0 = the 16 KiB block layer)."""
    return (piece_length // BLOCK).bit_length() - 1


def layer_width(file_length: int, piece_length: int) -> int:
    """How many nodes the padded piece layer of a file's tree has (a power of two)."""
    blocks = max(1, -(-file_length // BLOCK))
    leaves = 1 << (blocks - 1).bit_length()
    return max(1, leaves >> piece_layer(piece_length))


def proof_request(meta: Metainfo, index: int) -> tuple[bytes, int, int, int, int] | None:
    """(pieces root, base layer, first index, length, proof layers) of the hash request that proves piece
    ``index``; None when no proof is needed (a one-piece file, or the torrent holds the piece layer)."""
    span = meta.piece_span(index)
    f = span.file
    if f is None or f.pieces_root is None or f.length <= meta.piece_length:
        return None
    if f.pieces_root in meta.piece_layers:
        return None
    width = layer_width(f.length, meta.piece_length)
    first = span.file_piece - span.file_piece % PROOF_SPAN
    proof_layers = width.bit_length() - 2  # every ancestor layer below the root, counted from the base
    return f.pieces_root, piece_layer(meta.piece_length), first, PROOF_SPAN, proof_layers


def proven_piece_hash(meta: Metainfo, index: int, proof: HashProof) -> bytes:
    """The piece hash of ``index`` once ``proof`` is checked against the file's pieces root (from the
    verified info dict); raises :class:`PieceMismatch` if anything does not fit."""
    span = meta.piece_span(index)
    f = span.file
    if f is None or f.pieces_root is None or f.length <= meta.piece_length:
        raise PieceMismatch(f"piece {index}: its file needs no proof; a proof for it is not evidence")
    if proof.pieces_root != f.pieces_root:
        raise PieceMismatch(f"piece {index}: the proof is for root {proof.pieces_root.hex()}, not the file's")
    if proof.base != piece_layer(meta.piece_length):
        raise PieceMismatch(f"piece {index}: the proof is for layer {proof.base}, not the piece layer")
    count = len(proof.hashes)
    width = layer_width(f.length, meta.piece_length)
    if count < 2 or count & (count - 1) or proof.index % count or proof.index + count > width:
        raise PieceMismatch(f"piece {index}: the proof covers an impossible range ({proof.index}+{count})")
    if not proof.index <= span.file_piece < proof.index + count:
        raise PieceMismatch(f"piece {index}: the proof does not cover file piece {span.file_piece}")
    if any(len(h) != 32 for h in (*proof.hashes, *proof.uncles)):
        raise PieceMismatch(f"piece {index}: a proof hash is not 32 bytes")
    if len(proof.uncles) != width.bit_length() - count.bit_length():
        raise PieceMismatch(f"piece {index}: {len(proof.uncles)} uncle hashes where the tree needs "
                            f"{width.bit_length() - count.bit_length()}")  # fmt: skip
    node = merkle_root(list(proof.hashes))
    position = proof.index // count
    for uncle in proof.uncles:
        pair = node + uncle if position % 2 == 0 else uncle + node
        node = hashlib.sha256(pair).digest()
        position //= 2
    if node != f.pieces_root:
        raise PieceMismatch(f"piece {index}: the hash proof leads to {node.hex()}, not the pieces root")
    return proof.hashes[span.file_piece - proof.index]


class PieceMismatch(Exception):
    """The bytes do not hash to what the torrent says: never evidence, and the peer is not trusted."""


def verify_piece(
    meta: Metainfo, index: int, data: bytes, proof: HashProof | None = None
) -> list[VerifiedPiece]:
    """Every check the torrent allows for this piece; raises :class:`PieceMismatch` if one fails.

    ``proof`` (hashes from the peer, BEP 52) supplies the v2 piece hash a magnet's info dict lacks; it is
    checked against the file's pieces root before it is used. An empty list means there was no hash to
    check against (v2 from a magnet without a proof): the caller must not treat such bytes as verified.
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
    if proof is not None:
        proven = proven_piece_hash(meta, index, proof)
        if expected is not None and proven != expected:
            raise PieceMismatch(f"piece {index}: the proven hash differs from the torrent's piece layer")
        expected = proven
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
