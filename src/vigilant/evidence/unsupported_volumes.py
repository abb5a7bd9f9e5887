"""Volumes no reader here can read, named by their signatures so that a run says what they are.

An encrypted volume (:mod:`vigilant.evidence.encrypted_volumes`), or a UDF file system with no ISO 9660 beside
it (a "pure" UDF disc: DVDs and Blu-ray discs written by packet writing, ``mkudffs``): The Sleuth Kit reads
neither, and no maintained Python reader of UDF exists (a UDF *bridge* disc is read through its ISO 9660
side). Each is an unreadable volume whose reason names it, never "0 files" or a guess of damage.
"""

from __future__ import annotations

from vigilant.evidence.encrypted_volumes import encryption_kind, not_read_reason
from vigilant.evidence.images import ImageReader

_UDF_SECTOR = 2048
_UDF_FIRST = 16  # the volume recognition sequence starts at sector 16 (32 KiB), as ISO 9660's descriptors do
_UDF_NSR = (b"NSR02", b"NSR03")  # the descriptor that says "UDF" (ECMA-167 2nd and 3rd editions)


def is_udf(reader: ImageReader, offset: int) -> bool:
    """Whether the volume at ``offset`` holds a UDF volume recognition sequence (BEA01 … NSR02/NSR03)."""
    area = reader.read(offset + _UDF_FIRST * _UDF_SECTOR, 8 * _UDF_SECTOR)
    idents = [area[i + 1 : i + 6] for i in range(0, len(area), _UDF_SECTOR)]
    return b"BEA01" in idents and any(nsr in idents for nsr in _UDF_NSR)


def unsupported_reason(reader: ImageReader, offset: int) -> str | None:
    """Why the volume at ``offset`` is not read, when it is a kind Vigilant knows but cannot read."""
    encrypted = encryption_kind(reader.read(offset, 512))
    if encrypted is not None:
        return not_read_reason(encrypted)
    if is_udf(reader, offset):
        return "UDF file system with no ISO 9660 beside it: not read (no UDF reader here)"
    return None
