"""Export as a hashdeep audit file (``size,md5,sha1,sha256,filename``).

hashdeep needs every column on every row, so entries lacking a size, an MD5, a SHA-1 or a SHA-256 are
left out (the returned count says how many were written). File names cannot be escaped in this format;
line breaks in them become spaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

from vigilant.library.exporters._common import name_of
from vigilant.library.exporters.base import VideoFrames
from vigilant.library.records import HashSetInfo, StoredEntry

COLUMNS = ("size", "md5", "sha1", "sha256", "filename")


class HashdeepWriter:
    name = "hashdeep"
    title = "hashdeep audit file (size, MD5, SHA-1, SHA-256)"
    suffix = ".txt"

    def write(
        self,
        sets: Sequence[HashSetInfo],
        entries: Iterable[StoredEntry],
        out: BinaryIO,
        videos: VideoFrames | None = None,
    ) -> int:
        labels = ", ".join(s.label for s in sets).replace("\r", " ").replace("\n", " ")
        out.write(
            (
                f"%%%% HASHDEEP-1.0\n%%%% {','.join(COLUMNS)}\n"
                f"## Invoked from: vigilant\n## $ vigilant library export --format hashdeep ({labels})\n##\n"
            ).encode()
        )
        count = 0
        for entry in entries:
            if entry.size is None or entry.md5 is None or entry.sha1 is None or entry.sha256 is None:
                continue
            name = name_of(entry, entry.md5.hex())
            out.write(
                f"{entry.size},{entry.md5.hex()},{entry.sha1.hex()},{entry.sha256.hex()},{name}\n".encode()
            )
            count += 1
        return count
