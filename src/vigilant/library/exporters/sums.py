"""Export as GNU ``md5sum`` / ``sha1sum`` / ``sha256sum`` lines (``<hex>  <name>``).

Names holding a backslash or a line break use coreutils' escaped form (a leading ``\\``), so
``md5sum -c`` and Vigilant's own reader get the name back. Entries without the digest are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

from vigilant.hashing.digests import DigestKind
from vigilant.library.exporters._common import paths_of
from vigilant.library.exporters.base import VideoFrames
from vigilant.library.records import HashSetInfo, StoredEntry


class SumsWriter:
    def __init__(self, kind: DigestKind) -> None:
        self.kind = kind
        self.name = f"{kind.name}sum"
        self.title = f"{kind.name}sum list ({kind.label}, GNU style)"
        self.suffix = f".{kind.name}"

    def write(
        self,
        sets: Sequence[HashSetInfo],
        entries: Iterable[StoredEntry],
        out: BinaryIO,
        videos: VideoFrames | None = None,
    ) -> int:
        count = 0
        for entry in entries:
            value = getattr(entry, self.kind.name)
            if value is None:
                continue
            digest = self.kind.format(value)
            name = entry.file_name or next(iter(paths_of(entry)), None) or digest
            escaped = escape_name(name)
            prefix = "\\" if escaped != name else ""
            out.write(f"{prefix}{digest}  {escaped}\n".encode())
            count += 1
        return count


def escape_name(name: str) -> str:
    return name.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
