"""7z and RAR archives read through libarchive (libarchive-c over the system's libarchive).

Python's standard library reads zip, tar, gzip, bzip2 and xz; 7z and RAR (versions 4 and 5) come through
libarchive, the library behind bsdtar. Told by their signatures (:func:`libarchive_kind`), never by name.

Two uses, one reader (:func:`read_members`, one pass in the archive's own order):

* inside evidence, :func:`libarchive_members` yields each member with its content spooled and counted
  against the expansion's budget, like the zip and tar readers of :mod:`vigilant.evidence.archive_formats`;
* as an evidence item, :func:`unpack` writes every member's content one after another into a file of the
  caller's, so each member is a byte range that reading threads can ``pread`` while the walk goes on.

An encrypted member is listed (name, size, time) and not read: the libarchive of Debian 12 cannot decrypt
7z or RAR, and no password is taken. An archive whose member *names* are encrypted (7z ``-mhe``, RAR ``-hp``)
cannot be listed at all: that, and damage, end the listing with a problem that says so.
"""

from __future__ import annotations

import ctypes
import io
import os
import shutil
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, cast

from vigilant.evidence._spool import COPY_CHUNK, Spool
from vigilant.evidence.archive_budget import ArchiveProblem, Budget
from vigilant.evidence.base import Address, EntryStatus, FileEntry

_SIGNATURES = {
    b"7z\xbc\xaf\x27\x1c": ("7z", "7zip"),
    b"Rar!\x1a\x07\x01\x00": ("rar", "rar5"),
    b"Rar!\x1a\x07\x00": ("rar", "rar"),
}
KINDS = ("7z", "rar")


def libarchive_kind(head: bytes) -> str | None:
    """ "7z" or "rar" when ``head`` (the content's first bytes) starts with that signature, else None."""
    return next((kind for magic, (kind, _) in _SIGNATURES.items() if head.startswith(magic)), None)


def _format_name(head: bytes) -> str:
    # libarchive is told the one format the signature says: a member is never taken for another format.
    return next(fmt for magic, (_, fmt) in _SIGNATURES.items() if head.startswith(magic))


@dataclass(frozen=True)
class Listed:
    """One regular member, as the archive lists it; ``content`` reads its bytes (None: encrypted)."""

    name: str
    size: int
    modified: datetime | None
    content: IO[bytes] | None


class ArchiveDamage(Exception):
    """The archive cannot be read past this point (damage, or encrypted member names)."""

    def __init__(self, reason: str, last: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.last = last  # the member being read, or the last listed before it; None at the start


def _is_encrypted(item: Any) -> bool:
    # libarchive-c has no wrapper for archive_entry_is_encrypted (libarchive >= 3.2): called through ctypes.
    import libarchive.ffi  # noqa: PLC0415

    function = libarchive.ffi.libarchive.archive_entry_is_encrypted
    function.argtypes, function.restype = [ctypes.c_void_p], ctypes.c_int
    return int(function(item._entry_p)) > 0


class _Content(io.RawIOBase):
    """The current member's bytes, read through libarchive (valid until the next member is asked for)."""

    def __init__(self, archive_p: Any, name: str) -> None:
        super().__init__()
        import libarchive  # noqa: PLC0415
        import libarchive.ffi  # noqa: PLC0415

        self._read = libarchive.ffi.read_data
        self._error = libarchive.ArchiveError
        self._archive_p = archive_p
        self._name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = ctypes.create_string_buffer(len(view))
        try:
            got = int(self._read(self._archive_p, chunk, len(view)))
        except self._error as exc:  # damage inside the member's data: the listing ends at this member
            raise ArchiveDamage(_reason(exc), self._name) from exc
        view[:got] = chunk.raw[:got]
        return got


def read_members(source: IO[bytes], head: bytes) -> Iterator[Listed]:
    """Each regular member of the 7z or RAR in ``source`` (positioned at its start, seekable for 7z, whose
    directory is at its end); read a member's content before asking for the next. Damage raises
    :class:`ArchiveDamage` after the members before it."""
    import libarchive  # noqa: PLC0415 - a native library; only 7z and RAR pay for it

    last: str | None = None
    try:
        with libarchive.stream_reader(
            source, format_name=_format_name(head), block_size=COPY_CHUNK
        ) as archive:
            for item in archive:
                if not item.isreg:
                    continue  # folders, links and devices have no content of their own
                last = str(item.pathname)
                mtime = item.mtime
                modified = _utc(mtime)
                if _is_encrypted(item):
                    yield Listed(last, int(item.size or 0), modified, None)
                    continue
                with _Content(archive._pointer, last) as content:
                    yield Listed(last, int(item.size or 0), modified, cast(IO[bytes], content))
    except libarchive.ArchiveError as exc:
        raise ArchiveDamage(_reason(exc), last) from exc


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "msg", None) or exc)
    if "header is encrypted" in text:
        return "its member names are encrypted: it cannot be listed without the password"
    return text


def _utc(seconds: float | None) -> datetime | None:
    from vigilant.evidence.archive_formats import _utc as utc  # noqa: PLC0415 - one rule for archive times

    return utc(seconds)


# --- inside evidence: members spooled under the expansion's budget ---------------------------------------
def libarchive_members(
    entry: FileEntry, whole: IO[bytes], head: bytes, budget: Budget
) -> Generator[tuple[FileEntry, Spool | None] | ArchiveProblem, None, None]:
    """The members of the 7z or RAR in ``entry`` (content ``whole``), each spooled and counted. A 7z's
    directory is at its end: unless the content can seek, it goes to a spool that can (as a zip's does)."""
    kind = libarchive_kind(head)
    outer = Spool(budget.limits.spool_memory)
    try:
        if whole.seekable():
            source = whole
        else:
            shutil.copyfileobj(whole, outer.file, COPY_CHUNK)
            outer.file.seek(0)
            source = outer.file
        yield from _spooled_members(entry, source, head, kind, budget)
    finally:
        outer.close()


def _spooled_members(
    entry: FileEntry, whole: IO[bytes], head: bytes, kind: str | None, budget: Budget
) -> Generator[tuple[FileEntry, Spool | None] | ArchiveProblem, None, None]:
    try:
        for listed in read_members(whole, head):
            budget.take_member(listed.size)
            address = entry.address.child(listed.name)
            if listed.content is None:
                yield _child(entry, address, listed, None, EntryStatus.ENCRYPTED, _ENCRYPTED), None
                continue
            spool = Spool(budget.limits.spool_memory)
            try:
                spool.fill(listed.content, budget.take_bytes)
            except BaseException:
                spool.close()
                raise
            yield _child(entry, address, listed, spool, EntryStatus.OK, None), spool
    except ArchiveDamage as exc:
        where = entry.address if exc.last is None else entry.address.child(exc.last)
        yield ArchiveProblem(where, f"damaged or unreadable {kind}: {exc.reason}; later members not listed")


_ENCRYPTED = "encrypted member: listed, not read"


def _child(  # noqa: PLR0917 - every field of the member named once
    entry: FileEntry,
    address: Address,
    listed: Listed,
    spool: Spool | None,
    status: EntryStatus,
    error: str | None,
) -> FileEntry:
    opener: Callable[[], Any] | None = None
    if spool is not None:
        where = str(address)

        def opener() -> Any:
            return spool.reader(where)

    return FileEntry(
        address=address,
        name=os.path.basename(listed.name.rstrip("/")) or listed.name,
        size=spool.size if spool is not None else listed.size,
        allocated=entry.allocated,  # a member of a deleted archive is deleted evidence too
        modified=listed.modified,
        status=status,
        error=error,
        opener=opener,
    )


# --- as an evidence item: members unpacked into one file, each a byte range -----------------------------
@dataclass(frozen=True)
class Unpacked:
    """Where a member's content lies in the unpacked file (``offset`` None: encrypted, not read)."""

    name: str
    size: int
    modified: datetime | None
    offset: int | None


def unpack(source: IO[bytes], head: bytes, out_fd: int) -> Iterator[Unpacked]:
    """Write each member's content to ``out_fd`` (from its current end), yielding each as it is complete."""
    offset = os.lseek(out_fd, 0, os.SEEK_END)
    for listed in read_members(source, head):
        if listed.content is None:
            yield Unpacked(listed.name, listed.size, listed.modified, None)
            continue
        start = offset
        while chunk := listed.content.read(COPY_CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(out_fd, view) :]
            offset += len(chunk)
        yield Unpacked(listed.name, offset - start, listed.modified, start)


def listed_sizes(source: IO[bytes], head: bytes) -> Iterator[int]:
    """The size of each regular member, from the listing (no member's content is kept)."""
    import libarchive  # noqa: PLC0415

    opened = libarchive.stream_reader(source, format_name=_format_name(head), block_size=COPY_CHUNK)
    try:
        with opened as archive:
            for item in archive:
                if item.isreg:
                    yield int(item.size or 0)
    except libarchive.ArchiveError:
        return  # damage ends the listing quietly: the walk itself reports it
