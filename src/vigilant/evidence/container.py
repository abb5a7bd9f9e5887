"""An archive given as evidence: a logical container whose members are the files.

A zip, 7z, RAR, tar (plain or gzip/bzip2/xz-compressed) or single gzip/bzip2/xz file, told by its first bytes
(:func:`~vigilant.evidence.archive_formats.archive_kind`), is walked member by member: each regular member
is a file entry addressed by its member name (``zip > member photos/1.jpg``); archives among the members
are opened by triage as archives found anywhere are. The archive file's own digests are the item's
acquisition hashes, checked again after a run as an image's are.

Triage hands entries to reading threads while the walk goes on, so a member's content must stay readable
until the walk is closed, not only while the walk stands on it (as :func:`~vigilant.evidence.archives.expand`
offers): members are read in place. A zip's are opened through one shared :class:`zipfile.ZipFile` (its
reads hold the zip's lock); a plain tar's are byte ranges of the file, read with ``pread``. A compressed tar
is decompressed once, when the walk opens, into a temporary file that the walk removes when it closes; a
single compressed file is decompressed from its start each time its one member is opened. A 7z or RAR is
unpacked through libarchive as the walk goes, each member into one temporary file (removed when the walk
closes), of which each member is then a byte range; its encrypted members are listed, not read. Nothing here
writes to the evidence.

A container that cannot be opened at all (damaged directory, not an archive) yields nothing, and says so in
:attr:`ContainerWalk.unreadable_volumes`, so a run reports it as an unreadable volume, never as an empty
success.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import posixpath
import shutil
import tarfile
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, BinaryIO, cast

from vigilant.evidence._spool import COPY_CHUNK, HEAD_BYTES
from vigilant.evidence.archive_formats import (
    _COMPRESSED_SUFFIXES,
    _gzip_header,
    _strip_suffix,
    _utc,
    _zip_time,
)
from vigilant.evidence.archive_formats import archive_kind as _archive_kind
from vigilant.evidence.archive_libarchive import KINDS as LIBARCHIVE_KINDS
from vigilant.evidence.archive_libarchive import ArchiveDamage, listed_sizes, unpack
from vigilant.evidence.base import Address, EntryStatus, FileEntry, Problem

# What reading a member may raise besides OSError; the entry's stream turns each into an OSError that
# names the member, which triage records against the file (the run goes on).
_MEMBER_ERRORS = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, ValueError)
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_OPENERS: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {  # their callers close what they open
    "gzip": lambda f: cast(IO[bytes], gzip.GzipFile(fileobj=f, mode="rb")),
    "bzip2": lambda f: cast(IO[bytes], bz2.BZ2File(f, mode="rb")),
    "xz": lambda f: cast(IO[bytes], lzma.LZMAFile(f, mode="rb")),  # noqa: SIM115
}


def _head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(HEAD_BYTES)


def archive_kind_of(path: Path) -> str | None:
    """The archive format of the file at ``path`` by its first bytes (see ``archive_kind``), or None."""
    try:
        with path.open("rb") as fh:
            return _archive_kind(fh.read(HEAD_BYTES))
    except OSError:
        return None


class _MemberStream(io.RawIOBase):
    """A member's content: errors from the decompressors come out as OSError naming the member; no seek
    (archives among members are spooled by expansion, as from any stream)."""

    def __init__(
        self, inner: IO[bytes], where: str, size: int | None = None, *, owned: IO[bytes] | None = None
    ) -> None:
        super().__init__()
        self._inner = inner
        self._owned = owned  # the file under a decompressor that does not close it
        self._where = where
        self._left = size  # a tar member's bytes still to read from its range (None: to the end)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._left is not None:
            view = view[: self._left]
        try:
            data = self._inner.read(len(view))
        except (OSError, *_MEMBER_ERRORS, NotImplementedError) as exc:
            raise OSError(f"{self._where}: cannot read the member: {exc}") from exc
        view[: len(data)] = data
        if self._left is not None:
            self._left -= len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._inner.close()
            if self._owned is not None:
                self._owned.close()
        super().close()


class _Range(io.RawIOBase):
    """``size`` bytes of an open file from ``start``, read with pread (threads may read at once)."""

    def __init__(self, fd: int, start: int, size: int) -> None:
        super().__init__()
        self._fd, self._start, self._size, self._pos = fd, start, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        want = max(0, min(len(view), self._size - self._pos))
        if not want:
            return 0
        data = os.pread(self._fd, want, self._start + self._pos)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


class ContainerWalk:
    """One pass over an archive given as evidence; a context manager. Entries' content can be read until
    the walk is closed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.unreadable_volumes: list[Problem] = []  # the container itself, when it cannot be opened
        self.volume_count = 1  # the container, as a run counts volumes
        self._held: list[Callable[[], None]] = []  # closed with the walk, last first
        self._lock = threading.Lock()
        self._closed = False

    def __iter__(self) -> Iterator[FileEntry]:
        kind = archive_kind_of(self.path)
        try:
            if kind == "zip":
                yield from self._zip()
            elif kind == "tar":
                yield from self._tar(self.path, kind)
            elif kind in LIBARCHIVE_KINDS:
                yield from self._unpacked(kind)
            elif kind is not None and kind.startswith("tar+"):
                yield from self._tar(self._decompressed(kind.removeprefix("tar+")), kind)
            elif kind is not None:
                yield self._single(kind)
            else:
                self._unreadable(
                    "not an archive: no zip, 7z, RAR, tar, gzip, bzip2 or xz signature at its start"
                )
        except (OSError, *_MEMBER_ERRORS) as exc:
            self._unreadable(f"damaged {kind or 'archive'}: {exc}; members after the damage not listed")

    def sizes(self) -> Iterator[int]:
        """The size of each member :meth:`__iter__` lists, in the same order, from the listing alone: a
        compressed tar is read as a stream, nothing is kept. Damage ends the listing quietly (the walk
        itself reports it)."""
        kind = archive_kind_of(self.path)
        try:
            if kind == "zip":
                with zipfile.ZipFile(self.path) as archive:
                    yield from (i.file_size for i in archive.infolist() if not i.is_dir())
            elif kind in LIBARCHIVE_KINDS:
                head = _head(self.path)
                with self.path.open("rb") as fh:
                    yield from listed_sizes(fh, head)
            elif kind is not None and kind.startswith("tar"):
                with tarfile.open(self.path, mode="r|*") as archive:
                    yield from (i.size for i in archive if i.isreg())
            elif kind is not None:
                yield self._decompressed_size(kind)
        except (OSError, *_MEMBER_ERRORS):
            return

    def _unreadable(self, reason: str) -> None:
        problem = Problem(str(self.path), reason)
        self.problems.append(problem)
        self.unreadable_volumes.append(problem)

    # --- zip --------------------------------------------------------------------------------------------
    def _zip(self) -> Iterator[FileEntry]:
        try:
            archive = zipfile.ZipFile(self.path)
        except (OSError, *_MEMBER_ERRORS) as exc:
            self._unreadable(f"not a readable zip: {exc}")
            return
        self._held.append(archive.close)
        for info in archive.infolist():
            if info.is_dir():
                continue
            status, error, opener = EntryStatus.OK, None, None
            where = str(_address("zip", info.filename))
            if info.flag_bits & 0x1:
                status, error = EntryStatus.ENCRYPTED, "encrypted member: listed, not read"
            elif info.compress_type not in _ZIP_METHODS:
                status = EntryStatus.UNREADABLE
                error = f"member not readable: compression method {info.compress_type} is not supported"
            else:
                opener = self._zip_opener(archive, info, where)
            yield _entry("zip", info.filename, info.file_size, _zip_time(info), status, error, opener)

    def _zip_opener(
        self, archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str
    ) -> Callable[[], BinaryIO]:
        def opener() -> BinaryIO:
            self._check_open(where)
            try:
                with self._lock:  # ZipFile.open reads the member's header through the shared file
                    inner = archive.open(info)
            except (OSError, *_MEMBER_ERRORS, NotImplementedError) as exc:
                raise OSError(f"{where}: cannot open the member: {exc}") from exc
            return cast(BinaryIO, io.BufferedReader(_MemberStream(inner, where), COPY_CHUNK))

        return opener

    # --- tar --------------------------------------------------------------------------------------------
    def _decompressed(self, compression: str) -> Path:
        """The compressed tar decompressed into a temporary file, removed when the walk closes; damaged
        data is decompressed up to the damage (a problem says where), and the members before it listed."""
        handle, name = tempfile.mkstemp(prefix="vigilant-container-", suffix=".tar")
        target = Path(name)
        self._held.append(lambda: target.unlink(missing_ok=True))
        with os.fdopen(handle, "wb") as out, self.path.open("rb") as raw, _OPENERS[compression](raw) as src:
            try:
                shutil.copyfileobj(src, out, COPY_CHUNK)
            except (OSError, *_MEMBER_ERRORS) as exc:
                reason = f"damaged {compression} data after {out.tell()} bytes: {exc}"
                self.problems.append(Problem(str(self.path), reason + "; members after it not listed"))
        return target

    def _tar(self, tar_path: Path, kind: str) -> Iterator[FileEntry]:
        fd = os.open(tar_path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._held.append(lambda: os.close(fd))
        listing = open(fd, "rb", closefd=False)  # noqa: SIM115 - closed with the walk
        self._held.append(listing.close)
        archive = tarfile.open(fileobj=listing, mode="r:")  # noqa: SIM115 - closed with the walk
        self._held.append(archive.close)
        last = "(its start)"
        try:
            for info in archive:
                if not info.isreg():
                    continue  # directories, links and devices have no content of their own
                last = info.name
                where = str(_address(kind, info.name))
                opener = self._tar_opener(archive, info, fd, where)
                yield _entry(kind, info.name, info.size, _utc(info.mtime), EntryStatus.OK, None, opener)
        except _MEMBER_ERRORS as exc:
            problem = Problem(f"{self.path} > member {last}", f"damaged tar: {exc}; later members not listed")
            self.problems.append(problem)

    def _tar_opener(
        self, archive: tarfile.TarFile, info: tarfile.TarInfo, fd: int, where: str
    ) -> Callable[[], BinaryIO]:
        def opener() -> BinaryIO:
            self._check_open(where)
            if info.sparse is None:  # its bytes lie in one range of the file
                stream: IO[bytes] = cast(IO[bytes], _Range(fd, info.offset_data, info.size))
            else:  # a sparse member: tarfile puts it together, through the shared file
                with self._lock:
                    data = cast(IO[bytes], archive.extractfile(info)).read()
                stream = io.BytesIO(data)
            return cast(BinaryIO, io.BufferedReader(_MemberStream(stream, where, info.size), COPY_CHUNK))

        return opener

    # --- 7z and RAR, through libarchive ---------------------------------------------------------------
    def _unpacked(self, kind: str) -> Iterator[FileEntry]:
        """Each member unpacked, as the walk reaches it, into one temporary file (removed when the walk
        closes): a member is then a byte range of it, read with pread while the walk goes on."""
        handle, name = tempfile.mkstemp(prefix="vigilant-container-", suffix=f".{kind}-members")
        target = Path(name)
        self._held.append(lambda: target.unlink(missing_ok=True))
        self._held.append(lambda: os.close(handle))
        listed = 0
        with self.path.open("rb") as source:
            try:
                for member in unpack(source, _head(self.path), handle):
                    listed += 1
                    if member.offset is None:
                        error = "encrypted member: listed, not read"
                        yield _entry(
                            kind,
                            member.name,
                            member.size,
                            member.modified,
                            EntryStatus.ENCRYPTED,
                            error,
                            None,
                        )
                        continue
                    where = str(_address(kind, member.name))
                    opener = self._range_opener(handle, member.offset, member.size, where)
                    yield _entry(
                        kind, member.name, member.size, member.modified, EntryStatus.OK, None, opener
                    )
            except ArchiveDamage as exc:
                if not listed:  # nothing could be listed: the container is unreadable, never "0 files"
                    self._unreadable(f"unreadable {kind}: {exc.reason}")
                else:
                    where = f"{self.path} > member {exc.last}"
                    self.problems.append(
                        Problem(where, f"damaged {kind}: {exc.reason}; later members not listed")
                    )

    def _range_opener(self, fd: int, start: int, size: int, where: str) -> Callable[[], BinaryIO]:
        def opener() -> BinaryIO:
            self._check_open(where)
            stream = cast(IO[bytes], _Range(fd, start, size))
            return cast(BinaryIO, io.BufferedReader(_MemberStream(stream, where, size), COPY_CHUNK))

        return opener

    # --- a single compressed file -----------------------------------------------------------------------
    def _single(self, kind: str) -> FileEntry:
        with self.path.open("rb") as fh:
            head = fh.read(HEAD_BYTES)
        name, modified = _gzip_header(head) if kind == "gzip" else (None, None)
        if not name:
            name = _strip_suffix(self.path.name, _COMPRESSED_SUFFIXES[kind])
        where = str(_address(kind, name))
        size = self._decompressed_size(kind)

        def opener() -> BinaryIO:
            self._check_open(where)
            raw = self.path.open("rb")
            stream = _MemberStream(_OPENERS[kind](raw), where, owned=raw)
            return cast(BinaryIO, io.BufferedReader(stream, COPY_CHUNK))

        return _entry(kind, name, size, modified, EntryStatus.OK, None, opener)

    def _decompressed_size(self, kind: str) -> int:
        size = 0
        with self.path.open("rb") as raw, _OPENERS[kind](raw) as src:
            while chunk := src.read(COPY_CHUNK):
                size += len(chunk)
        return size

    # --- lifetime ---------------------------------------------------------------------------------------
    def _check_open(self, where: str) -> None:
        if self._closed:
            raise OSError(f"{where}: the container was closed; read entries while walking it")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            while self._held:
                self._held.pop()()

    def __enter__(self) -> ContainerWalk:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _address(kind: str, member: str) -> Address:
    return Address(filesystem=kind, members=(member,))


def _entry(  # noqa: PLR0917 - one call per kind of member, each naming every field
    kind: str,
    member: str,
    size: int,
    modified: Any,
    status: EntryStatus,
    error: str | None,
    opener: Callable[[], BinaryIO] | None,
) -> FileEntry:
    return FileEntry(
        address=_address(kind, member),
        name=posixpath.basename(member.rstrip("/")) or member,
        size=size,
        modified=modified,
        status=status,
        error=error,
        opener=opener,
    )
