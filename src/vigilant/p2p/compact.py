"""Compact peer and node encodings shared by trackers (BEP 23, BEP 7), the DHT (BEP 5) and PEX (BEP 11).

Peers: 4-byte IPv4 or 16-byte IPv6 address, then a big-endian port. Nodes prefix a 20-byte node id.
A length that is not a whole number of entries means a broken or hostile source: we refuse the whole
field rather than guess where entries start.
"""

from __future__ import annotations

import ipaddress

from vigilant.errors import BadInputError

V4_PEER = 6
V6_PEER = 18
V4_NODE = 26
V6_NODE = 38


class CompactError(BadInputError):
    """A compact peer or node string that is not a whole number of entries."""


def _check(data: bytes, size: int, what: str) -> None:
    if len(data) % size:
        raise CompactError(f"{what} is {len(data)} bytes, not a multiple of {size} (truncated?)")


def _addr(raw: bytes) -> tuple[str, int]:
    ip = ipaddress.IPv4Address(raw[:4]) if len(raw) == V4_PEER else ipaddress.IPv6Address(raw[:16])
    return str(ip), int.from_bytes(raw[-2:], "big")


def peers4(data: bytes, what: str = "compact peers") -> list[tuple[str, int]]:
    _check(data, V4_PEER, what)
    return [_addr(data[i : i + V4_PEER]) for i in range(0, len(data), V4_PEER)]


def peers6(data: bytes, what: str = "compact peers6") -> list[tuple[str, int]]:
    _check(data, V6_PEER, what)
    return [_addr(data[i : i + V6_PEER]) for i in range(0, len(data), V6_PEER)]


def peer(data: bytes) -> tuple[str, int]:
    """One DHT ``values`` entry: 6 bytes (IPv4) or 18 bytes (IPv6)."""
    if len(data) not in (V4_PEER, V6_PEER):
        raise CompactError(f"a compact peer is 6 or 18 bytes, got {len(data)}")
    return _addr(data)


def nodes(data: bytes, *, ipv6: bool = False) -> list[tuple[bytes, str, int]]:
    """(node id, ip, port) from a ``nodes`` (26-byte entries) or ``nodes6`` (38-byte entries) string."""
    size = V6_NODE if ipv6 else V4_NODE
    _check(data, size, "nodes6" if ipv6 else "nodes")
    out = []
    for i in range(0, len(data), size):
        entry = data[i : i + size]
        ip, port = _addr(entry[20:])
        out.append((entry[:20], ip, port))
    return out


def encode_peer(ip: str, port: int) -> bytes:
    return ipaddress.ip_address(ip).packed + port.to_bytes(2, "big")
