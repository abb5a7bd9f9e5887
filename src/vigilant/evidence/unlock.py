"""Encrypted volumes unlocked with the examiner's keys: LUKS (libluksde) and BitLocker (libbde).

:func:`~vigilant.evidence.volumes.find_volumes` asks here about each volume whose first bytes say it is
encrypted (:mod:`vigilant.evidence.encrypted_volumes`). With a key that opens it, the volume is replaced by
its plain bytes, an :class:`UnlockedVolume` reader that The Sleuth Kit (or libyal, or LVM) reads from offset
0 as any volume, its layer named in every address below it (``partition 2 @ … > luks1 > ext4``). Without
one, the volume stays, with the reason it was not unlocked: a problem of the run, never "0 files".

Every attempt is told to the run's :class:`~vigilant.evidence.keys.KeyRing` (the kind of key that opened the
volume, or why none did); the key never leaves memory. libluksde reads LUKS1 only: a LUKS2 volume is
reported as such. Nothing here writes to the evidence: the libraries read through a read-only file object.

libluksde asks that file object for the encrypted bytes one 512-byte sector at a time: 2,048 calls back into
Python per MiB, which halved its speed against a volume opened by path (68 against 130 MB per CPU-second).
:class:`ReadAheadFile` serves those calls from a window read ahead from the image (84 MB per CPU-second).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from vigilant.evidence.images import ImageReader, LibyalImage
from vigilant.evidence.keys import KeyKind, KeyRing, UnlockEvent, VolumeKey
from vigilant.evidence.libyal_filesystems import VolumeFile

READ_AHEAD = 1 << 20  # bytes of the encrypted volume read at once for the library's sector-sized reads


class ReadAheadFile(VolumeFile):
    """A volume's bytes as :class:`VolumeFile` gives them, each small read served from a window of ``span``
    bytes read from the image at once (the window moves to the read that falls outside it)."""

    def __init__(self, reader: ImageReader, offset: int, span: int = READ_AHEAD) -> None:
        super().__init__(reader, offset)
        self._span = span
        self._window_start = 0
        self._window = b""

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._pos
        size = max(0, min(size, self._size - self._pos))
        at = self._pos - self._window_start
        if at < 0 or at + size > len(self._window):
            if size >= self._span:  # a large read gains nothing from the window
                return super().read(size)
            self._window_start, at = self._pos, 0
            self._window = self._reader.read(
                self._offset + self._pos, min(self._span, self._size - self._pos)
            )
        data = self._window[at : at + size]
        self._pos += len(data)
        return data


class UnlockedVolume(LibyalImage):
    """An encrypted volume's plain bytes, read through its libyal handle (under the walker's lock: one
    handle, one position)."""

    def __init__(self, handle: Any, source: VolumeFile, description: str, lock: threading.RLock) -> None:
        self._handle, self._source, self._lock = handle, source, lock
        with lock:
            size = int(handle.get_size())
        super().__init__(description, size)

    def _close(self) -> None:
        with self._lock:
            self._handle.close()


@dataclass(frozen=True)
class Unlocked:
    """What an unlock attempt gave: the plain volume, or why there is none."""

    reader: UnlockedVolume | None
    layer: str  # "luks1", "bitlocker": the address layer
    reason: str | None = None  # why it was not unlocked (reader None)


def family(kind: str) -> str:
    """ "LUKS" for "LUKS1"/"LUKS2"; the kind itself otherwise."""
    return "LUKS" if kind.startswith("LUKS") else kind


def unlock(
    reader: ImageReader, offset: int, kind: str, *, where: str, lock: threading.RLock, ring: KeyRing | None
) -> Unlocked:
    """The volume of ``kind`` ("LUKS1", "LUKS2", "BitLocker") at ``offset``, opened with the first key of
    ``ring`` that fits; every outcome told to the ring."""
    layer = kind.lower()
    keys = ring.for_encryption(family(kind)) if ring is not None else []
    reason = _cannot_try(kind, ring, keys)
    if reason is None:
        opened, reason = _try_keys(reader, offset, kind, where, lock, keys)
        if opened is not None:
            volume, key = opened
            if ring is not None:
                ring.tell(UnlockEvent(where, kind, key.kind))
            return Unlocked(volume, layer)
    if ring is not None and ring.keys:  # no key given at all: nothing was attempted, nothing to record
        ring.tell(UnlockEvent(where, kind, None, reason))
    return Unlocked(None, layer, f"{kind}-encrypted volume: not unlocked: {reason}")


def _cannot_try(kind: str, ring: KeyRing | None, keys: list[VolumeKey]) -> str | None:
    if kind == "LUKS2":
        return "LUKS2 is not supported by libluksde (it reads LUKS1); decrypt a copy with cryptsetup"
    if ring is None or not ring.keys:
        return "no key given (give one with --key, e.g. --key passphrase:prompt)"
    if not keys:
        given = ", ".join(sorted({k.kind.value for k in ring.keys}))
        return f"no key of a kind {kind} takes (given: {given})"
    return None


def _try_keys(  # noqa: PLR0917 - one call, every part named
    reader: ImageReader,
    offset: int,
    kind: str,
    where: str,
    lock: threading.RLock,
    keys: list[VolumeKey],
) -> tuple[tuple[UnlockedVolume, VolumeKey] | None, str]:
    wrong = []
    for key in keys:
        source = ReadAheadFile(reader, offset)
        try:
            with lock:
                handle = _open(kind, source)
        except OSError as exc:
            return None, f"{_LIBRARY[family(kind)]} cannot read it: {exc}"
        try:
            with lock:
                opened = _unlock_with(handle, key)
        except OSError as exc:
            opened = False
            wrong.append(f"{key.kind.value} refused ({str(exc).split('.')[0]})")
        if opened:
            description = f"{where} > {kind} (unlocked with a {key.kind.value})"
            return (UnlockedVolume(handle, source, description, lock), key), ""
        with lock:
            handle.close()
        if not wrong or not wrong[-1].startswith(key.kind.value):
            wrong.append(f"wrong {key.kind.value}")
    return None, ", ".join(wrong)


_LIBRARY = {"LUKS": "libluksde", "BitLocker": "libbde"}


def _open(kind: str, source: VolumeFile) -> Any:
    if family(kind) == "LUKS":
        import pyluksde  # noqa: PLC0415 - a native module; only LUKS users pay its import

        handle = pyluksde.volume()
    else:
        import pybde  # noqa: PLC0415 - a native module; only BitLocker users pay its import

        handle = pybde.volume()
    handle.open_file_object(source)
    return handle


def _unlock_with(handle: Any, key: VolumeKey) -> bool:
    if key.kind is KeyKind.RECOVERY_PASSWORD:
        handle.set_recovery_password(key.secret)
    elif key.kind is KeyKind.STARTUP_KEY:
        handle.read_startup_key(str(key.path))
    else:
        handle.set_password(key.secret)
    return bool(handle.unlock())
