"""The contract every export format meets: stream entries out, never holding the whole set in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import BinaryIO, Protocol

from vigilant.library.records import HashSetInfo, StoredEntry
from vigilant.perceptual.vpdq import FrameHash

# The vPDQ frames of those of the given entry ids that are known videos (``LibraryStore.video_frames``).
VideoFrames = Callable[[Iterable[int]], Mapping[int, Sequence[FrameHash]]]


class HashSetWriter(Protocol):
    name: str  # used on the command line: "vics", "hashdeep", "md5sum", "csv", "vpdq"
    title: str
    suffix: str  # default file suffix: ".json", ".txt", ".csv", ".jsonl"

    def write(
        self,
        sets: Sequence[HashSetInfo],
        entries: Iterable[StoredEntry],
        out: BinaryIO,
        videos: VideoFrames | None = None,
    ) -> int:
        """Write ``entries`` (from ``sets``) to ``out``; return how many entries were written.

        An entry carrying nothing the format can hold is left out, not written as an empty row: the caller
        learns how many from the difference. ``videos`` gives the vPDQ frames of known videos, for the
        formats that carry them (none given: no entry is a known video).
        """
        ...
