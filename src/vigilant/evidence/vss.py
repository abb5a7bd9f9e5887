"""Volume Shadow Copies: each snapshot (store) of an NTFS volume, read through libvshadow as a volume.

:func:`~vigilant.evidence.volumes.find_volumes` asks here about each volume it keeps: an NTFS volume whose
shadow-copy catalogue libvshadow recognises gets, after itself, one volume per store, oldest first, numbered
from 1 as ``vshadowinfo`` and ``vshadowmount`` number them (``vss1``, ``vss2``). Each is a
:class:`ShadowStore` reader (the volume as it was when the snapshot was taken) that The Sleuth Kit opens at
offset 0, and its files' addresses pass through a ``snapshot`` link holding the store's number and creation
time: ``snapshot 1 (2013-12-03 06:35:09 UTC) > ntfs > /file.txt (inode 40)``.

Walking them is a setting (``VIGILANT_SHADOW_COPIES``, on by default: field triage tools include shadow
copies, since deleted and older versions of files live there; the cost is one more walk of the volume per
snapshot). A catalogue libvshadow cannot read is a problem of the run; the current volume is walked anyway.

libvshadow's handle has one file position and reads the volume through the image, so every call into it
holds the walker's lock. Nothing here writes to the evidence.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from vigilant.errors import ConfigError
from vigilant.evidence.base import Problem
from vigilant.evidence.images import ImageReader, LibyalImage
from vigilant.evidence.libyal_filesystems import VolumeFile
from vigilant.evidence.runs import Extent

SETTING = "VIGILANT_SHADOW_COPIES"
_ON, _OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")
_NTFS_OEM = b"NTFS    "  # bytes 3-10 of an NTFS boot sector
_FILETIME_EPOCH_SECONDS = 11_644_473_600  # 1601-01-01 to 1970-01-01
VSS_BLOCK = 0x4000  # a store copies the volume in blocks of 16 KiB
_PROBE = 512  # bytes read to tell a block libvshadow serves from the volume from one it fills with zeros


def shadow_copies_from_env(env: Mapping[str, str] | None = None) -> bool:
    """Whether ``VIGILANT_SHADOW_COPIES`` asks for snapshots to be walked (default: yes)."""
    value = (os.environ if env is None else env).get(SETTING, "on").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise ConfigError(f"{SETTING}={value!r}: say on or off")


_wanted_lock = threading.Lock()
_wanted: bool | None = None  # None: as the environment says (read once)


def walk_snapshots() -> bool:
    """Whether walks in this process read shadow copies: the setting, unless :func:`snapshots` overrides."""
    global _wanted  # noqa: PLW0603 - one process-wide switch, read from the environment once
    with _wanted_lock:
        if _wanted is None:
            _wanted = shadow_copies_from_env()
        return _wanted


@contextmanager
def snapshots(wanted: bool) -> Iterator[None]:
    """Walk shadow copies (or not) inside the block, whatever the environment says; as before after."""
    global _wanted  # noqa: PLW0603
    with _wanted_lock:
        before, _wanted = _wanted, wanted
    try:
        yield
    finally:
        with _wanted_lock:
            _wanted = before


def filetime_utc(filetime: int) -> datetime:
    """A Windows FILETIME (100 ns since 1601) as an aware UTC time, to the microsecond."""
    micros = filetime // 10 - _FILETIME_EPOCH_SECONDS * 1_000_000
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def has_shadow_copies(reader: ImageReader, offset: int) -> bool:
    """Whether the volume at ``offset`` is NTFS with a shadow-copy catalogue libvshadow recognises."""
    if reader.read(offset + 3, 8) != _NTFS_OEM:
        return False
    import pyvshadow  # noqa: PLC0415 - a native module; only NTFS volumes pay its import

    try:
        return bool(pyvshadow.check_volume_signature_file_object(VolumeFile(reader, offset)))
    except OSError:
        return False


class ShadowStore(LibyalImage):
    """One snapshot's volume, read through libvshadow (under the walker's lock: one handle for all stores).

    ``changed`` holds the 16 KiB blocks (by index) whose snapshot content libvshadow takes from a store
    (this one or a later one: copy-on-write data, forwarders, overlays) rather than from the current
    volume; see :meth:`same_as_volume`."""

    def __init__(
        self,
        store: Any,
        number: int,
        created: datetime,
        where: str,
        *,
        lock: threading.RLock,
        current: tuple[ImageReader, int],
    ) -> None:
        self._handle = store
        self._lock = lock
        self.number = number
        self.created = created
        self.current = current  # the current volume: the image it is in, and where it starts there
        self.changed: frozenset[int] = frozenset()
        self.from_volume = 0  # files whose content was read from the current volume (content_source)
        with lock:
            size = int(store.volume_size)
        super().__init__(f"{where} > snapshot {number}", size)

    def same_as_volume(self, extents: Sequence[Extent]) -> bool:
        """Whether the bytes these extents (offsets in the snapshot's volume) hold in the snapshot are
        the current volume's at the same offsets, known without reading them through libvshadow.

        True when no store holds a block of theirs (``changed``) and a probe of each 16 KiB block shows
        libvshadow serves it from the volume: its first sector in the extent reads the same through the
        store as straight from the volume, and is not all zeros (libvshadow gives zeros for a block the
        newest store's bitmap marks as not copied: files Windows leaves out of snapshots). A probe that
        reads zeros is inconclusive: False, and the file is read through the store."""
        for extent in extents:
            if extent.image_offset is None or extent.length == 0:
                continue
            start, end = extent.image_offset, extent.image_offset + extent.length
            for block in range(start // VSS_BLOCK, (end - 1) // VSS_BLOCK + 1):
                if block in self.changed:
                    return False
                at = max(start, block * VSS_BLOCK)
                size = min(_PROBE, end - at, (block + 1) * VSS_BLOCK - at)
                straight = self.current[0].read(self.current[1] + at, size)
                if not any(straight) or self.read(at, size) != straight:
                    return False
        return True

    def _close(self) -> None:
        pass  # the volume's handle is closed with the walk (see ShadowVolume.close)


@dataclass
class ShadowVolume:
    """The shadow copies of the NTFS volume at ``offset``, opened read-only; close it when done."""

    stores: list[ShadowStore]
    _handle: Any

    def close(self) -> None:
        for store in self.stores:
            store.close()
        self._handle.close()


def open_shadow_copies(
    reader: ImageReader, offset: int, lock: threading.RLock, where: str, problems: list[Problem]
) -> ShadowVolume | None:
    """The stores of the volume at ``offset``, oldest first, or None (and a problem) when its catalogue
    cannot be read."""
    import pyvshadow  # noqa: PLC0415 - a native module

    handle = pyvshadow.volume()
    try:
        with lock:
            handle.open_file_object(VolumeFile(reader, offset))
            stores: list[ShadowStore] = []
            held: list[set[int]] = []  # each store's own copy-on-write blocks
            for i, store in enumerate(handle.stores):
                if not store.has_in_volume_data():  # its copy-on-write data is kept on another volume
                    problems.append(Problem(where, f"snapshot {i + 1} keeps its data outside this volume"))
                    continue
                created = filetime_utc(int(store.get_creation_time_as_integer()))
                stores.append(ShadowStore(store, i + 1, created, where, lock=lock, current=(reader, offset)))
                held.append({int(block.original_offset) // VSS_BLOCK for block in store.blocks})
    except OSError as exc:
        handle.close()
        problems.append(Problem(where, f"shadow copies that libvshadow cannot read: {exc}"))
        return None
    # A snapshot reads a block from the first store, itself or a later one, that holds it.
    later: set[int] = set()
    for store, own in zip(reversed(stores), reversed(held), strict=True):
        later |= own
        store.changed = frozenset(later)
    return ShadowVolume(stores, handle)


def content_source(reader: ImageReader, extents: Sequence[Extent]) -> tuple[ImageReader, list[Extent]]:
    """Where to read a file's extents from: a snapshot's file whose bytes are the current volume's
    (:meth:`ShadowStore.same_as_volume`) straight from the image, as the current volume's files are read,
    rather than through libvshadow; any other from ``reader`` itself."""
    if isinstance(reader, ShadowStore) and reader.same_as_volume(extents):
        reader.from_volume += 1
        image, offset = reader.current
        return image, [
            replace(e, image_offset=None if e.image_offset is None else e.image_offset + offset)
            for e in extents
        ]
    return reader, list(extents)
