"""Partitions and file systems of a disk image, walked with The Sleuth Kit (pytsk3) -> file entries.

Yields every regular file, allocated and deleted, and each NTFS alternate data stream as its own entry,
in address order: partitions by slot, then path, inode and stream. A partition or file system that cannot
be read yields nothing and is recorded in :attr:`FileSystemWalker.problems`; the walk goes on with the
others.

Listing follows TSK's own directory walk (what ``fls -r`` prints), so the two can be compared entry for
entry; the tests do exactly that.
"""

from __future__ import annotations

import bisect
import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import Any, BinaryIO, cast

import pytsk3

from vigilant.evidence.base import Address, EntryStatus, FileEntry, Problem
from vigilant.evidence.extents import Extent, plain_extents
from vigilant.evidence.images import ImageReader, TskImage

# Bytes per read_random call. Small on purpose: every call allocates its result (and TSK and the image
# reader their own buffers); at 64 KiB these come from the heap, while from 128 KiB glibc maps and unmaps
# fresh pages for each, whose page faults made reading 2.5x slower (0.9 against 2.4 GB/s on one core).
CHUNK = 64 << 10

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

_DIR_META = (pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR)
_DIR_NAME = (pytsk3.TSK_FS_NAME_TYPE_DIR, pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR, pytsk3.TSK_FS_NAME_TYPE_UNDEF)
_NTFS_DATA = pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA
_NTFS_BADCLUS = 8  # $BadClus: its $Bad stream is a sparse run as large as the volume, with no content
_FAT_LABEL_SUFFIX = " (Volume Label Entry)"  # TSK lists a FAT volume label as a file with this name


@dataclass(frozen=True)
class Volume:
    """Where a file system may start: a partition of a partition table, or the whole image."""

    partition: int | None  # TSK's entry number in the table (mmls' first column); None: no table
    offset: int  # bytes from the start of the image
    description: str

    def __str__(self) -> str:
        if self.partition is None:
            return f"file system at offset {self.offset}"
        return f"partition {self.partition} @ {self.offset} ({self.description})"


@dataclass(frozen=True)
class _Stream:
    """One data stream of a file: which attribute TSK reads, and how big it is."""

    attribute: str | None  # None: the default stream
    attr_type: int
    attr_id: int
    size: int


@dataclass(frozen=True)
class _Child:
    """A directory entry worth listing or walking."""

    path: str
    file: Any  # pytsk3.File with its metadata loaded
    meta: Any
    name_flags: int
    is_dir: bool
    descend: bool


@dataclass
class _FileSystem:
    fs: Any  # pytsk3.FS_Info
    volume: Volume
    type_name: str
    visited: set[int] = field(default_factory=set)


def _utc(seconds: Any, nanos: Any) -> datetime | None:
    seconds, nanos = int(seconds), int(nanos)
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)
    except (OverflowError, OSError, ValueError):  # a corrupt or out-of-range stamp: unknown, not wrong
        return None


def _text(raw: bytes) -> str:
    # TSK hands names over as UTF-8; a damaged name keeps its bytes visible as \xNN escapes, so two
    # different names never collapse into one.
    return raw.decode("utf-8", errors="backslashreplace")


class FileSystemWalker:
    """Every regular file of every readable file system in an image; a context manager.

    Entries' openers read through this walker's handles: read an entry's content before the walker is
    closed (in practice: while iterating). TSK's handles are not safe to share between threads, so every
    call into TSK, the walk's and the readers', takes this walker's lock: readers may run in threads.
    """

    def __init__(self, reader: ImageReader, *, owns_reader: bool = False) -> None:
        self.reader = reader
        self._owns_reader = owns_reader  # close the reader with the walker
        self.problems: list[Problem] = []
        self._image = TskImage(reader)
        self._closed = False
        self._lock = threading.RLock()
        self._volumes: list[Volume] | None = None

    # --- volumes ----------------------------------------------------------------------------------------
    def volumes(self) -> list[Volume]:
        """The allocated partitions of the partition table (MBR/DOS, GPT, …), or the whole image."""
        if self._volumes is None:
            self._volumes = self._find_volumes()
        return self._volumes

    def _find_volumes(self) -> list[Volume]:
        try:
            with self._lock:
                table = pytsk3.Volume_Info(self._image)
        except OSError:
            return [Volume(None, 0, "no partition table")]
        block_size = int(table.info.block_size)
        found = []
        for part in table:
            # Unallocated gaps and table entries (meta) hold no file system of their own.
            if int(part.flags) & pytsk3.TSK_VS_PART_FLAG_ALLOC:
                desc = _text(part.desc) if isinstance(part.desc, bytes) else str(part.desc)
                found.append(Volume(int(part.addr), int(part.start) * block_size, desc))
        if not found:
            self.problems.append(Problem(str(self.reader.description), "partition table lists no partition"))
            return [Volume(None, 0, "no partition in the table")]
        return sorted(found, key=lambda v: (v.partition, v.offset))

    def _open_fs(self, volume: Volume) -> _FileSystem | None:
        try:
            with self._lock:
                fs = pytsk3.FS_Info(self._image, offset=volume.offset)
        except OSError as exc:
            self.problems.append(
                Problem(str(volume), f"no file system The Sleuth Kit can read: {str(exc).strip()}")
            )
            return None
        ftype = int(fs.info.ftype)
        return _FileSystem(fs, volume, FS_TYPE_NAMES.get(ftype, f"tsk-{ftype:#x}"))

    # --- walking ----------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[FileEntry]:
        for volume in self.volumes():
            filesystem = self._open_fs(volume)
            if filesystem is not None:
                yield from self._walk(filesystem)

    def _walk(self, fsys: _FileSystem) -> Iterator[FileEntry]:
        """Depth first, children in an order that makes the output sorted by path (see _children)."""
        root = int(fsys.fs.info.root_inum)
        fsys.visited.add(root)
        if _is_ntfs(fsys):  # the root folder's own named streams, path "/": first in order
            yield from self._root_streams(fsys, root)
        stack: list[Iterator[_Child]] = [iter(self._children(fsys, root, "/"))]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            if child.descend:
                addr = int(child.meta.addr)
                if addr not in fsys.visited:  # a directory reachable twice (loop, hard link): once
                    fsys.visited.add(addr)
                    stack.append(iter(self._children(fsys, addr, child.path + "/")))
            else:
                yield from self._entries(fsys, child)

    def _root_streams(self, fsys: _FileSystem, root: int) -> Iterator[FileEntry]:
        try:
            with self._lock:
                fs_file = fsys.fs.open_meta(inode=root)
        except OSError as exc:
            self.problems.append(Problem(f"{fsys.volume}, {fsys.type_name} /", str(exc).strip()))
            return
        meta = fs_file.info.meta
        flags = pytsk3.TSK_FS_NAME_FLAG_ALLOC
        yield from self._entries(fsys, _Child("/", fs_file, meta, flags, is_dir=True, descend=False))

    def _children(self, fsys: _FileSystem, dir_addr: int, prefix: str) -> list[_Child]:
        with self._lock:
            return self._list_dir(fsys, dir_addr, prefix)

    def _list_dir(self, fsys: _FileSystem, dir_addr: int, prefix: str) -> list[_Child]:
        """The files of one directory, and its directories to walk, sorted so that paths come out in order.

        A directory to walk sorts as its name plus "/", which is where its contents fall among its
        siblings' paths ("a.txt" < "a/…" < "a0"); equal names (a deleted and a live "a") then sort by
        inode. An NTFS directory also appears under its plain name, for its named data streams.
        """
        try:
            directory = fsys.fs.open_dir(inode=dir_addr)
        except OSError as exc:
            self.problems.append(
                Problem(f"{fsys.volume}, {fsys.type_name} {prefix} (inode {dir_addr})", str(exc).strip())
            )
            return []
        found: list[tuple[tuple[str, int], _Child]] = []
        for fs_file in directory:
            name = fs_file.info.name
            text = _text(name.name)
            if text in (".", ".."):
                continue
            loaded = _with_meta(fsys, fs_file)
            if loaded is None:
                continue  # a name without metadata: nothing to say about size or content
            meta = loaded.info.meta
            meta_type = int(meta.type)
            if meta_type in _DIR_META:
                if not _is_ntfs(fsys) and not _descend(name, meta):
                    continue  # NTFS directories stay: they can carry named data streams
            elif meta_type != pytsk3.TSK_FS_META_TYPE_REG:
                continue
            if fsys.type_name.startswith("fat") and text.endswith(_FAT_LABEL_SUFFIX):
                continue  # the volume label: TSK shows it as an empty file; it is not one
            path, flags, addr = prefix + text, int(name.flags), int(meta.addr)
            if meta_type not in _DIR_META:
                found.append(((text, addr), _Child(path, loaded, meta, flags, is_dir=False, descend=False)))
                continue
            if _is_ntfs(fsys):  # its named streams, if any, are files of this directory
                found.append(((text, addr), _Child(path, loaded, meta, flags, is_dir=True, descend=False)))
            if _descend(name, meta):
                found.append(
                    ((text + "/", addr), _Child(path, loaded, meta, flags, is_dir=True, descend=True))
                )
        found.sort(key=lambda item: item[0])
        return [child for _, child in found]

    def _entries(self, fsys: _FileSystem, child: _Child) -> Iterator[FileEntry]:
        with self._lock:
            entries = list(self._file_entries(fsys, child))
        yield from entries

    def _file_entries(self, fsys: _FileSystem, child: _Child) -> Iterator[FileEntry]:
        meta = child.meta
        name_deleted = bool(child.name_flags & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
        meta_deleted = bool(int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC)
        allocated = not (name_deleted or meta_deleted)
        try:
            streams = _streams(fsys, child.file, meta)
            error = None
        except OSError as exc:  # attributes that cannot be loaded: the content is out of reach
            streams = [_Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size))]
            error = f"The Sleuth Kit cannot load its attributes: {str(exc).strip()}"
        inode = int(meta.addr)
        for stream in streams:
            if child.is_dir and stream.attribute is None:
                continue  # a directory's own content is its index, not a file
            # A deleted entry with nothing in it has no content to look at (NTFS keeps empty reserved
            # MFT entries that TSK shows as deleted files, for one).
            if not allocated and stream.size == 0:
                continue
            address = Address(
                partition=fsys.volume.partition,
                partition_offset=fsys.volume.offset if fsys.volume.partition is not None else None,
                filesystem=fsys.type_name,
                path=child.path,
                inode=inode,
                attribute=stream.attribute,
            )
            reason = error
            if reason is None and not allocated:
                reason = _probe(child.file, stream)
            yield FileEntry(
                address=address,
                name=child.path.rsplit("/", 1)[-1],  # "" for the root folder's streams
                size=stream.size,
                allocated=allocated,
                modified=_utc(meta.mtime, meta.mtime_nano),
                accessed=_utc(meta.atime, meta.atime_nano),
                changed=_utc(meta.ctime, meta.ctime_nano),
                created=_utc(meta.crtime, meta.crtime_nano),
                status=EntryStatus.OK if reason is None else EntryStatus.UNREADABLE,
                error=reason,
                reallocated=name_deleted and not meta_deleted,
                opener=None if reason is not None else partial(self._open, fsys, inode, stream, address),
            )

    def _open(self, fsys: _FileSystem, inode: int, stream: _Stream, address: Address) -> BinaryIO:
        if self._closed:
            raise OSError(f"{address}: the image was closed; read entries while walking it")
        with self._lock:
            fs_file = fsys.fs.open_meta(inode=inode)
            extents = None
            if stream.attribute is None:
                extents = plain_extents(
                    fsys.fs,
                    fsys.type_name,
                    fs_file,
                    attr_type=stream.attr_type,
                    size=stream.size,
                    fs_offset=fsys.volume.offset,
                    image_size=self.reader.size,
                )
        direct = None if extents is None else DirectRead(self.reader, extents)
        return cast(BinaryIO, TskFileReader(fs_file, stream, str(address), self._lock, direct))

    # --- lifetime ---------------------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._image.close()
            if self._owns_reader:
                self.reader.close()

    def __enter__(self) -> FileSystemWalker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _is_ntfs(fsys: _FileSystem) -> bool:
    return fsys.type_name == "ntfs"


def _with_meta(fsys: _FileSystem, fs_file: Any) -> Any:
    """The file with its metadata loaded, or None when the name points at none."""
    if fs_file.info.meta is not None:
        return fs_file
    name = fs_file.info.name
    addr = int(name.meta_addr)
    if not addr and not int(name.flags) & pytsk3.TSK_FS_NAME_FLAG_ALLOC:
        return None
    # pytsk3's directory listing drops the metadata when its sequence number differs from the one in the
    # name (NTFS bumps it when a file is deleted); TSK's own directory walk, behind fls, keeps it. Load it
    # as fls does, so that deleted NTFS files are listed as TSK lists them.
    try:
        reloaded = fsys.fs.open_meta(inode=addr)
    except OSError:
        return None
    return reloaded if reloaded.info.meta is not None else None


def _descend(name: Any, meta: Any) -> bool:
    # TSK's rule (tsk_fs_dir_walk): walk a directory whose name is allocated, or whose name and metadata
    # are both unallocated (a deleted directory); not a deleted name whose inode now belongs to a live one.
    if int(name.type) not in _DIR_NAME or int(meta.type) not in _DIR_META:
        return False
    name_alloc = bool(int(name.flags) & pytsk3.TSK_FS_NAME_FLAG_ALLOC)
    meta_unalloc = bool(int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC)
    return name_alloc or meta_unalloc


def _streams(fsys: _FileSystem, fs_file: Any, meta: Any) -> list[_Stream]:
    """A file's data streams: the default one, plus NTFS named $DATA streams; default first."""
    if not _is_ntfs(fsys):
        return [_Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size))]
    streams = []
    structure = False  # has index roots: a metadata file made of indexes ($ObjId, $Quota, …)
    for attr in fs_file:  # loads the attributes: raises OSError when they are damaged
        info = attr.info
        if int(info.type) != _NTFS_DATA:
            structure = structure or int(info.type) == pytsk3.TSK_FS_ATTR_TYPE_NTFS_IDXROOT
            continue  # index roots ($I30, $SDH, …) and the rest are structure, not content
        name = _text(info.name) if info.name else None
        if name == "$Bad" and int(meta.addr) == _NTFS_BADCLUS:
            continue
        streams.append(_Stream(name, _NTFS_DATA, int(info.id), int(info.size)))
    if int(meta.type) == pytsk3.TSK_FS_META_TYPE_REG and not streams and not structure:
        # A file with no $DATA at all (seen on damaged volumes): listed as TSK lists it, size from meta.
        streams.append(_Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size)))
    return sorted(streams, key=lambda s: (s.attribute is not None, s.attribute or ""))


def _probe(fs_file: Any, stream: _Stream) -> str | None:
    """Why a deleted stream's content cannot be read, or None when its last byte can be."""
    if stream.size == 0:
        return None
    try:
        last = fs_file.read_random(stream.size - 1, 1, stream.attr_type, stream.attr_id)
    except OSError as exc:
        return f"deleted file's content cannot be recovered: {str(exc).strip()}"
    if len(last) != 1:
        return "deleted file's content cannot be recovered to its end: its blocks were reused or lost"
    return None


@dataclass(frozen=True)
class DirectRead:
    """A file's content read straight from the image (see :mod:`vigilant.evidence.extents`)."""

    image: ImageReader
    extents: list[Extent]

    def readinto(self, position: int, view: memoryview, where: str) -> int:
        """Fill ``view`` with the content from ``position`` (the caller keeps inside the file)."""
        starts = [e.start for e in self.extents]
        filled = 0
        while filled < len(view):
            extent = self.extents[bisect.bisect_right(starts, position) - 1]
            inside = position - extent.start
            take = min(len(view) - filled, extent.length - inside)
            try:
                got = self.image.readinto(extent.image_offset + inside, view[filled : filled + take])
            except OSError as exc:
                raise OSError(f"{where}: read error at byte {position}: {exc}") from exc
            if got != take:
                raise OSError(f"{where}: content ends at byte {position + got} (the image is cut short)")
            filled += take
            position += take
        return filled


class TskFileReader(io.RawIOBase):
    """Read-only, seekable view of one stream of a file, read through TSK in chunks of :data:`CHUNK`, or
    straight from the image when its blocks are known to be its content (``direct``)."""

    def __init__(
        self,
        fs_file: Any,
        stream: _Stream,
        where: str,
        lock: threading.RLock,
        direct: DirectRead | None = None,
    ) -> None:
        super().__init__()
        self._lock = lock
        self._file = fs_file
        self._stream = stream
        self._where = where
        self._direct = direct
        self._pos = 0
        self.size = stream.size

    @property
    def direct(self) -> bool:
        """Whether the content is read straight from the image rather than through TSK."""
        return self._direct is not None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def _chunk(self, size: int) -> bytes:
        size = min(size, CHUNK, self.size - self._pos)
        if size <= 0:
            return b""
        try:
            with self._lock:
                data: bytes = self._file.read_random(
                    self._pos, size, self._stream.attr_type, self._stream.attr_id
                )
        except OSError as exc:
            raise OSError(f"{self._where}: read error at byte {self._pos}: {str(exc).strip()}") from exc
        if len(data) != size:
            raise OSError(
                f"{self._where}: content ends at byte {self._pos + len(data)} of {self.size}"
                " (blocks reused or lost)"
            )
        self._pos += size
        return data

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file")

    def readinto(self, buffer: Any) -> int:
        self._check_open()
        view = memoryview(buffer).cast("B")
        if self._direct is not None:  # no lock: the image reader is safe to share between threads
            want = max(0, min(len(view), self.size - self._pos))
            filled = self._direct.readinto(self._pos, view[:want], self._where)
            self._pos += filled
            return filled
        filled = 0
        while filled < len(view) and (data := self._chunk(len(view) - filled)):
            view[filled : filled + len(data)] = data
            filled += len(data)
        return filled

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        if size is None or size < 0:
            size = max(0, self.size - self._pos)
        if self._direct is not None:
            buffer = bytearray(max(0, min(size, self.size - self._pos)))
            return bytes(buffer[: self.readinto(buffer)])
        parts = []
        while size > 0 and (data := self._chunk(size)):
            parts.append(data)
            size -= len(data)
        return b"".join(parts)

    def readall(self) -> bytes:
        return self.read(-1)
