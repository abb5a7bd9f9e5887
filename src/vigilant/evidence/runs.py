"""A stream's content as TSK's runs place it in the image: extents of image bytes and of zeros.

TSK describes a non-resident stream as runs of blocks (ext extents, FAT and exFAT cluster chains, NTFS
data runs), each at a block offset in the stream. Its generic reader (``tsk_fs_attr_read``) then gives,
for every byte of the stream, either the bytes of its run's blocks, or zeros where the run is sparse (an
NTFS or ext hole, an unwritten ext4 extent). :func:`along_runs` turns the runs into exactly that list of
extents, or says why it cannot vouch for them (:class:`NotCertain`): then TSK reads the stream itself.

Which streams may be read this way at all (file system, attribute flags, NTFS's initialised size) is
:mod:`vigilant.evidence.extents`'s call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytsk3

_SPARSE = int(pytsk3.TSK_FS_ATTR_RUN_FLAG_SPARSE)
_FILLER = int(pytsk3.TSK_FS_ATTR_RUN_FLAG_FILLER)


class NotCertain(Exception):
    """The runs (or what the file system says around them) do not settle the content: TSK reads it."""


@dataclass(frozen=True)
class Extent:
    """``length`` bytes of a stream from ``start`` (in the stream) lie at ``image_offset`` in the image;
    ``image_offset`` None: they read as zeros (a sparse run, or NTFS bytes past the initialised size)."""

    start: int
    image_offset: int | None
    length: int


def along_runs(attribute: Any, *, block: int, last_block: int, size: int, fs_offset: int) -> list[Extent]:
    """The extents of the first ``size`` bytes of ``attribute`` (a pytsk3 Attribute, non-resident).

    The runs must follow one another from block 0 with no gap and cover ``size``; a run TSK filled in
    without knowing where it lies (FILLER), marked encrypted, or reaching past the file system's last
    block raises :class:`NotCertain`. Call with the walker's lock held (this walks TSK's structures).
    """
    extents: list[Extent] = []
    next_block = 0
    for run in attribute:
        offset, addr, length, flags = int(run.offset), int(run.addr), int(run.len), int(run.flags)
        if offset != next_block or length <= 0:
            raise NotCertain("its runs leave a gap or overlap")
        if flags & ~_SPARSE:
            what = "a run TSK could not place" if flags & _FILLER else f"a run flagged {flags:#x}"
            raise NotCertain(what)
        start = offset * block
        if start >= size:
            break
        take = min(length * block, size - start)
        if flags & _SPARSE:
            extents.append(Extent(start, None, take))
        elif addr + length - 1 > last_block:
            raise NotCertain("a run reaches past the file system's last block")
        else:
            extents.append(Extent(start, fs_offset + addr * block, take))
        next_block = offset + length
    if next_block * block < size:
        raise NotCertain("its runs do not cover its content")
    return extents


def zeros_from(extents: list[Extent], initialised: int) -> list[Extent]:
    """The same extents with every byte from ``initialised`` on read as zeros (NTFS's valid data length:
    TSK returns zeros there, whatever the clusters hold)."""
    cut: list[Extent] = []
    for extent in extents:
        end = extent.start + extent.length
        if extent.image_offset is None or end <= initialised:
            cut.append(extent)
        elif extent.start >= initialised:
            cut.append(Extent(extent.start, None, extent.length))
        else:
            kept = initialised - extent.start
            cut.append(Extent(extent.start, extent.image_offset, kept))
            cut.append(Extent(initialised, None, extent.length - kept))
    return cut
