"""Small pieces the exporters share."""

from __future__ import annotations

from typing import BinaryIO

from vigilant.library import vics_model as vm
from vigilant.library.records import StoredEntry


class Utf8Sink:
    """A text ``write`` over a binary stream, for :mod:`csv` writers (no TextIOWrapper to detach or close)."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(text.encode("utf-8"))


def paths_of(entry: StoredEntry) -> list[str]:
    """The source paths an entry kept in ``extra`` (VICS MediaFiles), ignoring anything malformed."""
    paths = entry.extra.get(vm.EXTRA_PATHS)
    if not isinstance(paths, list):
        return []
    return [path for path in paths if isinstance(path, str) and path]


def name_of(entry: StoredEntry, fallback: str) -> str:
    """A single-line name for line-oriented formats: the file name, a kept path, else ``fallback``."""
    name = entry.file_name or next(iter(paths_of(entry)), None) or fallback
    return name.replace("\r", " ").replace("\n", " ")
