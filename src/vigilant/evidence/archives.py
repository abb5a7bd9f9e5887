"""Archive members as file entries: zip, tar (plain or compressed) and single compressed files.

:func:`expand` takes a file entry whose content is an archive, found by its first bytes (never by its
name), and yields its members as file entries whose address is the archive's plus the member name, nested
archives inside them down to ``max_depth``. Whatever stops it is yielded as an :class:`ArchiveProblem`
that the caller records against the archive: a broken archive (bad CRC, truncated) yields the members
read before the damage, then the problem, then nothing more.

Bounded memory: each member's content goes through a spooled temporary file (kept in memory up to
``spool_memory``, on disk beyond). A zip, which must be read from its end, is read in place when its
content can seek (files in folders and images, members already spooled) and is spooled whole first
otherwise; tar and compressed files are read as a stream. Zip bombs: the total bytes expanded and the
number of members are capped for each archive handed to :func:`expand`, nested archives included.

Members are yielded in the order the archive stores them, the same order on every run. Each member's
content is kept only while the caller handles it: read it (``entry.open()``, as many times as needed)
before asking for the next item.
"""

from __future__ import annotations

import bz2
import io
import lzma
import posixpath
import shutil
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack, closing
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import IO, Any, BinaryIO, cast

from vigilant.evidence._spool import COPY_CHUNK, HEAD_BYTES, Rejoined, Spool
from vigilant.evidence.base import Address, EntryStatus, FileEntry

MiB = 1 << 20
GiB = 1 << 30

# Errors that mean "this archive is damaged" from zipfile, tarfile and the decompressors.
_BROKEN = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError)


class ProblemKind(StrEnum):
    BROKEN = "broken"  # damaged or truncated: members after the damage are not listed
    DEPTH = "depth"  # an archive nested deeper than max_depth: listed, not opened
    CAP = "cap"  # the expansion cap (bytes or members) was reached: the rest is not listed


@dataclass(frozen=True)
class ArchiveProblem:
    """Why (part of) an archive was not expanded; ``address`` is the archive or member concerned."""

    address: Address
    reason: str
    kind: ProblemKind = ProblemKind.BROKEN


@dataclass(frozen=True)
class ArchiveLimits:
    max_total_bytes: int = 4 * GiB  # all members expanded from one archive, nested ones included
    max_members: int = 100_000
    spool_memory: int = 64 * MiB  # kept in memory per spooled content; beyond, a temporary file


# --- what is it? ----------------------------------------------------------------------------------------
def _decompressor(kind: str) -> Any:
    if kind == "gzip":
        return zlib.decompressobj(wbits=31)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    return lzma.LZMADecompressor()


_COMPRESSED_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
_COMPRESSED_SUFFIXES = {
    "gzip": (".gz", ".gzip", ".z"),
    "bzip2": (".bz2", ".bzip2", ".bz"),
    "xz": (".xz",),
}


def _is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"  # POSIX ustar and GNU tar headers


def archive_kind(head: bytes) -> str | None:
    """ "zip", "tar", "tar+gzip"/"tar+bzip2"/"tar+xz", "gzip"/"bzip2"/"xz" (one file), or None.

    ``head`` is the first bytes of the content (``HEAD_BYTES`` is plenty).
    """
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if _is_tar(head):
        return "tar"
    for magic, kind in _COMPRESSED_MAGIC.items():
        if head.startswith(magic):
            try:
                inner = _decompressor(kind).decompress(head, 1024)
            except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError):
                return kind  # damaged from the start: expanding it reports how
            return f"tar+{kind}" if _is_tar(inner) else kind
    return None


# --- budget ---------------------------------------------------------------------------------------------
class _CapReached(Exception):
    pass


class _Budget:
    """What one call to expand may still produce, shared by nested archives."""

    def __init__(self, limits: ArchiveLimits) -> None:
        self.limits = limits
        self.bytes = 0
        self.members = 0
        self.exhausted = False

    def take_member(self, declared_size: int) -> None:
        if self.members + 1 > self.limits.max_members:
            raise _CapReached(f"more than {self.limits.max_members} members")
        if self.bytes + declared_size > self.limits.max_total_bytes:
            raise _CapReached(
                f"members would expand past {self.limits.max_total_bytes} bytes "
                f"({self.bytes} expanded, next declares {declared_size})"
            )
        self.members += 1

    def take_bytes(self, n: int) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_total_bytes:
            raise _CapReached(f"members expand past {self.limits.max_total_bytes} bytes")


# --- expansion ------------------------------------------------------------------------------------------
Item = FileEntry | ArchiveProblem


def expand(entry: FileEntry, max_depth: int = 3, *, limits: ArchiveLimits | None = None) -> Iterator[Item]:
    """The members of the archive in ``entry`` (nothing when it is not an archive), nested ones too.

    ``max_depth`` 1 lists the archive's own members; 2 also the members of archives among them; ….
    """
    budget = _Budget(limits or ArchiveLimits())
    if entry.status is not EntryStatus.OK or entry.opener is None or max_depth < 1:
        return
    yield from _expand(entry, 1, max_depth, budget)


def _expand(entry: FileEntry, depth: int, max_depth: int, budget: _Budget) -> Iterator[Item]:
    try:
        stream = entry.open()
    except (OSError, ValueError) as exc:
        yield ArchiveProblem(entry.address, f"cannot read the archive: {exc}")
        return
    with stream, ExitStack() as held:
        try:
            head = stream.read(HEAD_BYTES)
        except (OSError, ValueError) as exc:
            yield ArchiveProblem(entry.address, f"cannot read the archive: {exc}")
            return
        kind = archive_kind(head)
        if kind is None:
            return
        # Wrappers are closed explicitly (a buffered file left to the garbage collector warns).
        if kind == "zip":
            direct = _seekable(stream)
            source = held.enter_context(direct or _rejoined(head, stream))
            members = _zip_members(entry, source, budget)
        elif kind.startswith("tar"):
            members = _tar_members(entry, held.enter_context(_rejoined(head, stream)), budget)
        else:
            members = _compressed_member(entry, held.enter_context(_rejoined(head, stream)), kind, budget)
        with closing(members):
            yield from _with_nested(entry, members, depth, max_depth, budget)


def _with_nested(
    entry: FileEntry, members: Iterator[Member], depth: int, max_depth: int, budget: _Budget
) -> Iterator[Item]:
    """Each member, followed by the members of the archive it is (if it is one and depth allows)."""
    try:
        for item in members:
            if isinstance(item, ArchiveProblem):
                yield item
                continue
            child, spool = item
            try:
                yield child
                if spool is not None and archive_kind(spool.head()) is not None:
                    if depth < max_depth:
                        yield from _expand(child, depth + 1, max_depth, budget)
                    else:
                        yield ArchiveProblem(
                            child.address,
                            f"an archive nested {depth + 1} deep: not opened (limit {max_depth})",
                            ProblemKind.DEPTH,
                        )
            finally:
                if spool is not None:
                    spool.close()  # the caller has had its turn with this member
            if budget.exhausted:
                return
    except _CapReached as exc:
        budget.exhausted = True
        yield ArchiveProblem(entry.address, f"expansion stopped: {exc}", ProblemKind.CAP)


def _rejoined(head: bytes, rest: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], io.BufferedReader(Rejoined(head, rest), COPY_CHUNK))


Member = tuple[FileEntry, "Spool | None"] | ArchiveProblem


def _child(
    entry: FileEntry,
    member: str,
    size: int,
    *,
    spool: Spool | None,
    modified: datetime | None = None,
    status: EntryStatus = EntryStatus.OK,
    error: str | None = None,
) -> FileEntry:
    address = entry.address.child(member)
    opener: Callable[[], BinaryIO] | None = None
    if spool is not None:
        where = str(address)

        def opener() -> BinaryIO:
            return spool.reader(where)

    return FileEntry(
        address=address,
        name=posixpath.basename(member.rstrip("/")) or member,
        size=size,
        allocated=entry.allocated,  # a member of a deleted archive is deleted evidence too
        modified=modified,
        status=status,
        error=error,
        opener=opener,
    )


def _spooled(source: IO[bytes], budget: _Budget) -> Spool:
    spool = Spool(budget.limits.spool_memory)
    try:
        spool.fill(source, budget.take_bytes)
    except BaseException:
        spool.close()
        raise
    return spool


def _seekable(stream: BinaryIO) -> IO[bytes] | None:
    """The entry's own stream rewound, when it can seek (files in folders and images): no spool needed."""
    try:
        if not stream.seekable():
            return None
        stream.seek(0)
    except (OSError, ValueError):
        return None
    if isinstance(stream, io.RawIOBase):  # zipfile makes many small reads: buffer them
        return cast(IO[bytes], io.BufferedReader(stream, COPY_CHUNK))
    return stream


def _zip_members(entry: FileEntry, whole: IO[bytes], budget: _Budget) -> Generator[Member, None, None]:
    # A zip's directory is at its end: unless the content can seek, it goes to a spool that can.
    outer = Spool(budget.limits.spool_memory)
    try:
        if whole.seekable():
            source = whole
        else:
            shutil.copyfileobj(whole, outer.file, COPY_CHUNK)
            source = outer.file
        try:
            archive = zipfile.ZipFile(source)
        except _BROKEN as exc:
            yield ArchiveProblem(entry.address, f"not a readable zip: {exc}")
            return
        with archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                budget.take_member(info.file_size)
                modified = _zip_time(info)
                if info.flag_bits & 0x1:
                    yield (
                        _child(
                            entry,
                            info.filename,
                            info.file_size,
                            spool=None,
                            modified=modified,
                            status=EntryStatus.ENCRYPTED,
                            error="encrypted member: listed, not read",
                        ),
                        None,
                    )
                    continue
                try:
                    with archive.open(info) as member:
                        spool = _spooled(member, budget)
                except NotImplementedError as exc:  # a compression method Python cannot read
                    yield (
                        _child(
                            entry,
                            info.filename,
                            info.file_size,
                            spool=None,
                            modified=modified,
                            status=EntryStatus.UNREADABLE,
                            error=f"member not readable: {exc}",
                        ),
                        None,
                    )
                    continue
                except _BROKEN as exc:
                    yield ArchiveProblem(
                        entry.address.child(info.filename), f"damaged zip: {exc}; later members not listed"
                    )
                    return
                yield _child(entry, info.filename, spool.size, spool=spool, modified=modified), spool
    finally:
        outer.close()


def _tar_members(entry: FileEntry, whole: IO[bytes], budget: _Budget) -> Generator[Member, None, None]:
    # Stream mode ("r|*"): one pass, compression detected by tarfile, nothing seeks back.
    try:
        archive = tarfile.open(fileobj=whole, mode="r|*")  # noqa: SIM115 - closed by the with below
    except _BROKEN as exc:
        yield ArchiveProblem(entry.address, f"not a readable tar: {exc}")
        return
    with archive:
        last = entry.address
        try:
            for info in archive:
                if not info.isreg():
                    continue  # directories, links and devices have no content of their own
                last = entry.address.child(info.name)
                budget.take_member(info.size)
                source = archive.extractfile(info)
                if source is None:
                    continue
                with source:
                    spool = _spooled(source, budget)
                if spool.size != info.size:
                    spool.close()
                    raise tarfile.ReadError(f"member holds {spool.size} of its {info.size} bytes")
                yield _child(entry, info.name, spool.size, spool=spool, modified=_utc(info.mtime)), spool
        except _BROKEN as exc:
            yield ArchiveProblem(last, f"damaged tar: {exc}; later members not listed")


def _compressed_member(
    entry: FileEntry, whole: IO[bytes], kind: str, budget: _Budget
) -> Generator[Member, None, None]:
    head = whole.peek(HEAD_BYTES) if hasattr(whole, "peek") else b""
    name, modified = _gzip_header(head) if kind == "gzip" else (None, None)
    if not name:
        name = _strip_suffix(entry.name, _COMPRESSED_SUFFIXES[kind])
    opener: Callable[..., IO[bytes]] = {"gzip": _gzip_open, "bzip2": _bz2_open, "xz": _xz_open}[kind]
    budget.take_member(0)
    try:
        with opener(whole) as source:
            spool = _spooled(source, budget)
    except _BROKEN as exc:
        yield ArchiveProblem(entry.address, f"damaged {kind} data: {exc}")
        return
    yield _child(entry, name, spool.size, spool=spool, modified=modified), spool


def _gzip_open(source: IO[bytes]) -> IO[bytes]:
    import gzip  # noqa: PLC0415 - only for single gzip files

    return cast(IO[bytes], gzip.GzipFile(fileobj=source, mode="rb"))


def _bz2_open(source: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], bz2.BZ2File(source, mode="rb"))


def _xz_open(source: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], lzma.LZMAFile(source, mode="rb"))


def _strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    lower = name.lower()
    if lower.endswith((".tgz", ".tbz2", ".txz")):
        return name[: -len(".tgz")] + ".tar"
    for suffix in suffixes:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name + ".content"  # no telling suffix: a name that says where it came from


def _gzip_header(head: bytes) -> tuple[str | None, datetime | None]:
    """The original file name and modification time stored in a gzip header (RFC 1952), when present."""
    if len(head) < 10:
        return None, None
    flags = head[3]
    modified = _utc(struct.unpack_from("<I", head, 4)[0])
    pos = 10
    if flags & 0x04:  # FEXTRA
        if len(head) < pos + 2:
            return None, modified
        pos += 2 + struct.unpack_from("<H", head, pos)[0]
    if not flags & 0x08:  # FNAME
        return None, modified
    end = head.find(b"\x00", pos)
    if end < 0:
        return None, modified
    # The name is ISO 8859-1 by the RFC; keep only its last component (never a path to follow).
    name = head[pos:end].decode("latin-1").replace("\\", "/")
    return posixpath.basename(name) or None, modified


def _utc(seconds: float | int | None) -> datetime | None:
    if not seconds:
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    """The member's UTC modification time from the "UT" extra field; None without it.

    The main zip timestamp is a local time of an unknown zone, so it is not reported as UTC.
    """
    extra = info.extra
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 0x01:
            return _utc(struct.unpack_from("<i", body, 1)[0])
        pos += 4 + length
    return None
