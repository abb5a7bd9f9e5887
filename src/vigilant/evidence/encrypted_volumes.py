"""Encrypted volumes told by their signatures: LUKS (1 and 2) and BitLocker.

A volume encrypted with either holds no file system any reader can find, so without this it would be
reported as "no file system The Sleuth Kit can read". Named, it is reported for what it is: an encrypted
volume, unlocked with the examiner's key where one was given (:mod:`vigilant.evidence.unlock`), else not read
and said so, so that an examiner knows to come back with the key rather than suspect a wiped disk.
"""

from __future__ import annotations

LUKS_SIGNATURE = b"LUKS\xba\xbe"  # at the volume's first byte (LUKS1 and LUKS2)
BITLOCKER_SIGNATURE = b"-FVE-FS-"  # the OEM name of a BitLocker volume's boot sector, at byte 3


def encryption_kind(head: bytes) -> str | None:
    """ "LUKS1", "LUKS2" or "BitLocker" when ``head`` (a volume's first bytes) says so, else None."""
    if head.startswith(LUKS_SIGNATURE) and len(head) >= 8:
        return f"LUKS{int.from_bytes(head[6:8], 'big')}"
    if head[3:11] == BITLOCKER_SIGNATURE:
        return "BitLocker"
    return None


def not_read_reason(kind: str) -> str:
    return f"{kind}-encrypted volume: not unlocked: no key given"
