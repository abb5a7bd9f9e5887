"""Where a file's bytes lie in the image, for the files whose content can be read straight from it.

Reading through TSK (``read_random``) costs a call into TSK, a call back into Python for the image bytes and
two copies per chunk, all under the walker's lock: one thread at a time, at about a third of the speed of
hashing. For a file whose data is plain blocks, TSK's runs say exactly which image bytes make its
content, and reading those bytes directly gives the same content, in parallel and without copies.

Only cases where the runs are the whole truth qualify: an allocated ext2/3/4 file's default stream, every
run plain (no sparse or filler run: those read as zeros, not as the blocks), contiguous from the first
block, inside the file system and the image, on a file system with no encryption and no per-block
padding. Anything else (NTFS, whose streams may be compressed or initialised only part way; FAT; deleted
files, which TSK reads with its own recovery rules) goes through TSK as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytsk3

_PLAIN_FS = ("ext2", "ext3", "ext4")
_NOT_PLAIN = (
    int(pytsk3.TSK_FS_ATTR_RES)
    | int(pytsk3.TSK_FS_ATTR_COMP)
    | int(pytsk3.TSK_FS_ATTR_ENC)
    | int(pytsk3.TSK_FS_ATTR_SPARSE)
)


@dataclass(frozen=True)
class Extent:
    """``length`` bytes of a file from ``start`` (in the file) lie at ``image_offset`` in the image."""

    start: int
    image_offset: int
    length: int


def plain_extents(
    fs: Any, type_name: str, fs_file: Any, *, attr_type: int, size: int, fs_offset: int, image_size: int
) -> list[Extent] | None:
    """The extents of a file's default stream of ``size`` bytes, or None when TSK must read it.

    ``fs`` is the pytsk3 FS_Info opened at ``fs_offset`` in an image of ``image_size`` bytes; call with
    the walker's lock held (this walks TSK's structures).
    """
    info = fs.info
    if type_name not in _PLAIN_FS or size <= 0:
        return None
    if int(info.block_pre_size) or int(info.block_post_size) or int(info.encryption_type):
        return None
    meta = fs_file.info.meta
    if meta is None or not int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_ALLOC):
        return None
    attribute = next((a for a in fs_file if int(a.info.type) == attr_type), None)
    if attribute is None:
        return None
    flags = int(attribute.info.flags)
    if not flags & int(pytsk3.TSK_FS_ATTR_NONRES) or flags & _NOT_PLAIN or int(attribute.info.size) != size:
        return None
    block = int(info.block_size)
    last_block = int(info.last_block)
    extents: list[Extent] = []
    next_block = 0
    for run in attribute:
        offset, addr, length = int(run.offset), int(run.addr), int(run.len)
        if int(run.flags) or offset != next_block or length <= 0 or addr + length - 1 > last_block:
            return None
        start = offset * block
        if start >= size:
            break
        extents.append(Extent(start, fs_offset + addr * block, min(length * block, size - start)))
        next_block = offset + length
    if not extents or next_block * block < size:
        return None  # the runs do not cover the content: let TSK say what it reads there
    if any(e.image_offset + e.length > image_size for e in extents):
        return None
    return extents
