"""The contract every hash-set format reader meets.

A reader turns one source file into a stream of :class:`KnownEntry` (rows it took) and
:class:`RowProblem` (rows it refused, with their location). It never loads the whole file: sources are
multi-gigabyte. A source that cannot be read to its end (truncated, corrupt, wrong format) raises
:class:`SourceError`; the importer then leaves the library unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from vigilant.errors import BadInputError
from vigilant.library.records import KnownEntry, RowProblem, SetHints

HEAD_BYTES = 64 * 1024  # how much of a file detection looks at


class SourceError(BadInputError):
    """The source as a whole cannot be read: nothing from it may enter the library."""


@dataclass(frozen=True)
class ReaderOptions:
    # Plain CSV: Vigilant field name (md5, sha1, sha256, pdq, size, category, file_name, series, comments,
    # …) -> the source's column header (or 0-based column number as text).
    column_map: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None  # CSV delimiter; sniffed when None
    encoding: str = "utf-8-sig"  # text sources; the BOM is dropped


ReadItem = KnownEntry | RowProblem


class HashSetReader(Protocol):
    """One hash-set format."""

    name: str  # stable identifier used on the command line: "vics", "nsrl-v3", "md5sum", …
    title: str  # for people: "Project VIC VICS JSON 1.x/2.0"

    def sniff(self, path: Path, head: bytes) -> bool:
        """True when the file (its name and first bytes) is in this format."""
        ...

    def hints(self, path: Path, options: ReaderOptions) -> SetHints:
        """What the source says about itself (name, version, profile); cheap, may be empty."""
        ...

    def read(self, path: Path, options: ReaderOptions) -> Iterator[ReadItem]:
        """Stream the entries and the refused rows; raise :class:`SourceError` if the whole is unreadable."""
        ...


def read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(HEAD_BYTES)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
