"""Export known videos as JSON lines of their vPDQ hash, the form the ``vpdq`` reader takes back.

One known video a line, its hash in python-threatexchange's serialization (a list of ``{"quality", "hash",
"timestamp"}`` objects, one per frame in frame order), with the file digests, category code, series and
file name where the entry has them. That form numbers a frame by its place in the list: frame numbers
kept from Meta's ``frame,hash,quality,timestamp`` lines do not survive, the times do.

Entries that are not known videos (no vPDQ frames) are left out. Frames are read a batch of entries at a
time, so the set is never held in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, BinaryIO

from vigilant.library.exporters.base import VideoFrames
from vigilant.library.records import HashSetInfo, StoredEntry
from vigilant.perceptual.vpdq import FrameHash

BATCH = 500  # entries whose frames are read in one go


class VpdqWriter:
    name = "vpdq"
    title = "known videos by vPDQ hash (JSON lines, python-threatexchange form)"
    suffix = ".jsonl"

    def __init__(self, batch: int = BATCH) -> None:
        self.batch = batch

    def write(
        self,
        sets: Sequence[HashSetInfo],
        entries: Iterable[StoredEntry],
        out: BinaryIO,
        videos: VideoFrames | None = None,
    ) -> int:
        count = 0
        for chunk in _chunks(entries, self.batch):
            frames = videos(e.id for e in chunk) if videos is not None else {}
            for entry in chunk:
                video = frames.get(entry.id)
                if not video:
                    continue
                out.write((json.dumps(vpdq_line(entry, video)) + "\n").encode("ascii"))
                count += 1
        return count


def vpdq_line(entry: StoredEntry, frames: Sequence[FrameHash]) -> dict[str, Any]:
    """One known video as the format's JSON object; keys always in this order (reproducible exports)."""
    line: dict[str, Any] = {
        "vpdq": [{"quality": f.quality, "hash": f.hex, "timestamp": f.seconds} for f in frames]
    }
    for kind in ("md5", "sha1", "sha256"):
        if (value := getattr(entry, kind)) is not None:
            line[kind] = value.hex()
    for key, text in (
        ("category", entry.category),
        ("publisher_category", entry.category_label),
        ("series", entry.series),
        ("name", entry.file_name),
    ):
        if text is not None:
            line[key] = text
    return line


def _chunks(entries: Iterable[StoredEntry], size: int) -> Iterator[list[StoredEntry]]:
    chunk: list[StoredEntry] = []
    for entry in entries:
        chunk.append(entry)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
