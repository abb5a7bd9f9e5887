"""Each archive format's members as file entries: zip, tar (plain or compressed), single compressed files.

:func:`archive_kind` tells the format from the content's first bytes (never from its name). The member
readers (:func:`zip_members`, :func:`tar_members`, :func:`compressed_member`) each take one archive's
content and yield its members, in the order the archive stores them, each with its content spooled
(:mod:`vigilant.evidence._spool`) and counted against the expansion's :class:`Budget`; a damaged archive
yields the members read before the damage, then an :class:`ArchiveProblem`, then nothing more. Opening
archives nested in members is :mod:`vigilant.evidence.archives`'s.
"""

from __future__ import annotations

import bz2
import lzma
import posixpath
import shutil
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Generator
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO, cast

from vigilant.evidence._spool import COPY_CHUNK, HEAD_BYTES, Spool
from vigilant.evidence.archive_budget import ArchiveProblem, Budget
from vigilant.evidence.archive_libarchive import libarchive_kind
from vigilant.evidence.base import EntryStatus, FileEntry

# Errors that mean "this archive is damaged" from zipfile, tarfile and the decompressors.
_BROKEN = (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError)


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
    """ "zip", "7z", "rar", "tar", "tar+gzip"/"tar+bzip2"/"tar+xz", "gzip"/"bzip2"/"xz" (one file), or None.

    ``head`` is the first bytes of the content (``HEAD_BYTES`` is plenty).
    """
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return "zip"
    if (kind := libarchive_kind(head)) is not None:  # 7z, RAR: read through libarchive
        return kind
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


# --- members --------------------------------------------------------------------------------------------
# A member with its spooled content (None: listed, not readable), or what stopped the listing.
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


def _spooled(source: IO[bytes], budget: Budget) -> Spool:
    spool = Spool(budget.limits.spool_memory)
    try:
        spool.fill(source, budget.take_bytes)
    except BaseException:
        spool.close()
        raise
    return spool


def zip_members(entry: FileEntry, whole: IO[bytes], budget: Budget) -> Generator[Member, None, None]:
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


def tar_members(entry: FileEntry, whole: IO[bytes], budget: Budget) -> Generator[Member, None, None]:
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


def compressed_member(
    entry: FileEntry, whole: IO[bytes], kind: str, budget: Budget
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
