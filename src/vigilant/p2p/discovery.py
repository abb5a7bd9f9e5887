"""What every peer source (trackers, the DHT, PEX) hands the observer, and how it becomes an observation.

A discovered peer is a *lead*: a tracker, a DHT node or another peer named an address, and any of them can
lie (a tracker accepts an ``ip`` parameter). So every discovery becomes an observation of tier
``announced`` only; confirming it is the wire protocol's job.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from vigilant.errors import ConfigError, VigilantError
from vigilant.p2p.observations import Method


class DiscoveryError(VigilantError):
    """A tracker or DHT exchange failed; the message names the source and what to try next."""


class RemoteRefusedError(ConfigError):
    """A source outside loopback was named while remote sources are off."""


@dataclass(frozen=True)
class DiscoveredPeer:
    ip: str
    port: int
    method: Method
    reported_by: str  # tracker URL, "dht://ip:port" of the answering node, or "pex://ip:port"
    ts_utc: datetime
    flags: int | None = None  # PEX ``added.f`` bits, when the source gives them


class PeerSource(Protocol):
    """The shape the observer consumes: one call per infohash (v1, or a v2 hash truncated to 20 bytes)."""

    async def peers(self, infohash20: bytes) -> list[DiscoveredPeer]: ...


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_loopback(host: str) -> bool:
    """A loopback IP literal or ``localhost``; any other name is not: resolving it already leaves the box."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback(host: str, what: str, *, allow_remote: bool) -> None:
    if allow_remote or is_loopback(host):
        return
    raise RemoteRefusedError(
        f"refusing to contact {what} {host!r}: only loopback sources are allowed by default",
        hint="pass allow_remote=True once the operation is authorised to reach the public network",
    )


def check_infohash(infohash20: bytes) -> None:
    if len(infohash20) != 20:
        raise ValueError(
            f"an infohash for trackers and the DHT is 20 bytes, got {len(infohash20)}: "
            "truncate a v2 (SHA-256) infohash to its first 20 bytes"
        )
