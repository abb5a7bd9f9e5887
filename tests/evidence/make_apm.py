"""Disks with an Apple Partition Map, written by the tests to Apple's published layout (Inside Macintosh:
Devices): no Debian 12 tool writes one (hfsprogs and mac-fdisk are gone). Block 0 is the driver descriptor
("ER"), blocks 1.. the partition map ("PM" entries, the map itself being the first), 512-byte blocks."""

from __future__ import annotations

import struct
from pathlib import Path

BLOCK = 512


def _entry(count: int, start: int, blocks: int, name: str, kind: str) -> bytes:
    body = struct.pack(
        ">2sHIII32s32sIIIII",
        b"PM",
        0,
        count,  # pmMapBlkCnt: entries in the map
        start,  # pmPyPartStart
        blocks,  # pmPartBlkCnt
        name.encode(),
        kind.encode(),
        0,  # pmLgDataStart
        blocks,  # pmDataCnt
        0x33,  # pmPartStatus: valid, allocated, in use, readable, writable
        0,
        0,
    )
    return body.ljust(BLOCK, b"\x00")


def make_apm_disk(target: Path, volumes: list[tuple[str, bytes]], map_blocks: int = 63) -> list[int]:
    """A disk holding each (name, bytes) volume in its own Apple_HFS/Apple_UNIX_SVR2 partition; returns
    their byte offsets. The map partition covers blocks 1..map_blocks."""
    count = 1 + len(volumes)
    starts, next_block = [], 1 + map_blocks
    for _, data in volumes:
        starts.append(next_block)
        next_block += -(-len(data) // BLOCK)
    total = next_block + 8
    driver = struct.pack(">2sHI", b"ER", BLOCK, total).ljust(BLOCK, b"\x00")
    entries = [_entry(count, 1, map_blocks, "Apple", "Apple_partition_map")]
    for (name, data), start in zip(volumes, starts, strict=True):
        entries.append(_entry(count, start, -(-len(data) // BLOCK), name, "Apple_UNIX_SVR2"))
    with target.open("wb") as out:
        out.truncate(total * BLOCK)
        out.write(driver + b"".join(entries))
        for (_, data), start in zip(volumes, starts, strict=True):
            out.seek(start * BLOCK)
            out.write(data)
    return [start * BLOCK for start in starts]
