"""File systems The Sleuth Kit cannot read, through the libyal libraries: XFS (libfsxfs) and APFS (libfsapfs).

:class:`~vigilant.evidence.filesystems.FileSystemWalker` asks here for a volume in which The Sleuth Kit found
no file system it can read. Each reader checks the volume's signature first: a volume that is neither is
left to the walker's "no file system" problem. A volume that has the signature but cannot be read (damage,
an encrypted APFS volume no password given unlocks) is a problem of its own, and an unreadable volume.

Listed: every regular file, in path order, addressed like TSK's (file system, path, inode: the XFS inode
number, the APFS file identifier). An APFS container holds volumes: each is its own file system, named
``apfs volume N (name)``. An APFS file's resource fork (its ``com.apple.ResourceFork`` extended attribute)
is a stream of the file, ``path:rsrc`` (see :mod:`vigilant.evidence.forks`). Deleted entries are not listed:
neither library exposes them.

The libraries' handles are not safe to share between threads, so every call into them holds the walker's
lock, the walk's and the readers' alike. Nothing here writes to the evidence.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from vigilant.evidence.address import Link, LinkKind
from vigilant.evidence.base import Address, EntryStatus, FileEntry, Problem
from vigilant.evidence.forks import RESOURCE_FORK, apfs_resource_fork
from vigilant.evidence.images import ImageReader
from vigilant.evidence.keys import KeyKind, KeyRing, UnlockEvent, current_ring

if TYPE_CHECKING:  # volumes imports lvm, which imports this module
    from vigilant.evidence.volumes import Volume

_S_IFMT, _S_IFDIR, _S_IFREG = 0o170000, 0o040000, 0o100000
_CHUNK = 1 << 20


class VolumeFile(io.RawIOBase):
    """The bytes of a volume (from ``offset`` to the image's end) as the file object libyal opens."""

    def __init__(self, reader: ImageReader, offset: int) -> None:
        super().__init__()
        self._reader, self._offset, self._pos = reader, offset, 0
        self._size = max(0, reader.size - offset)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def get_size(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._pos
        data = self._reader.read(self._offset + self._pos, max(0, min(size, self._size - self._pos)))
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(memoryview(buffer)))
        memoryview(buffer).cast("B")[: len(data)] = data
        return len(data)


@dataclass(frozen=True)
class LibyalFileSystem:
    """A file system opened by a libyal library: its root folder, and how the walk names it."""

    type_name: str  # "xfs", "apfs volume 1 (name)"
    root: Any
    inode: Callable[[Any], int]  # a file entry's number (XFS inode, APFS identifier)


def _nanoseconds(value: Any) -> datetime | None:
    try:
        ns = int(value)
    except (TypeError, ValueError):
        return None
    if ns <= 0:
        return None
    try:
        return datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
            microsecond=(ns % 1_000_000_000) // 1000
        )
    except (OverflowError, OSError, ValueError):
        return None


class _EntryStream(io.RawIOBase):
    """A file's content through its libyal file entry, every call under the walker's lock."""

    def __init__(self, entry: Any, size: int, lock: threading.RLock, where: str) -> None:
        super().__init__()
        self._entry, self._size, self._lock, self._where, self._pos = entry, size, lock, where, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = max(0, min(len(view), self._size - self._pos))
        if not want:
            return 0
        try:
            with self._lock:
                data: bytes = self._entry.read_buffer_at_offset(want, self._pos)
        except OSError as exc:
            raise OSError(f"{self._where}: read error at byte {self._pos}: {exc}") from exc
        if not data:
            raise OSError(f"{self._where}: ends early at byte {self._pos} of {self._size}")
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def libyal_kind(head: bytes) -> str | None:
    """ "xfs" or "apfs" when ``head`` (a volume's first 4 KiB) has that file system's signature, else None."""
    if head[:4] == b"XFSB":
        return "xfs"
    if head[32:36] == b"NXSB":  # an APFS container superblock
        return "apfs"
    return None


def open_libyal(
    reader: ImageReader, lock: threading.RLock, volume: Volume, problems: list[Problem]
) -> list[LibyalFileSystem] | None:
    """The file systems XFS or APFS finds at ``volume``; None when it has neither signature. A volume with
    the signature that cannot be read adds its problem and gives ``[]``."""
    source = VolumeFile(*volume.source(reader))
    with lock:
        head = source.read(4096)
        source.seek(0)
    kind = libyal_kind(head)
    if kind == "xfs":
        return _open_xfs(source, lock, volume, problems)
    if kind == "apfs":
        return _open_apfs(source, lock, volume, problems)
    return None


def _open_xfs(
    source: VolumeFile, lock: threading.RLock, volume: Volume, problems: list[Problem]
) -> list[LibyalFileSystem]:
    import pyfsxfs  # noqa: PLC0415 - a native module; only XFS users pay its import

    handle = pyfsxfs.volume()
    try:
        with lock:
            handle.open_file_object(source)
            root = handle.get_root_directory()
    except OSError as exc:
        problems.append(Problem(str(volume), f"XFS that libfsxfs cannot read: {exc}"))
        return []
    return [LibyalFileSystem("xfs", root, lambda e: int(e.get_inode_number()))]


def _open_apfs(
    source: VolumeFile, lock: threading.RLock, volume: Volume, problems: list[Problem]
) -> list[LibyalFileSystem]:
    import pyfsapfs  # noqa: PLC0415 - a native module; only APFS users pay its import

    container = pyfsapfs.container()
    try:
        with lock:
            container.open_file_object(source)
            count = int(container.get_number_of_volumes())
    except OSError as exc:
        problems.append(Problem(str(volume), f"APFS container that libfsapfs cannot read: {exc}"))
        return []
    found = []
    for index in range(count):
        where = f"{volume} > APFS volume {index + 1}"
        try:
            with lock:
                apfs = container.get_volume(index)
                name = str(apfs.get_name() or "")
                if apfs.is_locked():
                    reason = unlock_apfs(apfs, f"{where} ({name})", current_ring())
                    if reason is not None:
                        problems.append(Problem(f"{where} ({name})", reason))
                        continue
                root = apfs.get_root_directory()
        except OSError as exc:
            problems.append(Problem(where, f"APFS volume that libfsapfs cannot read: {exc}"))
            continue
        found.append(
            LibyalFileSystem(f"apfs volume {index + 1} ({name})", root, lambda e: int(e.get_identifier()))
        )
    return found


def unlock_apfs(apfs: Any, where: str, ring: KeyRing | None) -> str | None:
    """Unlock an encrypted APFS volume with the run's keys (the caller holds the lock); None when it is
    open, else why not. Every outcome is told to the ring (the kind of key, never the key)."""
    keys = ring.for_encryption("APFS") if ring is not None else []
    if ring is None or not ring.keys:
        return "encrypted APFS volume: not unlocked: no password given (give one with --key password:prompt)"
    for key in keys:
        if key.kind is KeyKind.RECOVERY_PASSWORD:
            apfs.set_recovery_password(key.secret)
        else:
            apfs.set_password(key.secret)
        try:
            opened = bool(apfs.unlock())
        except OSError:
            opened = False
        if opened:
            ring.tell(UnlockEvent(where, "APFS", key.kind))
            return None
    tried = ", ".join(f"wrong {k.kind.value}" for k in keys) or "no password or recovery password given"
    ring.tell(UnlockEvent(where, "APFS", None, tried))
    return f"encrypted APFS volume: not unlocked: {tried}"


def walk_libyal(
    fsys: LibyalFileSystem,
    volume: Volume,
    lock: threading.RLock,
    problems: list[Problem],
    closed: Callable[[], bool],
) -> Iterator[FileEntry]:
    """Every regular file of ``fsys``, depth first, children by name (so the output is sorted by path);
    ``closed`` tells whether the walker that holds the handles was closed (its entries can no longer read)."""
    stack: list[Iterator[tuple[str, Any]]] = [iter(_children(fsys.root, "/", lock, problems, volume))]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
            continue
        path, entry = child
        with lock:
            mode = int(entry.get_file_mode() or 0) & _S_IFMT
        if mode == _S_IFDIR:
            stack.append(iter(_children(entry, path + "/", lock, problems, volume)))
        elif mode == _S_IFREG:
            yield _file_entry(fsys, volume, path, entry, lock, closed)
            with lock:
                fork = apfs_resource_fork(entry) if fsys.type_name.startswith("apfs") else None
            if fork is not None:  # a stream of its file, right after it (as NTFS named streams)
                yield _file_entry(fsys, volume, path, entry, lock, closed, fork=fork)


def _children(
    folder: Any, prefix: str, lock: threading.RLock, problems: list[Problem], volume: Volume
) -> list[tuple[str, Any]]:
    # "a.txt" < "a/inner.txt" as paths: a folder's entries sort by name + "/" (as the TSK walk's do)
    try:
        with lock:
            found = [(prefix + str(e.get_name()), e) for e in folder.sub_file_entries]
            kinds = [int(e.get_file_mode() or 0) & _S_IFMT for _, e in found]
    except OSError as exc:
        problems.append(Problem(f"{volume} > {prefix}", f"folder not readable: {exc}"))
        return []
    keyed = [(p + ("/" if k == _S_IFDIR else ""), p, e) for (p, e), k in zip(found, kinds, strict=True)]
    return [(p, e) for _, p, e in sorted(keyed, key=lambda t: t[0])]


def _file_entry(  # noqa: PLR0917 - one call, every part named
    fsys: LibyalFileSystem,
    volume: Volume,
    path: str,
    entry: Any,
    lock: threading.RLock,
    closed: Callable[[], bool],
    *,
    fork: Any = None,
) -> FileEntry:
    """The file ``entry`` at ``path``; with ``fork`` (its resource fork's extended attribute), that stream."""
    content = entry if fork is None else fork
    with lock:
        size = int(content.get_size() or 0)
        inode = fsys.inode(entry)
        times = [
            _nanoseconds(getter())
            for getter in (
                entry.get_modification_time_as_integer,
                entry.get_access_time_as_integer,
                entry.get_inode_change_time_as_integer,
                entry.get_creation_time_as_integer,
            )
        ]
    file = Link(LinkKind.PATH, volume.file_system(fsys.type_name), path=path, inode=inode)
    address = Address.of(file if fork is None else Link(LinkKind.STREAM, file, label=RESOURCE_FORK))
    where = str(address)

    def opener() -> BinaryIO:
        if closed():
            raise OSError(f"{where}: the image was closed; read entries while walking it")
        return cast(BinaryIO, io.BufferedReader(_EntryStream(content, size, lock, where), _CHUNK))

    return FileEntry(
        address=address,
        name=path.rsplit("/", 1)[-1],
        size=size,
        modified=times[0],
        accessed=times[1],
        changed=times[2],
        created=times[3],
        status=EntryStatus.OK,
        opener=opener,
    )
