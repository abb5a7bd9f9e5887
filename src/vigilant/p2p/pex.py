"""ut_pex (BEP 11): the peers a connected peer says it knows. A pure parser the wire code calls with the
payload of an LTEP ``ut_pex`` message (the bencoded dict after the extended-message id byte).

PEX peers are leads of the weakest kind: one peer vouching for others. The flags are that peer's claims
too (``seed`` especially): kept for triage, never evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntFlag

from vigilant.errors import BadInputError
from vigilant.p2p import compact
from vigilant.p2p.bencode import BencodeError, Value, decode
from vigilant.p2p.discovery import DiscoveredPeer, utc_now
from vigilant.p2p.observations import Method


class PexError(BadInputError):
    """A ut_pex payload that breaks BEP 11: drop that message, keep the connection and its evidence."""


class PexFlag(IntFlag):
    ENCRYPTION = 0x01  # prefers encrypted connections
    SEED = 0x02  # upload only: claims to be a seed
    UTP = 0x04  # supports uTP
    HOLEPUNCH = 0x08  # supports ut_holepunch
    REACHABLE = 0x10  # the sender reached it by an outgoing connection


@dataclass(frozen=True)
class PexPeer:
    ip: str
    port: int
    flags: PexFlag | None  # None when the sender gave no flags for it


@dataclass(frozen=True)
class PexMessage:
    added: list[PexPeer]
    dropped: list[tuple[str, int]]


def _bytes(message: dict[bytes, Value], key: bytes) -> bytes:
    value = message.get(key, b"")
    if not isinstance(value, bytes):
        raise PexError(f"ut_pex field {key.decode()} is a {type(value).__name__}, not a byte string")
    return value


def _added(addrs: list[tuple[str, int]], flags: bytes, key: str) -> list[PexPeer]:
    if flags and len(flags) != len(addrs):
        raise PexError(f"ut_pex {key} has {len(flags)} flag bytes for {len(addrs)} peers")
    return [PexPeer(ip, port, PexFlag(flags[i]) if flags else None) for i, (ip, port) in enumerate(addrs)]


def parse_pex(payload: bytes) -> PexMessage:
    """``added``/``added.f`` (IPv4), ``added6``/``added6.f``, ``dropped`` and ``dropped6``; port-0 entries
    are dropped (nobody can connect to them)."""
    try:
        message = decode(payload)
    except BencodeError as exc:
        raise PexError(f"malformed ut_pex message: {exc}") from None
    if not isinstance(message, dict):
        raise PexError(f"ut_pex payload is a bencoded {type(message).__name__}, not a dict")
    return parse_pex_dict(message)


def parse_pex_dict(message: dict[bytes, Value]) -> PexMessage:
    """:func:`parse_pex` for a payload the wire code has already decoded (an LTEP message's header)."""
    try:
        added = _added(
            compact.peers4(_bytes(message, b"added"), "added"), _bytes(message, b"added.f"), "added"
        )
        added += _added(
            compact.peers6(_bytes(message, b"added6"), "added6"), _bytes(message, b"added6.f"), "added6"
        )
        dropped = compact.peers4(_bytes(message, b"dropped"), "dropped")
        dropped += compact.peers6(_bytes(message, b"dropped6"), "dropped6")
    except compact.CompactError as exc:
        raise PexError(f"malformed ut_pex message: {exc}") from None
    return PexMessage([p for p in added if p.port], [d for d in dropped if d[1]])


def pex_peers(
    payload: bytes, *, sender: tuple[str, int], ts_utc: datetime | None = None
) -> list[DiscoveredPeer]:
    """The added peers as discoveries, ``reported_by`` the sending peer (``pex://ip:port``)."""
    return discoveries(parse_pex(payload), sender=sender, ts_utc=ts_utc)


def discoveries(
    message: PexMessage, *, sender: tuple[str, int], ts_utc: datetime | None = None
) -> list[DiscoveredPeer]:
    host = f"[{sender[0]}]" if ":" in sender[0] else sender[0]
    when = ts_utc or utc_now()
    return [
        DiscoveredPeer(
            p.ip,
            p.port,
            Method.PEX,
            f"pex://{host}:{sender[1]}",
            when,
            None if p.flags is None else int(p.flags),
        )
        for p in message.added
    ]
