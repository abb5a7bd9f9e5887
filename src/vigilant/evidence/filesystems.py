"""The file systems of a disk image, walked with The Sleuth Kit (pytsk3) -> file entries.

Yields every regular file, allocated and deleted, and each NTFS alternate data stream as its own entry,
in address order: partitions by slot, then path, inode and stream. A partition or file system that cannot
be read yields nothing and is recorded in :attr:`FileSystemWalker.problems`; the walk goes on with the
others.

Listing follows TSK's own directory walk (what ``fls -r`` prints), so the two can be compared entry for
entry; the tests do exactly that. Finding the partitions and opening their file systems is
:mod:`vigilant.evidence.volumes`'s; reading an entry's content, :mod:`vigilant.evidence.tsk_reader`'s.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import Any, BinaryIO, cast

import pytsk3

from vigilant.evidence.address import Link, LinkKind
from vigilant.evidence.base import Address, EntryStatus, FileEntry, Problem
from vigilant.evidence.extents import plain_extents
from vigilant.evidence.forks import hfs_streams
from vigilant.evidence.images import ImageReader, TskImage
from vigilant.evidence.libyal_filesystems import open_libyal, walk_libyal
from vigilant.evidence.lvm import VolumeGroup
from vigilant.evidence.runs_ntfs import MftRecordsByVolume
from vigilant.evidence.tsk_reader import DirectRead, Stream, TskFileReader
from vigilant.evidence.unsupported_volumes import unsupported_reason
from vigilant.evidence.volumes import FileSystem, Volume, find_volumes, open_filesystem, tsk_text
from vigilant.evidence.vss import ShadowVolume, content_source

_DIR_META = (pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR)
_DIR_NAME = (pytsk3.TSK_FS_NAME_TYPE_DIR, pytsk3.TSK_FS_NAME_TYPE_VIRT_DIR, pytsk3.TSK_FS_NAME_TYPE_UNDEF)
_NTFS_DATA = pytsk3.TSK_FS_ATTR_TYPE_NTFS_DATA
_NTFS_BADCLUS = 8  # $BadClus: its $Bad stream is a sparse run as large as the volume, with no content
_FAT_LABEL_SUFFIX = " (Volume Label Entry)"  # TSK lists a FAT volume label as a file with this name


@dataclass(frozen=True)
class _Child:
    """A directory entry worth listing or walking."""

    path: str
    file: Any  # pytsk3.File with its metadata loaded
    meta: Any
    name_flags: int
    is_dir: bool
    descend: bool


def _utc(seconds: Any, nanos: Any) -> datetime | None:
    seconds, nanos = int(seconds), int(nanos)
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)
    except (OverflowError, OSError, ValueError):  # a corrupt or out-of-range stamp: unknown, not wrong
        return None


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
        # The problems of volumes where TSK found no file system it can read (also in ``problems``): such a
        # volume yields no file at all, which a run must not pass over in silence.
        self.unreadable_volumes: list[Problem] = []
        self._image = TskImage(reader)
        self._closed = False
        self._lock = threading.RLock()
        self._volumes: list[Volume] | None = None
        # LVM volume groups and unlocked encrypted volumes opened by volumes(), closed with the walker
        self._groups: list[VolumeGroup | ImageReader | ShadowVolume] = []
        self._mft = MftRecordsByVolume()  # NTFS initialised sizes, for reading streams along their runs
        # Streams opened, by (file system type, "runs" or "tsk"): how many were read along their runs
        self.reads: Counter[tuple[str, str]] = Counter()

    # --- volumes ----------------------------------------------------------------------------------------
    def volumes(self) -> list[Volume]:
        """The allocated partitions of the partition table (MBR/DOS, GPT, …), or the whole image."""
        if self._volumes is None:
            where = str(self.reader.description)
            self._volumes = find_volumes(self._image, self._lock, where, self.problems, self._groups)
        return self._volumes

    # --- walking ----------------------------------------------------------------------------------------
    def __iter__(self) -> Iterator[FileEntry]:
        for volume in self.volumes():
            filesystem = open_filesystem(self._image, self._lock, volume, self.problems)
            if filesystem is not None:
                yield from self._walk(filesystem)
                continue
            # No file system TSK reads: XFS or APFS, through libyal, where the volume has their signature.
            tsk_problem = self.problems.pop()
            others = open_libyal(self.reader, self._lock, volume, self.problems)
            if others is None:  # an encrypted or a UDF volume is named; anything else keeps TSK's word
                reason = volume.not_read or unsupported_reason(*volume.source(self.reader))
                self.problems.append(Problem(str(volume), reason) if reason else tsk_problem)
            for other in others or []:
                yield from walk_libyal(other, volume, self._lock, self.problems, lambda: self._closed)
            if not others:  # neither reader could read it: never "0 files" in silence
                self.unreadable_volumes.append(self.problems[-1])

    def _walk(self, fsys: FileSystem) -> Iterator[FileEntry]:
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

    def _root_streams(self, fsys: FileSystem, root: int) -> Iterator[FileEntry]:
        try:
            with self._lock:
                fs_file = fsys.fs.open_meta(inode=root)
        except OSError as exc:
            self.problems.append(Problem(f"{fsys.volume}, {fsys.type_name} /", str(exc).strip()))
            return
        meta = fs_file.info.meta
        flags = pytsk3.TSK_FS_NAME_FLAG_ALLOC
        yield from self._entries(fsys, _Child("/", fs_file, meta, flags, is_dir=True, descend=False))

    def _children(self, fsys: FileSystem, dir_addr: int, prefix: str) -> list[_Child]:
        with self._lock:
            return self._list_dir(fsys, dir_addr, prefix)

    def _list_dir(self, fsys: FileSystem, dir_addr: int, prefix: str) -> list[_Child]:
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
            text = tsk_text(name.name)
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

    def _entries(self, fsys: FileSystem, child: _Child) -> Iterator[FileEntry]:
        with self._lock:
            entries = list(self._file_entries(fsys, child))
        yield from entries

    def _file_entries(self, fsys: FileSystem, child: _Child) -> Iterator[FileEntry]:
        meta = child.meta
        name_deleted = bool(child.name_flags & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
        meta_deleted = bool(int(meta.flags) & pytsk3.TSK_FS_META_FLAG_UNALLOC)
        allocated = not (name_deleted or meta_deleted)
        try:
            streams = _streams(fsys, child.file, meta)
            error = None
        except OSError as exc:  # attributes that cannot be loaded: the content is out of reach
            streams = [Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size))]
            error = f"The Sleuth Kit cannot load its attributes: {str(exc).strip()}"
        inode = int(meta.addr)
        for stream in streams:
            if child.is_dir and stream.attribute is None:
                continue  # a directory's own content is its index, not a file
            # A deleted entry with nothing in it has no content to look at (NTFS keeps empty reserved
            # MFT entries that TSK shows as deleted files, for one).
            if not allocated and stream.size == 0:
                continue
            file = Link(LinkKind.PATH, fsys.link, path=child.path, inode=inode)
            if stream.attribute is not None:
                file = Link(LinkKind.STREAM, file, label=stream.attribute)
            address = Address.of(file)
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

    def _open(self, fsys: FileSystem, inode: int, stream: Stream, address: Address) -> BinaryIO:
        if self._closed:
            raise OSError(f"{address}: the image was closed; read entries while walking it")
        reader, fs_offset = fsys.volume.source(self.reader)  # a logical volume is read through its own
        with self._lock:
            fs_file = fsys.fs.open_meta(inode=inode)
            extents = plain_extents(
                fsys.fs,
                fsys.type_name,
                fs_file,
                attr_type=stream.attr_type,
                attr_id=stream.attr_id,
                size=stream.size,
                fs_offset=fs_offset,
                image_size=reader.size,
                mft=partial(self._mft.records, fsys, fsys.fs, reader, fs_offset),
            )
            self.reads[(fsys.type_name, "tsk" if extents is None else "runs")] += 1
        direct = None if extents is None else DirectRead(*content_source(reader, extents))
        return cast(BinaryIO, TskFileReader(fs_file, stream, str(address), self._lock, direct))

    # --- lifetime ---------------------------------------------------------------------------------------
    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for group in reversed(self._groups):  # an LVM group inside an unlocked volume before it
                group.close()
            self._image.close()
            if self._owns_reader:
                self.reader.close()

    def __enter__(self) -> FileSystemWalker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _is_ntfs(fsys: FileSystem) -> bool:
    return fsys.type_name == "ntfs"


def _with_meta(fsys: FileSystem, fs_file: Any) -> Any:
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


def _streams(fsys: FileSystem, fs_file: Any, meta: Any) -> list[Stream]:
    """A file's data streams: the default one, plus NTFS named $DATA streams, or an HFS+ resource fork;
    default first."""
    if fsys.type_name == "hfs":
        return hfs_streams(fs_file, meta)
    if not _is_ntfs(fsys):
        return [Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size))]
    streams = []
    structure = False  # has index roots: a metadata file made of indexes ($ObjId, $Quota, …)
    for attr in fs_file:  # loads the attributes: raises OSError when they are damaged
        info = attr.info
        if int(info.type) != _NTFS_DATA:
            structure = structure or int(info.type) == pytsk3.TSK_FS_ATTR_TYPE_NTFS_IDXROOT
            continue  # index roots ($I30, $SDH, …) and the rest are structure, not content
        name = tsk_text(info.name) if info.name else None
        if name == "$Bad" and int(meta.addr) == _NTFS_BADCLUS:
            continue
        streams.append(Stream(name, _NTFS_DATA, int(info.id), int(info.size)))
    if int(meta.type) == pytsk3.TSK_FS_META_TYPE_REG and not streams and not structure:
        # A file with no $DATA at all (seen on damaged volumes): listed as TSK lists it, size from meta.
        streams.append(Stream(None, pytsk3.TSK_FS_ATTR_TYPE_DEFAULT, -1, int(meta.size)))
    return sorted(streams, key=lambda s: (s.attribute is not None, s.attribute or ""))


def _probe(fs_file: Any, stream: Stream) -> str | None:
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
