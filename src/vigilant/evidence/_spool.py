"""Spooled content for archive members: memory up to a limit, a temporary file beyond, many readers.

Also :class:`Rejoined`, a stream whose first bytes were read (to tell the format) and are served again.
"""

from __future__ import annotations

import io
import tempfile
import threading
from collections.abc import Callable
from typing import IO, Any, BinaryIO, cast

COPY_CHUNK = 1 << 20
HEAD_BYTES = 64 * 1024  # what format detection looks at


class Spool:
    """A member's content, spooled; readers opened on it each keep their own position."""

    def __init__(self, memory: int) -> None:
        self.file: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=memory)  # noqa: SIM115 - closed by close()
        self.size = 0
        self.lock = threading.Lock()
        self.closed = False

    def fill(self, source: IO[bytes], count: Callable[[int], None]) -> None:
        """Copy ``source`` in; ``count`` hears of every chunk first (and may stop the copy by raising)."""
        while chunk := source.read(COPY_CHUNK):
            count(len(chunk))
            self.file.write(chunk)
            self.size += len(chunk)

    def head(self) -> bytes:
        with self.lock:
            self.file.seek(0)
            return self.file.read(HEAD_BYTES)

    def reader(self, where: str) -> BinaryIO:
        if self.closed:
            raise OSError(f"{where}: archive member no longer held; read members while expanding the archive")
        return cast(BinaryIO, _SpoolReader(self))

    def close(self) -> None:
        self.closed = True
        self.file.close()


class _SpoolReader(io.RawIOBase):
    def __init__(self, spool: Spool) -> None:
        super().__init__()
        self._spool = spool
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._spool.size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        if self._spool.closed:
            raise OSError("archive member no longer held; read members while expanding the archive")
        view = memoryview(buffer).cast("B")
        with self._spool.lock:
            self._spool.file.seek(self._pos)
            n = self._spool.file.readinto(view)  # type: ignore[attr-defined] # SpooledTemporaryFile has it
        self._pos += n
        return int(n)


class Rejoined(io.RawIOBase):
    """A stream whose first bytes were already read: serves them again, then the rest."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            n = min(len(view), len(self._head))
            view[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)
