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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vigilant.errors import ConfigError
from vigilant.evidence.base import Problem
from vigilant.evidence.images import ImageReader, LibyalImage
from vigilant.evidence.libyal_filesystems import VolumeFile

SETTING = "VIGILANT_SHADOW_COPIES"
_ON, _OFF = ("on", "yes", "true", "1"), ("off", "no", "false", "0")
_NTFS_OEM = b"NTFS    "  # bytes 3-10 of an NTFS boot sector
_FILETIME_EPOCH_SECONDS = 11_644_473_600  # 1601-01-01 to 1970-01-01


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
    """One snapshot's volume, read through libvshadow (under the walker's lock: one handle for all stores)."""

    def __init__(self, store: Any, number: int, created: datetime, where: str, lock: threading.RLock) -> None:
        self._handle = store
        self._lock = lock
        self.number = number
        self.created = created
        with lock:
            size = int(store.volume_size)
        super().__init__(f"{where} > snapshot {number}", size)

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
            stores = []
            for i, store in enumerate(handle.stores):
                if not store.has_in_volume_data():  # its copy-on-write data is kept on another volume
                    problems.append(Problem(where, f"snapshot {i + 1} keeps its data outside this volume"))
                    continue
                created = filetime_utc(int(store.get_creation_time_as_integer()))
                stores.append(ShadowStore(store, i + 1, created, where, lock))
    except OSError as exc:
        handle.close()
        problems.append(Problem(where, f"shadow copies that libvshadow cannot read: {exc}"))
        return None
    return ShadowVolume(stores, handle)
