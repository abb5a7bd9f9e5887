"""RAR 4 archives written by the tests, byte for byte to RARLAB's published format (technote.txt).

No free tool creates RAR archives, so the tests write the simplest kind themselves: members *stored*
(method 0x30, no compression), each with its CRC-32, DOS time and Unix mode; a member may carry the
"encrypted" flag (0x04), as a password-protected one does. 7-Zip, which reads RAR, is the oracle that
the result is a valid archive (``7z t``) and says what it holds (``7z l -slt``).
"""

from __future__ import annotations

import struct
import zlib
from datetime import datetime

MARKER = b"Rar!\x1a\x07\x00"
_MAIN, _FILE, _END = 0x73, 0x74, 0x7B
_LONG_BLOCK = 0x8000  # a data area follows the header (always set on file headers)
_ENCRYPTED = 0x04
_UNIX, _STORED, _VERSION_20 = 3, 0x30, 20


def _block(kind: int, flags: int, body: bytes) -> bytes:
    head = struct.pack("<BHH", kind, flags, 7 + len(body)) + body
    return struct.pack("<H", zlib.crc32(head) & 0xFFFF) + head  # the low 16 bits of the header's CRC-32


def _dos_time(when: datetime) -> int:
    return (
        (when.year - 1980) << 25
        | when.month << 21
        | when.day << 16
        | when.hour << 11
        | when.minute << 5
        | when.second // 2
    )


def rar4_stored(
    members: dict[str, bytes], *, encrypted: frozenset[str] = frozenset(), when: datetime | None = None
) -> bytes:
    """A RAR 4 archive holding ``members`` stored; those named in ``encrypted`` flagged as encrypted."""
    stamp = _dos_time(when or datetime(2024, 5, 17, 12, 30, 20))  # RAR 4 stores a local time
    out = MARKER + _block(_MAIN, 0, bytes(6))
    for name, data in members.items():
        encoded = name.encode()
        flags = _LONG_BLOCK | (_ENCRYPTED if name in encrypted else 0)
        size, crc = len(data), zlib.crc32(data)
        header = struct.pack(
            "<IIBIIBBHI", size, size, _UNIX, crc, stamp, _VERSION_20, _STORED, len(encoded), 0o100644
        )
        out += _block(_FILE, flags, header + encoded) + data
    return out + _block(_END, 0x4000, b"")
