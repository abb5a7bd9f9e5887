"""Synthetic EnCase legacy ``.hash`` sets."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from vigilant.library.samples.entries import Raw, SampleItem

MAGIC = b"HASH\r\n\xff\x00"
NAME_OFFSET = 1032
RECORDS_OFFSET = 1152


def write_encase(path: Path, entries: Iterable[SampleItem], name: str = "Synthetic set") -> Path:
    """Header with ``name`` (UTF-16LE at 1032), then one MD5 + two zero bytes per entry with an MD5.

    ``Raw`` items are written as raw record bytes (a short one makes a truncated file).
    """
    encoded = name.encode("utf-16-le")[: RECORDS_OFFSET - NAME_OFFSET - 2]
    header = bytearray(RECORDS_OFFSET)
    header[: len(MAGIC)] = MAGIC
    header[NAME_OFFSET : NAME_OFFSET + len(encoded)] = encoded
    with path.open("wb") as out:
        out.write(header)
        for item in entries:
            if isinstance(item, Raw):
                out.write(item.value if isinstance(item.value, bytes) else bytes(str(item.value), "ascii"))
            elif item.md5 is not None:
                out.write(item.md5 + b"\x00\x00")
    return path
