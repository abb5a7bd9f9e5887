"""Read a source back in one call, for tests and the demo (a real import streams instead)."""

from __future__ import annotations

from pathlib import Path

from vigilant.library.formats import ReaderOptions, formats
from vigilant.library.records import KnownEntry, RowProblem


def read_source(
    path: Path, format_name: str | None = None, options: ReaderOptions | None = None
) -> tuple[list[KnownEntry], list[RowProblem]]:
    """Every entry and every refused row of ``path``, in the format named or the one detected."""
    reader = formats()[format_name] if format_name else formats().detect(path)
    entries: list[KnownEntry] = []
    problems: list[RowProblem] = []
    for item in reader.read(path, options or ReaderOptions()):
        if isinstance(item, KnownEntry):
            entries.append(item)
        else:
            problems.append(item)
    return entries, problems
