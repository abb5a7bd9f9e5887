"""Linux LVM: a physical volume's logical volumes, each read through libvslvm as a disk of its own.

:func:`~vigilant.evidence.volumes.find_volumes` asks here about each partition (or the whole image): one
whose second sector holds an LVM2 label (``LABELONE`` … ``LVM2 001``) is replaced by the logical volumes of
its volume group, each a :class:`LogicalVolume` reader that The Sleuth Kit opens at offset 0. A logical
volume may lie in several segments of the physical volume: libvslvm puts them together, so nothing here
computes where its bytes are. A volume group spread over several physical volumes (other disks) cannot be
read from one image: that is a problem, and an unreadable volume.
"""

from __future__ import annotations

import threading
from typing import Any

from vigilant.evidence.base import Problem
from vigilant.evidence.images import ImageReader, LibyalImage
from vigilant.evidence.libyal_filesystems import VolumeFile

_LABEL_SECTOR = 512


def is_lvm(reader: ImageReader, offset: int) -> bool:
    """Whether the volume at ``offset`` is an LVM2 physical volume (its label in the second sector)."""
    label = reader.read(offset + _LABEL_SECTOR, 32)
    return label[:8] == b"LABELONE" and label[24:32] == b"LVM2 001"


class LogicalVolume(LibyalImage):
    """One logical volume's bytes, read through libvslvm (under the walker's lock: one handle, one position
    for the whole volume group)."""

    def __init__(self, handle: Any, description: str, lock: threading.RLock) -> None:
        self._handle = handle
        self._lock = lock
        with lock:
            size = int(handle.get_size())
        super().__init__(description, size)

    def _close(self) -> None:
        pass  # the volume group's handle is closed with the walk (see open_volume_group)


class VolumeGroup:
    """The volume group whose physical volume starts at ``offset``, opened read-only; close it when done."""

    def __init__(self, reader: ImageReader, offset: int, lock: threading.RLock, where: str) -> None:
        import pyvslvm  # noqa: PLC0415 - a native module; only LVM users pay its import

        self._source = VolumeFile(reader, offset)
        self._handle = pyvslvm.handle()
        self.where = where
        with lock:
            self._handle.open_file_object(self._source)
            self._handle.open_physical_volume_files_as_file_objects([self._source])
            group = self._handle.get_volume_group()
            self.name = str(group.get_name())
            self.physical_volumes = int(group.get_number_of_physical_volumes())
            self.logical = [
                (str(lv.get_name()), LogicalVolume(lv, f"{where} > LVM {self.name}/{lv.get_name()}", lock))
                for lv in group.logical_volumes
            ]

    def close(self) -> None:
        for _, volume in self.logical:
            volume.close()
        self._handle.close()


def open_volume_group(
    reader: ImageReader, offset: int, lock: threading.RLock, where: str, problems: list[Problem]
) -> VolumeGroup | None:
    """The volume group at ``offset``, or None (and a problem) when it cannot be read from this image."""
    try:
        group = VolumeGroup(reader, offset, lock, where)
    except OSError as exc:
        problems.append(Problem(where, f"LVM physical volume that libvslvm cannot read: {exc}"))
        return None
    if group.physical_volumes != 1:
        group.close()
        problems.append(
            Problem(
                where,
                f"LVM volume group {group.name} spans {group.physical_volumes} physical volumes: add the"
                " other disks' images (a group over several disks cannot be read from one)",
            )
        )
        return None
    return group
