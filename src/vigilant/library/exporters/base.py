"""The contract every export format meets: stream entries out, never holding the whole set in memory."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO, Protocol

from vigilant.library.records import HashSetInfo, StoredEntry


class HashSetWriter(Protocol):
    name: str  # used on the command line: "vics", "hashdeep", "md5sum", "csv"
    title: str
    suffix: str  # default file suffix: ".json", ".txt", ".csv"

    def write(self, sets: Sequence[HashSetInfo], entries: Iterable[StoredEntry], out: BinaryIO) -> int:
        """Write ``entries`` (from ``sets``) to ``out``; return how many entries were written."""
        ...
