"""Reading one data stream of a file in a file system: through TSK, or straight from the image.

:class:`~vigilant.evidence.filesystems.FileSystemWalker` lists the streams (:class:`Stream`) and hands
each entry an opener; the opener returns a :class:`TskFileReader` on the stream. When the stream's blocks
are known to be its content (see :mod:`vigilant.evidence.extents`), :class:`DirectRead` reads them from
the image without TSK (and without TSK's lock), and gives zeros where TSK gives zeros.
"""

from __future__ import annotations

import bisect
import io
import threading
from dataclasses import dataclass, field
from typing import Any

from vigilant.evidence.images import ImageReader
from vigilant.evidence.runs import Extent

# Bytes per read_random call. Small on purpose: every call allocates its result (and TSK and the image
# reader their own buffers); at 64 KiB these come from the heap, while from 128 KiB glibc maps and unmaps
# fresh pages for each, whose page faults made reading 2.5x slower (0.9 against 2.4 GB/s on one core).
CHUNK = 64 << 10


@dataclass(frozen=True)
class Stream:
    """One data stream of a file: which attribute TSK reads, and how big it is."""

    attribute: str | None  # None: the default stream
    attr_type: int
    attr_id: int
    size: int


@dataclass(frozen=True)
class DirectRead:
    """A file's content read straight from the image (see :mod:`vigilant.evidence.extents`)."""

    image: ImageReader
    extents: list[Extent]
    starts: list[int] = field(init=False, repr=False)  # each extent's start, for bisect

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts", [e.start for e in self.extents])

    def readinto(self, position: int, view: memoryview, where: str) -> int:
        """Fill ``view`` with the content from ``position`` (the caller keeps inside the file)."""
        filled = 0
        while filled < len(view):
            extent = self.extents[bisect.bisect_right(self.starts, position) - 1]
            inside = position - extent.start
            take = min(len(view) - filled, extent.length - inside)
            if extent.image_offset is None:  # a sparse run, or past NTFS's initialised size
                view[filled : filled + take] = bytes(take)
                filled += take
                position += take
                continue
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
        stream: Stream,
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
