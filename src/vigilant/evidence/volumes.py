"""Where a disk image's file systems are: its partitions (or the whole image), and each one opened with TSK.

:class:`~vigilant.evidence.filesystems.FileSystemWalker` asks here first, then walks each
:class:`FileSystem` it gets. A partition table or file system that cannot be read is recorded in the
caller's ``problems`` and left out; the caller goes on with the others. Every call into TSK holds the
caller's lock (TSK's handles are not safe to share between threads).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import pytsk3

from vigilant.evidence.address import Link, LinkKind
from vigilant.evidence.base import Problem
from vigilant.evidence.encrypted_volumes import encryption_kind
from vigilant.evidence.images import ImageReader, TskImage
from vigilant.evidence.keys import current_ring
from vigilant.evidence.lvm import VolumeGroup, is_lvm, open_volume_group
from vigilant.evidence.unlock import unlock
from vigilant.evidence.vss import ShadowVolume, has_shadow_copies, open_shadow_copies, walk_snapshots

FS_TYPE_NAMES: dict[int, str] = {
    pytsk3.TSK_FS_TYPE_NTFS: "ntfs",
    pytsk3.TSK_FS_TYPE_FAT12: "fat12",
    pytsk3.TSK_FS_TYPE_FAT16: "fat16",
    pytsk3.TSK_FS_TYPE_FAT32: "fat32",
    pytsk3.TSK_FS_TYPE_EXFAT: "exfat",
    pytsk3.TSK_FS_TYPE_EXT2: "ext2",
    pytsk3.TSK_FS_TYPE_EXT3: "ext3",
    pytsk3.TSK_FS_TYPE_EXT4: "ext4",
    pytsk3.TSK_FS_TYPE_FFS1: "ufs1",
    pytsk3.TSK_FS_TYPE_FFS1B: "ufs1b",
    pytsk3.TSK_FS_TYPE_FFS2: "ufs2",
    pytsk3.TSK_FS_TYPE_HFS: "hfs",
    pytsk3.TSK_FS_TYPE_ISO9660: "iso9660",
    pytsk3.TSK_FS_TYPE_YAFFS2: "yaffs2",
    pytsk3.TSK_FS_TYPE_APFS: "apfs",
}


# Apple Partition Map entries TSK marks allocated that never hold a file system.
_APPLE_MAP_ONLY = frozenset({"Apple_partition_map", "Apple_Free", "Apple_Void", "Apple_Scratch"})


@dataclass(frozen=True)
class Volume:
    """Where a file system may start: a partition of a partition table, or the whole image."""

    # The partition's number as the table and examiners give it (fdisk, mmls' "Slot" column counted from 1):
    # GPT and DOS primaries 1, 2, …; DOS logical partitions 5, 6, … in the order of their extended tables.
    # None: no partition table.
    partition: int | None
    offset: int  # bytes from the start of the image
    description: str
    # The Sleuth Kit's number for it, a detail: mmls' first column, which counts the table itself and the
    # gaps too (an MBR's first partition is TSK's 2).
    tsk_slot: int | None = None
    # A logical volume (LVM) inside the partition: its own reader, read from its offset 0, and its name
    # ("lvm vg/lv"), which prefixes the file system's in addresses. None: the file system is in the image.
    reader: ImageReader | None = field(default=None, compare=False)
    layer: str | None = None
    # An encrypted volume no key given unlocked: why (the walk reports it, and reads nothing of it).
    not_read: str | None = None
    # The volume's address when layers were opened in its partition (an unlocked encryption, a logical
    # volume): their innermost link. None: the partition's own (see :attr:`address`).
    layers: Link | None = None

    @property
    def address(self) -> Link | None:
        """The chain that addresses below this volume start from: its partition (None: no partition
        table), then the layers opened in it."""
        if self.layers is not None:
            return self.layers
        if self.partition is None:
            return None
        return Link(LinkKind.PARTITION, number=self.partition, offset=self.offset, slot=self.tsk_slot)

    def file_system(self, type_name: str) -> Link:
        """The address of the file system ``type_name`` found on this volume."""
        return Link(LinkKind.FILE_SYSTEM, self.address, label=type_name)

    def source(self, image: ImageReader) -> tuple[ImageReader, int]:
        """The reader holding this volume's file system, and where it starts in it."""
        return (self.reader, 0) if self.reader is not None else (image, self.offset)

    def __str__(self) -> str:
        if self.partition is None:
            where = f"file system at offset {self.offset}"
        else:
            where = (
                f"partition {self.partition} @ {self.offset} ({self.description}; TSK slot {self.tsk_slot})"
            )
        return where if self.layer is None else f"{where} > {self.layer}"


@dataclass
class FileSystem:
    """A file system TSK opened on a volume, and the directories a walk of it has entered so far."""

    fs: Any  # pytsk3.FS_Info
    volume: Volume
    type_name: str
    visited: set[int] = field(default_factory=set)
    image: TskImage | None = None  # the logical volume's own TSK image, kept alive with the file system

    @cached_property
    def link(self) -> Link:
        """Its address, below its volume's (made once: every file's address starts from it)."""
        return self.volume.file_system(self.type_name)

    @property
    def address_name(self) -> str:
        """What addresses call it: its type, after the logical volume it is in (``lvm vg/lv > ext4``)."""
        return self.type_name if self.volume.layer is None else f"{self.volume.layer} > {self.type_name}"


def tsk_text(raw: bytes) -> str:
    # TSK hands names over as UTF-8; a damaged name keeps its bytes visible as \xNN escapes, so two
    # different names never collapse into one.
    return raw.decode("utf-8", errors="backslashreplace")


def find_volumes(
    image: TskImage,
    lock: threading.RLock,
    where: str,
    problems: list[Problem],
    groups: list[VolumeGroup | ImageReader | ShadowVolume] | None = None,
) -> list[Volume]:
    """The allocated partitions of the partition table (MBR/DOS, GPT, …), or the whole image; an LVM
    physical volume among them replaced by its logical volumes (their groups added to ``groups``, for the
    caller to close).

    ``where`` names the image in a problem about its partition table.
    """
    found = [_unlocked(image.reader, v, lock, groups) for v in _partitions(image, lock, where, problems)]
    volumes: list[Volume] = []
    for volume in found:
        reader, offset = volume.source(image.reader)
        if volume.not_read is not None or not is_lvm(reader, offset):
            volumes.append(volume)
            if volume.not_read is None:
                volumes.extend(
                    _snapshots(volume, reader, offset=offset, lock=lock, problems=problems, opened=groups)
                )
            continue
        group = open_volume_group(reader, offset, lock, str(volume), problems)
        if group is None:
            volumes.append(volume)  # unreadable: reported by the walk as a volume without a file system
            continue
        if groups is not None:
            groups.append(group)
        for name, logical in group.logical:
            lvm = f"lvm {group.name}/{name}"
            layers = Link(LinkKind.LOGICAL_VOLUME, volume.address, label=f"{group.name}/{name}")
            volumes.append(replace(volume, reader=logical, layer=_below(volume.layer, lvm), layers=layers))
    return volumes


def _snapshots(
    volume: Volume,
    reader: ImageReader,
    *,
    offset: int,
    lock: threading.RLock,
    problems: list[Problem],
    opened: list[VolumeGroup | ImageReader | ShadowVolume] | None,
) -> list[Volume]:
    """An NTFS volume's shadow copies, oldest first, each a volume of its own (see vigilant.evidence.vss)."""
    if not walk_snapshots() or not has_shadow_copies(reader, offset):
        return []
    shadow = open_shadow_copies(reader, offset, lock, str(volume), problems)
    if shadow is None:
        return []
    if opened is not None:
        opened.append(shadow)
    return [
        replace(
            volume,
            reader=store,
            layer=_below(volume.layer, f"snapshot {store.number}"),
            layers=Link(LinkKind.SNAPSHOT, volume.address, number=store.number, time=store.created),
        )
        for store in shadow.stores
    ]


def _below(outer: str | None, inner: str) -> str:
    return inner if outer is None else f"{outer} > {inner}"


def _unlocked(
    reader: ImageReader,
    volume: Volume,
    lock: threading.RLock,
    opened: list[VolumeGroup | ImageReader | ShadowVolume] | None,
) -> Volume:
    """An encrypted volume (LUKS, BitLocker) as its plain bytes, unlocked with the run's keys (the walk
    closes it: it is put among ``opened``), or with the reason it was not; any other volume as it is."""
    kind = encryption_kind(reader.read(volume.offset, 512))
    if kind is None:
        return volume
    result = unlock(reader, volume.offset, kind, where=str(volume), lock=lock, ring=current_ring())
    if result.reader is None:
        return replace(volume, not_read=result.reason)
    if opened is not None:
        opened.append(result.reader)
    layers = Link(LinkKind.ENCRYPTED, volume.address, encryption=result.layer)
    return replace(volume, reader=result.reader, layer=result.layer, layers=layers)


def _partitions(image: TskImage, lock: threading.RLock, where: str, problems: list[Problem]) -> list[Volume]:
    try:
        with lock:
            table = pytsk3.Volume_Info(image)
    except OSError:
        return [Volume(None, 0, "no partition table")]
    block_size = int(table.info.block_size)
    dos = int(table.info.vstype) == pytsk3.TSK_VS_TYPE_DOS
    found = []
    for part in table:
        # Unallocated gaps and table entries (meta) hold no file system of their own.
        if int(part.flags) & pytsk3.TSK_VS_PART_FLAG_ALLOC:
            desc = tsk_text(part.desc) if isinstance(part.desc, bytes) else str(part.desc)
            if desc in _APPLE_MAP_ONLY:
                continue  # an Apple Partition Map lists itself (and free space) as partitions: no files
            number = table_number(int(part.table_num), int(part.slot_num), dos=dos, tsk_slot=int(part.addr))
            found.append(Volume(number, int(part.start) * block_size, desc, int(part.addr)))
    if not found:
        problems.append(Problem(where, "partition table lists no partition"))
        return [Volume(None, 0, "no partition in the table")]
    return sorted(found, key=lambda v: (v.partition, v.offset))


def table_number(table: int, slot: int, *, dos: bool, tsk_slot: int) -> int:
    """A partition's number as examiners give it, from TSK's table and slot (both from 0; mmls prints them
    as "table:slot"): a DOS logical partition, the one partition of extended table ``table``, is ``4 +
    table`` (fdisk's 5, 6, …); every other is its slot plus one. TSK's own number where it gives no slot."""
    if slot < 0:
        return tsk_slot
    if dos and table > 0:
        return 4 + table
    return slot + 1


def open_filesystem(
    image: TskImage, lock: threading.RLock, volume: Volume, problems: list[Problem]
) -> FileSystem | None:
    """The file system at ``volume``, or None (and a problem) when TSK finds none it can read."""
    own = TskImage(volume.reader) if volume.reader is not None else None  # a logical volume's
    try:
        with lock:
            fs = pytsk3.FS_Info(own or image, offset=0 if own else volume.offset)
    except OSError as exc:
        problems.append(Problem(str(volume), f"no file system The Sleuth Kit can read: {str(exc).strip()}"))
        return None
    ftype = int(fs.info.ftype)
    return FileSystem(fs, volume, FS_TYPE_NAMES.get(ftype, f"tsk-{ftype:#x}"), image=own)
