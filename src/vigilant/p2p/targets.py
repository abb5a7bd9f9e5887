"""What the observer is asked to confirm: a torrent file or a magnet, and the swarms (wire hashes) it has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigilant.errors import NotFoundError
from vigilant.p2p.confirm import Target
from vigilant.p2p.torrent import Magnet, Metainfo, parse_magnet, parse_torrent


@dataclass(frozen=True)
class TargetSpec:
    name: str
    meta: Metainfo | None = None
    magnet: Magnet | None = None
    torrent: bytes | None = None  # the .torrent bytes, kept in the log's blobs for re-verification

    @classmethod
    def from_torrent(cls, data: bytes, name: str | None = None) -> TargetSpec:
        meta = parse_torrent(data)
        return cls(name or meta.name, meta=meta, torrent=data)

    @classmethod
    def load(cls, arg: str) -> TargetSpec:
        """A magnet link, or the path of a .torrent file."""
        if arg.startswith("magnet:"):
            magnet = parse_magnet(arg)
            return cls(magnet.name or "magnet", magnet=magnet)
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
