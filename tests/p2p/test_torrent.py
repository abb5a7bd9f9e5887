"""Metainfo parsing checked against libtorrent's own create_torrent output (v1, v2, hybrid)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.p2p.lt_helpers import make_content, make_torrent
from vigilant.p2p.bencode import encode
from vigilant.p2p.pieces import PieceMismatch, verify_piece
from vigilant.p2p.torrent import Metainfo, TorrentError, parse_info, parse_magnet, parse_torrent


def piece_bytes(meta: Metainfo, folder: Path, index: int) -> bytes:
    """The piece's bytes read straight from the content (the oracle the parser is checked against)."""
    span = meta.piece_span(index)
    if meta.v1_pieces:
        space = b"".join(
            bytes(f.length) if f.pad else (folder.joinpath(*f.path)).read_bytes() for f in meta.files
        )
        start = index * meta.piece_length
        return space[start : start + span.length]
    assert span.file is not None
    data = folder.joinpath(*span.file.path).read_bytes()
    start = span.file_piece * meta.piece_length
    return data[start : start + span.length]


@pytest.mark.parametrize("kind", ["v1", "v2", "hybrid"])
@pytest.mark.parametrize("layout", ["single", "multi"])
def test_infohashes_and_pieces_match_libtorrent(tmp_path: Path, kind: str, layout: str) -> None:
    if layout == "single":
        make_content(tmp_path, "one.bin", 1_100_000, seed=1)
        made = make_torrent(tmp_path, "one.bin", kind)
    else:
        make_content(tmp_path / "set", "a.bin", 300_000, seed=2)
        make_content(tmp_path / "set", "b.bin", 40_000, seed=3)  # smaller than a piece: its root is its hash
        make_content(tmp_path / "set" / "sub", "c.bin", 200_001, seed=4)
        made = make_torrent(tmp_path, "set", kind)
    meta = parse_torrent(made.torrent)
    assert meta.infohash_v1 == made.v1
    assert meta.infohash_v2 == made.v2
    assert meta.total_length == (1_100_000 if layout == "single" else 540_001)
    for index in range(meta.num_pieces):
        checks = verify_piece(meta, index, piece_bytes(meta, tmp_path, index))
        algos = {c.algo for c in checks}
        assert algos == {"v1": {"sha1"}, "v2": {"sha256-merkle"}, "hybrid": {"sha1", "sha256-merkle"}}[kind]
    corrupt = bytearray(piece_bytes(meta, tmp_path, 0))
    corrupt[5] ^= 1
    with pytest.raises(PieceMismatch):
        verify_piece(meta, 0, bytes(corrupt))
    # metadata fetched by ut_metadata has no piece layers; with them passed in it parses the same
    again = parse_info(meta.info_raw, meta.piece_layers)
    assert (again.infohash_v1, again.infohash_v2, again.num_pieces) == (
        meta.infohash_v1,
        meta.infohash_v2,
        meta.num_pieces,
    )


def test_malformed_torrents_say_where(tmp_path: Path) -> None:
    make_content(tmp_path, "x.bin", 100_000, seed=5)
    made = make_torrent(tmp_path, "x.bin", "v1")
    with pytest.raises(TorrentError, match="byte"):
        parse_torrent(made.torrent[:-3])
    with pytest.raises(TorrentError, match="missing info"):
        parse_torrent(encode({b"announce": b"http://x"}))
    bad = encode({b"info": {b"name": b"x", b"piece length": 16384, b"pieces": b"123", b"length": 1}})
    with pytest.raises(TorrentError, match="multiple of 20"):
        parse_torrent(bad)
    bad = encode({b"info": {b"name": b"x", b"piece length": b"big", b"pieces": b"", b"length": 0}})
    with pytest.raises(TorrentError, match=r"info/piece length \(byte \d+\) must be int"):
        parse_torrent(bad)
    v2 = make_torrent(tmp_path, "x.bin", "v2").torrent
    tampered = v2.replace(b"pieces root32:", b"pieces root32:\x00", 1)[:-1]
    with pytest.raises(TorrentError):
        parse_torrent(tampered)


def test_magnets() -> None:
    v1 = bytes(range(20))
    v2 = bytes(range(32))
    m = parse_magnet(
        f"magnet:?xt=urn:btih:{v1.hex()}&dn=x&tr=http%3A%2F%2F127.0.0.1%3A1%2Fa&x.pe=127.0.0.1:5"
    )
    assert (m.infohash_v1, m.name, m.trackers, m.peers) == (
        v1,
        "x",
        ("http://127.0.0.1:1/a",),
        ("127.0.0.1:5",),
    )
    m = parse_magnet(f"magnet:?xt=urn:btih:{base64.b32encode(v1).decode()}&xt=urn:btmh:1220{v2.hex()}")
    assert (m.infohash_v1, m.infohash_v2) == (v1, v2)
    for bad in (
        "http://x",
        "magnet:?dn=x",
        "magnet:?xt=urn:btih:abc",
        "magnet:?xt=urn:btmh:1114" + "00" * 32,
    ):
        with pytest.raises(TorrentError):
            parse_magnet(bad)
