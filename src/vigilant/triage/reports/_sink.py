"""Buffered UTF-8 text onto the binary stream a writer is given."""

from __future__ import annotations

from typing import BinaryIO

_FLUSH_AT = 1 << 16


class TextSink:
    """Collects small pieces of text and writes them in 64 KiB blocks.

    Writers emit a row (or a template chunk) at a time; going to an unbuffered file or socket one tiny
    ``write`` each would cost a system call per cell. Call :meth:`flush` when done; nothing is closed.
    """

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._parts: list[str] = []
        self._size = 0

    def write(self, text: str) -> int:
        self._parts.append(text)
        self._size += len(text)
        if self._size >= _FLUSH_AT:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self._parts:
            self._out.write("".join(self._parts).encode("utf-8"))
            self._parts.clear()
            self._size = 0
