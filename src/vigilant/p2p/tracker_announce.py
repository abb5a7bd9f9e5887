"""The announce an observer sends (the never-a-distributor policy) and the reply both tracker kinds share."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from vigilant.p2p.discovery import DiscoveryError, check_infohash

PEER_ID_PREFIX = b"-VG0100-"  # Azureus-style: "VG" Vigilant 0.1.0.0, so our own traffic is recognisable
MAX_NUMWANT = 200
MAX_REPLY = 1 << 20  # a real announce reply is a few KiB; more is a broken or hostile tracker


class TrackerFailureError(DiscoveryError):
    """The tracker answered with ``failure reason`` (HTTP) or an error action (UDP)."""


@dataclass(frozen=True)
class AnnouncePolicy:
    numwant: int = 50
    port: int = 0  # see the module docstring: unreachable on purpose

    def __post_init__(self) -> None:
        if not 1 <= self.numwant <= MAX_NUMWANT:
            raise ValueError(f"numwant must be 1..{MAX_NUMWANT}, got {self.numwant}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be 0..65535, got {self.port}")


@dataclass(frozen=True)
class Announce:
    """One announce: ``left`` is always > 0, ``event`` is ``started`` or ``stopped``."""

    infohash: bytes
    left: int
    event: str
    policy: AnnouncePolicy
    peer_id: bytes = field(default_factory=lambda: PEER_ID_PREFIX + os.urandom(12))

    def __post_init__(self) -> None:
        check_infohash(self.infohash)
        if self.left <= 0:
            raise ValueError("left must be > 0: an announce with left=0 says we are a seeder")
        if self.event not in ("started", "stopped"):
            raise ValueError(f"event must be started or stopped, got {self.event!r}")


@dataclass(frozen=True)
class AnnounceReply:
    peers: list[tuple[str, int]]
    peer_ids: dict[tuple[str, int], bytes]  # from non-compact replies, where the tracker gives them
    local_ip: str  # the address our request came from, to spot our own entry


def own_entries(reply: AnnounceReply, announce: Announce) -> set[tuple[str, int]]:
    """Our own announce as the tracker echoes it back, plus port-0 entries (nobody can connect to them)."""
    own = {addr for addr in reply.peers if addr[1] == 0}
    own |= {addr for addr, pid in reply.peer_ids.items() if pid == announce.peer_id}
    own.add((reply.local_ip, announce.policy.port))
    return own
