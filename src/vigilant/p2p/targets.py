"""What the observer is asked to confirm: a torrent file or a magnet, and the swarms (wire hashes) it has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigilant.errors import NotFoundError
from vigilant.p2p.bencode import BencodeError, decode
from vigilant.p2p.confirm import Target
from vigilant.p2p.torrent import Magnet, Metainfo, parse_magnet, parse_torrent


@dataclass(frozen=True)
class TargetSpec:
    name: str
    meta: Metainfo | None = None
    magnet: Magnet | None = None
    torrent: bytes | None = None  # the .torrent bytes, kept in the log's blobs for re-verification
    trackers: tuple[str, ...] = ()  # the torrent's announce / announce-list, or a magnet's ``tr``

    @classmethod
    def from_torrent(cls, data: bytes, name: str | None = None) -> TargetSpec:
        meta = parse_torrent(data)
        return cls(name or meta.name, meta=meta, torrent=data, trackers=torrent_trackers(data))

    @classmethod
    def load(cls, arg: str) -> TargetSpec:
        """A magnet link, or the path of a .torrent file."""
        if arg.startswith("magnet:"):
            magnet = parse_magnet(arg)
            return cls(magnet.name or "magnet", magnet=magnet, trackers=magnet.trackers)
        path = Path(arg)
        if not path.is_file():
            raise NotFoundError(f"no torrent file {arg}", hint="give a .torrent path or a magnet:? link")
        return cls.from_torrent(path.read_bytes(), path.name)

    def targets(self) -> list[Target]:
        """One per swarm: a hybrid torrent has a v1 and a v2 swarm, and both are probed."""
        if self.meta is not None:
            v1, v2 = self.meta.infohash_v1, self.meta.infohash_v2
        else:
            assert self.magnet is not None
            v1, v2 = self.magnet.infohash_v1, self.magnet.infohash_v2
        target_id = (v1 or v2 or b"").hex()
        out = []
        if v1 is not None:
            out.append(Target(target_id, v1, "v1", v1, v2, self.meta))
        if v2 is not None:
            out.append(Target(target_id, v2[:20], "v2", v1, v2, self.meta))
        return out


def torrent_trackers(data: bytes, limit: int = 50) -> tuple[str, ...]:
    """``announce`` then every tier of ``announce-list`` (BEP 12), de-duplicated, at most ``limit`` URLs.

    The torrent was already parsed strictly; a malformed tracker list only means no trackers from it.
    """
    try:
        top = decode(data)
    except BencodeError:
        return ()
    if not isinstance(top, dict):
        return ()
    urls: list[bytes] = []
    announce = top.get(b"announce")
    if isinstance(announce, bytes):
        urls.append(announce)
    tiers = top.get(b"announce-list")
    for tier in tiers if isinstance(tiers, list) else []:
        urls += [u for u in (tier if isinstance(tier, list) else []) if isinstance(u, bytes)]
    out: dict[str, None] = {}
    for url in urls:
        text = url.decode("utf-8", "replace").strip()
        if text:
            out.setdefault(text, None)
    return tuple(out)[:limit]
