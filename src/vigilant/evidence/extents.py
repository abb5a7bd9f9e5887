"""Which streams are read straight from the image along the file system's own runs, and where their bytes lie.

Reading through TSK (``read_random``) costs a call into TSK, a call back into Python for the image bytes and
two copies per chunk, all under the walker's lock: one thread at a time, at about a third of the speed of
hashing. For a stream whose content is what TSK's generic reader makes of its runs (blocks, and zeros for
sparse runs), reading those bytes directly gives the same content, in parallel and without copies.

Only cases where the runs are the whole truth qualify (anything else goes through TSK as before):

* ext2/3/4, FAT12/16/32, exFAT and NTFS, on a file system with no encryption and no per-block padding;
* an allocated file (a deleted one is read with TSK's own recovery rules), with no compressed attribute
  (TSK then reads all of the file's streams with NTFS's decompressing reader);
* a non-resident stream, neither compressed nor encrypted, whose size is TSK's, and whose runs follow one
  another from block 0 and cover it, inside the file system and the image (see :func:`runs.along_runs`);
* on NTFS, an initialised size read from the file's MFT record (see :mod:`vigilant.evidence.runs_ntfs`):
  bytes past it read as zeros, as TSK reads them.

exFAT's own valid data length is not applied: TSK reads an exFAT file's clusters up to its size, and the
direct read gives what TSK gives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytsk3

from vigilant.evidence.runs import Extent, NotCertain, along_runs, zeros_from
from vigilant.evidence.runs_ntfs import MftRecords

__all__ = ["Extent", "RunPlan", "plain_extents", "run_plan"]

_RUN_FS = ("ext2", "ext3", "ext4", "fat12", "fat16", "fat32", "exfat", "ntfs")
_READ_BY_TSK = int(pytsk3.TSK_FS_ATTR_RES) | int(pytsk3.TSK_FS_ATTR_COMP) | int(pytsk3.TSK_FS_ATTR_ENC)


@dataclass(frozen=True)
class RunPlan:
    """How a stream is read: along ``extents``, or (``extents`` None) by TSK, for the reason ``why_tsk``."""

    extents: list[Extent] | None
    why_tsk: str | None = None


def run_plan(
    fs: Any,
    type_name: str,
    fs_file: Any,
    *,
    attr_type: int,
    attr_id: int = -1,
    size: int,
    fs_offset: int,
    image_size: int,
    mft: Callable[[], MftRecords] | None = None,
) -> RunPlan:
    """How to read the stream (``attr_type``, ``attr_id``; -1: the first of that type) of ``size`` bytes.

    ``fs`` is the pytsk3 FS_Info opened at ``fs_offset`` in an image of ``image_size`` bytes; ``mft``
    gives an NTFS file system's records (it raises :class:`NotCertain` when they cannot be read). Call
    with the walker's lock held (this walks TSK's structures).
    """
    try:
        extents = _extents(
            fs,
            type_name,
            fs_file,
            attr_type=attr_type,
            attr_id=attr_id,
            size=size,
            fs_offset=fs_offset,
            mft=mft,
        )
    except NotCertain as exc:
        return RunPlan(None, str(exc))
    if any(e.image_offset is not None and e.image_offset + e.length > image_size for e in extents):
        return RunPlan(None, "its runs reach past the end of the image")
    return RunPlan(extents)


def plain_extents(
    fs: Any,
    type_name: str,
    fs_file: Any,
    *,
    attr_type: int,
    attr_id: int = -1,
    size: int,
    fs_offset: int,
    image_size: int,
    mft: Callable[[], MftRecords] | None = None,
) -> list[Extent] | None:
    """The extents of a stream (see :func:`run_plan`), or None when TSK must read it."""
    return run_plan(
        fs,
        type_name,
        fs_file,
        attr_type=attr_type,
        attr_id=attr_id,
        size=size,
        fs_offset=fs_offset,
        image_size=image_size,
        mft=mft,
    ).extents


def _extents(
    fs: Any,
    type_name: str,
    fs_file: Any,
    *,
    attr_type: int,
    attr_id: int,
    size: int,
    fs_offset: int,
    mft: Callable[[], MftRecords] | None,
) -> list[Extent]:
    info = fs.info
    if type_name not in _RUN_FS:
        raise NotCertain(f"{type_name} files are read by TSK")
    if size <= 0:
        raise NotCertain("it is empty")
    if int(info.block_pre_size) or int(info.block_post_size) or int(info.encryption_type):
        raise NotCertain("the file system pads or encrypts its blocks")
    meta = fs_file.info.meta
    if meta is None or not int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_ALLOC):
        raise NotCertain("a deleted file is read with TSK's recovery rules")
    if int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_COMP):
        raise NotCertain("the file has a compressed stream")
    matching = [
        a for a in fs_file if int(a.info.type) == attr_type and (attr_id < 0 or int(a.info.id) == attr_id)
    ]
    if not matching or (attr_id >= 0 and len(matching) > 1):
        raise NotCertain(f"{len(matching)} attributes of type {attr_type}, id {attr_id}")
    attribute = matching[0]
    flags = int(attribute.info.flags)
    if not flags & int(pytsk3.TSK_FS_ATTR_NONRES) or flags & _READ_BY_TSK:
        raise NotCertain("the stream is resident, compressed or encrypted")
    if int(attribute.info.size) != size:
        raise NotCertain(f"the stream holds {int(attribute.info.size)} bytes, not {size}")
    extents = along_runs(
        attribute, block=int(info.block_size), last_block=int(info.last_block), size=size, fs_offset=fs_offset
    )
    if type_name == "ntfs":
        if mft is None:
            raise NotCertain("its initialised size is unknown")
        initialised = mft().initialised(int(meta.addr), int(attribute.info.id), size, attribute.info.name)
        if initialised < size:
            extents = zeros_from(extents, initialised)
    return extents
