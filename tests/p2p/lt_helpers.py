"""libtorrent as a reference: torrents made by its own create_torrent, and in-process loopback seeders."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import libtorrent as lt

KINDS = {"v1": lt.create_torrent.v1_only, "v2": lt.create_torrent.v2_only, "hybrid": 0}
PIECE = 64 * 1024


@dataclass(frozen=True)
class Made:
    torrent: bytes
    v1: bytes | None  # libtorrent's own infohashes
    v2: bytes | None
    path: Path  # the folder holding the content


def make_content(folder: Path, name: str, size: int, seed: int) -> Path:
    """Synthetic random bytes only (reproducible per seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    target.write_bytes(_random(size, seed))
    return target


def _random(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def make_torrent(folder: Path, name: str, kind: str, piece: int = PIECE) -> Made:
    """A torrent over ``folder/name`` (a file or a folder) from libtorrent's create_torrent."""
    files = lt.list_files(str(folder / name))
    ct = lt.create_torrent(files, piece, KINDS[kind])
    lt.set_piece_hashes(ct, str(folder))
    data = lt.bencode(ct.generate())
    ih = lt.torrent_info(data).info_hashes()
    return Made(
        bytes(data),
        bytes.fromhex(str(ih.v1)) if ih.has_v1() else None,
        bytes.fromhex(str(ih.v2)) if ih.has_v2() else None,
        folder,
    )


SETTINGS: dict[str, Any] = {
    "listen_interfaces": "127.0.0.1:0",
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_outgoing_utp": False,
    "enable_incoming_utp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": 0,
}


@contextmanager
def seeder(made: Made, timeout: float = 20.0) -> Iterator[int]:
    """A libtorrent session seeding ``made`` on 127.0.0.1; yields its port once the data is checked."""
    ses = lt.session(cast(Any, SETTINGS))  # the dict form is accepted at run time
    try:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(made.torrent)
        params.save_path = str(made.path)
        params.flags &= ~lt.torrent_flags.auto_managed
        params.flags &= ~lt.torrent_flags.paused
        handle = ses.add_torrent(params)
        deadline = time.monotonic() + timeout
        while not handle.status().is_seeding:
            if time.monotonic() > deadline:
                raise AssertionError(f"libtorrent never started seeding: {handle.status().state}")
            time.sleep(0.02)
        yield ses.listen_port()
    finally:
        del ses


def env_ok() -> bool:
    return os.path.exists("/usr/bin/aria2c")
