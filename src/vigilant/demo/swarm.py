"""A loopback swarm for the demonstration: synthetic bytes seeded by libtorrent on 127.0.0.1.

libtorrent is the reference engine the tests use as a real peer; it is a development dependency, and this
module is imported only by the demo. Every discovery feature it has (DHT, LSD, UPnP, NAT-PMP, uTP) is
switched off and it listens on loopback only, so nothing leaves the machine.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import libtorrent as lt

from vigilant.errors import VigilantError

PIECE = 64 * 1024
_LOOPBACK_ONLY: dict[str, Any] = {
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


@dataclass(frozen=True)
class DemoTorrent:
    torrent: Path
    infohash_v1: bytes
    content: Path


def make_demo_torrent(folder: Path, size: int = 1_500_000, seed: int = 2026) -> DemoTorrent:
    """A v1 torrent over one file of reproducible random bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    content = folder / "synthetic-shared-file.bin"
    content.write_bytes(random.Random(seed).randbytes(size))
    made = lt.create_torrent(lt.list_files(str(content)), PIECE, lt.create_torrent.v1_only)
    lt.set_piece_hashes(made, str(folder))
    data = bytes(lt.bencode(made.generate()))
    torrent = folder / "synthetic-shared-file.torrent"
    torrent.write_bytes(data)
    hashes = lt.torrent_info(data).info_hashes()
    return DemoTorrent(torrent, bytes.fromhex(str(hashes.v1)), content)


@contextmanager
def seeding(demo: DemoTorrent, timeout: float = 20.0) -> Iterator[int]:
    """Seed ``demo`` from 127.0.0.1 while the block runs; yields the listening port."""
    session = lt.session(cast(Any, _LOOPBACK_ONLY))  # the settings-dict form is accepted at run time
    try:
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(str(demo.torrent))
        params.save_path = str(demo.content.parent)
        params.flags &= ~lt.torrent_flags.auto_managed
        params.flags &= ~lt.torrent_flags.paused
        handle = session.add_torrent(params)
        deadline = time.monotonic() + timeout
        while not handle.status().is_seeding:
            if time.monotonic() > deadline:
                raise VigilantError("the demo seeder did not start seeding in time")
            time.sleep(0.05)
        yield int(session.listen_port())
    finally:
        del session
