"""Byte-level readers for disk images: raw, split raw and EWF (E01), all read-only.

Every reader offers the same small interface (:class:`ImageReader`): ``read(offset, size)``, ``size``,
``close`` and use as a context manager. :class:`TskImage` lets The Sleuth Kit read any of them, so
partitions and file systems are found the same way whatever the container.

Readers never write: raw segments are opened ``O_RDONLY`` and read with ``pread`` (no shared file
position, so threads may read at once); EWF goes through libewf opened in read mode.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytsk3

from vigilant.evidence.base import EvidenceError

_SEGMENT_NUMBER = re.compile(r"^(?P<stem>.*)\.(?P<number>\d{3,})$")
_VERIFY_CHUNK = 4 << 20  # several EWF chunks per read: fewer calls into libewf


class ImageReader:
    """The bytes of one image, from offset 0 to ``size``; reads past the end come back short."""

    description: str  # for messages: which image this is
    size: int

    def __init__(self, description: str, size: int) -> None:
        self.description = description
        self.size = size
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def read(self, offset: int, size: int) -> bytes:
        if self._closed:
            raise EvidenceError(f"{self.description}: image already closed", hint="open it again to read")
        if offset < 0 or size < 0:
            raise ValueError(f"negative offset or size: {offset}, {size}")
        size = max(0, min(size, self.size - offset))
        if size == 0:
            return b""
        return self._read(offset, size)

    def _read(self, offset: int, size: int) -> bytes:
        """Read exactly ``size`` bytes inside the image (the caller has clipped the range)."""
        raise NotImplementedError

    def readinto(self, offset: int, view: memoryview) -> int:
        """Read into ``view`` from ``offset``; fewer bytes than it holds only at the end of the image."""
        if self._closed:
            raise EvidenceError(f"{self.description}: image already closed", hint="open it again to read")
        if offset < 0:
            raise ValueError(f"negative offset {offset}")
        size = max(0, min(len(view), self.size - offset))
        if size == 0:
            return 0
        self._readinto(offset, view[:size])
        return size

    def _readinto(self, offset: int, view: memoryview) -> None:
        """Fill ``view`` from ``offset`` inside the image; readers that can, read without a copy."""
        view[:] = self._read(offset, len(view))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._close()

    def _close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _open_readonly(path: Path) -> int:
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise EvidenceError(
            f"cannot open image {path}: {exc.strerror or exc}", hint="check the path and read permission"
        ) from exc


def _pread_exact(fd: int, size: int, offset: int, where: str) -> bytes:
    chunks: list[bytes] = []
    got = 0
    while got < size:
        try:
            data = os.pread(fd, size - got, offset + got)
        except OSError as exc:
            raise OSError(exc.errno, f"{where}: read error at byte {offset + got}: {exc.strerror}") from exc
        if not data:
            raise OSError(f"{where}: ends early at byte {offset + got} (was it truncated while open?)")
        chunks.append(data)
        got += len(data)
    return b"".join(chunks)


class RawImage(ImageReader):
    """One file holding the image byte for byte (``.dd``, ``.raw``, ``.img``, anything)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = _open_readonly(path)
        super().__init__(str(path), os.fstat(self._fd).st_size)

    def _read(self, offset: int, size: int) -> bytes:
        return _pread_exact(self._fd, size, offset, self.description)

    def _readinto(self, offset: int, view: memoryview) -> None:
        # Straight into the caller's buffer: no allocation (large ones cost page faults), no copy.
        got = 0
        while got < len(view):
            try:
                n = os.preadv(self._fd, [view[got:]], offset + got)
            except OSError as exc:
                raise OSError(
                    exc.errno, f"{self.description}: read error at byte {offset + got}: {exc.strerror}"
                ) from exc
            if not n:
                raise OSError(
                    f"{self.description}: ends early at byte {offset + got} (was it truncated while open?)"
                )
            got += n

    def _close(self) -> None:
        os.close(self._fd)


@dataclass(frozen=True)
class _Segment:
    path: Path
    start: int  # offset of its first byte in the whole image
    size: int
    fd: int


class SplitRawImage(ImageReader):
    """A raw image cut into numbered segments (``x.001``, ``x.002``, …), read as one."""

    def __init__(self, first: Path) -> None:
        paths = split_segments(first)
        sizes = [_segment_size(p) for p in paths]
        # Every segment but the last must be full: a short one in the middle would shift every byte
        # after it, and the file systems read from it would be silently wrong.
        for path, size in zip(paths[:-1], sizes[:-1], strict=True):
            if size != sizes[0]:
                raise EvidenceError(
                    f"segment {path.name} is {size} bytes, unlike {paths[0].name} ({sizes[0]} bytes)",
                    hint="a segment was truncated or replaced: get an intact copy of the image",
                )
        self.paths = paths
        self._segments: list[_Segment] = []
        start = 0
        try:
            for path, size in zip(paths, sizes, strict=True):
                self._segments.append(_Segment(path, start, size, _open_readonly(path)))
                start += size
        except EvidenceError:
            self._close()
            raise
        self._starts = [s.start for s in self._segments]
        super().__init__(f"{first} ({len(paths)} segments)", start)

    def _read(self, offset: int, size: int) -> bytes:
        parts: list[bytes] = []
        index = _segment_index(self._starts, offset)
        while size > 0:
            segment = self._segments[index]
            inside = offset - segment.start
            take = min(size, segment.size - inside)
            parts.append(_pread_exact(segment.fd, take, inside, str(segment.path)))
            offset += take
            size -= take
            index += 1
        return b"".join(parts)

    def _close(self) -> None:
        for segment in self._segments:
            os.close(segment.fd)
        self._segments = []


def _segment_index(starts: Sequence[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset) - 1  # the last segment starting at or before offset


def _segment_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise EvidenceError(f"cannot read segment {path}: {exc.strerror or exc}") from exc


def is_numbered_segment(path: Path) -> bool:
    """True for names like ``x.001``: the first (or any) segment of a split raw image."""
    return _SEGMENT_NUMBER.match(path.name) is not None


def split_segments(first: Path) -> list[Path]:
    """The segments of a split raw image, in order, starting at ``first``.

    Segments are found by numbering (same digit width, counting up). A gap before a segment that exists
    is an error that names the missing segment; so is being given a segment that is not the first.
    """
    match = _SEGMENT_NUMBER.match(first.name)
    if match is None:
        return [first]
    stem, digits = match["stem"], match["number"]
    width, number = len(digits), int(digits)
    folder = first.parent

    def segment(n: int) -> Path:
        return folder / f"{stem}.{n:0{width}d}"

    if not first.is_file():
        raise EvidenceError(f"segment {first} does not exist", hint="give the path of the first segment")
    if number > 0 and segment(number - 1).is_file():
        lowest = _numbered_siblings(folder, stem, width)[0][1]
        raise EvidenceError(
            f"{first.name} is not the first segment: {segment(number - 1).name} exists",
            hint=f"open the image by its first segment, {lowest.name}",
        )
    paths = [first]
    while segment(number + len(paths)).is_file():
        paths.append(segment(number + len(paths)))
    last = number + len(paths) - 1
    later = [p for p in _numbered_siblings(folder, stem, width) if p[0] > last]
    if later:
        missing = segment(last + 1)
        raise EvidenceError(
            f"segment {missing.name} of {first.name} is missing ({later[0][1].name} exists)",
            hint="copy every segment of the image into the same folder",
        )
    return paths


def _numbered_siblings(folder: Path, stem: str, width: int) -> list[tuple[int, Path]]:
    pattern = re.compile(re.escape(stem) + rf"\.(\d{{{width}}})$")
    found = []
    for path in folder.iterdir():
        match = pattern.match(path.name)
        if match and path.is_file():
            found.append((int(match[1]), path))
    return sorted(found)


def open_raw(path: Path) -> ImageReader:
    """A raw image: split when its name is numbered (``x.001``), a single file otherwise."""
    if is_numbered_segment(path):
        return SplitRawImage(path)
    return RawImage(path)


# --- EWF (E01) -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EwfVerification:
    """The result of reading every byte of an E01 and comparing with the hashes stored at acquisition."""

    stored_md5: str | None
    stored_sha1: str | None
    computed_md5: str | None  # None when the media could not be read to its end
    computed_sha1: str | None
    bytes_read: int
    error: str | None = None  # a read error, or why nothing could be compared

    @property
    def ok(self) -> bool:
        if self.error is not None or (self.stored_md5 is None and self.stored_sha1 is None):
            return False
        return all(
            stored is None or stored == computed
            for stored, computed in (
                (self.stored_md5, self.computed_md5),
                (self.stored_sha1, self.computed_sha1),
            )
        )


class LibyalImage(ImageReader):
    """Bytes read through a libyal handle (libewf, libvmdk/libvhdi/libqcow, libvslvm, libluksde/libbde): a
    handle has one file position, so every read holds the reader's lock. Subclasses open ``_handle`` and set
    ``_lock`` (their own, or the walker's where one handle serves several readers)."""

    _handle: Any
    _lock: AbstractContextManager[Any]

    def _read(self, offset: int, size: int) -> bytes:
        with self._lock:
            try:
                data: bytes = self._handle.read_buffer_at_offset(size, offset)
            except OSError as exc:
                raise OSError(f"{self.description}: read error at byte {offset}: {exc}") from exc
        if len(data) != size:
            raise OSError(f"{self.description}: short read at byte {offset} ({len(data)} of {size})")
        return data


class EwfImage(LibyalImage):
    """An Expert Witness (EnCase E01) image through libewf; the segments ``.E02…`` are found from ``.E01``."""

    def __init__(self, first: Path) -> None:
        import pyewf  # noqa: PLC0415 - a native module; only EWF users pay its import

        try:
            names = pyewf.glob(str(first))
        except (OSError, ValueError, TypeError) as exc:
            raise EvidenceError(
                f"cannot find the segments of E01 image {first}: {exc}",
                hint="give the path of the .E01 segment; the others must sit beside it",
            ) from exc
        self.paths = [Path(n) for n in names]
        _check_ewf_segments(first, len(self.paths))
        self._handle: Any = pyewf.handle()
        try:
            self._handle.open(names, "r")
        except (OSError, ValueError) as exc:
            raise EvidenceError(
                f"cannot open E01 image {first}: {exc}",
                hint="a segment is missing or damaged: check every .E0x file is present (ewfverify)",
            ) from exc
        self._lock = threading.Lock()  # a libewf handle has one file position
        super().__init__(f"{first} (EWF, {len(names)} segments)", int(self._handle.get_media_size()))

    def stored_hashes(self) -> dict[str, str]:
        """The hashes the acquiring tool stored (lowercase names: ``md5``, ``sha1``…), as lowercase hex."""
        found = {}
        for name in ("MD5", "SHA1", "SHA256"):
            try:
                value = self._handle.get_hash_value(name)
            except (OSError, KeyError):
                value = None
            if value:
                found[name.lower()] = str(value).lower()
        return found

    def verify(self) -> EwfVerification:
        """Read all media data and compare its MD5/SHA-1 with the stored ones (as ewfverify does)."""
        stored = self.stored_hashes()
        md5, sha1 = hashlib.md5(usedforsecurity=False), hashlib.sha1(usedforsecurity=False)
        offset = 0
        try:
            while offset < self.size:
                data = self.read(offset, _VERIFY_CHUNK)
                md5.update(data)
                sha1.update(data)
                offset += len(data)
        except OSError as exc:
            return EwfVerification(stored.get("md5"), stored.get("sha1"), None, None, offset, str(exc))
        return ewf_verification(stored, md5.hexdigest(), sha1.hexdigest(), offset)

    def _close(self) -> None:
        self._handle.close()


def ewf_verification(stored: dict[str, str], md5: str, sha1: str, bytes_read: int) -> EwfVerification:
    """The verification of all of an E01's media, read and hashed (by :meth:`EwfImage.verify`, or by a triage
    run's one read of the image), against the hashes the image stores (:meth:`EwfImage.stored_hashes`)."""
    error = None if stored else "the image holds no stored hash to compare with"
    return EwfVerification(stored.get("md5"), stored.get("sha1"), md5, sha1, bytes_read, error)


def ewf_extension(number: int, first: str = "E") -> str:
    """The extension of EWF segment ``number`` (from 1): E01…E99, then EAA…EZZ, FAA…, as libewf names them."""
    if number < 100:
        return f"{first}{number:02d}"
    k = number - 100
    return chr(ord(first) + k // 676) + chr(65 + (k // 26) % 26) + chr(65 + k % 26)


def _check_ewf_segments(first: Path, found: int) -> None:
    """pyewf.glob stops at the first gap: a later segment beside the image means one is missing."""
    stem, ext = first.stem, first.suffix[1:]
    if len(ext) != 3 or not ext[0].isalpha():
        return
    upper = ext.isupper()
    present = {p.suffix[1:].upper() for p in first.parent.glob(f"{glob_escape(stem)}.*") if p.is_file()}
    for number in range(found + 1, found + 1000):
        if ewf_extension(number, ext[0].upper()) in present:
            missing = ewf_extension(found + 1, ext[0].upper())
            missing = missing if upper else missing.lower()
            raise EvidenceError(
                f"segment {stem}.{missing} of E01 image {first.name} is missing"
                f" ({stem}.{ewf_extension(number, ext[0].upper())} exists)",
                hint="copy every segment of the image into the same folder",
            )


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


EWF_SIGNATURE = b"EVF\x09\x0d\x0a\xff\x00"


def is_ewf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(len(EWF_SIGNATURE)) == EWF_SIGNATURE
    except OSError:
        return False


# --- The Sleuth Kit adaptor -----------------------------------------------------------------------------
class TskImage(pytsk3.Img_Info):  # type: ignore[misc] # pytsk3 has no stubs
    """Lets The Sleuth Kit read any :class:`ImageReader`; closing it leaves the reader open."""

    def __init__(self, reader: ImageReader) -> None:
        self._reader = reader
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    @property
    def reader(self) -> ImageReader:
        return self._reader

    def read(self, offset: int, size: int) -> bytes:
        return self._reader.read(offset, size)

    def get_size(self) -> int:
        return self._reader.size

    def close(self) -> None:
        pass  # the reader belongs to whoever opened it
